/**
 * The second article's greeter (greeter.py, a Python actor there), in
 * TypeScript: `greet` answers a greeting and how many it has given.
 *
 *   plexspaces build examples/seed/greeter/greeter.ts -o greeter.wasm
 */
import { PlexSpacesActor } from '@plexspaces/sdk';

interface GreeterState {
  greetings_count: number;
}

export class GreeterActor extends PlexSpacesActor<GreeterState> {
  getDefaultState(): GreeterState {
    return { greetings_count: 0 };
  }

  onGreet(payload: { name?: string }) {
    this.state.greetings_count += 1;
    return { message: `Hello, ${payload.name ?? 'World'}!`, total: this.state.greetings_count };
  }
}
