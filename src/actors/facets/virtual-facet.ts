import { checkDuration } from '../../util/duration.js';
import { setLongTimeout, type LongTimeout } from '../../util/long-timer.js';
import type { VirtualStateStore } from '../virtual-state.js';
import { FacetPriority, type FacetFactory } from '../facet.js';

/** Where deactivated virtual actors' state waits for their next activation (the node database). */
/**
 * `virtual`: Orleans-style lifecycle. The actor system activates a virtual
 * actor on its first message; this facet deactivates it after `idleMs`
 * (default 60 s) without messages, saving its state, and restores that
 * state when the next message reactivates it. With `durability` attached
 * too, the journal's checkpoint carries the state instead.
 */
export function virtualFacet(store: VirtualStateStore): FacetFactory {
  return {
    name: 'virtual',
    priority: FacetPriority.Virtual,
    create(host, options) {
      const idleMs = checkDuration('virtual.idleMs', options.idleMs ?? 60_000, { positive: true });
      const durable = host.facetNames.includes('durability');
      let timer: LongTimeout | undefined;
      let active = 0;
      const arm = () => {
        timer?.clear();
        // A long timer (unref'd): an idleMs past 2^31-1 ms would otherwise deactivate at once.
        timer = setLongTimeout(() => {
          if (active === 0) host.system.deactivate(host.actorId).catch(() => undefined);
        }, idleMs);
      };
      return {
        async start() {
          if (!durable) {
            const state = await store.load(host.actorId);
            if (state !== undefined) await host.system.runtime.setState(host.actorId, state);
          }
          arm();
        },
        async handle(_envelope, next) {
          active++;
          arm();
          try {
            return await next();
          } finally {
            active--;
            arm();
          }
        },
        async beforeDeactivate() {
          timer?.clear();
          if (!durable) await store.save(host.actorId, await host.system.runtime.getState(host.actorId));
        },
        stop() {
          timer?.clear();
        },
      };
    },
  };
}
