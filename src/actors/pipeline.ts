import type { FacetInstance } from './facet.js';

/**
 * An actor's facet pipeline as the actor system keeps it (actor-system.ts):
 * its facets, and the gate that keeps its messages in order through async
 * facets.
 */
export interface Pipeline {
  readonly facets: FacetInstance[];
  readonly handlers: FacetInstance[];
  /** Resolves when the previous message has reached the actor (and, first, when the facets have started): keeps per-actor order through async facets. */
  gate: Promise<void>;
  /** The last gate is already open: a message may go straight through, without a hop through the microtask queue (so concurrent sends still share one batch to the worker). */
  open: boolean;
}

/**
 * Takes the next place in an actor's pipeline: `previous` (undefined when
 * the way is clear) resolves once the message before has reached the actor;
 * `release` lets the next one go.
 */
export function enterPipeline(pipeline: Pipeline): { previous: Promise<void> | undefined; release: () => void } {
  const previous = pipeline.open ? undefined : pipeline.gate;
  let resolveGate!: () => void;
  const gate = new Promise<void>((resolve) => (resolveGate = resolve));
  pipeline.gate = gate;
  pipeline.open = false;
  let released = false;
  return {
    previous,
    release: () => {
      if (released) return;
      released = true;
      resolveGate();
      if (pipeline.gate === gate) pipeline.open = true;
    },
  };
}
