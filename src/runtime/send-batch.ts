/**
 * The binary batch of actor-to-actor sends that one worker posts straight
 * to another. Each record is the sender's id and the request bytes the
 * actor gave `plex.call(Send)` — `to\ntype\npayload` — unchanged:
 *
 *     [u32 record length][u16 from length][from bytes][to \n type \n payload]
 *
 * so a send costs a copy of its bytes and no encoding; the buffer travels
 * by transfer, not copy.
 */
export class SendBatchWriter {
  private buffer = new Uint8Array(64 * 1024);
  private view = new DataView(this.buffer.buffer);
  private length = 0;

  get isEmpty(): boolean {
    return this.length === 0;
  }

  append(from: Uint8Array, request: Uint8Array): void {
    const size = 4 + 2 + from.byteLength + request.byteLength;
    if (this.length + size > this.buffer.byteLength) this.grow(this.length + size);
    this.view.setUint32(this.length, size - 4, true);
    this.view.setUint16(this.length + 4, from.byteLength, true);
    this.buffer.set(from, this.length + 6);
    this.buffer.set(request, this.length + 6 + from.byteLength);
    this.length += size;
  }

  /** The batch so far (a fresh buffer each time, so it can be transferred). */
  take(): Uint8Array {
    const out = this.buffer.slice(0, this.length);
    this.length = 0;
    return out;
  }

  private grow(needed: number): void {
    let capacity = this.buffer.byteLength * 2;
    while (capacity < needed) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }
}

/** Calls `visit` for each record of a batch; `payload` is a view valid during the call. */
export function readSendBatch(batch: Uint8Array, visit: (from: string, to: string, type: string, payload: Uint8Array) => void): void {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  const text = Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength);
  let at = 0;
  // Runs of records from one sender to one recipient with one type are the
  // norm: when a record's header bytes equal the previous one's, reuse its strings.
  let headerStart = -1;
  let headerEnd = -1;
  let headerFromLength = -1;
  let from = '';
  let to = '';
  let type = '';
  while (at < batch.byteLength) {
    const size = view.getUint32(at, true);
    const fromLength = view.getUint16(at + 4, true);
    const start = at + 6;
    const end = at + 4 + size;
    const request = start + fromLength;
    const first = batch.indexOf(10, request);
    const second = batch.indexOf(10, first + 1);
    // The from length is part of the header: "ab"+"c" and "a"+"bc" have the same bytes.
    if (fromLength !== headerFromLength || !sameBytes(batch, headerStart, headerEnd, start, second)) {
      from = strings.get(text, start, request);
      to = strings.get(text, request, first);
      type = strings.get(text, first + 1, second);
    }
    headerStart = start;
    headerEnd = second;
    headerFromLength = fromLength;
    visit(from, to, type, batch.subarray(second + 1, end));
    at = end;
  }
}

function sameBytes(bytes: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  if (aStart < 0 || aEnd - aStart !== bEnd - bStart) return false;
  for (let i = 0; i < aEnd - aStart; i++) if (bytes[aStart + i] !== bytes[bStart + i]) return false;
  return true;
}

/**
 * Decoded ids and message types, remembered by their bytes: a batch repeats
 * the same few names thousands of times.
 */
class StringCache {
  private readonly byKey = new Map<string, string>();

  get(text: Buffer, start: number, end: number): string {
    // latin1 is a byte-for-byte key (no UTF-8 validation), cheap to make.
    const key = text.toString('latin1', start, end);
    let value = this.byKey.get(key);
    if (value === undefined) {
      value = text.toString('utf8', start, end);
      if (this.byKey.size > 4096) this.byKey.clear();
      this.byKey.set(key, value);
    }
    return value;
  }
}

const strings = new StringCache();
