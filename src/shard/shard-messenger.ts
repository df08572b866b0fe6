import { setMaxListeners } from 'node:events';
import { AbortError, BackpressureError, ErrorCode, InvalidArgumentError, type PlexError } from '../errors.js';
import { checkDuration } from '../util/duration.js';
import { setLongTimeout } from '../util/long-timer.js';
import type { ShardResult } from './gather.js';
import type { ShardCodec } from './shard-codec.js';
import type { GatherOptions } from './shard-group-types.js';
import type { ShardHost } from './shard-host.js';

export interface CollectRequest {
  /** Shard index per message (a shard may appear more than once). */
  readonly shards: readonly number[];
  readonly type: string;
  readonly payloadFor: (shard: number, index: number) => unknown;
  readonly options: GatherOptions;
  readonly onResult?: (result: ShardResult) => void;
  /** Defaults: the group's actors and codec. */
  readonly ids?: readonly string[];
  readonly codec?: ShardCodec;
}

export interface CollectResult {
  readonly results: ShardResult[];
  readonly firstOk?: ShardResult;
  readonly satisfied: boolean;
}

/**
 * How a shard group's messages go out and its answers come back: in
 * parallel under one deadline, each shard's answer turned into its status,
 * with at most `maxInFlight` messages in flight for the group (an operation
 * past it waits for room, up to its deadline).
 */
export class ShardMessenger {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    /** The group's id, for errors. */
    private readonly groupId: string,
    private readonly host: ShardHost,
    private readonly maxInFlight: number,
  ) {}

  /**
   * Sends one message per entry of `shards`, in parallel under one deadline;
   * calls `onResult` as each answer arrives. Never rejects for a shard's
   * failure (that is its status); rejects only on abort or bad options.
   */
  async collect(request: CollectRequest & { readonly ids: readonly string[]; readonly codec: ShardCodec }): Promise<CollectResult> {
    const { shards, type, payloadFor, options, onResult, ids, codec } = request;
    const deadlineMs = options.deadlineMs ?? 5000;
    const minResponses = options.minResponses ?? shards.length;
    checkDuration('deadlineMs', deadlineMs, { positive: true });
    if (!Number.isSafeInteger(minResponses) || minResponses < 0 || minResponses > shards.length) {
      throw new InvalidArgumentError(`minResponses must be an integer in 0..${shards.length}, got ${minResponses}`);
    }
    const payloads = shards.map((shard, i) => codec.encode(payloadFor(shard, i)));
    const signal = options.signal;
    if (signal?.aborted) throw new AbortError(signal.reason);
    const started = performance.now();
    await this.acquire(shards.length, started + deadlineMs, signal);
    const results: (ShardResult | undefined)[] = new Array(shards.length);
    /** Where each message went (a shard's node, when the host says), read as it is sent: a lost shard's node is forgotten. */
    const nodes: (string | undefined)[] = new Array(shards.length);
    let firstOk: ShardResult | undefined;
    let okCount = 0;
    // Only a caller's signal needs cancelling the asks; without one, unanswered asks end at the deadline.
    const controller = signal === undefined ? undefined : new AbortController();
    if (controller !== undefined) setMaxListeners(0, controller.signal); // one listener per ask
    const onAbort = () => controller!.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        let pending = shards.length;
        if (pending === 0 || minResponses === 0) resolve();
        controller?.signal.addEventListener('abort', () => reject(new AbortError(controller.signal.reason)), { once: true });
        const timeoutMs = Math.max(1, started + deadlineMs - performance.now());
        shards.forEach((shard, i) => {
          const actorId = ids[shard];
          nodes[i] = this.host.nodeOf(actorId);
          this.host
            .ask(actorId, type, payloads[i], { timeoutMs, signal: controller?.signal })
            .then(
              (bytes): ShardResult => {
                let value: unknown;
                try {
                  value = codec.decode(bytes);
                } catch (error) {
                  return { shard, actorId, status: 'error', latencyMs: performance.now() - started, errorCode: ErrorCode.BadReply, errorMessage: `${codec.name} codec could not decode the reply: ${(error as Error).message}` };
                }
                const failure = codec.failure?.(value);
                if (failure !== undefined) return { shard, actorId, status: 'error', latencyMs: performance.now() - started, errorCode: ErrorCode.HandlerFailed, errorMessage: failure };
                return { shard, actorId, status: 'ok', latencyMs: performance.now() - started, value };
              },
              (error: PlexError): ShardResult => ({
                shard,
                actorId,
                status: error.code === 'PLEX_ERR_ASK_TIMEOUT' ? 'timeout' : 'error',
                latencyMs: performance.now() - started,
                errorCode: error.code ?? 'PLEX_ERR',
                errorMessage: error.message,
              }),
            )
            .then((result) => {
              this.release(1);
              if (results[i] !== undefined || (result.errorCode === 'PLEX_ERR_ABORTED' && controller?.signal.aborted === true)) return;
              results[i] = nodes[i] === undefined ? result : { ...result, node: nodes[i] };
              onResult?.(results[i]);
              if (result.status === 'ok') {
                firstOk ??= result;
                okCount++;
              }
              pending--;
              if (pending === 0 || okCount >= minResponses) resolve();
            });
        });
      });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    const now = performance.now();
    // Array.from, not map: unanswered slots are holes, which map skips.
    const filled = Array.from(
      { length: shards.length },
      (_, i): ShardResult =>
        results[i] ?? {
          shard: shards[i],
          actorId: ids[shards[i]],
          status: 'timeout',
          latencyMs: now - started,
          errorCode: 'PLEX_ERR_ASK_TIMEOUT',
          errorMessage: 'no answer before the gather completed',
          ...(nodes[i] === undefined ? {} : { node: nodes[i] }),
        },
    );
    return { results: filled, firstOk, satisfied: okCount >= minResponses };
  }

  private async acquire(n: number, deadline: number, signal: AbortSignal | undefined): Promise<void> {
    while (this.inFlight + n > this.maxInFlight && this.inFlight > 0) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw new BackpressureError(`shard group ${this.groupId}: no room for ${n} more messages before the deadline (maxInFlight ${this.maxInFlight})`);
      if (signal?.aborted) throw new AbortError(signal.reason);
      // Wake on room or at the deadline, whichever comes first.
      await new Promise<void>((resolve) => {
        const timer = setLongTimeout(resolve, remaining, { ref: true });
        this.waiting.push(() => {
          timer.clear();
          resolve();
        });
      });
    }
    this.inFlight += n;
  }

  private release(n: number): void {
    this.inFlight -= n;
    if (this.waiting.length === 0) return;
    const waiters = this.waiting.splice(0);
    for (const wake of waiters) wake();
  }
}
