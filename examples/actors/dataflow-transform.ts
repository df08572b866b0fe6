/**
 * The transform stage of notebooks/1-tuplespace-dataflow.ipynb: takes
 * `["raw", i, sentence]` tuples from its tenant's space and writes
 * `["clean", i, wordCount]` ones. It knows nothing of the producer or the
 * aggregator: the tuple patterns are the whole contract.
 *
 *   npx plexspaces build examples/actors/dataflow-transform.ts -o transform.wasm
 */
import { PlexSpacesActor } from 'plexspaces/sdk';

interface Stage {
  handled: number;
}

export default class DataflowTransform extends PlexSpacesActor<Stage> {
  getDefaultState(): Stage {
    return { handled: 0 };
  }

  /** Transforms up to `max` raw tuples (fewer if the space runs dry); answers how many, and the total so far. */
  onRun({ max = 500 }: { max?: number }) {
    let took = 0;
    for (; took < max; took++) {
      const raw = this.host.tsTake<[string, number, string]>(['raw', null, null]);
      if (raw === null) break;
      this.host.tsWrite(['clean', raw[1], raw[2].split(' ').length]);
    }
    this.state.handled += took;
    return { took, handled: this.state.handled };
  }
}
