import { onBackend, type RedisClient } from '../redis-client.js';

/**
 * The delivery ids that the remote surfaces (HTTP, gRPC, websocket) hand to
 * clients for crash-safe takes on shared spaces, recorded in Redis so that
 * the client may ack or nack through any node — behind a load balancer the
 * next request rarely reaches the node that took the tuple.
 *
 *   plex:deliveries:{<tenant>}:<id>   "<space key>\n<delivery id in the space>", PXAT the lease end + 1 s
 *
 * The ids are random (UUIDs), and a lookup names the caller's tenant, so a
 * tenant can neither guess another's id nor reach it.
 */
export class SharedDeliveryIds {
  constructor(private readonly redis: RedisClient) {}

  async record(tenant: string, id: string, spaceKey: string, ref: string, leaseExpiresAt: number): Promise<void> {
    await onBackend('record a delivery', () => this.redis.set(key(tenant, id), `${spaceKey}\n${ref}`, 'PXAT', Math.max(Date.now(), leaseExpiresAt) + 1_000));
  }

  /** The delivery behind `id`, removed so that it is settled once; undefined when unknown (settled, lapsed, never issued). */
  async claim(tenant: string, id: string): Promise<{ spaceKey: string; ref: string } | undefined> {
    const value = await onBackend('settle a delivery', () => this.redis.getdel(key(tenant, id)));
    if (value === null) return undefined;
    const newline = value.indexOf('\n');
    return { spaceKey: value.slice(0, newline), ref: value.slice(newline + 1) };
  }

  /** Forgets `id` (it was settled on the node that holds it). */
  forget(tenant: string, id: string): void {
    this.redis.del(key(tenant, id)).catch(() => undefined);
  }
}

function key(tenant: string, id: string): string {
  return `plex:deliveries:{${tenant}}:${id}`;
}
