/**
 * The first article's FaaS webhook handler (Rust there), in TypeScript: a
 * POST of any JSON body is a delivery it keeps, `list` answers them all.
 *
 * A FaaS POST whose body names no `action` goes to the handler `invoke`
 * (docs/node.md), so `invoke` is `deliver` here: the article posts the
 * webhook's own body, `{"event": …, "order_id": …}`, with no action in it.
 * The article numbers deliveries with a ULID; here they are numbered in the
 * order they arrived, so that the replies below are the same on every run.
 *
 *   plexspaces build examples/seed/webhook-handler/webhook_handler.ts -o webhook_handler.wasm
 */
import { PlexSpacesActor } from '@plexspaces/sdk';

interface WebhookDelivery {
  id: number;
  payload: unknown;
}

interface WebhookState {
  deliveries: WebhookDelivery[];
  total_received: number;
}

/** How many deliveries it keeps (the oldest go first); the total still counts every one. */
const KEEP = 100;

export class WebhookHandler extends PlexSpacesActor<WebhookState> {
  getDefaultState(): WebhookState {
    return { deliveries: [], total_received: 0 };
  }

  onDeliver(payload: unknown) {
    this.state.total_received += 1;
    this.state.deliveries.push({ id: this.state.total_received, payload });
    if (this.state.deliveries.length > KEEP) this.state.deliveries.shift();
    return { status: 'received', total: this.state.total_received };
  }

  onInvoke(payload: unknown) {
    return this.onDeliver(payload);
  }

  onList() {
    return { deliveries: this.state.deliveries, total: this.state.total_received };
  }
}
