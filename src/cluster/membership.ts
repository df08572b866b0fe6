import type { ClusterNodeInfo, ClusterNodeView, NodeRegistry } from './node-registry.js';

/** What `GET /api/v1/nodes`, gRPC `Node.List` and `plexspaces nodes` answer. */
export interface NodeListing {
  /** The backend the nodes share, or null for a node alone. */
  readonly cluster: { readonly backend: 'redis'; readonly seeds: readonly string[]; readonly heartbeatTtlMs: number } | null;
  /** This node's id. */
  readonly self: string;
  /** The live nodes, this one first. A node alone lists itself (`expiresAt` null: it has no heartbeat). */
  readonly nodes: readonly (Omit<ClusterNodeView, 'expiresAt' | 'actors'> & { readonly expiresAt: number | null })[];
  /** Set while the backend does not answer: the list is the last one seen. */
  readonly stale?: string;
}

/**
 * The node's place in the platform: alone (it lists itself), or a member of
 * a cluster whose registry is in Redis. The surfaces ask this, so one node
 * and a cluster answer the same shape.
 */
export class Membership {
  private registry: NodeRegistry | undefined;
  private seeds: readonly string[] = [];

  constructor(private local: ClusterNodeInfo) {}

  /** This node's description (its addresses are known once it listens). */
  get self(): ClusterNodeInfo {
    return this.registry?.self ?? this.local;
  }

  setLocal(info: ClusterNodeInfo): void {
    this.local = info;
  }

  joined(registry: NodeRegistry, seeds: readonly string[]): void {
    this.registry = registry;
    // Passwords never leave the node.
    this.seeds = seeds.map((url) => url.replace(/\/\/([^@/]*)@/, '//***@'));
  }

  get clustered(): NodeRegistry | undefined {
    return this.registry;
  }

  listing(): NodeListing {
    const registry = this.registry;
    if (registry === undefined) return { cluster: null, self: this.local.id, nodes: [{ ...this.local, expiresAt: null }] };
    const error = registry.backendError;
    return {
      cluster: { backend: 'redis', seeds: this.seeds, heartbeatTtlMs: registry.ttlMs },
      self: registry.self.id,
      // The load each heartbeat carries is placement's, and node-wide: a tenant's listing does not show it.
      nodes: registry.nodes().map(({ actors: _, ...node }) => node),
      ...(error === undefined ? {} : { stale: error.message }),
    };
  }

  /** Reads the registry now (a cluster), instead of the view of the last heartbeat. */
  async refresh(): Promise<NodeListing> {
    // A backend that does not answer leaves the last view, marked stale: the node keeps serving.
    await this.registry?.refresh().catch(() => undefined);
    return this.listing();
  }
}
