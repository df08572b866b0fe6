import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A redis-server process of our own on loopback: what the tests and
 * `plexspaces bench cluster` run against (Debian's `redis-server`; the node
 * itself never starts Redis — a user points it at theirs).
 */
export interface RedisProcess {
  readonly port: number;
  readonly url: string;
  /** The server's working directory (its AOF lives here). */
  readonly dir: string;
  readonly child: ChildProcess;
  /** SIGKILL: what an acknowledged write must survive (with AOF `always`; `everysec` loses up to a second). */
  kill9(): Promise<void>;
  /** Starts it again on the same port and directory (it reloads its AOF). */
  restart(): Promise<RedisProcess>;
  /** Stops it (SIGKILL) and removes its directory. */
  stop(): Promise<void>;
}

export interface RedisProcessOptions {
  /** `appendfsync` of the AOF: `always` fsyncs every write, `everysec` once a second (default), `no` keeps no AOF. */
  appendfsync?: 'always' | 'everysec' | 'no';
  /** Cluster mode (a Redis Cluster member; see startRedisCluster). */
  cluster?: boolean;
  port?: number;
  dir?: string;
}

/** A free TCP port on loopback (the kernel's pick; released before the server binds it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether Debian's redis-server is installed (scripts/test-prerequisites.mjs installs it). */
export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

export async function startRedisServer(options: RedisProcessOptions = {}): Promise<RedisProcess> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'plex-redis-'));
  const fsync = options.appendfsync ?? 'everysec';
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--protected-mode', 'yes', '--daemonize', 'no'];
  args.push(...(fsync === 'no' ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', fsync]));
  if (options.cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000');
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const fail = (why: string) => reject(new Error(`redis-server on port ${port} did not start (${why}):\n${out}`));
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code) => fail(`exited with ${code}`));
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        child.removeAllListeners('exit');
        child.removeAllListeners('error');
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  });
  const exited = () => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
  const self: RedisProcess = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    child,
    async kill9() {
      child.kill('SIGKILL');
      await exited();
    },
    restart: () => startRedisServer({ ...options, port, dir }),
    async stop() {
      child.kill('SIGKILL');
      await exited();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return self;
}

export interface RedisClusterProcess {
  readonly members: readonly RedisProcess[];
  /** Seed URLs, one per master. */
  readonly urls: readonly string[];
  stop(): Promise<void>;
}

/** A Redis Cluster of `masters` masters and no replicas on loopback, slots spread by `redis-cli --cluster create`. */
export async function startRedisCluster(masters = 3, options: Omit<RedisProcessOptions, 'cluster' | 'port' | 'dir'> = {}): Promise<RedisClusterProcess> {
  const members = await Promise.all(Array.from({ length: masters }, () => startRedisServer({ ...options, cluster: true })));
  const create = spawnSync('redis-cli', ['--cluster', 'create', ...members.map((m) => `127.0.0.1:${m.port}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
  if (create.status !== 0) {
    await Promise.all(members.map((m) => m.stop()));
    throw new Error(`redis-cli --cluster create failed:\n${create.stdout}\n${create.stderr}`);
  }
  // Every member must agree the cluster is up before clients are pointed at it.
  for (const member of members) {
    for (let i = 0; ; i++) {
      const info = spawnSync('redis-cli', ['-p', String(member.port), 'cluster', 'info'], { encoding: 'utf8' }).stdout;
      if (/cluster_state:ok/.test(info)) break;
      if (i > 200) throw new Error(`Redis Cluster member ${member.port} never reached cluster_state:ok:\n${info}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    members,
    urls: members.map((m) => m.url),
    stop: async () => {
      await Promise.all(members.map((m) => m.stop()));
    },
  };
}
