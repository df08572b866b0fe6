import { basename, dirname, join } from 'node:path';
import { PlexClient } from '../client/plex-client.js';
import { parseManifest } from '../node/app-manifest.js';
import { PlexError, UsageError, shown } from '../errors.js';
import { parseTupleJson } from '../tuple/json.js';
import { actorSegment, checkGather, checkReply, jsonInput, jsonInputText, readInputFile } from './input.js';
import { parseCommandArgs } from './parse.js';

/**
 * Commands that talk to a running node over its HTTP gateway (and, for
 * `ts watch`, its websocket): deploy, ask, tell, ts, shards. The node is
 * --node URL (default http://127.0.0.1:8001, env PLEXSPACES_NODE); a token
 * comes from --token or PLEXSPACES_TOKEN. Results print as JSON on stdout.
 * Exit codes: 0 success, 1 a failure (code and message on stderr): the node
 * refused, an actor replied with an error, a gather was not satisfied, a file
 * named could not be read; 2 wrong usage. Wherever a command takes JSON it
 * also takes @file.json or - (stdin).
 */
export const COMMON = `
common options:
  --tenant T       the tenant (default: default; with auth on, the token's)
  --namespace NS   the namespace (default: default)
  --node URL       the node's HTTP address (default http://127.0.0.1:8001, env PLEXSPACES_NODE)
  --token JWT      when the node has auth on (env PLEXSPACES_TOKEN)
  -h, --help       this text
JSON arguments may be inline, @file.json, or - to read stdin (for inputs too large for an argument list).
Exit status: 0 success; 1 a failure: the node refused, an actor replied with an error, a gather was
not satisfied, a file could not be read; 2 wrong usage.`;

/** A remote failure the CLI reports with exit code 1. */
export class RemoteFailure extends PlexError {}

interface Connection {
  readonly node: string;
  readonly token?: string;
}

export const COMMON_OPTIONS = {
  node: { type: 'string' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  tenant: { type: 'string' },
  namespace: { type: 'string' },
} as const;

/**
 * A scope from a path argument (`TENANT/NAMESPACE[/NAME]`, `NAME`, or nothing)
 * and --tenant/--namespace, which fill what the path leaves out (default
 * "default"); a path and a flag that disagree are wrong usage.
 */
function scopeOf(text: string | undefined, values: { tenant?: string; namespace?: string }, withName: 'required' | 'optional', usage: string): { tenant: string; namespace: string; name?: string } {
  const parts = text === undefined || text === '' ? [] : text.split('/');
  if (parts.some((p) => p === '')) throw new UsageError(`${shown(text)} has an empty part\n\n${usage}`);
  let tenant: string | undefined;
  let namespace: string | undefined;
  let name: string | undefined;
  if (parts.length === 3) [tenant, namespace, name] = parts;
  else if (parts.length === 2 && withName === 'optional') [tenant, namespace] = parts;
  else if (parts.length === 1) [name] = parts;
  else if (parts.length !== 0) throw new UsageError(`cannot read ${shown(text)} as ${withName === 'required' ? 'TENANT/NAMESPACE/NAME or NAME' : 'TENANT/NAMESPACE[/NAME] or NAME'}\n\n${usage}`);
  for (const [flag, fromPath, fromFlag] of [['--tenant', tenant, values.tenant], ['--namespace', namespace, values.namespace]] as const) {
    if (fromPath !== undefined && fromFlag !== undefined && fromPath !== fromFlag) throw new UsageError(`${flag} ${fromFlag} disagrees with ${shown(text)}`);
  }
  if (name === undefined && withName === 'required') throw new UsageError(`a name is needed: TENANT/NAMESPACE/NAME, or NAME with --tenant/--namespace\n\n${usage}`);
  return { tenant: tenant ?? values.tenant ?? 'default', namespace: namespace ?? values.namespace ?? 'default', name };
}

export function connection(values: { node?: string; token?: string }): Connection {
  const node = (values.node ?? process.env.PLEXSPACES_NODE ?? 'http://127.0.0.1:8001').replace(/\/+$/, '');
  try {
    new URL(node);
  } catch {
    throw new UsageError(`--node must be a URL like http://127.0.0.1:8001, got ${shown(node)}`);
  }
  return { node, token: values.token ?? process.env.PLEXSPACES_TOKEN };
}

export async function request(c: Connection, method: string, path: string, body?: unknown): Promise<unknown> {
  const headers: Record<string, string> = {};
  if (c.token) headers.authorization = `Bearer ${c.token}`;
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await fetch(`${c.node}${path}`, { method, headers, body: payload });
  } catch (cause) {
    throw new RemoteFailure('PLEX_ERR_UNAVAILABLE' as never, `cannot reach the node at ${c.node} (${(cause as Error).cause ?? (cause as Error).message}); is it running? (npx plexspaces start)`);
  }
  const text = await response.text();
  const parsed = text === '' ? null : (JSON.parse(text) as { error?: { code: string; message: string } });
  if (!response.ok) throw new RemoteFailure((parsed?.error?.code ?? `HTTP_${response.status}`) as never, parsed?.error?.message ?? text);
  return parsed;
}

export function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

const jsonArg = jsonInput;

export function help(args: string[], text: string): boolean {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(text);
    return true;
  }
  return false;
}

// ── deploy ────────────────────────────────────────────────────────────────

/** A bundle's multipart form: the manifest and every module it names, from the manifest's directory. */
function bundleForm(manifestPath: string): FormData {
  const text = readInputFile(manifestPath, 'the manifest');
  const manifest = parseManifest(text); // a bad manifest fails here, before anything is sent
  const form = new FormData();
  form.set('manifest', new Blob([text]), 'app-config.toml');
  for (const module of manifest.modules) {
    const path = join(dirname(manifestPath), module);
    const bytes = readInputFile(path, `${module}, which the manifest names (build it with plexspaces build),`, true);
    form.append('wasm_file', new Blob([new Uint8Array(bytes)]), module);
  }
  return form;
}

const DEPLOY_HELP = `usage: plexspaces deploy FILE.wasm --app ID [--name NAME] [--version V] [--ephemeral]
       plexspaces deploy app-config.toml --app ID [--namespace NS]

Deploys a WebAssembly actor (a core module or a component) as application
ID, or a bundle: its manifest (app-config.toml) and the .wasm files it
names, read from the manifest's directory; the node validates every module
and starts the supervision tree (docs/applications.md).
  --namespace NS   where a bundle's actors run (default: default); a single
                   module serves every namespace of its tenant
  --ephemeral      a module's actors keep no journal: their state is lost
                   when they crash or the node restarts (default: durable;
                   a bundle says it in its manifest, [application] durable)
${COMMON}
`;

export async function deployCommand(args: string[]): Promise<number> {
  if (help(args, DEPLOY_HELP)) return 0;
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    options: { ...COMMON_OPTIONS, app: { type: 'string' }, name: { type: 'string' }, version: { type: 'string' }, ephemeral: { type: 'boolean' } },
  });
  const [file] = positionals;
  if (file === undefined || values.app === undefined) throw new UsageError(`deploy needs a file and --app\n\n${DEPLOY_HELP}`);
  if (file.endsWith('.toml')) {
    if (values.ephemeral === true) throw new UsageError('--ephemeral applies to a single module; a bundle says it in its manifest ([application] durable = false)');
    const form = bundleForm(file);
    form.set('application_id', values.app);
    if (values.name !== undefined) form.set('name', values.name);
    if (values.version !== undefined) form.set('version', values.version);
    if (values.namespace !== undefined) form.set('namespace', values.namespace);
    if (values.tenant !== undefined) form.set('tenant', values.tenant);
    print(await request(connection(values), 'POST', '/api/v1/applications/deploy', form));
    return 0;
  }
  // One module is deployed for the whole tenant; the namespace an actor runs in is chosen when it is addressed.
  if (values.namespace !== undefined) throw new UsageError('--namespace applies to a bundle (app-config.toml); a single module serves every namespace of its tenant (pick one with ask/tell --namespace)');
  const bytes = readInputFile(file, 'the module', true);
  const form = new FormData();
  if (values.tenant !== undefined) form.set('tenant', values.tenant);
  form.set('application_id', values.app);
  form.set('name', values.name ?? values.app);
  form.set('version', values.version ?? '0.0.0');
  if (values.ephemeral === true) form.set('durable', 'false');
  form.set('wasm_file', new Blob([new Uint8Array(bytes)]), basename(file));
  print(await request(connection(values), 'POST', '/api/v1/applications/deploy', form));
  return 0;
}

// ── ask / tell ────────────────────────────────────────────────────────────

const ASK_HELP = `usage: plexspaces ask ACTOR TYPE [PAYLOAD_JSON] [--app ID] [--namespace NS]
       plexspaces tell ACTOR TYPE [PAYLOAD_JSON] [--app ID] [--namespace NS]

Sends a message to actor ACTOR (activated from application --app on first use;
ACTOR may be TYPE:KEY, e.g. account:alice); ask prints the reply, and exits 1
when the reply reports an error: an object with an "error" key (not null or
false) or a string starting with ERROR.
${COMMON}
`;

export function messageCommand(kind: 'ask' | 'tell') {
  return async (args: string[]): Promise<number> => {
    if (help(args, ASK_HELP)) return 0;
    const { values, positionals } = parseCommandArgs({ args, allowPositionals: true, options: { ...COMMON_OPTIONS, app: { type: 'string' } } });
    const [actor, type, payload] = positionals;
    if (actor === undefined || type === undefined) throw new UsageError(`${kind} needs ACTOR and TYPE\n\n${ASK_HELP}`);
    const body = { message_type: type, payload: jsonArg('PAYLOAD_JSON', payload, {}), application_id: values.app, tenant: values.tenant, namespace: values.namespace };
    const reply = await request(connection(values), 'POST', `/api/v1/actors/${actorSegment(actor)}/${kind}`, body);
    print(reply); // printed either way: the error reply is the useful part
    if (kind === 'ask') checkReply(reply);
    return 0;
  };
}

// ── ts ────────────────────────────────────────────────────────────────────

const TS_HELP = `usage: plexspaces ts <write|read|take|count|read-all|take-all|watch> TENANT/NAMESPACE/SPACE JSON [--timeout MS]
       plexspaces ts <op> SPACE JSON [--tenant T] [--namespace NS]

  write     JSON is a tuple:     plexspaces ts write acme/jobs/q '["job", 1, {"$int": "10"}]'
  read      JSON is a template (null = any field); waits up to --timeout ms (default: no wait)
  take      like read, and removes the tuple
  count, read-all, take-all      JSON is a template
  watch     prints write/take/expire events as JSON lines until interrupted
${COMMON}
`;

export async function tsCommand(args: string[]): Promise<number> {
  if (help(args, TS_HELP)) return 0;
  const { values, positionals } = parseCommandArgs({ args, allowPositionals: true, options: { ...COMMON_OPTIONS, timeout: { type: 'string' } } });
  const [op, where, json] = positionals;
  const ops = ['write', 'read', 'take', 'count', 'read-all', 'take-all', 'watch'];
  if (op === undefined || !ops.includes(op)) throw new UsageError(`ts needs one of ${ops.join(', ')}\n\n${TS_HELP}`);
  if (where === undefined) throw new UsageError(`ts ${op} needs TENANT/NAMESPACE/SPACE (or SPACE with --tenant/--namespace)\n\n${TS_HELP}`);
  const { tenant, namespace, name } = scopeOf(where, values, 'required', TS_HELP);
  const space = name!;
  if (json === undefined) throw new UsageError(`ts ${op} needs a ${op === 'write' ? 'tuple' : 'template'} as JSON`);
  const source = jsonInputText(op === 'write' ? 'the tuple' : 'the template', json);
  let value: unknown;
  try {
    value = JSON.parse(source);
    parseTupleJson(source); // the node checks it too; this catches a typo before the round trip
  } catch (cause) {
    throw new UsageError(`the ${op === 'write' ? 'tuple' : 'template'} must be a JSON array: ${(cause as Error).message}`);
  }
  const c = connection(values);
  if (op === 'watch') {
    const wsUrl = `${c.node.replace(/^http/, 'ws')}/ws`;
    const client = await PlexClient.connect(wsUrl, { token: c.token, tenant, namespace }).catch((error: Error) => {
      throw new RemoteFailure('PLEX_ERR_UNAVAILABLE' as never, error.message);
    });
    const stop = () => client.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      for await (const event of client.space(space).watch(parseTupleJson(source) as never)) {
        process.stdout.write(`${JSON.stringify(event, (_, v: unknown) => (typeof v === 'bigint' ? { $int: v.toString() } : v instanceof Uint8Array ? { $bytes: Buffer.from(v).toString('base64') } : v))}\n`);
      }
    } catch (error) {
      if ((error as PlexError).code !== 'PLEX_ERR_RUNTIME_CLOSED') throw error;
    }
    return 0;
  }
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutMs !== undefined && !(timeoutMs >= 0)) throw new UsageError(`--timeout must be a number of ms, got ${values.timeout}`);
  const body = op === 'write' ? { tuple: value } : { template: value, timeoutMs };
  print(await request(c, 'POST', `/api/v1/tuplespace/${tenant}/${namespace}/${space}/${op}`, body));
  return 0;
}

// ── shards ────────────────────────────────────────────────────────────────

const SHARDS_HELP = `usage: plexspaces shards <list|create|delete|bulk-update|scatter-gather|reduce|barrier|scale> TENANT/NAMESPACE[/GROUP] [options]
       plexspaces shards <op> [GROUP] [--tenant T] [--namespace NS] [options]

  list      TENANT/NAMESPACE
  create    TENANT/NAMESPACE/GROUP --app ID --shards N [--partition hash|consistent-hash]
  delete    TENANT/NAMESPACE/GROUP
  bulk-update     TENANT/NAMESPACE/GROUP ENTRIES_JSON          ([[key, value], …]; @entries.json or - for many)
  scatter-gather  TENANT/NAMESPACE/GROUP TYPE [PAYLOAD_JSON] [--aggregate concat|merge|first|majority]
  reduce          TENANT/NAMESPACE/GROUP TYPE --op sum|min|max|product|concat|and|or [--path P]
  barrier         TENANT/NAMESPACE/GROUP ROUND
  scatter-gather, reduce, barrier: [--min-responses N] [--deadline MS]; they exit 1 when the
  result is not satisfied (fewer good answers than N, default all shards); bulk-update exits 1
  when a shard did not take its entries. The result is printed either way.
  scale           TENANT/NAMESPACE/GROUP --shards N
${COMMON}
`;

export async function shardsCommand(args: string[]): Promise<number> {
  if (help(args, SHARDS_HELP)) return 0;
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    options: {
      ...COMMON_OPTIONS,
      app: { type: 'string' },
      shards: { type: 'string' },
      partition: { type: 'string' },
      aggregate: { type: 'string' },
      op: { type: 'string' },
      path: { type: 'string' },
      'min-responses': { type: 'string' },
      deadline: { type: 'string' },
    },
  });
  const [op, where, a, b] = positionals;
  const c = connection(values);
  const { tenant, namespace, name: group } = scopeOf(where, values, 'optional', SHARDS_HELP);
  const base = `/api/v1/shard-groups/${tenant}/${namespace}`;
  const needGroup = () => {
    if (group === undefined) throw new UsageError(`shards ${op} needs TENANT/NAMESPACE/GROUP`);
    return `${base}/${group}`;
  };
  const count = (text: string | undefined, name: string, min = 1) => {
    const n = Number(text);
    if (text === undefined || !Number.isSafeInteger(n) || n < min) throw new UsageError(`${name} must be an integer ≥ ${min}, got ${shown(text)}`);
    return n;
  };
  const gather = {
    minResponses: values['min-responses'] === undefined ? undefined : count(values['min-responses'], '--min-responses', 0),
    deadlineMs: values.deadline === undefined ? undefined : count(values.deadline, '--deadline', 0),
  };
  /** Prints a gather (or bulk-update) result, then fails when it is not what was asked for. */
  const gathered = (result: unknown) => {
    print(result);
    checkGather(result);
    return 0;
  };
  switch (op) {
    case 'list':
      print(await request(c, 'GET', base));
      return 0;
    case 'create':
      if (group === undefined || values.app === undefined) throw new UsageError('shards create needs TENANT/NAMESPACE/GROUP and --app');
      print(await request(c, 'POST', base, { id: group, application: values.app, shards: count(values.shards, '--shards'), partition: values.partition }));
      return 0;
    case 'delete':
      print(await request(c, 'DELETE', needGroup()));
      return 0;
    case 'bulk-update':
      if (a === undefined) throw new UsageError('shards bulk-update needs ENTRIES_JSON (inline, @file.json or - for stdin)');
      return gathered(await request(c, 'POST', `${needGroup()}/bulk-update`, { entries: jsonArg('ENTRIES_JSON', a, undefined) }));
    case 'scatter-gather':
      if (a === undefined) throw new UsageError('shards scatter-gather needs TYPE');
      return gathered(await request(c, 'POST', `${needGroup()}/scatter-gather`, { type: a, payload: jsonArg('PAYLOAD_JSON', b, {}), aggregate: values.aggregate, ...gather }));
    case 'reduce':
      if (a === undefined || values.op === undefined) throw new UsageError('shards reduce needs TYPE and --op');
      return gathered(await request(c, 'POST', `${needGroup()}/reduce`, { type: a, payload: jsonArg('PAYLOAD_JSON', b, {}), op: values.op, path: values.path, ...gather }));
    case 'barrier':
      return gathered(await request(c, 'POST', `${needGroup()}/barrier`, { round: Number(jsonArg('ROUND', a, 0)), ...gather }));
    case 'scale':
      print(await request(c, 'POST', `${needGroup()}/scale`, { shards: count(values.shards, '--shards') }));
      return 0;
    default:
      throw new UsageError(`unknown shards operation ${shown(op)}\n\n${SHARDS_HELP}`);
  }
}
