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

import { nbody_energy, nbody_step } from "../../assembly/nbody-kernel";
export { nbody_energy, nbody_step };

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
