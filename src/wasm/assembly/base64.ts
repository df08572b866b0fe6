// Standard base64 (RFC 4648, with padding) on raw memory, for actors that
// exchange bytes inside JSON tuples ({"$bytes": "<base64>"}, src/tuple/json.ts).

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Characters base64 needs for `n` bytes. */
export function encodedLength(n: usize): usize {
  return ((n + 2) / 3) * 4;
}

/** Writes the base64 of `n` bytes at `src` to `dst`; returns the characters written. */
export function encode(src: usize, n: usize, dst: usize): usize {
  let out = dst;
  let i: usize = 0;
  for (; i + 3 <= n; i += 3) {
    const v = (<u32>load<u8>(src + i) << 16) | (<u32>load<u8>(src + i + 1) << 8) | <u32>load<u8>(src + i + 2);
    store<u8>(out, <u8>ALPHABET.charCodeAt((v >> 18) & 63));
    store<u8>(out + 1, <u8>ALPHABET.charCodeAt((v >> 12) & 63));
    store<u8>(out + 2, <u8>ALPHABET.charCodeAt((v >> 6) & 63));
    store<u8>(out + 3, <u8>ALPHABET.charCodeAt(v & 63));
    out += 4;
  }
  const rest = n - i;
  if (rest > 0) {
    const v = (<u32>load<u8>(src + i) << 16) | (rest == 2 ? <u32>load<u8>(src + i + 1) << 8 : 0);
    store<u8>(out, <u8>ALPHABET.charCodeAt((v >> 18) & 63));
    store<u8>(out + 1, <u8>ALPHABET.charCodeAt((v >> 12) & 63));
    store<u8>(out + 2, rest == 2 ? <u8>ALPHABET.charCodeAt((v >> 6) & 63) : 61);
    store<u8>(out + 3, 61); // '='
    out += 4;
  }
  return out - dst;
}

function sextet(c: u32): i32 {
  if (c >= 65 && c <= 90) return <i32>(c - 65);
  if (c >= 97 && c <= 122) return <i32>(c - 71);
  if (c >= 48 && c <= 57) return <i32>(c + 4);
  if (c == 43) return 62;
  if (c == 47) return 63;
  return -1;
}

/** Decodes `len` base64 characters at `src` into `dst`; returns the bytes written, or -1 if the text is not base64. */
export function decode(src: usize, len: usize, dst: usize): i32 {
  if (len % 4 != 0) return -1;
  let out = dst;
  for (let i: usize = 0; i < len; i += 4) {
    const a = sextet(load<u8>(src + i));
    const b = sextet(load<u8>(src + i + 1));
    const c3 = <u32>load<u8>(src + i + 2);
    const d4 = <u32>load<u8>(src + i + 3);
    const last = i + 4 == len;
    const c = last && c3 == 61 ? 0 : sextet(c3);
    const d = last && d4 == 61 ? 0 : sextet(d4);
    if (a < 0 || b < 0 || c < 0 || d < 0) return -1;
    const v = (<u32>a << 18) | (<u32>b << 12) | (<u32>c << 6) | <u32>d;
    store<u8>(out, <u8>(v >> 16));
    out += 1;
    if (!(last && c3 == 61)) {
      store<u8>(out, <u8>(v >> 8));
      out += 1;
    }
    if (!(last && d4 == 61)) {
      store<u8>(out, <u8>v);
      out += 1;
    }
  }
  return <i32>(out - dst);
}
