// An actor that misbehaves on request, for the isolation tests:
// "trap" hits `unreachable`, "spin" loops forever, "bomb" grows memory until
// it cannot, then writes to the last page; "echo" replies with its payload.
import { reply } from "../assembly/plex";
export { plex_alloc, plex_reply_ptr } from "../assembly/plex";

let sink: i32 = 0;

export function plex_handle(typePtr: usize, typeLen: i32, payloadPtr: usize, payloadLen: i32): i32 {
  const first = load<u8>(typePtr);
  if (first == 0x74 /* t */) unreachable();
  if (first == 0x73 /* s */) {
    let i = 0;
    while (true) {
      i++;
      sink = i;
    }
  }
  if (first == 0x62 /* b */) {
    while (memory.grow(16) >= 0) {
      store<u8>(<usize>memory.size() * 65536 - 1, 1);
    }
    unreachable();
  }
  const out = new Uint8Array(payloadLen);
  memory.copy(out.dataStart, payloadPtr, <usize>payloadLen);
  return reply(out);
}
