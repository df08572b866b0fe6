import { ErrorCode, type PlexError } from '../errors.js';
import type { Delivery } from '../space/deliveries.js';
import type { Space } from '../space/space.js';
import { indexKey, type IndexKey } from '../tuple/index-key.js';
import type { Tuple } from '../tuple/types.js';
import type { ResolvedStage } from './pipeline-spec.js';
import type { InstanceFactory, StageInstance } from './stage-instances.js';
import { StageMetrics, type StageFigures, type StageState } from './stage-metrics.js';

/** A delivery on its way through an instance. */
interface Work {
  readonly delivery: Delivery;
  readonly takenAt: number;
  /** Given back by stop() while its handling was still under way: whatever that handling returns is dropped. */
  abandoned?: boolean;
}

/** One instance and the deliveries queued for it (in order: per-key order lives here). */
interface Slot {
  readonly ordinal: number;
  instance: StageInstance | undefined;
  readonly starting: Promise<void>;
  readonly queue: Work[];
  busy: boolean;
  /** The delivery being handled now. */
  current: Work | undefined;
  /** Scaled away: takes nothing new, stops once its queue is empty. */
  retiring: boolean;
}

/** Deliveries an instance may hold at once (one handled, one queued behind it): keeps the instance busy between takes. */
const PER_INSTANCE = 2;

/** How long a drained stage's take waits before it counts the space again (see dispatch). */
const DRAIN_RECHECK_MS = 100;

/** How long a stage held back by a full downstream waits before the downstream counts its input in the space again (see recount). */
export const RECOUNT_MS = 250;

/** A promise that resolves at the next `notify()`: how the dispatcher waits for room without polling. */
class Changes {
  private waiting: (() => void)[] = [];
  next(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  notify(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}

/** What a stage needs of its pipeline. */
export interface StageContext {
  readonly space: Space;
  readonly instances: InstanceFactory;
  /** The holder of the stage's crash-safe takes (`pipeline:<scope><name>/<stage>`). */
  readonly holder: string;
  /** The stage after this one (its backlog bounds this stage), if any. */
  downstream(): StageRunner | undefined;
  /** The stage gave up (restart intensity exceeded): the pipeline fails. */
  fail(stage: StageRunner, error: Error): void;
  /** Counts outputs against the backlog of the stage they are for (`sign` -1: the write did not happen after all). */
  routeWritten(tuples: readonly Tuple[], sign: 1 | -1): void;
}

/**
 * Runs one stage: a single dispatcher takes matching tuples from the space
 * (crash-safe takes) and hands each to an instance; the instance handles it
 * and acks it **atomically with the write of its outputs**
 * (`delivery.ackWith`). So a crash anywhere — an instance trapping, the
 * watchdog, a kill, this process dying — either happened before the ack
 * (the tuple comes back, nothing was written) or after it (done, once).
 *
 * Backpressure: the dispatcher takes only while an instance has room and
 * the next stage's backlog (tuples waiting for it plus those it holds) is
 * under that stage's `maxBacklog`; the pipeline's own `write` waits the same
 * way for the first stage. Per-key order: with `key`, a tuple goes to the
 * instance its key hashes to, queued behind the earlier tuples of that key,
 * and a failed attempt is retried in place (up to `maxAttempts`) before the
 * tuple goes back to the space.
 */
export class StageRunner {
  readonly metrics = new StageMetrics();
  /** Tuples for this stage known to be in the space (written by the pipeline or counted at start). */
  pending = 0;
  inFlight = 0;
  state: StageState = 'running';
  /** The input has ended: the stage finishes once it holds nothing and the space has no match. */
  private upstreamEnded = false;
  private readonly slots: Slot[] = [];
  private nextOrdinal = 0;
  private readonly changes = new Changes();
  private readonly roomListeners = new Set<() => void>();
  private abortTake = new AbortController();
  private running: Promise<void> | undefined;
  private readonly finishedListeners: (() => void)[] = [];
  /** A keyed stage rescales only when every instance is idle (so no key's tuples are on two instances at once). */
  private rescaleTo: number | undefined;

  constructor(
    readonly stage: ResolvedStage,
    private readonly context: StageContext,
  ) {}

  get backlog(): number {
    return this.pending + this.inFlight;
  }

  hasRoom(): boolean {
    return this.backlog < this.stage.maxBacklog || this.state !== 'running';
  }

  /** Called whenever this stage's backlog shrinks (the pipeline's writers and the upstream stage wait on it). */
  onRoom(listener: () => void): () => void {
    this.roomListeners.add(listener);
    return () => this.roomListeners.delete(listener);
  }

  onFinished(listener: () => void): void {
    if (this.state !== 'running') listener();
    else this.finishedListeners.push(listener);
  }

  /** Starts the stage's instances and its dispatcher. */
  async start(): Promise<void> {
    this.pending = await this.context.space.count(this.stage.input);
    // Room downstream is what this stage's dispatcher waits for when it is held back.
    this.context.downstream()?.onRoom(() => this.changes.notify());
    await Promise.all(Array.from({ length: this.stage.instances }, () => this.addSlot().starting));
    this.running = this.dispatch();
  }

  /** `n` tuples for this stage were written. */
  noteWritten(n: number): void {
    this.pending += n;
  }

  /** No more input will come from upstream. */
  endInput(): void {
    this.upstreamEnded = true;
    this.kick();
  }

  get activeInstances(): number {
    return this.slots.filter((s) => !s.retiring).length;
  }

  /** Changes how many instances run; a keyed stage applies it once its instances are idle. */
  scale(instances: number): void {
    if (this.state !== 'running') return;
    if (this.stage.key !== undefined) this.rescaleTo = instances;
    else this.applyScale(instances);
    this.kick();
  }

  figures(): StageFigures {
    return this.metrics.figures({ stage: this.stage.name, instances: this.activeInstances, backlog: this.backlog, maxBacklog: this.stage.maxBacklog, inFlight: this.inFlight, state: this.state });
  }

  /**
   * Stops at once: queued deliveries go back to the space, handlings under
   * way finish or fail (their instance stops) and go back, instances stop.
   */
  async stop(state: 'stopped' | 'failed' = 'stopped'): Promise<void> {
    if (this.state === 'running') this.state = state;
    this.kick();
    for (const slot of this.slots) {
      for (const work of slot.queue.splice(0)) this.giveBack(work);
      // A handling under way may never end (a hung function): its tuple goes back now, its result will be dropped.
      if (slot.current !== undefined && !slot.current.abandoned) {
        slot.current.abandoned = true;
        this.giveBack(slot.current);
      }
    }
    await Promise.all(this.slots.map((slot) => this.stopSlot(slot)));
    await this.running?.catch(() => undefined);
    this.finish();
  }

  // ── the dispatcher ───────────────────────────────────────────────────────

  private async dispatch(): Promise<void> {
    while (this.state === 'running') {
      if (!this.canTake()) {
        await this.waitForRoom();
        continue;
      }
      if (this.upstreamEnded && this.inFlight === 0) {
        // The space has the last word on what is left (the counter is a hint: a dead-lettered tuple, or one written by someone else).
        const left = await this.drainedCheck();
        if (left === 0 && this.inFlight === 0) {
          await this.complete();
          return;
        }
        this.pending = left;
      }
      const signal = this.abortTake.signal;
      let delivery: Delivery | null;
      try {
        const options = { ack: true as const, leaseMs: this.stage.leaseMs, holder: this.context.holder };
        // After the end of input, with nothing held, the wait is bounded: the same pipeline may run on
        // other nodes over a shared space, and their stages can take the last tuples this one counted —
        // no write would then wake this take, and it must look again whether the space has emptied.
        const waitMs = this.upstreamEnded && this.inFlight === 0 ? DRAIN_RECHECK_MS : undefined;
        // A match now needs no waiter (no abort listener, no registration): the common case under load.
        delivery =
          (await this.context.space.tryTake(this.stage.input, options)) ??
          (await this.context.space.take(this.stage.input, { ack: true, leaseMs: options.leaseMs, holder: options.holder, signal, ...(waitMs === undefined ? {} : { timeoutMs: waitMs }) }));
      } catch (error) {
        if ((error as Error).name === 'AbortError' || signal.aborted) continue;
        if (this.state !== 'running') return;
        // The space is unreachable for now (a shared space's backend): try again shortly.
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      if (delivery === null) continue;
      if (this.state !== 'running') {
        await delivery.nack().catch(() => undefined);
        return;
      }
      this.pending = Math.max(0, this.pending - 1);
      this.inFlight++;
      this.metrics.onTaken();
      this.assign({ delivery, takenAt: performance.now() });
    }
  }

  /**
   * What is left for this stage once its input ended: tuples matching its
   * input in the space plus those its holder holds — on a shared space, the
   * same stage on other nodes holds under the same name, and a tuple held
   * there (a node that dies holding it gives it back) is not done yet. Held
   * is asked before and after the count, so a tuple moving from held to
   * visible (a nack) or from visible to held (another node's take) between
   * the calls is seen in one of them. Unreachable space: not drained.
   */
  private async drainedCheck(): Promise<number> {
    const space = this.context.space;
    const holder = this.context.holder;
    try {
      const heldBefore = await space.heldBy(holder);
      const visible = await space.count(this.stage.input);
      const heldAfter = await space.heldBy(holder);
      // Our own deliveries are in the held counts; none is open here (inFlight is 0).
      return visible + Math.max(heldBefore, heldAfter);
    } catch {
      return 1;
    }
  }

  /** An instance can take one more, and the next stage has room for what it will write. */
  /**
   * Waits for a change. Held back by the next stage's bound, it also wakes
   * after RECOUNT_MS and has that stage count its input in the space: the
   * next stage's backlog is this node's tally of what it was written minus
   * what it took, and when the same pipeline runs on other nodes over a
   * shared space their instances take some of those tuples — without the
   * count the tally only grows, and this stage would wait for room forever.
   */
  private async waitForRoom(): Promise<void> {
    const downstream = this.context.downstream();
    if (downstream === undefined || !this.fullDownstream(downstream)) return this.changes.next();
    let timer: NodeJS.Timeout | undefined;
    const changed = await Promise.race([this.changes.next().then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), RECOUNT_MS)))]);
    clearTimeout(timer);
    if (!changed && this.state === 'running' && this.fullDownstream(downstream)) await downstream.recount();
  }

  private fullDownstream(downstream: StageRunner): boolean {
    return downstream.state === 'running' && downstream.backlog + this.inFlight >= downstream.stage.maxBacklog;
  }

  /** Lowers the tally of tuples waiting for this stage to what the space holds (others took the rest), and says there is room. */
  async recount(): Promise<void> {
    const visible = await this.context.space.count(this.stage.input).catch(() => this.pending);
    if (visible >= this.pending) return;
    this.pending = visible;
    for (const listener of this.roomListeners) listener();
  }

  private canTake(): boolean {
    if (this.rescaleTo !== undefined) {
      if (this.slots.some((s) => s.busy || s.queue.length > 0)) return false;
      this.applyScale(this.rescaleTo);
      this.rescaleTo = undefined;
    }
    // What this stage holds will be written downstream too: counted against the next stage's bound, so a
    // one-to-one stage never passes it (a stage that writes several tuples per input can, by its fan-out).
    const downstream = this.context.downstream();
    if (downstream !== undefined && this.fullDownstream(downstream)) return false;
    // Plain loops, no arrays: this runs once per tuple.
    let active = 0;
    let load = 0;
    let roomy = false;
    for (const s of this.slots) {
      if (s.retiring || s.instance === undefined) continue;
      active++;
      const l = s.queue.length + (s.busy ? 1 : 0);
      load += l;
      if (l < PER_INSTANCE) roomy = true;
    }
    if (active === 0) return false;
    return this.stage.key !== undefined ? load < active * PER_INSTANCE : roomy;
  }

  private assign(work: Work): void {
    let slot: Slot | undefined;
    if (this.stage.key !== undefined) {
      const active = this.slots.filter((s) => !s.retiring && s.instance !== undefined);
      slot = active[hashOf(indexKey(work.delivery.tuple[this.stage.key])) % active.length];
    } else {
      // The least loaded instance (canTake made sure one has room).
      let least = Infinity;
      for (const s of this.slots) {
        if (s.retiring || s.instance === undefined) continue;
        const l = s.queue.length + (s.busy ? 1 : 0);
        if (l < least) [slot, least] = [s, l];
      }
    }
    slot!.queue.push(work);
    if (!slot!.busy) void this.pump(slot!);
  }

  private async pump(slot: Slot): Promise<void> {
    slot.busy = true;
    try {
      for (let work = slot.queue.shift(); work !== undefined; work = slot.queue.shift()) {
        slot.current = work;
        await this.process(slot, work);
      }
    } finally {
      slot.current = undefined;
      slot.busy = false;
    }
    if (slot.retiring) await this.stopSlot(slot);
    this.changes.notify();
  }

  /** Handles one delivery: attempts in place, then the atomic ack-and-write; or gives it back. */
  private async process(slot: Slot, work: Work): Promise<void> {
    const { delivery } = work;
    for (let attempt = 1; attempt <= this.stage.maxAttempts; attempt++) {
      if (work.abandoned) return;
      if (this.state !== 'running' || slot.instance === undefined) break;
      let out: readonly Tuple[];
      try {
        if (attempt > 1) await slot.instance.ready();
        out = await slot.instance.handle(delivery.tuple, { deliveries: delivery.deliveries, attempt });
      } catch {
        this.metrics.failures++;
        continue;
      }
      if (work.abandoned) return;
      // Counted before the outputs can be seen: the next stage may take one before ackWith resolves.
      this.context.routeWritten(out, 1);
      try {
        await delivery.ackWith(out);
      } catch (error) {
        this.context.routeWritten(out, -1);
        const code = (error as PlexError).code;
        // The lease ended first: the tuple is back in the space and nothing was written; another take redoes it.
        if (code === ErrorCode.LeaseExpired || code === ErrorCode.AlreadySettled || code === ErrorCode.SpaceClosed) {
          this.settled(true);
          return;
        }
        // Outputs the space refuses (an invalid tuple, a quota, the backend down): this attempt failed; the delivery is still open.
        this.metrics.failures++;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
        continue;
      }
      this.metrics.onDone(out.length, performance.now() - work.takenAt);
      this.settled(false);
      return;
    }
    if (!work.abandoned) this.giveBack(work);
  }

  /** Back to the space (redelivered later, or dead-lettered after the space's maxDeliveries). */
  private giveBack(work: Work): void {
    work.delivery.nack().catch(() => undefined);
    this.settled(true);
  }

  /** A delivery is done with: acked (`returned` false) or back in the space. */
  private settled(returned: boolean): void {
    this.inFlight--;
    if (returned) {
      this.pending++;
      this.metrics.returned++;
    }
    // The last one out after the input ended: wake the dispatcher from its take to check for the end.
    if (this.upstreamEnded && this.inFlight === 0) this.kick();
    else this.changes.notify();
    for (const listener of this.roomListeners) listener();
  }

  // ── instances ────────────────────────────────────────────────────────────

  private addSlot(): Slot {
    const ordinal = this.nextOrdinal++;
    const slot: Slot = {
      ordinal,
      instance: undefined,
      queue: [],
      busy: false,
      current: undefined,
      retiring: false,
      starting: this.context.instances
        .start(this.stage, ordinal, {
          onRestart: () => this.metrics.restarts++,
          onGiveUp: (error) => this.context.fail(this, error),
        })
        .then((instance) => {
          slot.instance = instance;
          if (this.state !== 'running' || slot.retiring) void this.stopSlot(slot);
          this.changes.notify();
        }),
    };
    this.slots.push(slot);
    return slot;
  }

  private applyScale(instances: number): void {
    const active = this.slots.filter((s) => !s.retiring);
    for (let n = active.length; n < instances; n++) {
      const slot = this.addSlot();
      slot.starting.catch((error: Error) => this.context.fail(this, error));
    }
    for (const slot of active.slice(instances).reverse()) {
      slot.retiring = true;
      if (!slot.busy && slot.queue.length === 0) void this.stopSlot(slot);
    }
    this.stage.instances = instances;
  }

  private async stopSlot(slot: Slot): Promise<void> {
    const instance = slot.instance;
    if (instance === undefined) return;
    slot.instance = undefined;
    const index = this.slots.indexOf(slot);
    if (slot.retiring && index >= 0) this.slots.splice(index, 1);
    await instance.stop().catch(() => undefined);
  }

  private kick(): void {
    this.abortTake.abort();
    this.abortTake = new AbortController();
    this.changes.notify();
  }

  private async complete(): Promise<void> {
    this.state = 'finished';
    await Promise.all(this.slots.map((slot) => this.stopSlot(slot)));
    this.finish();
    this.context.downstream()?.endInput();
  }

  private finish(): void {
    for (const listener of this.finishedListeners.splice(0)) listener();
    for (const listener of this.roomListeners) listener();
  }
}

/** FNV-1a over an index key: which instance a key goes to. */
function hashOf(key: IndexKey): number {
  const text = typeof key === 'string' ? key : String(key);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
