import { ErrorCode } from '../errors.js';
import type { HostCallFilter } from '../runtime/actor-runtime-types.js';
import { HostOp, HostStatus } from '../runtime/core-abi.js';
import { utf8 } from '../runtime/protocol.js';
import type { Checkpoint, CheckpointStore, JournalEntry, JournalStore, RecordedEffect } from './durable-storage.js';

export { EntryStatus, type JournalEntry, type RecordedEffect } from './durable-storage.js';

/** What the filter knows about a message being handled by a durable actor. */
interface MessageContext {
  readonly actorId: string;
  readonly seq: number;
  /** Serve recorded effects first (a replay). */
  readonly replay: boolean;
  readonly recorded: RecordedEffect[];
  next: number;
}

/**
 * The durable actors' journal: every message a durable actor accepts
 * (committed before the actor sees it), the result of every host call it
 * makes while handling it (its side effects), and periodic state
 * checkpoints — kept in a JournalStore and a CheckpointStore (the node
 * database, or Redis when the node is in a cluster).
 *
 * `hostCallFilter` sits in front of the runtime's host calls. For a
 * message being handled live it performs the call and records the result;
 * for a message being replayed it answers from the recording instead, so a
 * replay neither repeats a side effect (a `send`, a `kv-put`) nor sees a
 * different answer (`now-ms`, `ask`). A replay that makes a call beyond
 * what was recorded (the first run was cut off mid-message) performs it
 * live and records it.
 */
export class DurableJournal {
  private readonly contexts = new Map<number, MessageContext>();
  /** Actors that asked for a checkpoint while handling the current message. */
  private readonly checkpointRequests = new Set<string>();

  constructor(
    private readonly store: JournalStore,
    private readonly checkpoints: CheckpointStore,
  ) {}

  /** Commits a message before its actor sees it; resolves with its sequence number once stored. */
  append(actorId: string, type: string, payload: Uint8Array, from: string): Promise<number> {
    return this.store.append(actorId, { type, payload, from });
  }

  /** The actor crashed on this message: replay will skip it (its state changes died with the instance). */
  markFailed(actorId: string, seq: number): Promise<void> {
    return this.store.markFailed(actorId, seq);
  }

  /** Entries after `seq`, oldest first, with their recorded effects. */
  entriesAfter(actorId: string, seq: number): Promise<JournalEntry[]> {
    return this.store.entriesAfter(actorId, seq);
  }

  latestCheckpoint(actorId: string): Promise<Checkpoint | undefined> {
    return this.checkpoints.latest(actorId);
  }

  /**
   * Stores a checkpoint covering every message up to `seq`, then drops those
   * messages from the journal. A crash between the two leaves entries the
   * checkpoint covers: recovery reads only after its seq, and the next
   * checkpoint drops them.
   */
  async checkpoint(actorId: string, seq: number, state: Uint8Array): Promise<void> {
    await this.checkpoints.save(actorId, { seq, state });
    await this.store.truncate(actorId, seq);
  }

  /** Host calls made under `context` belong to message `seq` of `actorId`; a replay passes the entry's recorded effects. */
  beginMessage(context: number, actorId: string, seq: number, recorded?: readonly RecordedEffect[]): void {
    this.contexts.set(context, { actorId, seq, replay: recorded !== undefined, recorded: [...(recorded ?? [])], next: 0 });
  }

  /** Whether the actor asked for a checkpoint (durability `checkpoint`) since the last call; clears the request. */
  takeCheckpointRequest(actorId: string): boolean {
    return this.checkpointRequests.delete(actorId);
  }

  endMessage(context: number): void {
    this.contexts.delete(context);
  }

  /** Records live host calls of journaled messages and answers replayed ones from the recording. */
  readonly hostCallFilter: HostCallFilter = (op, _request, caller, context, next) => {
    const message = context === 0 ? undefined : this.contexts.get(context);
    // The durability interface (wit/platform/durability.wit) asks about the journal itself: answered here, never recorded.
    if (op === HostOp.DurableReplaying) return answer(message?.actorId === caller && message.replay ? '1' : '0');
    if (op === HostOp.DurableSeq) return answer(message?.actorId === caller ? String(message.seq) : '0');
    if (op === HostOp.DurableCheckpoint) {
      if (message?.actorId !== caller) return { status: HostStatus.Error, data: utf8.encode(`ERROR ${ErrorCode.Usage}: ${JSON.stringify(caller)} is not a durable actor handling a journaled message (deploy it durable)`) };
      this.checkpointRequests.add(caller);
      return answer('ok');
    }
    if (message === undefined || message.actorId !== caller) return next();
    const index = message.next++;
    if (message.replay && index < message.recorded.length) {
      const effect = message.recorded[index];
      if (effect.op === op) return { status: effect.status, data: effect.data };
      // The handler took another path than the first time: the module is not deterministic. Serve live from here on.
      process.stderr.write(`plexspaces: durable actor ${caller} made host call ${op} where the journal has ${effect.op} (message ${message.seq}); replay continues live\n`);
      message.recorded.length = index;
    }
    // Sends and the clock are the effects that must not repeat or change; every other call is recorded too, so a replay sees the same answers.
    const record = (result: { status: number; data?: Uint8Array }) => {
      let stored: void | Promise<void>;
      try {
        stored = this.store.recordEffect(message.actorId, message.seq, index, { op, status: result.status, data: result.data ?? new Uint8Array(0) });
      } catch (error) {
        stored = Promise.reject(error);
      }
      if (!(stored instanceof Promise)) return result;
      // A remote store: the actor gets the answer once it is recorded. The call itself already happened, so a failed record
      // does not fail it; a replay of this message would make the call again, live.
      return stored.then(
        () => result,
        (error: unknown) => {
          process.stderr.write(`plexspaces: durable actor ${caller}: host call ${op} of message ${message.seq} was not recorded: ${(error as Error).message}\n`);
          return result;
        },
      );
    };
    const out = next();
    return out instanceof Promise ? out.then(record) : record(out);
  };
}

function answer(text: string): { status: number; data: Uint8Array } {
  return { status: 0, data: utf8.encode(text) };
}
