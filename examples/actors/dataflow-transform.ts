/**
 * The transform stage of notebooks/1-tuplespace-dataflow.ipynb, as a
 * pipeline stage (docs/pipelines.md): each `["raw", i, sentence]` tuple the
 * pipeline hands it becomes `["clean", i, wordCount]`. It knows nothing of
 * the producer or the aggregator, nor of the take, the ack or the write:
 * the pipeline does those, exactly once.
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

  /** One raw tuple in, one clean tuple out. */
  onProcess({ tuple }: { tuple: [string, number, string] }) {
    const [, i, sentence] = tuple;
    this.state.handled++;
    return { out: [['clean', i, sentence.split(' ').length]] };
  }

  /** How many this instance handled (it restarts from 0 if it crashed). */
  onHandled() {
    return { handled: this.state.handled };
  }
}
