/** Bytes a channel message or KV value is counted as: raw length for bytes, UTF-8 for text, JSON for anything else. */
export function messageBytes(message: unknown): number {
  if (message instanceof Uint8Array) return message.byteLength;
  if (typeof message === 'string') return Buffer.byteLength(message);
  const json = JSON.stringify(message);
  return json === undefined ? 0 : Buffer.byteLength(json);
}
