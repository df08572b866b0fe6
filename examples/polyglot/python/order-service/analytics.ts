/**
 * The analytics actor the article's Python OrderService tells (`host.tell("analytics-actor",
 * "order_placed", order)`), in TypeScript: it counts the orders it was told about.
 *
 *   plexspaces build examples/polyglot/python/order-service/analytics.ts -o analytics.wasm
 */
import { PlexSpacesActor } from '@plexspaces/sdk';

interface AnalyticsState {
  orders_placed: string[];
}

export class Analytics extends PlexSpacesActor<AnalyticsState> {
  getDefaultState(): AnalyticsState {
    return { orders_placed: [] };
  }

  onOrderPlaced(order: { id?: unknown }) {
    this.state.orders_placed.push(String(order.id));
    return { recorded: this.state.orders_placed.length };
  }

  onReport() {
    return { orders_placed: this.state.orders_placed };
  }
}
