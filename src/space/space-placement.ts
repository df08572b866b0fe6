import { InvalidArgumentError, shown } from '../errors.js';
import type { SpacePlacement } from './space-registry.js';

/**
 * Which spaces of a clustered node are shared through the cluster's Redis
 * and which stay in the node (in memory, durable in its SQLite file):
 * `[cluster] spaces = "shared" | "node"` is the default, `node_spaces` and
 * `shared_spaces` list the exceptions as `tenant/namespace/name` patterns,
 * where `*` stands for any run of characters within one part.
 */
export interface SpacePlacementRules {
  readonly default: SpacePlacement;
  readonly node: readonly string[];
  readonly shared: readonly string[];
}

export const DEFAULT_PLACEMENT: SpacePlacementRules = { default: 'shared', node: [], shared: [] };

const PART = /^[A-Za-z0-9_.*-]{1,64}$/;

/** The placement of a space key; a key both lists name is the node's (keeping data local is the safe side). */
export function compilePlacement(rules: SpacePlacementRules): (key: string) => SpacePlacement {
  const node = rules.node.map((p) => patternOf(p));
  const shared = rules.shared.map((p) => patternOf(p));
  return (key) => {
    if (node.some((re) => re.test(key))) return 'node';
    if (shared.some((re) => re.test(key))) return 'shared';
    return rules.default;
  };
}

/** A `tenant/namespace/name` pattern as a regular expression; a malformed one is an error naming it. */
export function patternOf(pattern: string): RegExp {
  const parts = typeof pattern === 'string' ? pattern.split('/') : [];
  if (parts.length !== 3 || !parts.every((p) => PART.test(p))) {
    throw new InvalidArgumentError(`a space pattern is tenant/namespace/name, each part of A–Z a–z 0–9 _ . - and *, got ${shown(pattern)}`);
  }
  return new RegExp(`^${parts.map((p) => p.replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')).join('/')}$`);
}

/** One line for the start banner: what is shared and what stays. */
export function describePlacement(rules: SpacePlacementRules): string {
  const head = rules.default === 'shared' ? 'every space' : 'no space by default';
  const but = [...(rules.node.length > 0 ? [`kept on the node: ${rules.node.join(', ')}`] : []), ...(rules.shared.length > 0 ? [`shared: ${rules.shared.join(', ')}`] : [])];
  return but.length === 0 ? head : `${head}; ${but.join('; ')}`;
}
