/**
 * Behaviours of the actor SDK: base classes that route messages their own
 * way, like Erlang/OTP's gen_server, gen_event and gen_statem, plus a
 * workflow actor. Each is a `PlexSpacesActor` (state saved and restored as
 * JSON) with a `dispatch` method that `exportActor` calls instead of the
 * default `onX` mapping. They run inside the component, like the SDK.
 */
import { handlerName } from './handler-name.js';
import { host, PlexSpacesActor, type MessageContext } from './actor.js';

/** Messages the runtime sends on its own: link exits, monitor downs. */
const SYSTEM_MESSAGES = new Set(['exit', 'down']);

/**
 * GenServer-style request/reply actor. `handleCall` answers requests;
 * message types listed in `casts` go to `handleCast` (fire-and-forget, the
 * reply is empty); system messages (`exit`, `down`) and timer messages go to
 * `handleInfo`.
 */
export abstract class GenServerActor<State> extends PlexSpacesActor<State> {
  /** Message types handled as casts. */
  readonly casts: readonly string[] = [];

  abstract handleCall(type: string, payload: unknown, context: MessageContext): unknown;

  handleCast(type: string, _payload: unknown, _context: MessageContext): void {
    throw new Error(`unexpected cast ${JSON.stringify(type)}`);
  }

  handleInfo(_type: string, _payload: unknown, _context: MessageContext): void {}

  dispatch(type: string, payload: unknown, context: MessageContext): unknown {
    if (SYSTEM_MESSAGES.has(type) || context.from === 'timer') {
      this.handleInfo(type, payload, context);
      return {};
    }
    if (this.casts.includes(type)) {
      this.handleCast(type, payload, context);
      return {};
    }
    return this.handleCall(type, payload, context);
  }
}

type EventListener = (payload: unknown, context: MessageContext) => void;

/**
 * Event handler (gen_event): any number of listeners per event type, added
 * with `on` (usually in the constructor). Every listener of the type runs;
 * the reply says how many did. A listener that throws does not stop the
 * others; the reply lists the failures.
 */
export abstract class EventHandlerActor<State> extends PlexSpacesActor<State> {
  private readonly listeners = new Map<string, EventListener[]>();

  protected on(type: string, listener: EventListener): void {
    const list = this.listeners.get(type) ?? [];
    list.push(listener);
    this.listeners.set(type, list);
  }

  dispatch(type: string, payload: unknown, context: MessageContext): unknown {
    const list = [...(this.listeners.get(type) ?? []), ...(this.listeners.get('*') ?? [])];
    const failures: string[] = [];
    for (const listener of list) {
      try {
        listener.call(this, payload, context);
      } catch (error) {
        failures.push((error as Error).message ?? String(error));
      }
    }
    return failures.length === 0 ? { handled: list.length } : { handled: list.length - failures.length, failures };
  }
}

/** What a state's handler returns: the next state (default: stay) and the reply. */
export interface FsmTransition {
  readonly next?: string;
  readonly reply?: unknown;
}

type StateHandlers<Data> = Record<string, (data: Data, payload: unknown, context: MessageContext) => FsmTransition | void>;

/**
 * Finite-state machine (gen_statem): `states` maps each state to its
 * handlers by message type; a handler changes `data` in place and returns
 * the next state. A message the current state has no handler for is refused
 * with an error reply and changes nothing. `onEnter(state)` runs on every
 * transition. The actor's state is `{ state, data }`; the `state` message
 * type answers it.
 */
export abstract class FsmActor<Data> extends PlexSpacesActor<{ state: string; data: Data }> {
  abstract readonly initialState: string;
  abstract readonly states: Record<string, StateHandlers<Data>>;
  abstract initialData(): Data;

  getDefaultState(): { state: string; data: Data } {
    return { state: this.initialState, data: this.initialData() };
  }

  onEnter(_state: string, _data: Data): void {}

  dispatch(type: string, payload: unknown, context: MessageContext): unknown {
    if (type === 'state') return { state: this.state.state, data: this.state.data };
    const handlers = this.states[this.state.state];
    const handler = handlers?.[type];
    if (handler === undefined) return { error: `message ${JSON.stringify(type)} is not handled in state ${JSON.stringify(this.state.state)}`, state: this.state.state };
    // Work on a copy, so a handler that throws leaves data and state as they were.
    const data = JSON.parse(JSON.stringify(this.state.data)) as Data;
    const transition = handler.call(this, data, payload, context) ?? {};
    const next = transition.next ?? this.state.state;
    if (this.states[next] === undefined) throw new Error(`state ${JSON.stringify(this.state.state)} moved to unknown state ${JSON.stringify(next)}`);
    this.state = { state: next, data };
    if (next !== this.state.state || transition.next !== undefined) this.onEnter(next, data);
    return transition.reply === undefined ? { state: next } : transition.reply;
  }
}

export type WorkflowStatus = 'idle' | 'running' | 'completed' | 'cancelled' | 'failed';

interface WorkflowRecord<Data> {
  status: WorkflowStatus;
  /** Index of the next step. */
  step: number;
  /** A `$step` message is on its way (sent to self). */
  stepPending: boolean;
  error?: string;
  data: Data;
}

/** The message a workflow sends itself to run its next step. */
const STEP = '$step';

/**
 * Workflow actor: one exclusive `run`, made of named steps that run one per
 * message, so `signal` handlers (which may change the data, e.g. cancel)
 * and read-only `query` handlers are answered between steps — while the
 * workflow is in progress.
 *
 * - `run` (message type `run`) calls `onStart(input, data)` and schedules the
 *   first step; a second `run` while one is in progress is refused.
 * - `steps` lists method names; each step method gets the data and changes
 *   it. Throwing fails the workflow (status `failed`, the error kept).
 * - `signal:<name>` messages call `signals[name](data, payload)`; a signal
 *   may stop the workflow with `cancelWorkflow()`.
 * - `query:<name>` messages call `queries[name](data, payload)` on a copy of
 *   the data, so a query cannot change it. `query:status` always exists: a
 *   `queries.status` of the workflow's own answers it, else the built-in
 *   one (`{status, step, steps, error, data}`).
 * - `delayBeforeStep(data, step)` spaces the steps out (0 by default: the
 *   next step is sent at once); a step waiting out its delay is what a
 *   signal or query can come before.
 *
 * With the `durability` facet the workflow is durable: every step and signal
 * is a journaled message, so after a crash the actor is replayed to where it
 * stopped, and `$recovered` (sent by the node after recovery) re-sends a
 * step that was lost with the node.
 */
export abstract class WorkflowActor<Data> extends PlexSpacesActor<WorkflowRecord<Data>> {
  abstract readonly steps: readonly string[];
  abstract initialData(): Data;
  readonly signals: Record<string, (data: Data, payload: unknown) => void> = {};
  readonly queries: Record<string, (data: Data, payload: unknown) => unknown> = {};

  onStart(_input: unknown, _data: Data): void {}

  /** Milliseconds to wait before running step `step` (its index); 0, the default, sends it at once. */
  delayBeforeStep(_data: Data, _step: number): number {
    return 0;
  }

  /** Stops a running workflow (from a signal, say): the steps not run yet never run; status `cancelled`. */
  protected cancelWorkflow(): void {
    if (this.state.status === 'running') this.state.status = 'cancelled';
  }

  getDefaultState(): WorkflowRecord<Data> {
    return { status: 'idle', step: 0, stepPending: false, data: this.initialData() };
  }

  dispatch(type: string, payload: unknown, _context: MessageContext): unknown {
    const wf = this.state;
    if (type === 'run') {
      if (wf.status === 'running') throw new Error('the workflow is already running');
      if (wf.status !== 'idle') throw new Error(`the workflow has finished (${wf.status})`);
      this.onStart(payload, wf.data);
      wf.status = 'running';
      this.scheduleStep();
      return { status: wf.status };
    }
    if (type === STEP) {
      wf.stepPending = false;
      if (wf.status !== 'running') return { status: wf.status };
      const name = this.steps[wf.step];
      const method = (this as unknown as Record<string, unknown>)[name];
      if (typeof method !== 'function') {
        wf.status = 'failed';
        wf.error = `no step method ${name}`;
        return { status: wf.status };
      }
      try {
        (method as (data: Data) => void).call(this, wf.data);
        wf.step++;
      } catch (error) {
        wf.status = 'failed';
        wf.error = (error as Error).message ?? String(error);
        return { status: wf.status };
      }
      if (wf.step >= this.steps.length) wf.status = 'completed';
      else this.scheduleStep();
      return { status: wf.status, step: wf.step };
    }
    if (type === '$recovered') {
      // The node restarted us; a step sent before the crash but never journaled is sent again.
      if (wf.status === 'running' && wf.stepPending) this.scheduleStep();
      return { status: wf.status };
    }
    if (type.startsWith('signal:')) {
      const handler = this.signals[type.slice(7)];
      if (handler === undefined) throw new Error(`no signal ${JSON.stringify(type.slice(7))}`);
      handler.call(this, wf.data, payload);
      return { status: wf.status };
    }
    if (type.startsWith('query:')) {
      const name = type.slice(6);
      const snapshot = JSON.parse(JSON.stringify(wf.data)) as Data;
      const handler = this.queries[name];
      if (name === 'status' && handler === undefined) return { status: wf.status, step: wf.step, steps: this.steps.length, error: wf.error, data: snapshot };
      if (handler === undefined) throw new Error(`no query ${JSON.stringify(name)}`);
      return handler.call(this, snapshot, payload);
    }
    if (type === 'cancel') {
      this.cancelWorkflow();
      return { status: wf.status };
    }
    const method = (this as unknown as Record<string, unknown>)[handlerName(type)];
    if (typeof method === 'function') return (method as (p: unknown) => unknown).call(this, payload);
    throw new Error(`no handler for ${JSON.stringify(type)}`);
  }

  private scheduleStep(): void {
    this.state.stepPending = true;
    const delay = this.delayBeforeStep(this.state.data, this.state.step);
    if (!Number.isSafeInteger(delay) || delay < 0) throw new Error(`delayBeforeStep must answer whole milliseconds ≥ 0, got ${JSON.stringify(delay)}`);
    if (delay === 0) host.send(host.selfId(), STEP, {});
    else host.sendAfter(delay, STEP, {});
  }
}
