import { randomUUID } from 'node:crypto';
import type { SharedDeliveryIds } from '../cluster/redis-space/shared-delivery-ids.js';
import type { Scope } from '../coord/scope.js';
import { InvalidArgumentError, LeaseExpiredError, shown } from '../errors.js';
import type { Delivery } from '../space/deliveries.js';
import type { Space } from '../space/space.js';

/**
 * The crash-safe deliveries a node handed to remote clients (HTTP, gRPC,
 * websocket) by id: settled later by that id, given back when their holder
 * goes. On a shared space the id is also recorded in Redis
 * (SharedDeliveryIds), so any node of the cluster can settle it.
 */
export class RemoteDeliveries {
  private readonly held = new Map<string, { tenant: string; holder: string; delivery: Delivery }>();

  constructor(
    private readonly shared: SharedDeliveryIds | undefined,
    /** The space `name` of a scope, as the node's surfaces open it. */
    private readonly spaceOf: (scope: Scope, name: string) => Space,
  ) {}

  /** Keeps `delivery` under a new id and returns the id. */
  async issue(scope: Scope, space: string, delivery: Delivery, holder: string): Promise<string> {
    this.sweep();
    const id = randomUUID();
    this.held.set(id, { tenant: scope.tenant, holder, delivery });
    // On a shared space, any node may settle it: the client's next request may reach another one.
    const ref = (delivery as { ref?: string }).ref;
    if (ref !== undefined && this.shared !== undefined) {
      await this.shared.record(scope.tenant, id, `${scope.tenant}/${scope.namespace}/${space}`, ref, delivery.leaseExpiresAt).catch(async (error: unknown) => {
        // Unrecorded, the id would only work here: give the tuple back rather than hand out a half-usable id.
        this.held.delete(id);
        await delivery.nack().catch(() => undefined);
        throw error;
      });
    }
    return id;
  }

  async settle(scope: Scope, deliveryId: unknown, outcome: 'ack' | 'nack'): Promise<void> {
    const held = typeof deliveryId === 'string' ? this.held.get(deliveryId) : undefined;
    const unknown = () => new InvalidArgumentError(`no delivery ${shown(deliveryId)} is held (settled already, lease over, or never issued)`);
    // Another tenant's delivery id is as unknown as a made-up one.
    if (held === undefined || held.tenant !== scope.tenant) {
      if (typeof deliveryId !== 'string' || this.shared === undefined) throw unknown();
      // Taken through another node of the cluster, on a shared space.
      const shared = await this.shared.claim(scope.tenant, deliveryId);
      if (shared === undefined || !shared.spaceKey.startsWith(`${scope.tenant}/${scope.namespace}/`)) throw unknown();
      const settled = await this.spaceOf(scope, shared.spaceKey.split('/')[2]).settleDelivery?.(shared.ref, outcome);
      if (settled !== true) throw new LeaseExpiredError();
      return;
    }
    this.held.delete(deliveryId as string);
    if ((held.delivery as { ref?: string }).ref !== undefined) this.shared?.forget(scope.tenant, deliveryId as string);
    await (outcome === 'ack' ? held.delivery.ack() : held.delivery.nack());
  }

  /** Returns every tuple `holder` still holds (a websocket that closed, a client that gave up). */
  async releaseHolder(holder: string): Promise<number> {
    let released = 0;
    for (const [id, held] of this.held) {
      if (held.holder !== holder) continue;
      this.held.delete(id);
      await held.delivery.nack().then(
        () => released++,
        () => undefined, // the lease had ended: the space already took it back
      );
    }
    return released;
  }

  /** Forgets deliveries whose lease ended (the space took them back already). */
  private sweep(): void {
    const now = Date.now();
    for (const [id, held] of this.held) if (held.delivery.leaseExpiresAt < now) this.held.delete(id);
  }
}
