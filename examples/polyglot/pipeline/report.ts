/**
 * The pipeline's last stage, in TypeScript (the SDK): "report" asks the
 * producer (Python) how many orders it wrote and the aggregator (Go) what it
 * totalled, and says whether every order came through.
 *
 *   plexspaces build examples/polyglot/pipeline/report.ts -o report.wasm
 */
import { PlexSpacesActor, host } from '@plexspaces/sdk';

interface Totals {
  orders: number;
  revenue_cents: number;
  by_sku: Record<string, { orders: number; revenue_cents: number }>;
}

export class Report extends PlexSpacesActor<Record<string, never>> {
  getDefaultState(): Record<string, never> {
    return {};
  }

  onReport() {
    const { produced } = host.ask<{ produced: number }>('producer', 'stats');
    const { priced, rejected } = host.ask<{ priced: number; rejected: number }>('transform', 'stats');
    const totals = host.ask<Totals>('aggregator', 'totals');
    return {
      produced,
      priced,
      rejected,
      aggregated: totals.orders,
      // Every order the producer wrote reached the aggregator (a rejected tuple is counted beside them).
      complete: produced === totals.orders,
      revenue_cents: totals.revenue_cents,
      by_sku: totals.by_sku,
    };
  }
}
