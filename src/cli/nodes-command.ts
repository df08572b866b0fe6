import type { NodeListing } from '../cluster/membership.js';
import { parseCommandArgs } from './parse.js';
import { COMMON_OPTIONS, connection, help, print, request } from './remote-commands.js';

const NODES_HELP = `usage: plexspaces nodes [--json] [--node URL] [--token JWT]

Lists the nodes of the platform the node at --node belongs to: every live
member of its cluster (nodes started with --cluster redis://…), or the node
alone. A node whose heartbeat lapsed is not listed, even if it never said
goodbye (docs/cluster.md).
  --json           the listing as JSON (GET /api/v1/nodes)
  --node URL       the node's HTTP address (default http://127.0.0.1:8001, env PLEXSPACES_NODE)
  --token JWT      when the node has auth on (env PLEXSPACES_TOKEN)
`;

export async function nodesCommand(args: string[]): Promise<number> {
  if (help(args, NODES_HELP)) return 0;
  const { values } = parseCommandArgs({ args, options: { node: COMMON_OPTIONS.node, token: COMMON_OPTIONS.token, json: { type: 'boolean' } } });
  const listing = (await request(connection(values), 'GET', '/api/v1/nodes')) as NodeListing;
  if (values.json) {
    print(listing);
    return 0;
  }
  const out = process.stdout;
  out.write(listing.cluster === null ? 'a node alone (no --cluster)\n' : `cluster on ${listing.cluster.backend} ${listing.cluster.seeds.join(', ')} · ${listing.nodes.length} node${listing.nodes.length === 1 ? '' : 's'}\n`);
  if (listing.stale !== undefined) out.write(`warning: the backend does not answer, this is the last list seen (${listing.stale})\n`);
  for (const node of listing.nodes) {
    const labels = Object.entries(node.labels).map(([k, v]) => `${k}=${v}`).join(',');
    out.write(`${node.id === listing.self ? '*' : ' '} ${node.id}  http ${node.addresses.http ?? '-'}  grpc ${node.addresses.grpc ?? '-'}  workers ${node.workers}  v${node.version}${labels === '' ? '' : `  ${labels}`}\n`);
  }
  return 0;
}
