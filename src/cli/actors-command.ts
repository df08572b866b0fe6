import { parseCommandArgs } from './parse.js';
import { COMMON_OPTIONS, connection, help, print, request } from './remote-commands.js';

const ACTORS_HELP = `usage: plexspaces actors [--where] [--json] [--tenant T] [--namespace NS] [--node URL] [--token JWT]

Lists the actors of a tenant's namespace. In a cluster the list is the
cluster's (its actor directory, docs/cluster.md) whichever node you ask;
--where adds the node each actor runs on, and marks an actor whose node is
gone (a durable one moves to a survivor on its next message).
  --where          print each actor's node
  --json           the listing as JSON (GET /api/v1/actors)
  --tenant T       the tenant (default: default; with auth on, the token's)
  --namespace NS   the namespace (default: default)
  --node URL       the node's HTTP address (default http://127.0.0.1:8001, env PLEXSPACES_NODE)
  --token JWT      when the node has auth on (env PLEXSPACES_TOKEN)
`;

interface ActorWhere {
  readonly id: string;
  readonly node: string;
  readonly live: boolean;
}

export async function actorsCommand(args: string[]): Promise<number> {
  if (help(args, ACTORS_HELP)) return 0;
  const { values } = parseCommandArgs({
    args,
    options: { node: COMMON_OPTIONS.node, token: COMMON_OPTIONS.token, tenant: COMMON_OPTIONS.tenant, namespace: COMMON_OPTIONS.namespace, where: { type: 'boolean' }, json: { type: 'boolean' } },
  });
  const query = new URLSearchParams();
  if (values.tenant !== undefined) query.set('tenant', values.tenant);
  if (values.namespace !== undefined) query.set('namespace', values.namespace);
  const path = `/api/v1/actors${query.size > 0 ? `?${query}` : ''}`;
  const { actors } = (await request(connection(values), 'GET', path)) as { actors: ActorWhere[] };
  if (values.json) {
    print({ actors });
    return 0;
  }
  if (!values.where) {
    for (const actor of actors) process.stdout.write(`${actor.id}\n`);
    return 0;
  }
  const width = Math.max(5, ...actors.map((a) => a.id.length));
  process.stdout.write(`${'ACTOR'.padEnd(width)}  NODE\n`);
  for (const actor of actors) process.stdout.write(`${actor.id.padEnd(width)}  ${actor.node}${actor.live ? '' : '  (node down)'}\n`);
  return 0;
}
