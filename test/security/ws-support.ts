import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import WebSocket from 'ws';

const CLI = join(import.meta.dirname, '../../src/cli/main.ts');
export const packr = new Packr({ useRecords: false, int64AsType: 'bigint' });

export interface NodeProcess {
  readonly child: ChildProcess;
  readonly http: string;
  readonly ws: string;
  readonly port: number;
  /** Output so far (stdout + stderr), for failure messages. */
  output(): string;
  /** True while the process runs. */
  alive(): boolean;
  stop(): Promise<void>;
}

/** `plexspaces start` as a child process, in memory, on free ports; resolves once it printed its endpoints. */
export async function startNode(extra: string[] = []): Promise<NodeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'start', '--memory', '--http-port', '0', '--grpc-port', '0', '--workers', '1', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('websocket: ')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the node exited with ${code} before it was ready:\n${out}`)));
  });
  const http = /http: (http:\/\/\S+)/.exec(out)![1];
  const ws = /websocket: (ws:\/\/\S+)/.exec(out)![1];
  return {
    child,
    http,
    ws,
    port: Number(new URL(http).port),
    output: () => out,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.removeAllListeners('exit').once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

interface Frame {
  id: number;
  ok?: boolean;
  result?: unknown;
  error?: { code: string; message: string };
  event?: string;
}

/** A `ws` client speaking the node's protocol: `call` sends one request (or raw bytes) and resolves with its response. */
export async function wsClient(url: string): Promise<{ ws: WebSocket; call(op: string, args?: Record<string, unknown>, scope?: { tenant: string; namespace: string }): Promise<Frame>; send(bytes: Uint8Array, id: number): Promise<Frame>; close(): void }> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const waiting = new Map<number, { resolve(frame: Frame): void; reject(error: Error): void }>();
  let next = 1;
  ws.on('message', (data: Buffer) => {
    const frame = packr.unpack(data) as Frame;
    if (frame.event !== undefined) return;
    waiting.get(frame.id)?.resolve(frame);
    waiting.delete(frame.id);
  });
  ws.on('close', (code) => {
    for (const [id, { reject }] of waiting) reject(new Error(`socket closed (${code}) before the reply to ${id}`));
    waiting.clear();
  });
  const send = (bytes: Uint8Array, id: number) => {
    const done = new Promise<Frame>((resolve, reject) => waiting.set(id, { resolve, reject }));
    ws.send(bytes);
    return done;
  };
  return {
    ws,
    send,
    call: (op, args = {}, scope) => {
      const id = next++;
      return send(packr.pack({ id, op, args, scope }), id);
    },
    close: () => ws.close(),
  };
}

/** A client frame: masked unless told otherwise; `length` may claim more than `payload` holds. */
export function frame(opcode: number, payload: Uint8Array = new Uint8Array(0), options: { fin?: boolean; rsv?: number; mask?: boolean; length?: bigint | number } = {}): Buffer {
  const { fin = true, rsv = 0, mask = true } = options;
  const length = BigInt(options.length ?? payload.length);
  const head: number[] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const maskBit = mask ? 0x80 : 0;
  if (length < 126n) head.push(maskBit | Number(length));
  else if (length < 65536n) head.push(maskBit | 126, Number(length >> 8n), Number(length & 0xffn));
  else {
    head.push(maskBit | 127);
    for (let shift = 56n; shift >= 0n; shift -= 8n) head.push(Number((length >> shift) & 0xffn));
  }
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = randomBytes(4);
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i] ^= key[i % 4];
  return Buffer.concat([Buffer.from(head), key, masked]);
}

/** A close frame's payload: the code, then the reason bytes. */
export function closePayload(code: number, reason: Uint8Array = new Uint8Array(0)): Buffer {
  const out = Buffer.alloc(2 + reason.length);
  out.writeUInt16BE(code);
  out.set(reason, 2);
  return out;
}

export interface RawSocket {
  readonly socket: Socket;
  /** Resolves with the status code of the server's close frame (or null when the TCP connection ended without one). */
  readonly closed: Promise<number | null>;
}

/**
 * A raw TCP connection that did a hand-made websocket upgrade to `/ws`.
 * Server frames are parsed only far enough to find the close frame.
 */
export async function rawUpgrade(port: number): Promise<RawSocket> {
  const socket = netConnect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => undefined); // the server may reset the connection after its close frame
  const key = randomBytes(16).toString('base64');
  socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  let buffered = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffered.subarray(0, end).toString();
      buffered = buffered.subarray(end + 4);
      socket.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) reject(new Error(`upgrade refused: ${head}`));
      else resolve();
    };
    socket.on('data', onData);
  });
  const closed = new Promise<number | null>((resolve) => {
    const parse = () => {
      // Server frames are unmasked; only the 7-bit and 16-bit lengths occur before a close.
      while (buffered.length >= 2) {
        const opcode = buffered[0] & 0x0f;
        let length = buffered[1] & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (buffered.length < 4) return;
          length = buffered.readUInt16BE(2);
          offset = 4;
        } else if (length === 127) {
          if (buffered.length < 10) return;
          length = Number(buffered.readBigUInt64BE(2));
          offset = 10;
        }
        if (buffered.length < offset + length) return;
        const payload = buffered.subarray(offset, offset + length);
        buffered = buffered.subarray(offset + length);
        if (opcode === 0x8) {
          resolve(payload.length >= 2 ? payload.readUInt16BE(0) : null);
          socket.destroy();
          return;
        }
      }
    };
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      parse();
    });
    socket.once('close', () => resolve(null));
    parse();
  });
  return { socket, closed };
}
