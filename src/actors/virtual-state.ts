import type { NodeDatabase } from '../coord/node-database.js';

/**
 * Where the `virtual` facet keeps a virtual actor's state between
 * activations (when the actor has no `durability`, whose checkpoints carry
 * it instead): the node's SQLite database on a node alone, the cluster's
 * Redis in a cluster (src/cluster/redis-coordination/redis-virtual-state.ts),
 * so an actor deactivated on one node comes back with its state on any.
 */
export interface VirtualStateStore {
  load(actorId: string): Promise<Uint8Array | undefined>;
  save(actorId: string, state: Uint8Array): Promise<void>;
}

export class SqliteVirtualStateStore implements VirtualStateStore {
  private readonly statements;

  constructor(db: NodeDatabase) {
    db.exec('CREATE TABLE IF NOT EXISTS virtual_state (actor_id TEXT PRIMARY KEY, state BLOB NOT NULL, saved_at INTEGER NOT NULL)');
    this.statements = {
      load: db.prepare('SELECT state FROM virtual_state WHERE actor_id = ?'),
      save: db.prepare('INSERT OR REPLACE INTO virtual_state (actor_id, state, saved_at) VALUES (?, ?, ?)'),
    };
  }

  async load(actorId: string): Promise<Uint8Array | undefined> {
    const row = this.statements.load.get(actorId) as { state: Buffer } | undefined;
    return row === undefined ? undefined : new Uint8Array(row.state);
  }

  async save(actorId: string, state: Uint8Array): Promise<void> {
    this.statements.save.run(actorId, state, Date.now());
  }
}
