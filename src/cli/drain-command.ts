import type { NodeListing } from '../cluster/membership.js';
import { InvalidArgumentError, UsageError, shown } from '../errors.js';
import { parseCommandArgs } from './parse.js';
import { COMMON_OPTIONS, connection, help, print, request } from './remote-commands.js';

const DRAIN_HELP = `usage: plexspaces drain [NODE] [--json] [--node URL] [--token JWT]

Before a planned stop of node NODE (its id; any node at --node finds it in
the cluster's registry), or of the node at --node: marks it as draining in the
cluster (nothing new is placed on it) and moves its durable actors away —
each stops with a checkpoint and leaves the actor directory, and its next
message activates it on another node with its state. Actors whose state
lives only on this node (not durable, virtual, spawned) stay and are listed.
Then stop the node. An operator's action when auth is on (docs/cluster.md).
  --json           the result as JSON (POST /api/v1/cluster/drain)
  --node URL       the node to drain, or to ask for NODE's address (default http://127.0.0.1:8001, env PLEXSPACES_NODE)
  --token JWT      an operator's token, when the node has auth on (env PLEXSPACES_TOKEN)
`;

export async function drainCommand(args: string[]): Promise<number> {
  if (help(args, DRAIN_HELP)) return 0;
  const { values, positionals } = parseCommandArgs({ args, allowPositionals: true, options: { node: COMMON_OPTIONS.node, token: COMMON_OPTIONS.token, json: { type: 'boolean' } } });
  if (positionals.length > 1) throw new UsageError(`drain takes one node id, got ${positionals.length}\n\n${DRAIN_HELP}`);
  let target = connection(values);
  const [id] = positionals;
  if (id !== undefined) {
    // The registry knows every live node's address: any node can say where NODE listens.
    const listing = (await request(target, 'GET', '/api/v1/nodes')) as NodeListing;
    const node = listing.nodes.find((n) => n.id === id);
    if (node === undefined) throw new InvalidArgumentError(`no live node ${shown(id)} in the cluster of ${target.node} (live: ${listing.nodes.map((n) => n.id).join(', ')})`);
    if (node.addresses.http === undefined) throw new InvalidArgumentError(`node ${shown(id)} has no HTTP address in the registry`);
    target = connection({ ...values, node: node.addresses.http });
  }
  const result = (await request(target, 'POST', '/api/v1/cluster/drain')) as { node: string; moved: string[]; kept: string[]; shards?: string[] };
  if (values.json) {
    print(result);
    return 0;
  }
  const shards = result.shards?.length ?? 0;
  process.stdout.write(
    `node ${result.node} is draining: ${result.moved.length} actor${result.moved.length === 1 ? '' : 's'}${shards > 0 ? ` and ${shards} shard${shards === 1 ? '' : 's'}` : ''} moved to the other nodes\n`,
  );
  if (result.kept.length > 0) {
    process.stdout.write(`${result.kept.length} kept (their state lives only on this node; stopping it ends them):\n`);
    for (const id of result.kept) process.stdout.write(`  ${id}\n`);
  }
  return 0;
}
