/**
 * The TypeScript actor SDK (`plexspaces/sdk`, also imported as
 * `@plexspaces/sdk`, the articles' name): write an actor as a class, build
 * it with `npx plexspaces build actor.ts -o actor.wasm` into a component for
 * the `plexspaces:simple-actor@0.1.0` world. The class may be the default
 * export, the only exported actor class, or wrapped by an exported `actor`
 * bridge (see PlexSpacesActor).
 *
 * ```ts
 * import { PlexSpacesActor } from 'plexspaces/sdk';
 *
 * export default class BankAccount extends PlexSpacesActor<{ balance: number }> {
 *   getDefaultState() { return { balance: 0 }; }
 *   onDeposit(payload: { amount: number }) {
 *     this.state.balance += payload.amount;
 *     return { balance: this.state.balance };
 *   }
 * }
 * ```
 *
 * A message of type `deposit` (or `Deposit`, `deposit-funds` →
 * `onDepositFunds`) goes to the method `onDeposit`; its payload is the
 * parsed JSON and its return value, serialized, is the reply. A handler that
 * throws replies `{"error": message}` — a normal reply, not a crash, as the
 * world's conventions ask. State is serialized by `get-state` and restored by
 * `set-state` automatically.
 *
 * This module runs inside the component (SpiderMonkey), not in Node: it
 * imports nothing but the world's host interface.
 */
import * as world from 'plexspaces:simple-actor/host@0.1.0';
import { handlerName } from './handler-name.js';

export { handlerName };

/** A host call that answered with an `ERROR…` string. */
export class HostCallError extends Error {
  override readonly name = 'HostCallError';
}

/** JSON-typed access to the host functions. Failures throw `HostCallError`. */
export const host = {
  selfId: (): string => world.selfId(),
  nowMs: (): number => Number(world.nowMs()),
  log: (level: 'debug' | 'info' | 'warn' | 'error', message: string): void => world.log(level, message),
  send: (to: string, msgType: string, payload: unknown = {}): void => void check(world.send(to, msgType, JSON.stringify(payload))),
  ask: <R = unknown>(to: string, msgType: string, payload: unknown = {}, timeoutMs = 5000): R =>
    JSON.parse(check(world.ask(to, msgType, JSON.stringify(payload), u64(timeoutMs)))) as R,
  /** Writes a tuple (`null` fields are values here, not wildcards). */
  tsWrite: (tuple: readonly unknown[]): void => void check(world.tsWrite(JSON.stringify(tuple))),
  /** The oldest match of `pattern` (`null` = wildcard), or `null`; never blocks. */
  tsRead: <T extends unknown[] = unknown[]>(pattern: readonly unknown[]): T | null => parseTuple<T>(world.tsRead(JSON.stringify(pattern))),
  tsTake: <T extends unknown[] = unknown[]>(pattern: readonly unknown[]): T | null => parseTuple<T>(world.tsTake(JSON.stringify(pattern))),
  tsReadAll: <T extends unknown[] = unknown[]>(pattern: readonly unknown[]): T[] => JSON.parse(check(world.tsReadAll(JSON.stringify(pattern)))) as T[],
  /** The value, or '' when the key is absent. */
  kvGet: (key: string): string => check(world.kvGet(key)),
  kvPut: (key: string, value: string): void => void check(world.kvPut(key, value)),
  kvDelete: (key: string): void => void check(world.kvDelete(key)),
  /** Keys starting with `prefix`, in order. */
  kvList: (prefix: string): string[] => JSON.parse(check(world.kvList(prefix))) as string[],
  pgJoin: (group: string): void => void check(world.pgJoin(group)),
  /** Sends to every member of the group in the actor's scope; returns how many. */
  pgBroadcast: (group: string, msgType: string, payload: unknown = {}): number => Number(check(world.pgBroadcast(group, msgType, JSON.stringify(payload)))),
  sendAfter: (delayMs: number, msgType: string, payload: unknown = {}): void => void check(world.sendAfter(u64(delayMs), msgType, JSON.stringify(payload))),
  /**
   * Starts an actor of `moduleRef` (an application of the caller's tenant) with `config` as its init
   * config; `actorId` '' lets the node pick a unique id. Returns the new actor's id. In a cluster any
   * node reaches it.
   */
  spawn: (moduleRef: string, config: unknown = {}, actorId = ''): string => check(world.spawn(moduleRef, actorId, JSON.stringify(config))),
  /** Stops an actor of the caller's tenant that runs on its node (a normal exit). */
  stop: (actorId: string): void => void check(world.stop(actorId)),
  link: (actorId: string): void => void check(world.link(actorId)),
  /** Returns the monitor's ref; a `down` message arrives when the actor exits. */
  monitor: (actorId: string): string => check(world.monitor(actorId)),
  /** A lease-based lock in the actor's own tenant and namespace; `null` when another holder kept it past `timeoutMs`. */
  lockAcquire: (name: string, leaseSecs: number, timeoutMs = 0, holder = ''): { lockId: string; version: string } | null => {
    const result = world.lockAcquire('', '', holder, name, leaseSecs, u64(timeoutMs));
    if (result.startsWith('ERROR PLEX_ERR_LOCK_TIMEOUT')) return null;
    const grant = JSON.parse(check(result)) as { lock_id: string; version: string };
    return { lockId: grant.lock_id, version: grant.version };
  },
  /** Releases a grant; throws `HostCallError` (PLEX_ERR_LOCK_FENCED) when the lease expired and another holder may have the lock. */
  lockRelease: (name: string, version: string, holder = ''): void => void check(world.lockRelease(name, '', '', holder, version)),
  blobUpload: (blobId: string, data: string, contentType = 'application/octet-stream'): { size: number; sha256: string } =>
    JSON.parse(check(world.blobUpload(blobId, data, contentType))) as { size: number; sha256: string },
  blobDownload: (blobId: string): string => check(world.blobDownload(blobId)),
};

export type Host = typeof host;

/** What a handler gets besides its payload. */
export interface MessageContext {
  readonly from: string;
  readonly type: string;
}

/**
 * Base class of SDK actors. `State` must survive `JSON.stringify`.
 *
 * The class itself implements the world's four exports (`init`, `handle`,
 * `getState`, `setState`), so a module may bridge them by hand, as the
 * articles print it:
 *
 * ```ts
 * const instance = new BankAccountActor();
 * export const actor = {
 *   init: (c: string) => instance.init(c),
 *   handle: (from: string, msg: string, payload: string) => instance.handle(from, msg, payload),
 *   getState: () => instance.getState(),
 *   setState: (s: string) => instance.setState(s),
 * };
 * ```
 *
 * Without such an `actor` export, `plexspaces build` writes the same bridge
 * around the module's actor class.
 */
export abstract class PlexSpacesActor<State> {
  // State is made on first use rather than in the constructor: a subclass's
  // fields are not initialized yet while the base constructor runs, and
  // getDefaultState may read them (FsmActor's initialState does).
  #state: State | undefined;
  #hasState = false;
  readonly host: Host = host;

  get state(): State {
    if (!this.#hasState) this.state = this.getDefaultState();
    return this.#state as State;
  }

  set state(value: State) {
    this.#state = value;
    this.#hasState = true;
  }

  /** The state of a fresh actor. */
  abstract getDefaultState(): State;

  /**
   * Called once with the spawn config (parsed JSON, `{}` when none), on a
   * fresh default state. Throw to refuse the spawn. Protected, so a
   * subclass may keep it protected (the articles do) or make it public.
   */
  protected onInit(_config: unknown): void {}

  /** The world's `init`: fresh default state, then `onInit(config)`; `ERROR: …` refuses the spawn. */
  init(configJson: string): string {
    try {
      this.state = this.getDefaultState();
      this.onInit(configJson ? JSON.parse(configJson) : {});
      return JSON.stringify({ ok: true });
    } catch (error) {
      return `ERROR: ${(error as Error).message}`;
    }
  }

  /**
   * The world's `handle`: message type `deposit` goes to `onDeposit(payload,
   * context)` (a behaviour's `dispatch` routes instead); the return value,
   * serialized, is the reply, and a throw replies `{"error": message}`.
   */
  handle(fromActor: string, msgType: string, payloadJson: string): string {
    try {
      const payload: unknown = payloadJson ? JSON.parse(payloadJson) : {};
      const context: MessageContext = { from: fromActor, type: msgType };
      let result: unknown;
      if (typeof (this as Partial<Dispatching>).dispatch === 'function') {
        // Behaviours (GenServer, event handler, FSM, workflow) route messages themselves.
        result = (this as unknown as Dispatching).dispatch(msgType, payload, context);
      } else {
        const method = handlerName(msgType);
        const handler = (this as unknown as Record<string, unknown>)[method];
        if (typeof handler !== 'function') return JSON.stringify({ error: `no handler ${method} for message ${JSON.stringify(msgType)}` });
        result = (handler as (p: unknown, c: MessageContext) => unknown).call(this, payload, context);
      }
      return JSON.stringify(result === undefined ? {} : result);
    } catch (error) {
      return JSON.stringify({ error: (error as Error).message ?? String(error) });
    }
  }

  /** The world's `get-state`: the state as JSON. */
  getState(): string {
    return JSON.stringify(this.state);
  }

  /** The world's `set-state`: restores a state from `getState`; '' on success. */
  setState(stateJson: string): string {
    try {
      this.state = JSON.parse(stateJson) as State;
      return '';
    } catch (error) {
      return `ERROR: invalid state JSON: ${(error as Error).message}`;
    }
  }
}

type ActorClass = new () => PlexSpacesActor<unknown>;

/** An actor that routes its own messages (the behaviours in behaviours.ts). */
export interface Dispatching {
  dispatch(type: string, payload: unknown, context: MessageContext): unknown;
}

/** The `actor` export of the world, built around an SDK class (the build command calls this). */
export function exportActor(Actor: ActorClass) {
  let instance: PlexSpacesActor<unknown> | undefined;
  // Made on the first call rather than at module load, so a constructor that
  // throws fails `init` with its message instead of the whole component.
  const self = (): PlexSpacesActor<unknown> => {
    if (instance === undefined) {
      if (typeof Actor !== 'function' || typeof (Actor.prototype as Partial<PlexSpacesActor<unknown>>).getDefaultState !== 'function') {
        throw new Error('the module\'s actor export is not a PlexSpacesActor subclass');
      }
      instance = new Actor();
    }
    return instance;
  };
  return {
    init(configJson: string): string {
      try {
        return self().init(configJson);
      } catch (error) {
        return `ERROR: ${(error as Error).message}`;
      }
    },
    handle: (fromActor: string, msgType: string, payloadJson: string): string => self().handle(fromActor, msgType, payloadJson),
    getState: (): string => self().getState(),
    setState: (stateJson: string): string => self().setState(stateJson),
  };
}

/**
 * A `u64` argument of a host function. The QuickJS components the SDK
 * builds lower u64 from a JS number (a BigInt traps), while the typings say
 * bigint; whole numbers up to 2^53 are exact either way.
 */
export function u64(value: number): bigint {
  if (!Number.isSafeInteger(value) || value < 0) throw new HostCallError(`ERROR: ${value} is not a whole number of milliseconds`);
  return value as unknown as bigint;
}

/** Throws `HostCallError` for an `ERROR…` answer, else returns it. */
export function check(result: string): string {
  if (result.startsWith('ERROR')) throw new HostCallError(result);
  return result;
}

function parseTuple<T>(result: string): T | null {
  check(result);
  return result === '' ? null : (JSON.parse(result) as T);
}
