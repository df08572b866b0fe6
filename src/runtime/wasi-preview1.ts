/**
 * A sandboxed subset of WASI preview 1 (`wasi_snapshot_preview1`) for core
 * modules, so that standard-library builds of C (wasi-libc), Go
 * (`GOOS=wasip1`) and Rust (`wasm32-wasi`) run as actors.
 *
 * What an actor gets:
 *
 * - clocks (`clock_time_get`, `clock_res_get`): the realtime clock is the
 *   actor's `plex.now_ms` clock (a journaled actor's is recorded and
 *   replayed), the monotonic and CPU clocks are `performance.now()`;
 * - `random_get`: the host's cryptographic generator;
 * - empty arguments and environment;
 * - stdio: fd 1 and 2 are character devices whose lines go to the actor's
 *   log (stdout at info, stderr at warn); fd 0 is always at end of file;
 * - `proc_exit`: the actor crashes with `PLEX_ERR_ACTOR_EXITED` and the
 *   exit code in the message;
 * - `sched_yield`, and `poll_oneoff` for clock subscriptions: a sleep is
 *   real time of the handler's budget (the worker runs nothing else
 *   meanwhile), and a sleep longer than what is left of the budget stops
 *   the handler at once with `PLEX_ERR_ACTOR_TIMEOUT` instead of blocking
 *   the worker to no purpose.
 *
 * What it never gets: files, directories and sockets. There are no
 * preopened directories (`fd_prestat_get` answers EBADF at fd 3), `path_*`
 * and `sock_*` answer ENOTCAPABLE, any fd above 2 is EBADF, and the rest
 * (`fd_pread`, `fd_readdir`…) ENOSYS. Nothing here touches the host's
 * filesystem or network.
 */
import { ErrorCode } from '../errors.js';
import { ActorFault, WatchdogExpired } from './actor-fault.js';

export const WASI_MODULE = 'wasi_snapshot_preview1';

/** Log levels of `plex.log` that stdio lines are written at. */
const STDOUT_LEVEL = 1;
const STDERR_LEVEL = 2;

/** WASI errno values (preview 1 `errno` enum). */
const Errno = { Success: 0, Badf: 8, Fault: 21, Inval: 28, Nosys: 52, Spipe: 70, Notcapable: 76 } as const;

/** The whole preview 1 function list: a module may import any of them; anything else in the module is refused at deploy. */
export const WASI_FUNCTIONS: ReadonlySet<string> = new Set([
  'args_get', 'args_sizes_get', 'environ_get', 'environ_sizes_get', 'clock_res_get', 'clock_time_get',
  'fd_advise', 'fd_allocate', 'fd_close', 'fd_datasync', 'fd_fdstat_get', 'fd_fdstat_set_flags', 'fd_fdstat_set_rights',
  'fd_filestat_get', 'fd_filestat_set_size', 'fd_filestat_set_times', 'fd_pread', 'fd_prestat_get', 'fd_prestat_dir_name',
  'fd_pwrite', 'fd_read', 'fd_readdir', 'fd_renumber', 'fd_seek', 'fd_sync', 'fd_tell', 'fd_write',
  'path_create_directory', 'path_filestat_get', 'path_filestat_set_times', 'path_link', 'path_open', 'path_readlink',
  'path_remove_directory', 'path_rename', 'path_symlink', 'path_unlink_file',
  'poll_oneoff', 'proc_exit', 'proc_raise', 'sched_yield', 'random_get',
  'sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown',
]);

/** What the WASI functions need from the actor instance that imports them. */
export interface WasiHost {
  /** The instance's memory (read when called: it exists only once the instance does, and grows). */
  memory(): WebAssembly.Memory;
  /** A finished line of stdout (`level` 1) or stderr (`level` 2). */
  log(level: number, line: string): void;
  /** The actor's wall clock in ms (`plex.now_ms`). */
  nowMs(): number;
  /** Milliseconds left of the current handler's budget (Infinity outside a call). */
  remainingBudgetMs(): number;
}

const FILETYPE_CHARACTER_DEVICE = 2;
const RIGHT_FD_READ = 1n << 1n;
const RIGHT_FD_WRITE = 1n << 6n;
const RIGHT_FD_FDSTAT_SET_FLAGS = 1n << 3n;
const EVENTTYPE_CLOCK = 0;
const SUBCLOCKFLAG_ABSTIME = 1;
const SUBSCRIPTION_BYTES = 48;
const EVENT_BYTES = 32;
/** Largest stdio line kept before it is logged without its newline (a runaway printf must not hold the worker's memory). */
const MAX_LINE_CHARS = 16_384;

/**
 * The WASI functions of one actor instance, and its stdio line buffers.
 * `flush()` logs what is left of an unfinished line; the instance calls it
 * after every call into the module, so a `printf` without a newline is seen
 * when its handler returns.
 */
export class WasiPreview1 {
  private readonly pending = new Map<number, string>();
  private readonly decoders = new Map<number, TextDecoder>();
  /** A private word to sleep on in `poll_oneoff`; nobody ever notifies it. */
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));

  constructor(private readonly host: WasiHost) {}

  /** The import object for `wasi_snapshot_preview1`, every function of the list. */
  imports(): Record<string, (...args: never[]) => number | void> {
    const served: Record<string, (...args: never[]) => number | void> = {
      args_sizes_get: (countPtr: number, sizePtr: number) => this.writeU32s(countPtr, 0, sizePtr, 0),
      args_get: () => Errno.Success,
      environ_sizes_get: (countPtr: number, sizePtr: number) => this.writeU32s(countPtr, 0, sizePtr, 0),
      environ_get: () => Errno.Success,
      clock_res_get: (id: number, out: number) => this.clockRes(id, out),
      clock_time_get: (id: number, _precision: bigint, out: number) => this.clockTime(id, out),
      random_get: (ptr: number, len: number) => this.random(ptr, len),
      fd_write: (fd: number, iovs: number, count: number, out: number) => this.fdWrite(fd, iovs, count, out),
      fd_read: (fd: number, _iovs: number, _count: number, out: number) => (fd === 0 ? this.writeU32s(out, 0) : Errno.Badf),
      fd_fdstat_get: (fd: number, out: number) => this.fdstat(fd, out),
      fd_fdstat_set_flags: (fd: number) => (isStdio(fd) ? Errno.Success : Errno.Badf),
      fd_filestat_get: (fd: number, out: number) => this.filestat(fd, out),
      fd_close: (fd: number) => (isStdio(fd) ? Errno.Success : Errno.Badf),
      fd_sync: (fd: number) => (isStdio(fd) ? Errno.Success : Errno.Badf),
      fd_datasync: (fd: number) => (isStdio(fd) ? Errno.Success : Errno.Badf),
      fd_seek: (fd: number) => (isStdio(fd) ? Errno.Spipe : Errno.Badf),
      fd_tell: (fd: number) => (isStdio(fd) ? Errno.Spipe : Errno.Badf),
      // No preopened directories: libc's search for them ends at fd 3.
      fd_prestat_get: () => Errno.Badf,
      fd_prestat_dir_name: () => Errno.Badf,
      poll_oneoff: (input: number, output: number, count: number, outCount: number) => this.pollOneoff(input, output, count, outCount),
      sched_yield: () => Errno.Success,
      proc_exit: (code: number) => {
        this.flush();
        throw new ActorFault(ErrorCode.ActorExited, `the actor called proc_exit(${code})`);
      },
    };
    const imports: Record<string, (...args: never[]) => number | void> = {};
    for (const name of WASI_FUNCTIONS) {
      imports[name] = served[name] ?? (name.startsWith('path_') || name.startsWith('sock_') ? () => Errno.Notcapable : () => Errno.Nosys);
    }
    return imports;
  }

  /** Logs the unfinished stdio lines. */
  flush(): void {
    for (const [fd, text] of this.pending) {
      if (text !== '') this.host.log(fd === 1 ? STDOUT_LEVEL : STDERR_LEVEL, text);
    }
    this.pending.clear();
  }

  private fdWrite(fd: number, iovs: number, count: number, out: number): number {
    if (fd !== 1 && fd !== 2) return Errno.Badf;
    const memory = this.host.memory().buffer;
    const view = new DataView(memory);
    let decoder = this.decoders.get(fd);
    if (decoder === undefined) this.decoders.set(fd, (decoder = new TextDecoder('utf-8', { fatal: false })));
    let written = 0;
    let text = this.pending.get(fd) ?? '';
    for (let i = 0; i < count; i++) {
      const ptr = view.getUint32(iovs + i * 8, true);
      const len = view.getUint32(iovs + i * 8 + 4, true);
      if (ptr + len > memory.byteLength) return Errno.Fault;
      text += decoder.decode(new Uint8Array(memory, ptr, len), { stream: true });
      written += len;
    }
    let newline = text.indexOf('\n');
    while (newline >= 0) {
      this.host.log(fd === 1 ? STDOUT_LEVEL : STDERR_LEVEL, text.slice(0, newline));
      text = text.slice(newline + 1);
      newline = text.indexOf('\n');
    }
    if (text.length > MAX_LINE_CHARS) {
      this.host.log(fd === 1 ? STDOUT_LEVEL : STDERR_LEVEL, text);
      text = '';
    }
    this.pending.set(fd, text);
    return this.writeU32s(out, written);
  }

  private fdstat(fd: number, out: number): number {
    if (!isStdio(fd)) return Errno.Badf;
    const view = new DataView(this.host.memory().buffer);
    view.setUint8(out, FILETYPE_CHARACTER_DEVICE);
    view.setUint16(out + 2, 0, true);
    const rights = fd === 0 ? RIGHT_FD_READ : RIGHT_FD_WRITE | RIGHT_FD_FDSTAT_SET_FLAGS;
    view.setBigUint64(out + 8, rights, true);
    view.setBigUint64(out + 16, 0n, true);
    return Errno.Success;
  }

  private filestat(fd: number, out: number): number {
    if (!isStdio(fd)) return Errno.Badf;
    const bytes = new Uint8Array(this.host.memory().buffer, out, 64);
    bytes.fill(0);
    bytes[16] = FILETYPE_CHARACTER_DEVICE; // dev u64, ino u64, then filetype
    return Errno.Success;
  }

  private clockNs(id: number): bigint | undefined {
    switch (id) {
      case 0: // realtime
        return BigInt(Math.round(this.host.nowMs() * 1e6));
      case 1: // monotonic
      case 2: // process cputime
      case 3: // thread cputime
        return BigInt(Math.round(performance.now() * 1e6));
      default:
        return undefined;
    }
  }

  private clockTime(id: number, out: number): number {
    const ns = this.clockNs(id);
    if (ns === undefined) return Errno.Inval;
    new DataView(this.host.memory().buffer).setBigUint64(out, ns, true);
    return Errno.Success;
  }

  private clockRes(id: number, out: number): number {
    if (id < 0 || id > 3) return Errno.Inval;
    new DataView(this.host.memory().buffer).setBigUint64(out, id === 0 ? 1_000_000n : 1_000n, true);
    return Errno.Success;
  }

  private random(ptr: number, len: number): number {
    const memory = this.host.memory().buffer;
    if (ptr + len > memory.byteLength) return Errno.Fault;
    // getRandomValues fills at most 64 KiB per call, and not a shared buffer's view.
    for (let at = 0; at < len; at += 65536) {
      const chunk = new Uint8Array(Math.min(65536, len - at));
      crypto.getRandomValues(chunk);
      new Uint8Array(memory, ptr + at, chunk.byteLength).set(chunk);
    }
    return Errno.Success;
  }

  /**
   * Clock subscriptions sleep for the shortest timeout; fd subscriptions
   * are ready at once for stdout/stderr and EBADF for anything else (so
   * they never wait).
   */
  private pollOneoff(input: number, output: number, count: number, outCount: number): number {
    if (count === 0) return Errno.Inval;
    const view = new DataView(this.host.memory().buffer);
    const events: { userdata: bigint; error: number; type: number }[] = [];
    const clocks: { userdata: bigint; waitNs: bigint }[] = [];
    for (let i = 0; i < count; i++) {
      const sub = input + i * SUBSCRIPTION_BYTES;
      const userdata = view.getBigUint64(sub, true);
      const type = view.getUint8(sub + 8);
      if (type === EVENTTYPE_CLOCK) {
        const id = view.getUint32(sub + 16, true);
        const timeout = view.getBigUint64(sub + 24, true);
        const flags = view.getUint16(sub + 40, true);
        const now = this.clockNs(id);
        if (now === undefined) {
          events.push({ userdata, error: Errno.Inval, type });
          continue;
        }
        const waitNs = (flags & SUBCLOCKFLAG_ABSTIME) !== 0 ? timeout - now : timeout;
        clocks.push({ userdata, waitNs: waitNs < 0n ? 0n : waitNs });
      } else {
        const fd = view.getUint32(sub + 16, true);
        events.push({ userdata, error: fd === 1 || fd === 2 ? Errno.Success : Errno.Badf, type });
      }
    }
    if (events.length === 0) {
      const shortest = clocks.reduce((min, c) => (c.waitNs < min ? c.waitNs : min), clocks[0].waitNs);
      const ms = Number(shortest) / 1e6;
      if (ms > this.host.remainingBudgetMs()) throw new WatchdogExpired();
      if (ms > 0) Atomics.wait(this.sleeper, 0, 0, ms);
      for (const c of clocks) if (c.waitNs <= shortest) events.push({ userdata: c.userdata, error: Errno.Success, type: EVENTTYPE_CLOCK });
    }
    const out = new DataView(this.host.memory().buffer);
    events.forEach((e, i) => {
      const at = output + i * EVENT_BYTES;
      new Uint8Array(out.buffer, at, EVENT_BYTES).fill(0);
      out.setBigUint64(at, e.userdata, true);
      out.setUint16(at + 8, e.error, true);
      out.setUint8(at + 10, e.type);
    });
    out.setUint32(outCount, events.length, true);
    return Errno.Success;
  }

  private writeU32s(...pairs: number[]): number {
    const view = new DataView(this.host.memory().buffer);
    for (let i = 0; i < pairs.length; i += 2) view.setUint32(pairs[i], pairs[i + 1], true);
    return Errno.Success;
  }
}

function isStdio(fd: number): boolean {
  return fd === 0 || fd === 1 || fd === 2;
}
