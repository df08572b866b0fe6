import { Watcher, type WatchEventType, type WatchOptions } from '../../space/watch.js';
import { decodeTuple } from '../../tuple/codec.js';
import { checkWatchOptions } from '../../space/operation-options.js';
import type { CompiledTemplate } from '../../tuple/template.js';

/** What a watch event message's first byte means (scripts/store-lua.ts `emit`). */
const EVENT_TYPES: Readonly<Record<string, WatchEventType>> = { w: 'write', t: 'take', x: 'expire' };

interface WatchState {
  /** The seq counter the watch script returned: events with a lower one happened before the watch began. */
  mark: number | undefined;
  /** Events that arrived before the watch script answered. */
  early: { type: WatchEventType; seq: number; bytes: Buffer }[];
}

export const DEFAULT_WATCH_BUFFER_SIZE = 1024;

/**
 * The watchers of one space instance, fed by the space's watch channel.
 * Scripts publish `write` / `take` / `expire` events while the space is
 * flagged as watched; each watcher filters them with its compiled template
 * (the in-process `Watcher`, with its buffer and overflow policy).
 *
 * Ordering: Redis publishes the events of one space from the one node that
 * runs its scripts, in script order, so a watcher sees them in the order
 * the operations took effect. A watch starts at its watch script: events
 * carry the seq counter, and those from before it are dropped.
 */
export class SpaceWatchers {
  private readonly watchers = new Map<Watcher, WatchState>();
  private readonly marks = new Map<string, () => void>();
  private nextMark = 0;
  /** A crash-safe take somewhere opened a lease of this many ms. */
  onLease: (ms: number) => void = () => {};

  get size(): number {
    return this.watchers.size;
  }

  /** A new watcher, buffering events until `started` gives it the watch script's answer. */
  add(template: CompiledTemplate, options: WatchOptions, onDetach: (watcher: Watcher) => void): Watcher {
    const { types, bufferSize, overflow } = checkWatchOptions(options, DEFAULT_WATCH_BUFFER_SIZE);
    const watcher = new Watcher(0, template, types, bufferSize, overflow, (w) => {
      this.watchers.delete(w);
      onDetach(w);
    });
    this.watchers.set(watcher, { mark: undefined, early: [] });
    return watcher;
  }

  /** The watch script answered: existing tuples first (as writes), then what arrived meanwhile. */
  started(watcher: Watcher, mark: number, existing: readonly Buffer[]): void {
    const state = this.watchers.get(watcher);
    if (state === undefined) return;
    state.mark = mark;
    for (const bytes of existing) watcher.push({ type: 'write', tuple: decodeTuple(bytes).tuple });
    for (const event of state.early) this.deliver(watcher, state, event.type, event.seq, event.bytes);
    state.early = [];
  }

  all(): Watcher[] {
    return [...this.watchers.keys()];
  }

  /** A message on the space's watch channel. */
  onMessage(message: Buffer): void {
    const kind = String.fromCharCode(message[0]);
    if (kind === 'l') {
      this.onLease(Number(message.subarray(1).toString()));
      return;
    }
    if (kind === 'm') {
      const token = message.subarray(1).toString();
      this.marks.get(token)?.();
      this.marks.delete(token);
      return;
    }
    const type = EVENT_TYPES[kind];
    const split = message.indexOf(0x0a);
    if (type === undefined || split < 0) return;
    const seq = Number(message.subarray(1, split).toString());
    const bytes = message.subarray(split + 1);
    for (const [watcher, state] of this.watchers) {
      if (state.mark === undefined) state.early.push({ type, seq, bytes });
      else this.deliver(watcher, state, type, seq, bytes);
    }
  }

  /** A marker token and the promise that resolves when it comes back on the channel. */
  newMark(): { token: string; arrived: Promise<void> } {
    const token = (this.nextMark++).toString(36);
    return { token, arrived: new Promise<void>((resolve) => this.marks.set(token, resolve)) };
  }

  dropMark(token: string): void {
    this.marks.get(token)?.();
    this.marks.delete(token);
  }

  end(error: Error): void {
    for (const watcher of this.all()) watcher.end(error);
    for (const resolve of this.marks.values()) resolve();
    this.marks.clear();
  }

  private deliver(watcher: Watcher, state: WatchState, type: WatchEventType, seq: number, bytes: Buffer): void {
    if (seq < state.mark! || !watcher.wants(type)) return;
    const { tuple } = decodeTuple(bytes);
    if (watcher.template.matches(tuple)) watcher.push({ type, tuple });
  }
}
