import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { BackendUnavailableError, InvalidArgumentError, PlexError, shown } from '../errors.js';

/**
 * The node's connection to the cluster backend: one redis-server
 * (`redis://host:port`) or a Redis Cluster (several seed URLs). ioredis
 * (docs/cluster.md says why) handles Cluster slots and redirections,
 * loads Lua scripts once and runs them by EVALSHA, and pipelines.
 *
 * Fail fast, reconnect forever: commands issued while the backend is down
 * are refused at once (no offline queue) and a command that gets no answer
 * within `commandTimeoutMs` fails, both as `BackendUnavailableError`; the
 * client keeps reconnecting in the background.
 */
export type RedisClient = Redis | Cluster;

export interface RedisConnectOptions {
  /** How long a command may wait for its reply before it fails (default 5 s). Blocking commands use their own connection. */
  commandTimeoutMs?: number;
  /** A name for the connection (CLIENT SETNAME), shown by CLIENT LIST: `plex:<node id>:<role>`. */
  connectionName?: string;
}

export function parseRedisUrls(urls: readonly string[]): { host: string; port: number; password?: string; username?: string; db?: number }[] {
  if (urls.length === 0) throw new InvalidArgumentError('the cluster needs at least one Redis URL (redis://host:port)');
  return urls.map((text) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new InvalidArgumentError(`not a Redis URL: ${shown(text)} (expected redis://host:port)`);
    }
    if (url.protocol !== 'redis:') throw new InvalidArgumentError(`a Redis URL must start with redis:// (rediss:// is not supported yet), got ${shown(text)}`);
    const port = url.port === '' ? 6379 : Number(url.port);
    const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined;
    if (db !== undefined && !Number.isSafeInteger(db)) throw new InvalidArgumentError(`the database of a Redis URL must be a number, got ${shown(text)}`);
    return {
      host: url.hostname,
      port,
      ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
      ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
      ...(db === undefined ? {} : { db }),
    };
  });
}

/**
 * Connects and resolves once the backend answers (a Cluster: once its slots
 * are known). One URL is a single server unless `cluster` is set; several
 * URLs are Cluster seeds.
 */
export async function connectRedis(urls: readonly string[], options: RedisConnectOptions & { cluster?: boolean } = {}): Promise<RedisClient> {
  const seeds = parseRedisUrls(urls);
  const base: RedisOptions = {
    enableOfflineQueue: false,
    // Commands issued in one event-loop turn go to the socket as one write
    // (and Redis reads them in one read): at 64 operations in flight this
    // is most of the client's and a good part of the server's CPU. Caveat
    // of ioredis 6.0.0: \`callBuffer\` loses its command name under
    // auto-pipelining — send such calls as \`sendCommand(new Command(…,
    // { replyEncoding: null }))\`. Blocking commands need a connection of
    // their own anyway (they would hold up the pipeline).
    enableAutoPipelining: true,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 5_000,
    connectionName: options.connectionName,
    // Reconnect forever, backing off to 1 s: the node keeps serving its local spaces meanwhile.
    retryStrategy: (attempt) => Math.min(50 * attempt, 1_000),
    lazyConnect: true,
  };
  const cluster = options.cluster ?? seeds.length > 1;
  const client: RedisClient = cluster
    ? new Cluster(
        seeds.map(({ host, port }) => ({ host, port })),
        {
          enableOfflineQueue: false,
          enableAutoPipelining: true,
          lazyConnect: true,
          scaleReads: 'master',
          clusterRetryStrategy: (attempt) => Math.min(100 * attempt, 2_000),
          redisOptions: { ...base, password: seeds[0].password, username: seeds[0].username },
        } satisfies ClusterOptions,
      )
    : new Redis({ ...base, ...seeds[0] });
  // Errors are reported by the commands that hit them; an unhandled 'error' event would kill the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (cause) {
    client.disconnect();
    throw new BackendUnavailableError(`cannot reach Redis at ${urls.join(', ')}: ${(cause as Error).message}`, { cause });
  }
  return client;
}

/**
 * Runs a backend call and turns connection failures (refused while
 * disconnected, timed out, connection lost mid-command) into
 * `BackendUnavailableError`; other errors — a script's own refusal, our
 * typed errors — pass through.
 */
export async function onBackend<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof PlexError) throw error;
    if (isConnectionFailure(error)) throw new BackendUnavailableError(`${what}: the cluster backend (Redis) is unavailable: ${(error as Error).message}`, { cause: error });
    throw error;
  }
}

function isConnectionFailure(error: unknown): boolean {
  const message = (error as Error | undefined)?.message ?? '';
  return /enableOfflineQueue|Connection is closed|Command timed out|ECONNREFUSED|ECONNRESET|EPIPE|Stream isn't writeable|MaxRetriesPerRequest|ClusterAllFailedError|Failed to refresh slots cache|CLUSTERDOWN|LOADING|TRYAGAIN/i.test(message) || (error as { name?: string }).name === 'ClusterAllFailedError';
}
