// Direct-sum n-body whose bodies arrive as message bytes, for a shard group
// whose shards may run on other nodes (`plexspaces run nbody --cluster`, bench
// cluster). Each shard owns bodies i0…i1: it keeps every body's velocity
// plane and mass, updates only its own rows, and gets all positions with each
// step. The kernel is assembly/nbody-kernel.ts, the one the shared-memory
// kernel runs. Layout as there: planes x(n) | y(n) | z(n), n a multiple of 4.
//
//   "init"    [n: u32, i0: u32, i1: u32, eps2: f32] + vel f32[3n] + mass f32[n]   → u32 n
//   "step"    [dtKick: f32, dtDrift: f32] + pos f32[3n] → x(i0…i1) | y(i0…i1) | z(i0…i1), f32
//   "energy"  pos f32[3n] → f64: kinetic energy of rows i0…i1 and their pairs with j > i
import { isType, replyBuffer } from "../assembly/plex";
import { nbody_energy, nbody_step } from "../assembly/nbody-kernel";
export { plex_alloc, plex_reply_ptr } from "../assembly/plex";

let n: i32 = 0;
let i0: i32 = 0;
let i1: i32 = 0;
let eps2: f32 = 0;
let vel: usize = 0;
let mass: usize = 0;
let pout: usize = 0;

export function plex_init(ptr: usize, len: i32): i32 {
  return 0;
}

export function plex_handle(typePtr: usize, typeLen: i32, p: usize, len: i32): i32 {
  if (isType(typePtr, typeLen, "init")) {
    if (len < 16) return -1;
    const count = <i32>load<u32>(p);
    const from = <i32>load<u32>(p, 4);
    const to = <i32>load<u32>(p, 8);
    const plane = <usize>count << 2;
    if (count <= 0 || (count & 3) != 0 || from < 0 || to < from || to > count || <usize>len != 16 + 4 * plane) return -1;
    if (vel != 0) {
      heap.free(vel);
      heap.free(mass);
      heap.free(pout);
    }
    vel = heap.alloc(3 * plane);
    mass = heap.alloc(plane);
    pout = heap.alloc(3 * plane);
    memory.copy(vel, p + 16, 3 * plane);
    memory.copy(mass, p + 16 + 3 * plane, plane);
    n = count;
    i0 = from;
    i1 = to;
    eps2 = load<f32>(p, 12);
    store<u32>(replyBuffer(4), <u32>count);
    return 4;
  }
  if (n == 0) return -1;
  const plane = <usize>n << 2;
  if (isType(typePtr, typeLen, "step")) {
    if (<usize>len != 8 + 3 * plane) return -1;
    // Positions are read where the message lies (wasm loads need no alignment); new ones of our rows go to pout.
    nbody_step(n, p + 8, pout, vel, mass, i0, i1, load<f32>(p), load<f32>(p, 4), eps2);
    const rows = <usize>(i1 - i0) << 2;
    const out = replyBuffer(<i32>(3 * rows));
    for (let axis: usize = 0; axis < 3; axis++) memory.copy(out + axis * rows, pout + axis * plane + (<usize>i0 << 2), rows);
    return <i32>(3 * rows);
  }
  if (isType(typePtr, typeLen, "energy")) {
    if (<usize>len != 3 * plane) return -1;
    store<f64>(replyBuffer(8), nbody_energy(n, p, vel, mass, i0, i1, eps2));
    return 8;
  }
  return -1;
}
