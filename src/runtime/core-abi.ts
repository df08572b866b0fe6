/**
 * The PlexSpaces core-module ABI (docs/core-abi.md): a small contract for
 * fast compute actors written in AssemblyScript, C or anything that
 * targets wasm32.
 *
 * Exports (required): `memory` (or an imported `env.memory`),
 * `plex_alloc(size) -> ptr`, `plex_handle(type_ptr, type_len, payload_ptr,
 * payload_len) -> reply_len` (negative = the message failed),
 * `plex_reply_ptr() -> ptr`.
 * Exports (optional): `plex_init(cfg_ptr, cfg_len) -> status` (0 = ok),
 * `plex_get_state() -> len` (bytes at `plex_reply_ptr()`),
 * `plex_set_state(ptr, len) -> status`.
 * Imports (all optional): `plex.call(op, ptr, len) -> result_len` (negative =
 * error; copy the result out with `plex.result(dst)`), `plex.result(dst)`,
 * `plex.log(level, ptr, len)`, `plex.now_ms() -> f64`, and `env.abort` (the
 * AssemblyScript abort hook).
 */
export const REQUIRED_EXPORTS = ['plex_alloc', 'plex_handle', 'plex_reply_ptr'] as const;

/**
 * The second ABI, the one the first article's `#![no_std]` Rust calculator
 * exports (docs/core-abi.md, "The handle_message ABI"):
 *
 * - `handle_message(from_ptr, from_len, type_ptr, type_len, payload_ptr,
 *   payload_len) -> reply_ptr` (required): 0 is an empty reply; otherwise the
 *   reply is a little-endian u32 length at `reply_ptr`, then its bytes;
 * - `init(state_ptr, state_len) -> i32` (optional): at spawn with the config
 *   bytes (empty when there is none), and again with a snapshot to restore
 *   one; non-zero refuses it;
 * - `get_state() -> ptr` (optional): a snapshot, length-prefixed as a reply.
 *
 * The module exports no allocator: the runtime writes a message's bytes into
 * pages it adds to the memory itself (`memory.grow`), which the module's own
 * allocator never hands out because it also gets its memory from
 * `memory.grow`.
 */
export const HANDLE_MESSAGE_EXPORT = 'handle_message';
export const OPTIONAL_EXPORTS = ['plex_init', 'plex_get_state', 'plex_set_state'] as const;

/**
 * Bytes of the private slot an instance on a shared memory gets (its
 * message buffers); the runtime grows the memory by this much per spawn and
 * writes the slot's start into the instance's exported `plex_base` global.
 */
export const SHARED_SLOT_BYTES = 65536;

/** Operation codes of `plex.call`. */
export const HostOp = {
  TsWrite: 1,
  TsRead: 2,
  TsTake: 3,
  TsReadAll: 4,
  Send: 5,
  Ask: 6,
  SelfId: 7,
  /** Take, waiting: input is `pattern-json` or `pattern-json\ntimeout-ms`. Blocks the actor's worker, not the main thread. */
  TsTakeWait: 8,
  /** `module\nactor-id\nconfig`: starts an actor; answers its id at once (init runs after; a failing init is reported as a crash). */
  Spawn: 9,
  /** `actor-id`: stops an actor after the messages already sent to it. */
  Stop: 10,
  // Coordination layer (src/actors/coordination-host-calls.ts); fields are newline-separated, the last may contain newlines.
  /** `actor-id`: links the caller and the actor (exit signals both ways). */
  Link: 11,
  /** `actor-id`: the caller gets a `down` message when the actor exits; answers the monitor ref. */
  Monitor: 12,
  /** `delay-ms\ntype\npayload`: sends the caller a message later; answers the timer id. */
  SendAfter: 13,
  /** `group\ntopic,topic…`: joins a process group (topics optional). */
  PgJoin: 14,
  /** `group\ntype\npayload`: sends to every member; answers the count. */
  PgBroadcast: 15,
  /** `key`: the value, or an empty result when absent. */
  KvGet: 16,
  /** `key\nttl-ms (empty: none)\nvalue` */
  KvPut: 17,
  KvDelete: 18,
  /** `prefix`: a JSON array of keys. */
  KvList: 19,
  /** `tenant\nnamespace\nholder\nlock-name\nlease-secs\ntimeout-ms`: JSON `{lock_id, version, holder, expires_at_ms}`. */
  LockAcquire: 20,
  /** `lock-id\ntenant\nnamespace\nholder\nversion` */
  LockRelease: 21,
  /** `blob-id\ncontent-type\ndata` */
  BlobUpload: 22,
  /** `blob-id`: the data. */
  BlobDownload: 23,
  Unlink: 24,
  /** `ref` */
  Demonitor: 25,
  /** `timer-id` */
  CancelTimer: 26,
  /** `group` */
  PgLeave: 27,
  /** `group`: JSON array of member ids. */
  PgMembers: 28,
  /** `channel\ntimeout-ms (empty: 5 s)\nmessage-json`: waits while the queue is full, up to the timeout. */
  ChannelSend: 29,
  /** `channel\ntimeout-ms`: JSON `{id, message, attempt}` or an empty result. */
  ChannelReceive: 30,
  /** `channel\ndelivery-id` */
  ChannelAck: 31,
  /** `channel\ndelivery-id\nrequeue (1|0)` */
  ChannelNack: 32,
  /** `group\ntopic\ntype\npayload`: to members subscribed to the topic; answers the count. */
  PgPublish: 33,
  /** `interval-ms\ntype\npayload`: a repeating timer; answers the timer id. */
  SendInterval: 34,
  /** The time in ms as decimal text: a journaled actor's clock (recorded, and served again on replay). */
  NowMs: 35,
  /** The sender of the message being handled (empty: the runtime, a node's HTTP route). Served on the worker. */
  Sender: 36,
  // Platform-world capabilities (wit/platform/*.wit; src/actors/platform-host-calls.ts).
  /** `topic`: subscribes the caller to a topic of its scope (channels). */
  TopicSubscribe: 37,
  /** `topic` */
  TopicUnsubscribe: 38,
  /** `topic\ntype\npayload`: answers how many subscribers it reached. */
  TopicPublish: 39,
  /** Checkpoints the caller (a durable actor) once the message being handled ends. */
  DurableCheckpoint: 40,
  /** `1` while the message being handled is a replay, else `0`. */
  DurableReplaying: 41,
  /** The journal sequence number of the message being handled (`0` when none). */
  DurableSeq: 42,
  /** `service\nttl-ms\nmetadata-json` */
  RegistryRegister: 43,
  /** `service` */
  RegistryUnregister: 44,
  /** `service`: JSON `[{actor, metadata, expires_at_ms}]`. */
  RegistryLookup: 45,
  /** `prefix`: JSON array of service names. */
  RegistryServices: 46,
  /** `method\nurl\ntimeout-ms\nheaders-json\nbody`: JSON `{status, headers, body}`. */
  HttpRequest: 47,
  /** `name\ncron-expr\ntype\npayload`: JSON `{name, next_ms}`. */
  CronSchedule: 48,
  /** `name` */
  CronCancel: 49,
  /** JSON array of the caller's schedules. */
  CronSchedules: 50,
  /** `on-error\ntimeout-ms\ntuple-json` (`{"$eval": …}` fields: linda-eval.ts): the finished tuple, written to the caller's space. */
  TsEval: 51,
} as const;
export type HostOp = (typeof HostOp)[keyof typeof HostOp];

/** Negative results of `plex.call`. */
export const HostStatus = {
  Error: -1,
  UnknownOp: -2,
  TooLarge: -3,
} as const;

/** Imports a core module may declare; anything else is rejected at deploy. */
export const ALLOWED_IMPORTS: ReadonlySet<string> = new Set([
  'plex.call',
  'plex.result',
  'plex.log',
  'plex.now_ms',
  'env.abort',
  'env.memory',
]);

/** The import the watchdog instrumentation adds. */
export const TICK_IMPORT = { module: 'plex_rt', name: 'tick' } as const;
