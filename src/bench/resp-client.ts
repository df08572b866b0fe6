import { connect, type Socket } from 'node:net';

/**
 * A minimal Redis (RESP2) client for the `bench remote` baseline: commands
 * as arrays of bulk strings, replies parsed in order, any number in flight
 * (pipelining is just not waiting). Enough for LPUSH / BRPOP / RPOP / DEL.
 */
export type RespValue = string | number | null | RespValue[] | Error;

export class RespClient {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly waiting: ((value: RespValue) => void)[] = [];

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      for (;;) {
        const parsed = parse(this.buffer, 0);
        if (parsed === undefined) break;
        this.buffer = this.buffer.subarray(parsed.end);
        this.waiting.shift()?.(parsed.value);
      }
    });
  }

  static open(port: number, host = '127.0.0.1'): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host, () => resolve(new RespClient(socket)));
      socket.once('error', reject);
    });
  }

  command(...args: (string | number)[]): Promise<RespValue> {
    let out = `*${args.length}\r\n`;
    for (const arg of args) {
      const text = String(arg);
      out += `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
    }
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.socket.write(out);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

function lineEnd(buffer: Buffer, from: number): number {
  const at = buffer.indexOf('\r\n', from);
  return at;
}

function parse(buffer: Buffer, at: number): { value: RespValue; end: number } | undefined {
  if (at >= buffer.length) return undefined;
  const end = lineEnd(buffer, at);
  if (end < 0) return undefined;
  const kind = String.fromCharCode(buffer[at]);
  const line = buffer.toString('utf8', at + 1, end);
  switch (kind) {
    case '+':
      return { value: line, end: end + 2 };
    case '-':
      return { value: new Error(line), end: end + 2 };
    case ':':
      return { value: Number(line), end: end + 2 };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: end + 2 };
      if (buffer.length < end + 2 + length + 2) return undefined;
      return { value: buffer.toString('utf8', end + 2, end + 2 + length), end: end + 2 + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: end + 2 };
      const items: RespValue[] = [];
      let next = end + 2;
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, next);
        if (item === undefined) return undefined;
        items.push(item.value);
        next = item.end;
      }
      return { value: items, end: next };
    }
    default:
      throw new Error(`unexpected RESP reply type ${JSON.stringify(kind)}`);
  }
}
