// The Jovian planets problem of the Computer Language Benchmarks Game
// ("n-body"): the Sun, Jupiter, Saturn, Uranus and Neptune in float64,
// symplectic Euler with dt = 0.01, in units where G = 1, masses in solar
// masses times 4π², velocities per year scaled to days. Its published
// output is the correctness oracle of our integrator and arithmetic:
// for 1000 steps, -0.169075164 before and -0.169087605 after.
//
// Exports for direct calls: jovian_reset(), jovian_advance(steps, dt),
// jovian_energy(). As an actor: "advance" (payload: decimal step count) and
// "energy", both replying the energy as a little-endian f64.
import { readString, replyBuffer } from "../assembly/plex";
export { plex_alloc, plex_reply_ptr } from "../assembly/plex";

const PI: f64 = 3.141592653589793;
const SOLAR_MASS: f64 = 4 * PI * PI;
const DAYS_PER_YEAR: f64 = 365.24;
const N = 5;

const x = new StaticArray<f64>(N), y = new StaticArray<f64>(N), z = new StaticArray<f64>(N);
const vx = new StaticArray<f64>(N), vy = new StaticArray<f64>(N), vz = new StaticArray<f64>(N);
const m = new StaticArray<f64>(N);

function body(i: i32, px: f64, py: f64, pz: f64, qx: f64, qy: f64, qz: f64, mass: f64): void {
  x[i] = px; y[i] = py; z[i] = pz;
  vx[i] = qx * DAYS_PER_YEAR; vy[i] = qy * DAYS_PER_YEAR; vz[i] = qz * DAYS_PER_YEAR;
  m[i] = mass * SOLAR_MASS;
}

export function jovian_reset(): void {
  body(0, 0, 0, 0, 0, 0, 0, 1);
  body(1, 4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
    1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05, 9.54791938424326609e-04);
  body(2, 8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
    -2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05, 2.85885980666130812e-04);
  body(3, 1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
    2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05, 4.36624404335156298e-05);
  body(4, 1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
    2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05, 5.15138902046611451e-05);
  // Offset the Sun's momentum so the system's total is zero.
  let px: f64 = 0, py: f64 = 0, pz: f64 = 0;
  for (let i = 0; i < N; i++) {
    px += vx[i] * m[i]; py += vy[i] * m[i]; pz += vz[i] * m[i];
  }
  vx[0] = -px / SOLAR_MASS; vy[0] = -py / SOLAR_MASS; vz[0] = -pz / SOLAR_MASS;
}

export function jovian_advance(steps: i32, dt: f64): void {
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < N; i++) {
      for (let j = i + 1; j < N; j++) {
        const dx = x[i] - x[j], dy = y[i] - y[j], dz = z[i] - z[j];
        const d2 = dx * dx + dy * dy + dz * dz;
        const mag = dt / (d2 * Math.sqrt(d2));
        const mi = m[i] * mag, mj = m[j] * mag;
        vx[i] -= dx * mj; vy[i] -= dy * mj; vz[i] -= dz * mj;
        vx[j] += dx * mi; vy[j] += dy * mi; vz[j] += dz * mi;
      }
    }
    for (let i = 0; i < N; i++) {
      x[i] += dt * vx[i]; y[i] += dt * vy[i]; z[i] += dt * vz[i];
    }
  }
}

export function jovian_energy(): f64 {
  let e: f64 = 0;
  for (let i = 0; i < N; i++) {
    e += 0.5 * m[i] * (vx[i] * vx[i] + vy[i] * vy[i] + vz[i] * vz[i]);
    for (let j = i + 1; j < N; j++) {
      const dx = x[i] - x[j], dy = y[i] - y[j], dz = z[i] - z[j];
      e -= (m[i] * m[j]) / Math.sqrt(dx * dx + dy * dy + dz * dz);
    }
  }
  return e;
}

export function plex_init(ptr: usize, len: i32): i32 {
  jovian_reset();
  return 0;
}

export function plex_handle(typePtr: usize, typeLen: i32, payloadPtr: usize, payloadLen: i32): i32 {
  const type = readString(typePtr, typeLen);
  if (type == "advance") {
    const steps = payloadLen > 0 ? I32.parseInt(readString(payloadPtr, payloadLen)) : 1;
    if (steps < 0) return -1;
    jovian_advance(steps, 0.01);
  } else if (type != "energy") {
    return -1;
  }
  store<f64>(replyBuffer(8), jovian_energy());
  return 8;
}
