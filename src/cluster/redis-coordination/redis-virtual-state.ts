import type { VirtualStateStore } from '../../actors/virtual-state.js';
import { tenantOf } from '../actor-directory.js';
import { onBackend, type RedisClient } from '../redis-client.js';

/**
 * Virtual actors' saved state on the cluster's Redis: one hash per tenant,
 * `plex:vstate:{<tenant>}` actor id → state bytes, so a tenant's states are
 * on one Redis Cluster slot and each call touches one key. A save replaces
 * the last one (the `virtual` facet saves when it deactivates the actor and
 * loads when it activates it again, on whichever node).
 */
export class RedisVirtualStateStore implements VirtualStateStore {
  constructor(private readonly client: RedisClient) {}

  async load(actorId: string): Promise<Uint8Array | undefined> {
    const state = await onBackend('load a virtual actor’s state', () => this.client.hgetBuffer(keyOf(actorId), actorId));
    return state === null ? undefined : new Uint8Array(state);
  }

  async save(actorId: string, state: Uint8Array): Promise<void> {
    await onBackend('save a virtual actor’s state', () => this.client.hset(keyOf(actorId), actorId, Buffer.from(state)));
  }
}

function keyOf(actorId: string): string {
  // Percent-encoded: a brace in a tenant name would otherwise end the hash tag early.
  return `plex:vstate:{${encodeURIComponent(tenantOf(actorId))}}`;
}
