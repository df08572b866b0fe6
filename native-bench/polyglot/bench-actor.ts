/** The polyglot benchmark's actor in TypeScript (README.md): ping and spin. */
import { PlexSpacesActor } from '@plexspaces/sdk';

export class BenchActor extends PlexSpacesActor<Record<string, never>> {
  getDefaultState(): Record<string, never> {
    return {};
  }

  onPing() {
    return { pong: true };
  }

  onSpin(payload: { n: number }) {
    let acc = 1;
    for (let i = 0; i < payload.n; i++) {
      const v = (i % 7) + 1;
      switch (i % 4) {
        case 0:
          acc = acc + v;
          break;
        case 1:
          acc = acc - v * 0.5;
          break;
        case 2:
          acc = acc * 1.0000001;
          break;
        default:
          acc = acc / 1.0000002;
      }
    }
    return { result: Math.trunc(acc * 1e6) };
  }
}
