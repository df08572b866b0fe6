import { InvalidArgumentError } from '../../errors.js';
import type { ExitReport } from '../../runtime/actor-runtime-types.js';
import { EntryStatus, type DurableJournal } from '../durable-journal.js';
import { FacetPriority, type Envelope, type FacetFactory, type FacetHost, type FacetInstance, type Next } from '../facet.js';

/** How long a replayed message may take (replays run back to back at start). */
const REPLAY_TIMEOUT_MS = 60_000;

/**
 * `durability`: journals every message the actor accepts and checkpoints
 * its state (`get-state`) every `checkpointEvery` handled messages
 * (default 100). When the actor starts — first start, restart after a
 * crash, or a node restart — it restores the latest checkpoint and replays
 * the rest of the journal through the same WASM binary, with side effects
 * served from the journal (see DurableJournal).
 *
 * A message the actor crashed on is marked failed and not replayed: its
 * state changes died with the instance. A message accepted but cut off by
 * the node dying (no reply was sent) is replayed; calls it had made are
 * served from the journal and the rest run live.
 */
export function durabilityFacet(journal: DurableJournal): FacetFactory {
  return {
    name: 'durability',
    priority: FacetPriority.Durability,
    create(host: FacetHost, options): FacetInstance {
      const checkpointEvery = options.checkpointEvery ?? 100;
      if (!Number.isSafeInteger(checkpointEvery) || (checkpointEvery as number) < 1) throw new InvalidArgumentError(`durability.checkpointEvery must be a positive integer, got ${String(checkpointEvery)}`);
      return new DurableActor(host, journal, checkpointEvery as number);
    },
  };
}

class DurableActor implements FacetInstance {
  /** Seq of the last message handed to the actor; a checkpoint taken now covers it. */
  private lastSent = 0;
  private handledSinceCheckpoint = 0;
  private checkpointing: Promise<void> | undefined;
  /** Messages handed to the actor and not yet answered, by context. */
  private readonly inFlight = new Map<number, number>();

  constructor(
    private readonly host: FacetHost,
    private readonly journal: DurableJournal,
    private readonly checkpointEvery: number,
  ) {}

  async start(): Promise<void> {
    const { actorId, system } = this.host;
    const checkpoint = await this.journal.latestCheckpoint(actorId);
    if (checkpoint !== undefined) {
      await system.runtime.setState(actorId, checkpoint.state);
      this.lastSent = checkpoint.seq;
    }
    const entries = (await this.journal.entriesAfter(actorId, checkpoint?.seq ?? 0)).filter((e) => e.status !== EntryStatus.Failed);
    // All replays are queued at once, in order; the actor handles them before anything sent later.
    // Their recorded effects came with the entries: the host-call filter answers from them without a read.
    const replays = entries.map((entry) =>
      system.runtime
        .ask(actorId, entry.type, entry.payload, {
          from: entry.from,
          timeoutMs: REPLAY_TIMEOUT_MS,
          onContext: (context) => {
            this.journal.beginMessage(context, actorId, entry.seq, entry.effects);
            this.inFlight.set(context, entry.seq);
            this.lastSent = entry.seq;
          },
        })
        .then(
          () => undefined,
          () => this.journal.markFailed(actorId, entry.seq).catch(() => undefined),
        ),
    );
    await Promise.all(replays);
    for (const context of this.inFlight.keys()) this.journal.endMessage(context);
    this.inFlight.clear();
    this.handledSinceCheckpoint = entries.length;
    if (checkpoint !== undefined || entries.length > 0) {
      // Tell the actor it was recovered (not journaled: it is about this incarnation). A workflow re-sends a step lost with the node.
      system.runtime.tell(actorId, '$recovered', '{}');
    }
  }

  async handle(envelope: Envelope, next: Next): Promise<Uint8Array> {
    const { actorId } = this.host;
    // Committed before the actor sees it: from here on the message survives a crash of the node. A store that
    // cannot take it (Redis down) rejects the message unseen. The actor's pipeline is held meanwhile, so the
    // journal's order is the order the actor sees.
    const seq = await this.journal.append(actorId, envelope.type, envelope.payload, envelope.from);
    let context = 0;
    envelope.onContext((c) => {
      context = c;
      this.journal.beginMessage(c, actorId, seq);
      this.inFlight.set(c, seq);
      this.lastSent = seq;
    });
    try {
      const reply = await next();
      this.handledSinceCheckpoint++;
      // Every checkpointEvery messages, or now when the actor asked for one (durability `checkpoint`).
      if (this.journal.takeCheckpointRequest(actorId) || this.handledSinceCheckpoint >= this.checkpointEvery) void this.checkpoint();
      return reply;
    } catch (error) {
      // Crashed on it (or the ask timed out): the instance that saw it is gone or will be restarted without it.
      if (!this.host.system.runtime.has(actorId)) await this.journal.markFailed(actorId, seq).catch(() => undefined);
      throw error;
    } finally {
      if (context !== 0) {
        this.journal.endMessage(context);
        this.inFlight.delete(context);
      }
    }
  }

  async beforeDeactivate(): Promise<void> {
    // A periodic checkpoint still in flight (on Redis it is a round trip) covers only the messages before it: the last one must cover them all.
    await this.checkpointing;
    return this.checkpoint();
  }

  stop(_report: ExitReport | undefined): void {
    for (const context of this.inFlight.keys()) this.journal.endMessage(context);
    this.inFlight.clear();
  }

  /** Snapshots the state after every message sent so far (get-state queues behind them) and trims the journal. */
  private checkpoint(): Promise<void> {
    this.checkpointing ??= (async () => {
      const { actorId, system } = this.host;
      const seq = this.lastSent;
      this.handledSinceCheckpoint = 0;
      try {
        const state = await system.runtime.getState(actorId);
        await this.journal.checkpoint(actorId, seq, state);
      } catch {
        // The actor died meanwhile, or the store did not take it: the journal still has everything, recovery replays more.
      } finally {
        this.checkpointing = undefined;
      }
    })();
    return this.checkpointing;
  }
}
