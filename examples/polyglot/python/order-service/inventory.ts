/**
 * The inventory the article's Python OrderService asks (`host.ask("inventory-actor", "check_stock",
 * {"sku": …})`), in TypeScript: a Python actor and a TypeScript one talking through the host's ask.
 * Stock is a fixed list here; `restock` adds a SKU.
 *
 *   plexspaces build examples/polyglot/python/order-service/inventory.ts -o inventory.wasm
 */
import { PlexSpacesActor } from '@plexspaces/sdk';

interface InventoryState {
  in_stock: string[];
}

export class Inventory extends PlexSpacesActor<InventoryState> {
  getDefaultState(): InventoryState {
    return { in_stock: ['book', 'pen'] };
  }

  onCheckStock(payload: { sku?: unknown }) {
    if (typeof payload.sku !== 'string') return { error: `sku must be a string, got ${JSON.stringify(payload.sku)}` };
    return { sku: payload.sku, available: this.state.in_stock.includes(payload.sku) };
  }

  onRestock(payload: { sku?: unknown }) {
    if (typeof payload.sku !== 'string') return { error: `sku must be a string, got ${JSON.stringify(payload.sku)}` };
    if (!this.state.in_stock.includes(payload.sku)) this.state.in_stock.push(payload.sku);
    return { in_stock: this.state.in_stock };
  }
}
