// The direct-sum n-body kernel: float32, structure of arrays, Plummer
// softening, one leapfrog step of bodies i0…i1 per call, and their share of
// the energy in float64. Shared by the kernel on a shared memory
// (actors/shared/nbody.ts, which documents the layout and the integrator) and
// the one whose bodies arrive as message bytes (actors/nbody-slices.ts).

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
