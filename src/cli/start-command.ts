import { UsageError } from '../errors.js';
import { DEFAULT_DATA_DIR, PlexNode } from '../node/plex-node.js';
import { DEFAULT_GRPC_PORT, DEFAULT_HTTP_PORT, NodeServer, type Endpoints } from '../server/node-server.js';
import { parseCommandArgs } from './parse.js';

const HELP = `usage: plexspaces start [options]

Starts a node on embedded defaults: named tuple spaces in memory, made
durable in SQLite under the data directory, the actor runtime, and the HTTP
gateway with the websocket at /ws. Prints one line per endpoint when ready.
Stops cleanly on SIGINT/SIGTERM: stops accepting, cancels blocking remote
operations, flushes durable state.

options:
  --data-dir DIR     durable state (default ${DEFAULT_DATA_DIR}, env PLEXSPACES_DATA_DIR)
  --memory           keep everything in memory (no SQLite file)
  --grpc-port N      gRPC port (default ${DEFAULT_GRPC_PORT}, env PLEXSPACES_GRPC_PORT; 0 picks a free one)
  --http-port N      HTTP + websocket port (default ${DEFAULT_HTTP_PORT}, env PLEXSPACES_HTTP_PORT; 0 picks a free one)
  --host ADDR        interface to listen on (default 127.0.0.1, env PLEXSPACES_HOST)
  --workers N        actor worker threads (default: the machine's cores)
  -h, --help         this text
`;

function portOf(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const port = Number(text);
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) throw new UsageError(`--${flag} must be an integer in 0..65535, got ${JSON.stringify(text)}`);
  return port;
}

export async function startCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs({
    args,
    options: {
      'data-dir': { type: 'string' },
      memory: { type: 'boolean' },
      'http-port': { type: 'string' },
      'grpc-port': { type: 'string' },
      host: { type: 'string' },
      workers: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const dataDir = values.memory ? null : (values['data-dir'] ?? process.env.PLEXSPACES_DATA_DIR ?? DEFAULT_DATA_DIR);
  const httpPort = portOf('http-port', values['http-port'] ?? process.env.PLEXSPACES_HTTP_PORT, DEFAULT_HTTP_PORT);
  const grpcPort = portOf('grpc-port', values['grpc-port'] ?? process.env.PLEXSPACES_GRPC_PORT, DEFAULT_GRPC_PORT);
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  if (workers !== undefined && (!Number.isSafeInteger(workers) || workers < 1 || workers > 256)) throw new UsageError(`--workers must be an integer in 1..256, got ${values.workers}`);
  const node = new PlexNode({ dataDir, workers });
  const server = new NodeServer(node, { httpPort, grpcPort, host: values.host ?? process.env.PLEXSPACES_HOST });
  let endpoints: Endpoints;
  try {
    endpoints = await server.listen();
  } catch (error) {
    await node.stop();
    throw new UsageError(`cannot listen (gRPC port ${grpcPort}, HTTP port ${httpPort}): ${(error as Error).message}`);
  }
  const stored = dataDir === null ? 0 : countStoredSpaces(node);
  // Handlers first: a supervisor may signal as soon as it reads "ready".
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stdout.write(`received ${signal}, stopping…\n`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  process.stdout.write(`plexspaces node ready (pid ${process.pid})\n`);
  process.stdout.write(
    node.dataDir === null
      ? 'spaces: in memory only (--memory)\n'
      : `spaces: durable in ${node.dataDir}/spaces.sqlite (${stored} stored)\n`,
  );
  process.stdout.write(`grpc: ${endpoints.grpc}\n`);
  process.stdout.write(`http: ${endpoints.http}\n`);
  process.stdout.write(`websocket: ${endpoints.ws}\n`);
  // Keep the event loop alive until a signal arrives.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  await stopped;
  clearInterval(keepAlive);
  await server.close();
  await node.stop();
  process.stdout.write('stopped; durable state flushed\n');
  return 0;
}

function countStoredSpaces(node: PlexNode): number {
  // Every tenant's spaces: the registry lists per tenant, so count the file's names.
  return node.spaces.storedSpaceCount();
}
