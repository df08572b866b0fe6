import { checkScope } from '../../coord/scope.js';
import { onBackend, type RedisClient } from '../redis-client.js';
import { queueScripted } from './redis-queue-scripts.js';
import { queueScriptHead } from './channel-keys.js';

/**
 * The queues through which a process handed out deliveries, so that they
 * come back as soon as its node leaves the cluster, not only at their
 * visibility deadline (docs/cluster.md, "Channels on Redis"):
 *
 *   plex:chqueues:{<process>}   set of JSON [tenant, namespace, queue name]
 *
 * `<process>` is `<node id>.<incarnation>`, so a node restarted under the
 * same id never has its new incarnation's deliveries released for the old
 * one. A queue is filed here before the process's first receive from it:
 * a node that dies in between leaves an entry with nothing to release.
 */
export function processQueuesKey(process: string): string {
  return `plex:chqueues:{${process}}`;
}

/**
 * Redelivers every delivery `process` handed out, in every queue it
 * received from; resolves to how many. Idempotent: every node that sees
 * the leave may run it, and deliveries already closed are not touched.
 */
export async function releaseProcessQueueDeliveries(redis: RedisClient, process: string): Promise<number> {
  return onBackend(`release the channel deliveries of ${process}`, async () => {
    const client = queueScripted(redis);
    let released = 0;
    for (const member of await redis.smembers(processQueuesKey(process))) {
      const [tenant, namespace, name] = JSON.parse(member) as [string, string, string];
      released += await client.plexQueueReleaseProcess(...queueScriptHead(checkScope({ tenant, namespace }), name, undefined, false), process);
    }
    await redis.del(processQueuesKey(process));
    return released;
  });
}
