import type { ActorSystem } from '../actors/actor-system.js';
import { Supervisor } from '../actors/supervisor.js';
import { ErrorCode, PlexError, shown } from '../errors.js';
import { fromJsonValue, toJsonValue } from '../tuple/json.js';
import type { Tuple } from '../tuple/types.js';
import type { ResolvedStage, StageFunction } from './pipeline-spec.js';

/** One running instance of a stage: handles one tuple at a time. */
export interface StageInstance {
  readonly id: string;
  /** The tuples to write for `tuple`; rejects when this attempt failed (a crash, a timeout, a throw, a bad reply). */
  handle(tuple: Tuple, context: { deliveries: number; attempt: number }): readonly Tuple[] | Promise<readonly Tuple[]>;
  /** Resolves once the instance can take the next attempt (a crashed one has been restarted); rejects if it never will. */
  ready(): Promise<void>;
  stop(): Promise<void>;
}

/** Hooks of the stage an instance belongs to. */
export interface InstanceEvents {
  /** The instance's supervisor restarted it. */
  onRestart(): void;
  /** The supervisor gave up (restart intensity exceeded): the stage fails. */
  onGiveUp(error: Error): void;
}

/** Makes a stage's instances: in-process functions, or actors of a module under supervision. */
export interface InstanceFactory {
  start(stage: ResolvedStage, ordinal: number, events: InstanceEvents): Promise<StageInstance>;
}

/** A handler's reply that is not `{"out": [...]}` / `null`, or its `{"error"}` reply. */
export class StageReplyError extends PlexError {
  constructor(code: typeof ErrorCode.BadReply | typeof ErrorCode.HandlerFailed, message: string) {
    super(code, message);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The message a module stage's instance is asked: the tuple in its JSON form, and which delivery and attempt this is. */
export function stageRequest(tuple: Tuple, context: { deliveries: number; attempt: number }): Uint8Array {
  return encoder.encode(JSON.stringify({ tuple: tuple.map(toJsonValue), deliveries: context.deliveries, attempt: context.attempt }));
}

/**
 * A module stage's reply as tuples: `{"out": [tuple, …]}` (the JSON form,
 * so `{"$bytes"}` and `{"$int"}` come back as bytes and int64), `{"out":
 * []}`, `{}` or `null` for none. A handler's `{"error": …}` (an SDK handler
 * that threw) is a failed attempt.
 */
export function stageReply(reply: Uint8Array, where: string): Tuple[] {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(reply));
  } catch {
    throw new StageReplyError(ErrorCode.BadReply, `${where}: the reply is not JSON`);
  }
  if (value === null) return [];
  if (typeof value !== 'object' || Array.isArray(value)) throw new StageReplyError(ErrorCode.BadReply, `${where}: the reply must be {"out": [tuple, …]} or null, got ${shown(value)}`);
  const record = value as Record<string, unknown>;
  if ('error' in record) throw new StageReplyError(ErrorCode.HandlerFailed, `${where}: the handler failed: ${typeof record.error === 'string' ? record.error : shown(record.error)}`);
  const out = record.out ?? [];
  if (!Array.isArray(out)) throw new StageReplyError(ErrorCode.BadReply, `${where}: "out" must be an array of tuples, got ${shown(out)}`);
  return out.map((t, i) => {
    if (!Array.isArray(t)) throw new StageReplyError(ErrorCode.BadReply, `${where}: out[${i}] must be a tuple (an array), got ${shown(t)}`);
    try {
      return fromJsonValue(t) as Tuple;
    } catch (error) {
      throw new StageReplyError(ErrorCode.BadReply, `${where}: out[${i}]: ${(error as Error).message}`);
    }
  });
}

/** In-process function stages (the TS API): nothing to restart, a throw fails the attempt. */
export function functionInstance(stage: ResolvedStage, ordinal: number, handler: StageFunction): StageInstance {
  return {
    id: `${stage.name}.${ordinal}`,
    handle: (tuple, context) => {
      const check = (out: readonly Tuple[]) => {
        if (!Array.isArray(out)) throw new StageReplyError(ErrorCode.BadReply, `stage ${stage.name}: the handler must return an array of tuples, got ${shown(out)}`);
        return out;
      };
      try {
        const out = handler(tuple, { deliveries: context.deliveries, attempt: context.attempt, instance: ordinal });
        // A synchronous handler's result goes back without an extra promise: this runs once per tuple.
        return out instanceof Promise ? out.then(check) : check(out);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    ready: () => Promise.resolve(),
    stop: () => Promise.resolve(),
  };
}

/** How long `ready()` waits for a supervisor to bring a crashed instance back before that attempt fails too. */
const RESTART_WAIT_MS = 10_000;

/**
 * Module stages on a node's actor system: each instance is an actor of the
 * stage's module, the only child of its own one_for_one supervisor (so a
 * crash — a trap, the watchdog, a kill — restarts it under the stage's
 * restart intensity, and scaling adds or removes whole supervisors).
 */
export class ActorInstanceFactory implements InstanceFactory {
  constructor(
    private readonly system: ActorSystem,
    /** Prepended to each instance's actor id: `tenant/namespace/` for a tenant's pipeline. */
    private readonly idPrefix: string,
    private readonly pipeline: string,
  ) {}

  async start(stage: ResolvedStage, ordinal: number, events: InstanceEvents): Promise<StageInstance> {
    const child = `pipeline.${this.pipeline}.${stage.name}.${ordinal}`;
    const actorId = `${this.idPrefix}${child}`;
    const supervisor = await Supervisor.start(
      this.system,
      `pipeline:${this.idPrefix}${this.pipeline}/${stage.name}/${ordinal}`,
      { strategy: 'one_for_one', maxRestarts: stage.maxRestarts, maxRestartWindowMs: stage.restartWindowMs, children: [{ id: child, module: stage.module!, restart: 'permanent', shutdownTimeoutMs: 1000 }] },
      { idPrefix: this.idPrefix },
    );
    let gaveUp: Error | undefined;
    supervisor.onEvent((event) => {
      if (event.type === 'restart') events.onRestart();
      if (event.type === 'escalate') {
        gaveUp = event.error;
        events.onGiveUp(event.error);
      }
    });
    const where = `stage ${stage.name} (${actorId})`;
    return {
      id: actorId,
      handle: async (tuple, context) => stageReply(await this.system.ask(actorId, stage.message, stageRequest(tuple, context), { timeoutMs: stage.timeoutMs }), where),
      ready: async () => {
        const end = Date.now() + RESTART_WAIT_MS;
        for (;;) {
          if (gaveUp !== undefined) throw gaveUp;
          if (supervisor.status !== 'running' && supervisor.status !== 'starting') throw new PlexError(ErrorCode.ActorExited, `${where}: its supervisor is ${supervisor.status}`);
          if (supervisor.childInfo()[0]?.running === true && this.system.runtime.has(actorId)) return;
          if (Date.now() > end) throw new PlexError(ErrorCode.ActorNotFound, `${where}: not restarted within ${RESTART_WAIT_MS} ms`);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      },
      stop: () => supervisor.stop(),
    };
  }
}

/** Function stages in-process, module stages as actors (`modules`, absent when there is no actor system). */
export function instanceFactory(modules: InstanceFactory | undefined): InstanceFactory {
  return {
    start: async (stage, ordinal, events) => {
      if (stage.handler !== undefined) return functionInstance(stage, ordinal, stage.handler);
      if (modules === undefined) throw new PlexError(ErrorCode.InvalidArgument, `stage ${stage.name}: a module stage needs a node (its instances are actors); use node.pipelines.start`);
      return modules.start(stage, ordinal, events);
    },
  };
}
