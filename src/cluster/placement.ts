import { InvalidArgumentError, NoMatchingNodeError, shown } from '../errors.js';

/**
 * Where the actors of an application run in a cluster (docs/cluster.md,
 * "Placement"). An actor is placed once, when a node first needs it and the
 * directory names no owner; it then stays on that node until it stops or
 * its node dies.
 *
 * - `labels`: only nodes whose labels (`[cluster] labels`, `--label k=v`)
 *   include every one of these — the articles' resource affinity, e.g.
 *   `{ "gpu": "true", "memory": "high" }`;
 * - `node`: only the node with this id;
 * - `strategy`: among the nodes that qualify, `local` (the default: the
 *   node the first message arrived at, when it qualifies — no hop — else
 *   the least loaded) or `least-loaded` (the fewest running actors, as the
 *   nodes' heartbeats report them plus what this node placed since).
 */
export interface Placement {
  readonly labels?: Readonly<Record<string, string>>;
  readonly node?: string;
  readonly strategy?: PlacementStrategy;
}

export const PLACEMENT_STRATEGIES = ['local', 'least-loaded'] as const;
export type PlacementStrategy = (typeof PLACEMENT_STRATEGIES)[number];

/** A node as placement sees it: registry id, incarnation, labels and running actors. */
export interface PlacementCandidate {
  readonly id: string;
  readonly incarnation: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly actors?: number;
  /** Being drained: never picked. */
  readonly draining?: boolean;
}

/** A placement from JSON (a deploy's `placement` field, a stored application), checked; undefined for none. */
export function checkPlacement(value: unknown, where = 'placement'): Placement | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new InvalidArgumentError(`${where} must be an object with labels, node and/or strategy, got ${shown(value)}`);
  const { labels, node, strategy, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new InvalidArgumentError(`${where} has unknown keys ${unknown.map((k) => shown(k)).join(', ')} (expected labels, node, strategy)`);
  if (labels !== undefined && (labels === null || typeof labels !== 'object' || Array.isArray(labels) || Object.values(labels).some((v) => typeof v !== 'string'))) {
    throw new InvalidArgumentError(`${where}.labels must be an object of strings, like {"gpu": "true"}, got ${shown(labels)}`);
  }
  if (node !== undefined && (typeof node !== 'string' || node === '')) throw new InvalidArgumentError(`${where}.node must be a node id, got ${shown(node)}`);
  if (strategy !== undefined && !(PLACEMENT_STRATEGIES as readonly unknown[]).includes(strategy)) {
    throw new InvalidArgumentError(`${where}.strategy must be one of ${PLACEMENT_STRATEGIES.join(', ')}, got ${shown(strategy)}`);
  }
  const placement: Placement = {
    ...(labels !== undefined && Object.keys(labels).length > 0 ? { labels: labels as Record<string, string> } : {}),
    ...(node !== undefined ? { node } : {}),
    ...(strategy !== undefined ? { strategy: strategy as PlacementStrategy } : {}),
  };
  return Object.keys(placement).length === 0 ? undefined : placement;
}

/** Whether `node` may run actors placed so. */
export function qualifies(placement: Placement | undefined, node: PlacementCandidate): boolean {
  if (placement?.node !== undefined && node.id !== placement.node) return false;
  for (const [key, value] of Object.entries(placement?.labels ?? {})) if (node.labels[key] !== value) return false;
  return true;
}

/**
 * The node to run a new actor on: `self` when the strategy is local and it
 * qualifies, else the qualifying node with the least load (`extraLoad`: what
 * this node placed there since its last heartbeat was read), ties to `self`
 * and then by id. No qualifying node: PLEX_ERR_NO_MATCHING_NODE.
 */
export function pickNode(actorId: string, placement: Placement | undefined, nodes: readonly PlacementCandidate[], self: PlacementCandidate, extraLoad: (node: PlacementCandidate) => number = () => 0): PlacementCandidate {
  const strategy = placement?.strategy ?? 'local';
  if (strategy === 'local' && !self.draining && qualifies(placement, self)) return self;
  // A node being drained takes nothing new (its own view of itself says so before its heartbeat does).
  const candidates = nodes.filter((node) => qualifies(placement, node) && !node.draining && !(node.id === self.id && self.draining));
  if (candidates.length === 0) throw new NoMatchingNodeError(actorId, `${describePlacement(placement)}${self.draining ? ' (this node is being drained)' : ''}`);
  const load = (node: PlacementCandidate) => (node.actors ?? 0) + extraLoad(node);
  return candidates.reduce((best, node) => {
    const difference = load(node) - load(best);
    if (difference !== 0) return difference < 0 ? node : best;
    if (best.id === self.id) return best;
    if (node.id === self.id) return node;
    return node.id < best.id ? node : best;
  });
}

export function describePlacement(placement: Placement | undefined): string {
  const wants = [
    ...(placement?.node !== undefined ? [`node ${placement.node}`] : []),
    ...Object.entries(placement?.labels ?? {}).map(([k, v]) => `${k}=${v}`),
  ];
  return wants.length === 0 ? 'any node' : wants.join(', ');
}
