import { DEFAULT_DATA_DIR, PlexNode } from '../node/plex-node.js';
import { parseCommandArgs } from './parse.js';

const HELP = `usage: plexspaces start [options]

Starts a node on embedded defaults: named tuple spaces in memory, made
durable in SQLite under the data directory. Stops cleanly on SIGINT/SIGTERM
(pending operations are rejected, durable state is flushed).

options:
  --data-dir DIR   durable state (default ${DEFAULT_DATA_DIR}, env PLEXSPACES_DATA_DIR)
  --memory         keep everything in memory (no SQLite file)
  -h, --help       this text
`;

export async function startCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs({
    args,
    options: {
      'data-dir': { type: 'string' },
      memory: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const dataDir = values.memory ? null : (values['data-dir'] ?? process.env.PLEXSPACES_DATA_DIR ?? DEFAULT_DATA_DIR);
  const node = new PlexNode({ dataDir });
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
  // Keep the event loop alive until a signal arrives.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  await stopped;
  clearInterval(keepAlive);
  await node.stop();
  process.stdout.write('stopped; durable state flushed\n');
  return 0;
}

function countStoredSpaces(node: PlexNode): number {
  // Every tenant's spaces: the registry lists per tenant, so count the file's names.
  return node.spaces.storedSpaceCount();
}
