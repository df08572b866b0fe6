/**
 * The first article's tuple-space producer (OrderProducer, Python there):
 * `create_order` writes `["order", order_id, "pending", items]` to the
 * tuple space of the actor's tenant and namespace. It knows no consumer.
 *
 *   plexspaces build examples/seed/order-pipeline/order_producer.ts -o order_producer.wasm
 */
import { PlexSpacesActor } from '@plexspaces/sdk';

export class OrderProducer extends PlexSpacesActor<{ created: number }> {
  getDefaultState() {
    return { created: 0 };
  }

  onCreateOrder({ order_id, items }: { order_id?: string; items?: unknown[] }) {
    if (typeof order_id !== 'string' || order_id === '') return { error: 'create_order needs an order_id' };
    if (!Array.isArray(items)) return { error: 'create_order needs a list of items' };
    this.host.tsWrite(['order', order_id, 'pending', items]);
    this.state.created++;
    return { status: 'created', order_id };
  }
}
