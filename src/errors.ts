/**
 * Typed errors. Every failure kind has its own class with a stable `code`
 * (`PLEX_ERR_*`); callers and tests branch on `code`, never on message text.
 * The full list lives in `docs/errors.md`.
 */

// The codes, `shown` and the base class: error-codes.ts (one place both this file and the typed errors import).
import { ErrorCode, errorBody, PlexError, shown } from './error-codes.js';
export { ErrorCode, errorBody, PlexError, shown };

/**
 * A tuple or template that breaks the contract of DESIGN.md §3. `path` names
 * the offending position, e.g. `[2]`, `[1][0]` or `[3].name`.
 */
export class InvalidTupleError extends PlexError {
  readonly path: string;
  /** The message without the position prefix. */
  readonly detail: string;
  constructor(path: string, detail: string) {
    super(ErrorCode.InvalidTuple, `invalid tuple at ${path}: ${detail}`);
    this.path = path;
    this.detail = detail;
  }
}

export class InvalidTemplateError extends PlexError {
  readonly path: string;
  readonly detail: string;
  constructor(path: string, detail: string) {
    super(ErrorCode.InvalidTemplate, `invalid template at ${path}: ${detail}`);
    this.path = path;
    this.detail = detail;
  }
}

/** A tuple over the configured size, depth or field-count limit. */
export class TupleTooLargeError extends PlexError {
  readonly path: string;
  readonly limit: string;
  readonly detail: string;
  constructor(path: string, limit: string, detail: string) {
    super(ErrorCode.TupleTooLarge, `tuple over the ${limit} limit at ${path}: ${detail}`);
    this.path = path;
    this.limit = limit;
    this.detail = detail;
  }
}

/** An option or argument with a wrong type or value; `message` names it. */
export class InvalidArgumentError extends PlexError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.InvalidArgument, message, options);
  }
}

/** A tenant, namespace or space name that is not a safe identifier. */
export class InvalidNameError extends PlexError {
  constructor(message: string) {
    super(ErrorCode.InvalidName, message);
  }
}

/** An operation on a closed space, or a pending one cut short by `close()`. */
export class SpaceClosedError extends PlexError {
  constructor(message = 'the tuple space is closed') {
    super(ErrorCode.SpaceClosed, message);
  }
}

/**
 * A blocking operation cancelled through its AbortSignal. `name` is
 * `AbortError`, as with the platform's own abortable APIs, so code written
 * for `fetch` keeps working; `cause` is the signal's reason.
 */
export class AbortError extends PlexError {
  constructor(reason?: unknown) {
    super(ErrorCode.Aborted, 'the operation was aborted', { cause: reason });
    this.name = 'AbortError';
  }
}

/** `ack()`/`nack()` after the lease ran out: the tuple was already returned. */
export class LeaseExpiredError extends PlexError {
  constructor() {
    super(ErrorCode.LeaseExpired, 'the lease of this take expired; the tuple was returned to the space');
  }
}

/** A second `ack()`/`nack()` on the same delivery. */
export class AlreadySettledError extends PlexError {
  constructor() {
    super(ErrorCode.AlreadySettled, 'this delivery was already acked or nacked');
  }
}

/** A watcher with `overflow: 'error'` fell more than its buffer behind. */
export class WatchOverflowError extends PlexError {
  readonly dropped: number;
  constructor(bufferSize: number) {
    super(ErrorCode.WatchOverflow, `the watch fell more than ${bufferSize} events behind its producer`);
    this.dropped = 1;
  }
}

/** The storage adapter failed; the operation did not take effect. */
export class StorageError extends PlexError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.Storage, message, options);
  }
}

/**
 * The cluster backend (Redis) cannot be reached, or stopped answering: the
 * operation failed fast and did not take effect (a write that got this
 * error is not acknowledged). The node reconnects by itself.
 */
export class BackendUnavailableError extends PlexError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.BackendUnavailable, message, options);
  }
}

/**
 * The node that runs an actor is gone (its link closed, its heartbeat
 * lapsed, or it cannot be reached): a message for it fails at once instead
 * of waiting for a node that will not answer.
 */
export class NodeDownError extends PlexError {
  readonly node: string;
  constructor(node: string, why: string) {
    super(ErrorCode.NodeDown, `node ${node} is down: ${why}`);
    this.node = node;
  }
}

/**
 * An actor's placement asks for node labels (or a node) that no live node of
 * the cluster has: nothing runs it until such a node joins.
 */
export class NoMatchingNodeError extends PlexError {
  constructor(actorId: string, wanted: string) {
    super(ErrorCode.NoMatchingNode, `no live node of the cluster can run actor ${actorId}: its placement wants ${wanted}`);
  }
}

/**
 * A message forwarded to the node the directory named arrived after the
 * actor had left it (stopped, or taken over by another node): the sender
 * looks the actor up again.
 */
export class ActorMovedError extends PlexError {
  constructor(actorId: string, node: string) {
    super(ErrorCode.ActorMoved, `actor ${actorId} no longer runs on node ${node}`);
  }
}

/**
 * An `atomically` on a shared (Redis) space kept conflicting: every attempt
 * found that another process had changed what the callback read before it
 * could commit. Nothing of it was applied; `attempts` says how many commits
 * were tried. Retrying later is safe.
 */
export class TransactionConflictError extends PlexError {
  readonly attempts: number;
  constructor(message: string, attempts: number) {
    super(ErrorCode.TransactionConflict, message);
    this.attempts = attempts;
  }
}

/** Wrong command-line use; the CLI exits with status 2. */
export class UsageError extends PlexError {
  constructor(message: string) {
    super(ErrorCode.Usage, message);
  }
}

/** `plexspaces build` needs a compiler that is not installed; `tool` names it, the message says how to install it. */
export class ToolchainMissingError extends PlexError {
  constructor(
    readonly tool: string,
    message: string,
  ) {
    super(ErrorCode.ToolchainMissing, message);
  }
}

/** A compiler `plexspaces build` ran failed; the message carries its output. */
export class BuildFailedError extends PlexError {
  constructor(message: string) {
    super(ErrorCode.BuildFailed, message);
  }
}

/** A file a command names (a module, a manifest, `@input.json`) cannot be read; the CLI exits with status 1. */
export class FileUnreadableError extends PlexError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.FileUnreadable, message, options);
  }
}

/** The CLI's `ask` got a reply that is an error (an object with an `error` key, or an `ERROR…` string); exit status 1. */
export class ActorReplyError extends PlexError {
  constructor(message: string) {
    super(ErrorCode.ActorReplyError, message);
  }
}

/** The CLI's scatter-gather, reduce, barrier or bulk-update got fewer good shard answers than it required; exit status 1. */
export class GatherUnsatisfiedError extends PlexError {
  constructor(message: string) {
    super(ErrorCode.GatherUnsatisfied, message);
  }
}

/**
 * A compute job (`run matmul`/`run nbody`, the websocket's `job.nbody`, a
 * kernel benchmark) stopped because one of its shards failed a step: the
 * message names the shard and the shard's own error code and message.
 */
export class KernelFailedError extends PlexError {
  constructor(message: string) {
    super(ErrorCode.KernelFailed, message);
  }
}

/** A WASM module rejected at deploy time; the message says what is missing or wrong. */
export class InvalidModuleError extends PlexError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.InvalidModule, message, options);
  }
}

export class ModuleNotFoundError extends PlexError {
  constructor(name: string) {
    super(ErrorCode.ModuleNotFound, `no module named ${JSON.stringify(name)} is deployed`);
  }
}

export class ActorNotFoundError extends PlexError {
  constructor(actorId: string) {
    super(ErrorCode.ActorNotFound, `no actor ${JSON.stringify(actorId)} is running`);
  }
}

export class ActorExistsError extends PlexError {
  constructor(actorId: string) {
    super(ErrorCode.ActorExists, `an actor ${JSON.stringify(actorId)} is already running`);
  }
}

/**
 * An actor died: a trap (`PLEX_ERR_ACTOR_TRAPPED`), its watchdog
 * (`PLEX_ERR_ACTOR_TIMEOUT`), its memory cap (`PLEX_ERR_ACTOR_MEMORY_LIMIT`),
 * or a failing `init`/`handle` status (`PLEX_ERR_ACTOR_FAILED`). Only that
 * actor is gone; its worker and the other actors keep running.
 */
export class ActorCrashedError extends PlexError {
  readonly actorId: string;
  constructor(code: ErrorCode, actorId: string, message: string) {
    super(code, `actor ${JSON.stringify(actorId)}: ${message}`);
    this.actorId = actorId;
  }
}

/** An `ask` that got no reply within its timeout. The actor may still process the message. */
export class AskTimeoutError extends PlexError {
  constructor(actorId: string, timeoutMs: number) {
    super(ErrorCode.AskTimeout, `actor ${JSON.stringify(actorId)} did not reply within ${timeoutMs} ms`);
  }
}

export class RuntimeClosedError extends PlexError {
  constructor() {
    super(ErrorCode.RuntimeClosed, 'the actor runtime is closed');
  }
}

/** A bounded queue stayed full until the operation's deadline; nothing was sent. */
export class BackpressureError extends PlexError {
  constructor(message: string) {
    super(ErrorCode.Backpressure, message);
  }
}

/** `scale` could not move the keys (a shard failed extract or import); every key is back on its old owner and the group keeps its old shape. */
export class RebalanceError extends PlexError {
  constructor(message: string) {
    super(ErrorCode.Rebalance, message);
  }
}

export class ShardGroupNotFoundError extends PlexError {
  constructor(readonly groupId: string) {
    super(ErrorCode.ShardGroupNotFound, `no shard group ${JSON.stringify(groupId)}`);
  }
}

export class ShardGroupExistsError extends PlexError {
  constructor(readonly groupId: string) {
    super(ErrorCode.ShardGroupExists, `a shard group ${JSON.stringify(groupId)} already exists`);
  }
}

/** Auth is on and the request carries no valid token (missing, malformed, expired, wrong signature). */
export class UnauthenticatedError extends PlexError {
  constructor(message: string) {
    super(ErrorCode.Unauthenticated, message);
  }
}

/** The token is valid but does not grant this tenant or namespace. */
export class ForbiddenError extends PlexError {
  constructor(message: string) {
    super(ErrorCode.Forbidden, message);
  }
}

/** A named thing (a blob, a channel, a timer, a group…) that does not exist in the caller's tenant and namespace. */
export class NotFoundError extends PlexError {
  constructor(
    readonly kind: string,
    readonly id: string,
  ) {
    super(ErrorCode.NotFound, `no ${kind} ${JSON.stringify(id)}`);
  }
}

/** A value, blob or message over its configured size limit; nothing was stored. */
export class PayloadTooLargeError extends PlexError {
  constructor(message: string) {
    super(ErrorCode.PayloadTooLarge, message);
  }
}

/** `acquire` waited its whole timeout and another holder still has the lock. */
export class LockTimeoutError extends PlexError {
  constructor(
    readonly lock: string,
    timeoutMs: number,
  ) {
    super(ErrorCode.LockTimeout, `lock ${JSON.stringify(lock)} is still held by another holder after ${timeoutMs} ms`);
  }
}

/**
 * A release, renewal or fenced write with a version that is no longer the
 * lock's current one (the lease expired, or a newer holder got the lock).
 */
export class LockFencedError extends PlexError {
  constructor(
    readonly lock: string,
    message: string,
  ) {
    super(ErrorCode.LockFenced, `lock ${JSON.stringify(lock)}: ${message}`);
  }
}

/** The channel was closed (or deleted) while the operation waited, or before it. */
export class ChannelClosedError extends PlexError {
  constructor(readonly channel: string) {
    super(ErrorCode.ChannelClosed, `channel ${JSON.stringify(channel)} is closed`);
  }
}

/** A supervisor exceeded its restart intensity and gave up; its parent decides what happens next. */
export class EscalatedError extends PlexError {
  constructor(
    readonly supervisor: string,
    message: string,
  ) {
    super(ErrorCode.Escalated, message);
  }
}

/** An application manifest (app-config.toml) that cannot be started; `path` names the offending entry. */
export class InvalidManifestError extends PlexError {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(ErrorCode.InvalidManifest, `invalid manifest at ${path}: ${detail}`);
  }
}

/** A facet refused a message before it reached the actor (a security or validation facet); the actor never saw it. */
export class FacetRejectedError extends PlexError {
  constructor(
    readonly facet: string,
    message: string,
  ) {
    super(ErrorCode.FacetRejected, `facet ${facet} rejected the message: ${message}`);
  }
}

/**
 * A tenant (or one of its spaces) is at a configured quota (src/node/tenant-quotas.ts,
 * docs/security.md); nothing was started or stored. `quota` is the limit's name
 * (`actorsPerTenant`, `tuplesPerSpace`…), `limit` its value, `subject` whose it is.
 */
export class QuotaExceededError extends PlexError {
  constructor(
    readonly quota: string,
    readonly limit: number,
    readonly subject: string,
    detail?: string,
  ) {
    super(ErrorCode.QuotaExceeded, `quota ${quota} (${limit}) exceeded for ${subject}${detail === undefined ? '' : `: ${detail}`}`);
  }
}

/**
 * An actor id that no running actor answers to and that several deployed
 * applications could activate (docs/node.md, "Which application an id
 * activates"); `candidates` are their application ids. Nothing was started:
 * pass `application_id` to choose.
 */
export class AmbiguousActorError extends PlexError {
  constructor(
    readonly actorId: string,
    readonly candidates: readonly string[],
  ) {
    super(ErrorCode.AmbiguousActor, `actor ${JSON.stringify(actorId)} is not running and ${candidates.length} applications could activate it (${candidates.join(', ')}); pass application_id to choose one`);
  }
}

/**
 * A call named `application_id`, but the actor running under that id belongs
 * to another application (`running`); the message was not delivered.
 */
export class ActorConflictError extends PlexError {
  constructor(
    readonly actorId: string,
    readonly requested: string,
    readonly running: string,
  ) {
    super(ErrorCode.ActorConflict, `actor ${JSON.stringify(actorId)} is running from application ${JSON.stringify(running)}, not ${JSON.stringify(requested)}; stop it or use another actor id`);
  }
}

/** An actor's outbound HTTP request (the http-client interface) did not get a response: refused connection, DNS failure, timeout. */
export class HttpRequestFailedError extends PlexError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.HttpRequestFailed, message, options);
  }
}

/** A computation of an eval with `onError: 'reject'` failed: nothing was written. `field` is its position, `causeCode` its own code. */
export class EvalFailedError extends PlexError {
  constructor(
    readonly field: number,
    readonly causeCode: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(ErrorCode.EvalFailed, message, options);
  }
}

/** No pipeline of that name in the caller's tenant and namespace. */
export class PipelineNotFoundError extends PlexError {
  constructor(readonly pipeline: string) {
    super(ErrorCode.PipelineNotFound, `no pipeline ${JSON.stringify(pipeline)}`);
  }
}

/** A pipeline of that name already runs in the caller's tenant and namespace. */
export class PipelineExistsError extends PlexError {
  constructor(readonly pipeline: string) {
    super(ErrorCode.PipelineExists, `a pipeline ${JSON.stringify(pipeline)} already runs`);
  }
}

/**
 * A stage gave up: its instances crashed more often than its restart
 * intensity allows (the supervisor escalated). The pipeline stopped; tuples
 * it held went back to the space, none was lost. `stage` names the stage.
 */
export class PipelineFailedError extends PlexError {
  constructor(
    readonly pipeline: string,
    readonly stage: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(ErrorCode.PipelineFailed, message, options);
  }
}

/** A write to a pipeline after its end of stream (`end()`, `drain()` or `stop()`). */
export class PipelineEndedError extends PlexError {
  constructor(readonly pipeline: string) {
    super(ErrorCode.PipelineEnded, `the pipeline ${JSON.stringify(pipeline)} has ended: it takes no more input`);
  }
}

/**
 * Some points of a sweep failed: a run threw, timed out or failed the user's
 * check (`plexspaces sweep` exits 1 with it). `failures` names each point and why.
 */
export class SweepFailedError extends PlexError {
  constructor(
    readonly sweep: string,
    readonly failures: readonly string[],
  ) {
    super(ErrorCode.SweepFailed, `sweep ${sweep}: ${failures.length} point(s) failed:\n  ${failures.join('\n  ')}`);
  }
}
