/**
 * The platform's error base: every failure code (`PLEX_ERR_*`) and the
 * class every typed error extends. The typed errors themselves are in
 * errors.ts, which re-exports all of this: import from there.
 */

export const ErrorCode = {
  InvalidTuple: 'PLEX_ERR_INVALID_TUPLE',
  InvalidTemplate: 'PLEX_ERR_INVALID_TEMPLATE',
  TupleTooLarge: 'PLEX_ERR_TUPLE_TOO_LARGE',
  InvalidArgument: 'PLEX_ERR_INVALID_ARGUMENT',
  InvalidName: 'PLEX_ERR_INVALID_NAME',
  SpaceClosed: 'PLEX_ERR_SPACE_CLOSED',
  Aborted: 'PLEX_ERR_ABORTED',
  LeaseExpired: 'PLEX_ERR_LEASE_EXPIRED',
  AlreadySettled: 'PLEX_ERR_ALREADY_SETTLED',
  WatchOverflow: 'PLEX_ERR_WATCH_OVERFLOW',
  Storage: 'PLEX_ERR_STORAGE',
  Usage: 'PLEX_ERR_USAGE',
  InvalidModule: 'PLEX_ERR_INVALID_MODULE',
  ModuleNotFound: 'PLEX_ERR_MODULE_NOT_FOUND',
  ActorNotFound: 'PLEX_ERR_ACTOR_NOT_FOUND',
  ActorExists: 'PLEX_ERR_ACTOR_EXISTS',
  ActorTrapped: 'PLEX_ERR_ACTOR_TRAPPED',
  ActorTimeout: 'PLEX_ERR_ACTOR_TIMEOUT',
  ActorMemoryLimit: 'PLEX_ERR_ACTOR_MEMORY_LIMIT',
  ActorFailed: 'PLEX_ERR_ACTOR_FAILED',
  ActorExited: 'PLEX_ERR_ACTOR_EXITED',
  AskTimeout: 'PLEX_ERR_ASK_TIMEOUT',
  RuntimeClosed: 'PLEX_ERR_RUNTIME_CLOSED',
  Backpressure: 'PLEX_ERR_BACKPRESSURE',
  BadReply: 'PLEX_ERR_BAD_REPLY',
  HandlerFailed: 'PLEX_ERR_HANDLER_FAILED',
  Rebalance: 'PLEX_ERR_REBALANCE',
  ShardGroupNotFound: 'PLEX_ERR_SHARD_GROUP_NOT_FOUND',
  ShardGroupExists: 'PLEX_ERR_SHARD_GROUP_EXISTS',
  Unauthenticated: 'PLEX_ERR_UNAUTHENTICATED',
  Forbidden: 'PLEX_ERR_FORBIDDEN',
  NotFound: 'PLEX_ERR_NOT_FOUND',
  PayloadTooLarge: 'PLEX_ERR_PAYLOAD_TOO_LARGE',
  LockTimeout: 'PLEX_ERR_LOCK_TIMEOUT',
  LockFenced: 'PLEX_ERR_LOCK_FENCED',
  ChannelClosed: 'PLEX_ERR_CHANNEL_CLOSED',
  Escalated: 'PLEX_ERR_ESCALATED',
  InvalidManifest: 'PLEX_ERR_INVALID_MANIFEST',
  FacetRejected: 'PLEX_ERR_FACET_REJECTED',
  QuotaExceeded: 'PLEX_ERR_QUOTA_EXCEEDED',
  AmbiguousActor: 'PLEX_ERR_AMBIGUOUS_ACTOR',
  ActorConflict: 'PLEX_ERR_ACTOR_CONFLICT',
  FileUnreadable: 'PLEX_ERR_FILE_UNREADABLE',
  ActorReplyError: 'PLEX_ERR_ACTOR_REPLY_ERROR',
  GatherUnsatisfied: 'PLEX_ERR_GATHER_UNSATISFIED',
  KernelFailed: 'PLEX_ERR_KERNEL_FAILED',
  BackendUnavailable: 'PLEX_ERR_BACKEND_UNAVAILABLE',
  NodeDown: 'PLEX_ERR_NODE_DOWN',
  ActorMoved: 'PLEX_ERR_ACTOR_MOVED',
  NoMatchingNode: 'PLEX_ERR_NO_MATCHING_NODE',
  TransactionConflict: 'PLEX_ERR_TRANSACTION_CONFLICT',
  ToolchainMissing: 'PLEX_ERR_TOOLCHAIN_MISSING',
  BuildFailed: 'PLEX_ERR_BUILD_FAILED',
  HttpRequestFailed: 'PLEX_ERR_HTTP_REQUEST_FAILED',
  EvalFailed: 'PLEX_ERR_EVAL_FAILED',
  PipelineNotFound: 'PLEX_ERR_PIPELINE_NOT_FOUND',
  PipelineExists: 'PLEX_ERR_PIPELINE_EXISTS',
  PipelineFailed: 'PLEX_ERR_PIPELINE_FAILED',
  PipelineEnded: 'PLEX_ERR_PIPELINE_ENDED',
  SweepFailed: 'PLEX_ERR_SWEEP_FAILED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * A value as an error message shows it: JSON where it can be (bigints as
 * `12n`), never a throw — a message about bad input must not fail on the
 * input (JSON.stringify throws on a bigint and on a cycle). Long text is cut.
 */
export function shown(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Base class of every error the platform throws on purpose. */
export class PlexError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An error as a remote surface sends it: its PLEX_ERR_* code (PLEX_ERR_INTERNAL for anything untyped) and message. */
export function errorBody(error: unknown): { code: string; message: string } {
  if (error instanceof PlexError) return { code: error.code, message: error.message };
  return { code: 'PLEX_ERR_INTERNAL', message: (error as Error)?.message ?? String(error) };
}
