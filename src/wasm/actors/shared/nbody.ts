// Direct-sum gravitational n-body on a shared WebAssembly.Memory: float32,
// structure of arrays, Plummer softening, leapfrog (kick-drift-kick with
// velocities at half steps), SIMD over j.
//
// Memory layout (addresses in bytes, n a multiple of 4; pad with mass-0
// bodies): positions [x(n) | y(n) | z(n)] in two buffers (read one, write
// the other, so workers updating their own bodies never race with workers
// still reading positions), velocities [vx | vy | vz], masses m(n).
//
// One step of bodies i0…i1 is one call:
//   a_i   = Σ_j m_j (x_j − x_i) / (|x_j − x_i|² + ε²)^{3/2}
//   v_i  += a_i · dtKick
//   x'_i  = x_i + v_i · dtDrift            (written to the other buffer)
// The driver calls it with (dt/2, dt) for the first step, (dt, dt) after
// that, and (dt/2, 0) at the end, which is the kick-drift-kick leapfrog with
// one barrier per step. The self-term contributes nothing: x_j − x_i = 0.
//
// As an actor: "step" payload [n, pin, pout, vel, mass, i0, i1] (u32) +
// [dtKick, dtDrift, eps2] (f32), 40 bytes, no reply; "energy" payload
// [n, pos, vel, mass, i0, i1] (u32) + [eps2] (f32), 28 bytes, replies the
// f64 energy of rows i0…i1 (their kinetic energy and their pairs with j > i),
// so rows split over workers sum to the total.

import { plex_base, SLOT_HALF } from "../../assembly/shared-slot";
export { plex_alloc, plex_base, plex_reply_ptr } from "../../assembly/shared-slot";

@inline function sum4(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

export function nbody_step(n: i32, pin: usize, pout: usize, vel: usize, mass: usize, i0: i32, i1: i32, dtKick: f32, dtDrift: f32, eps2: f32): void {
  const plane = <usize>n << 2;
  const xs = pin, ys = pin + plane, zs = pin + 2 * plane;
  const soft = f32x4.splat(eps2);
  for (let i = i0; i < i1; i++) {
    const at = <usize>i << 2;
    const xi = load<f32>(xs + at), yi = load<f32>(ys + at), zi = load<f32>(zs + at);
    const vxi = f32x4.splat(xi), vyi = f32x4.splat(yi), vzi = f32x4.splat(zi);
    let ax = f32x4.splat(0), ay = f32x4.splat(0), az = f32x4.splat(0);
    for (let j: usize = 0; j < plane; j += 16) {
      const dx = f32x4.sub(v128.load(xs + j), vxi);
      const dy = f32x4.sub(v128.load(ys + j), vyi);
      const dz = f32x4.sub(v128.load(zs + j), vzi);
      const r2 = f32x4.add(f32x4.add(f32x4.mul(dx, dx), f32x4.mul(dy, dy)), f32x4.add(f32x4.mul(dz, dz), soft));
      const s = f32x4.div(v128.load(mass + j), f32x4.mul(r2, f32x4.sqrt(r2)));
      ax = f32x4.add(ax, f32x4.mul(dx, s));
      ay = f32x4.add(ay, f32x4.mul(dy, s));
      az = f32x4.add(az, f32x4.mul(dz, s));
    }
    const vx = load<f32>(vel + at) + sum4(ax) * dtKick;
    const vy = load<f32>(vel + plane + at) + sum4(ay) * dtKick;
    const vz = load<f32>(vel + 2 * plane + at) + sum4(az) * dtKick;
    store<f32>(vel + at, vx);
    store<f32>(vel + plane + at, vy);
    store<f32>(vel + 2 * plane + at, vz);
    store<f32>(pout + at, xi + vx * dtDrift);
    store<f32>(pout + plane + at, yi + vy * dtDrift);
    store<f32>(pout + 2 * plane + at, zi + vz * dtDrift);
  }
}

/** Kinetic energy of rows i0…i1 plus the potential energy of their pairs with j > i, in float64. */
export function nbody_energy(n: i32, pos: usize, vel: usize, mass: usize, i0: i32, i1: i32, eps2: f32): f64 {
  const plane = <usize>n << 2;
  const xs = pos, ys = pos + plane, zs = pos + 2 * plane;
  let energy: f64 = 0;
  for (let i = i0; i < i1; i++) {
    const at = <usize>i << 2;
    const mi = <f64>load<f32>(mass + at);
    const vx = <f64>load<f32>(vel + at), vy = <f64>load<f32>(vel + plane + at), vz = <f64>load<f32>(vel + 2 * plane + at);
    energy += 0.5 * mi * (vx * vx + vy * vy + vz * vz);
    const xi = <f64>load<f32>(xs + at), yi = <f64>load<f32>(ys + at), zi = <f64>load<f32>(zs + at);
    let potential: f64 = 0;
    for (let j = i + 1; j < n; j++) {
      const jt = <usize>j << 2;
      const dx = <f64>load<f32>(xs + jt) - xi, dy = <f64>load<f32>(ys + jt) - yi, dz = <f64>load<f32>(zs + jt) - zi;
      potential += <f64>load<f32>(mass + jt) / Math.sqrt(dx * dx + dy * dy + dz * dz + <f64>eps2);
    }
    energy -= mi * potential;
  }
  return energy;
}

const STEP: u32 = 0x70657473; // "step", little-endian
const ENER: u32 = 0x72656e65; // "ener"

export function plex_handle(typePtr: usize, typeLen: i32, p: usize, len: i32): i32 {
  if (typeLen == 4 && load<u32>(typePtr) == STEP && len == 40) {
    nbody_step(<i32>load<u32>(p), load<u32>(p, 4), load<u32>(p, 8), load<u32>(p, 12), load<u32>(p, 16), <i32>load<u32>(p, 20), <i32>load<u32>(p, 24), load<f32>(p, 28), load<f32>(p, 32), load<f32>(p, 36));
    return 0;
  }
  if (typeLen == 6 && load<u32>(typePtr) == ENER && len == 28) {
    store<f64>(plex_base + SLOT_HALF, nbody_energy(<i32>load<u32>(p), load<u32>(p, 4), load<u32>(p, 8), load<u32>(p, 12), <i32>load<u32>(p, 16), <i32>load<u32>(p, 20), load<f32>(p, 24)));
    return 8;
  }
  return -1;
}
