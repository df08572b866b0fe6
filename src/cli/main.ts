#!/usr/bin/env node
import { PlexError, UsageError } from '../errors.js';

type Command = (args: string[]) => Promise<number>;

/**
 * A command's module loads only when that command runs: `start` pulls in the whole node (workers,
 * SQLite, gRPC, Redis), which a `ts take` or an `ask` against a remote node never needs — loading
 * it all made every CLI run take seconds.
 */
const lazy =
  (load: () => Promise<Command>): Command =>
  async (args) =>
    (await load())(args);

/**
 * `plexspaces <command>`. Exit codes: 0 success, 1 failure, 2 wrong usage.
 */
const COMMANDS: Record<string, { summary: string; run: Command }> = {
  start: { summary: 'start a node on embedded defaults (in-memory + SQLite)', run: lazy(async () => (await import('./start-command.js')).startCommand) },
  bench: { summary: 'run a benchmark suite and write results to native-bench/results/', run: lazy(async () => (await import('./bench-command.js')).benchCommand) },
  sweep: { summary: 'run your kernel over a grid of parameters: warm-up, repetitions, your check per run; JSON, CSV, SVG', run: lazy(async () => (await import('./sweep-command.js')).sweepCommand) },
  build: { summary: 'build a TypeScript SDK actor into a WebAssembly component', run: lazy(async () => (await import('./build-command.js')).buildCommand) },
  run: { summary: 'run a parallel workload: matmul or nbody (progress on stderr, --json)', run: lazy(async () => (await import('./run-command.js')).runCommand) },
  deploy: { summary: 'deploy a .wasm actor to a running node', run: lazy(async () => (await import('./remote-commands.js')).deployCommand) },
  ask: { summary: 'send a message to an actor on a node and print its reply', run: lazy(async () => (await import('./remote-commands.js')).messageCommand('ask')) },
  tell: { summary: 'send a message to an actor on a node', run: lazy(async () => (await import('./remote-commands.js')).messageCommand('tell')) },
  ts: { summary: 'tuple-space operations on a node: write, read, take, count, read-all, take-all, watch', run: lazy(async () => (await import('./remote-commands.js')).tsCommand) },
  actors: { summary: 'list the actors of a namespace, and with --where the node each runs on', run: lazy(async () => (await import('./actors-command.js')).actorsCommand) },
  drain: { summary: 'move a node\'s durable actors to the other nodes of its cluster before a planned stop', run: lazy(async () => (await import('./drain-command.js')).drainCommand) },
  nodes: { summary: "list the nodes of the platform (the cluster's live members, or the node alone)", run: lazy(async () => (await import('./nodes-command.js')).nodesCommand) },
  shards: { summary: 'shard groups on a node: list, create, delete, bulk-update, scatter-gather, reduce, barrier, scale', run: lazy(async () => (await import('./remote-commands.js')).shardsCommand) },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return `usage: plexspaces <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun "plexspaces <command> --help" for a command's options.\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) throw new UsageError(`unknown command "${name}"\n\n${usage()}`);
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`plexspaces: ${error.message}\n`);
      process.exitCode = 2;
    } else if (error instanceof PlexError) {
      process.stderr.write(`plexspaces: ${error.code}: ${error.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`plexspaces: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    }
  },
);
