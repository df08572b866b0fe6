/**
 * The first article's data-parallel worker (WorkerActor, Rust there), in
 * TypeScript: one shard of a ShardGroup. Like the article's
 * `#[handler("*")]`, every message goes to one dispatch that decides by the
 * payload's `action` (the message type when the payload names none):
 *
 * - `set` `{key, value}` stores a value in this worker's partition;
 * - `get_total_count` answers the sum of its numeric values;
 * - `stats` answers how much work it did.
 *
 * A ShardGroup's bulk update (the client's parallel_update) reaches each
 * shard as one `bulk-update` message carrying that shard's `[key, message]`
 * entries; each entry's message is dispatched like any other.
 *
 *   plexspaces build examples/seed/worker-pool/worker_actor.ts -o worker.wasm
 */
import { PlexSpacesActor, type Dispatching } from '@plexspaces/sdk';

interface WorkerState {
  state: Record<string, unknown>;
  tasks_processed: number;
  total_processing_time_ms: number;
}

type Task = { action?: string; key?: string; value?: unknown };

export class WorkerActor extends PlexSpacesActor<WorkerState> implements Dispatching {
  getDefaultState(): WorkerState {
    return { state: {}, tasks_processed: 0, total_processing_time_ms: 0 };
  }

  dispatch(type: string, payload: unknown): unknown {
    if (type === 'bulk-update') {
      const { entries } = payload as { entries: [string, Task][] };
      const started = this.host.nowMs();
      for (const [, task] of entries) this.process(task.action ?? 'set', task);
      this.state.total_processing_time_ms += this.host.nowMs() - started;
      return { applied: entries.length };
    }
    const task = (payload ?? {}) as Task;
    return this.process(task.action ?? type, task);
  }

  private process(action: string, task: Task): unknown {
    switch (action) {
      case 'set': {
        const key = task.key ?? 'default';
        this.state.state[key] = task.value ?? null;
        this.state.tasks_processed += 1;
        return { action: 'set', key, worker_id: this.workerId() };
      }
      case 'get_total_count': {
        const values = Object.values(this.state.state);
        const total = values.reduce<number>((sum, v) => (typeof v === 'number' && v >= 0 ? sum + v : sum), 0);
        return { total, worker_id: this.workerId(), keys_processed: values.length };
      }
      case 'stats': {
        const { tasks_processed, total_processing_time_ms } = this.state;
        return {
          worker_id: this.workerId(),
          tasks_processed,
          avg_processing_time_ms: tasks_processed > 0 ? Math.floor(total_processing_time_ms / tasks_processed) : 0,
          keys_in_state: Object.keys(this.state.state).length,
        };
      }
      default:
        throw new Error(`Unknown action ${JSON.stringify(action)}`);
    }
  }

  /** The shard's own name: a shard's id is `tenant/namespace/group/shard-<i>`. */
  private workerId(): string {
    return this.host.selfId().split('/').at(-1)!;
  }
}
