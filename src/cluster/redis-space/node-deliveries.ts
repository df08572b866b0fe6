import { onBackend, type RedisClient } from '../redis-client.js';
import { SpaceScripts } from './space-script-runner.js';

/**
 * The spaces in which a process opened crash-safe deliveries, so that they
 * come back as soon as its node leaves the cluster (docs/cluster.md,
 * "Crash-safe take"), not only when their leases end:
 *
 *   plex:dspaces:{<process>}   set of space base keys
 *
 * `<process>` is the node's handoff name, `<node id>.<incarnation>`
 * (RedisWakeups.node), so a node restarted under the same id never has the
 * deliveries of its new incarnation released for its old one.
 */
export function nodeSpacesKey(process: string): string {
  return `plex:dspaces:{${process}}`;
}

/** Records that `process` may hold deliveries in the space `base` (once per space and process). */
export async function noteDeliverySpace(redis: RedisClient, process: string, base: string): Promise<void> {
  await redis.sadd(nodeSpacesKey(process), base);
}

/**
 * Gives back every delivery `process` held, in every space it took from;
 * resolves to how many. Idempotent: every node that sees the leave may run
 * it, and deliveries already closed (acked, nacked, lapsed) are not touched.
 */
export async function releaseProcessDeliveries(redis: RedisClient, process: string): Promise<number> {
  return onBackend(`release the deliveries of ${process}`, async () => {
    const scripts = SpaceScripts.on(redis);
    const bases = await redis.smembers(nodeSpacesKey(process));
    let released = 0;
    for (const base of bases) released += Number(await scripts.releaseNode(base, process));
    await redis.del(nodeSpacesKey(process));
    return released;
  });
}
