// A SIMD (v128) compute actor. "dot": the payload is two float32 vectors of
// equal length back to back; the reply is their dot product as a float32,
// computed four lanes at a time. "saxpy": payload [a: f32][x: n f32][y: n f32];
// reply a*x + y (n f32).
import { replyBuffer } from "../assembly/plex";
export { plex_alloc, plex_reply_ptr } from "../assembly/plex";

export function plex_handle(typePtr: usize, typeLen: i32, payloadPtr: usize, payloadLen: i32): i32 {
  const first = load<u8>(typePtr);
  if (first == 0x64 /* d */) return dot(payloadPtr, payloadLen);
  if (first == 0x73 /* s */) return saxpy(payloadPtr, payloadLen);
  return -1;
}

function dot(ptr: usize, len: i32): i32 {
  const n = len >> 3; // two vectors of n float32
  const x = ptr;
  const y = ptr + (<usize>n << 2);
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    acc = f32x4.add(acc, f32x4.mul(v128.load(x + off), v128.load(y + off)));
  }
  let sum = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < n; i++) sum += load<f32>(x + (<usize>i << 2)) * load<f32>(y + (<usize>i << 2));
  const out = replyBuffer(4);
  store<f32>(out, sum);
  return 4;
}

function saxpy(ptr: usize, len: i32): i32 {
  const n = (len - 4) >> 3;
  const a = load<f32>(ptr);
  const x = ptr + 4;
  const y = x + (<usize>n << 2);
  const out = replyBuffer(n << 2);
  const av = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(out + off, f32x4.add(f32x4.mul(av, v128.load(x + off)), v128.load(y + off)));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(out + off, a * load<f32>(x + off) + load<f32>(y + off));
  }
  return n << 2;
}
