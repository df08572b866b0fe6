/**
 * The second article's counter, as it writes it with the TypeScript SDK:
 * `increment` adds `amount` (1 unless given), `get` answers the count.
 *
 *   plexspaces build examples/seed/counter/counter_actor.ts -o counter.wasm
 */
import { PlexSpacesActor } from '@plexspaces/sdk';

interface CounterState {
  count: number;
}

export class CounterActor extends PlexSpacesActor<CounterState> {
  getDefaultState(): CounterState {
    return { count: 0 };
  }

  onIncrement(payload: Record<string, unknown>) {
    const amount = Number(payload.amount ?? 1);
    if (!Number.isFinite(amount)) return { error: `amount must be a number, got ${JSON.stringify(payload.amount)}` };
    this.state.count += amount;
    return { count: this.state.count };
  }

  onGet() {
    return { count: this.state.count };
  }
}
