// A zero-copy kernel on a shared WebAssembly.Memory (compiled with
// --importMemory --sharedMemory). Many instances on many workers share the
// memory, so this module allocates nothing: its message buffers live in the
// private slot the runtime assigns it through `plex_base`.
//
// "scale": payload [u32 offset][u32 count][f32 factor] multiplies `count`
// float32 values at byte `offset` of the shared memory in place, four lanes
// at a time, and replies their new sum (f32) as a checksum. Only these 12
// bytes cross threads; the data never moves.

import { plex_base, SLOT_HALF } from "../../assembly/shared-slot";
export { plex_alloc, plex_base, plex_reply_ptr } from "../../assembly/shared-slot";

export function plex_handle(typePtr: usize, typeLen: i32, payloadPtr: usize, payloadLen: i32): i32 {
  if (typeLen < 1 || load<u8>(typePtr) != 0x73 /* s */ || payloadLen != 12) return -1;
  const offset = <usize>load<u32>(payloadPtr);
  const count = <i32>load<u32>(payloadPtr, 4);
  const factor = load<f32>(payloadPtr, 8);
  const f = f32x4.splat(factor);
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const at = offset + (<usize>i << 2);
    const v = f32x4.mul(v128.load(at), f);
    v128.store(at, v);
    acc = f32x4.add(acc, v);
  }
  let sum = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < count; i++) {
    const at = offset + (<usize>i << 2);
    const v = load<f32>(at) * factor;
    store<f32>(at, v);
    sum += v;
  }
  store<f32>(plex_base + SLOT_HALF, sum);
  return 4;
}
