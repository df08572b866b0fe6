/**
 * The first article's tuple-space consumer (OrderProcessor, Python there):
 * `process_next` takes the oldest pending order — `["order", null,
 * "pending", null]`, nulls being wildcards — and writes it back as
 * completed. A take removes the tuple, so two processors never get the same
 * order.
 *
 *   plexspaces build examples/seed/order-pipeline/order_processor.ts -o order_processor.wasm
 */
import { PlexSpacesActor } from '@plexspaces/sdk';

type OrderTuple = [kind: 'order', orderId: string, status: string, items: unknown];

export class OrderProcessor extends PlexSpacesActor<{ processed: string[] }> {
  getDefaultState() {
    return { processed: [] as string[] };
  }

  onProcessNext() {
    const order = this.host.tsTake<OrderTuple>(['order', null, 'pending', null]);
    if (order === null) return { status: 'no_pending_orders' };
    const [, orderId, , items] = order;
    this.host.tsWrite(['order', orderId, 'completed', items]);
    this.state.processed.push(orderId);
    return { processed: orderId };
  }
}
