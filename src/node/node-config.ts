import { readFileSync } from 'node:fs';
import { DEFAULT_PLACEMENT, patternOf, type SpacePlacementRules } from '../space/space-placement.js';
import { parse } from 'smol-toml';
import { UsageError, shown } from '../errors.js';
import type { AuthOptions } from '../server/auth.js';
import { quotasFromConfig, type TenantQuotaOptions } from './tenant-quotas.js';
import { DEFAULT_EXPORT_DELAY_MS, DEFAULT_SAMPLE_RATIO, DEFAULT_SERVICE_NAME, otlpEndpoint, tracingFromConfig, type TracingConfig } from '../tracing/tracing-config.js';

/**
 * A node's settings, from (lowest to highest precedence) built-in defaults,
 * a TOML file (`--config FILE` or PLEXSPACES_CONFIG), environment variables
 * and command-line flags. docs/node.md lists every key.
 */
export interface NodeConfig {
  /** `null`: everything in memory. */
  readonly dataDir: string | null;
  readonly host: string;
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly workers?: number;
  readonly auth: AuthOptions;
  readonly maxJsonBytes: number;
  readonly maxDeployBytes: number;
  /** Largest websocket message (`[limits] max_ws_message_bytes`, `--max-ws-message-bytes`); bigger closes the socket with 1009. */
  readonly maxWsMessageBytes: number;
  /** Spaces given their own series in /metrics (`[metrics] max_space_series`); the rest are summed. */
  readonly maxSpaceSeries: number;
  readonly logLevel: LogLevel;
  /** Per-tenant limits (`[quotas]`, snake_case keys); unset ones keep the defaults of src/node/tenant-quotas.ts. */
  readonly quotas: TenantQuotaOptions;
  /** This node's id (`[cluster] node_id`, `--node-id`); default: host name + a random suffix. */
  readonly nodeId?: string;
  /** Labels this node carries in the cluster's registry (`[cluster] labels`, `--label k=v`). */
  readonly labels: Readonly<Record<string, string>>;
  /** Several nodes as one platform on Redis (`[cluster] redis`, `--cluster URL`); null: a node alone. */
  readonly cluster: ClusterConfig | null;
  /** Which spaces a clustered node shares through Redis (`[cluster] spaces`, `node_spaces`, `shared_spaces`); default: all. */
  readonly spacePlacement: SpacePlacementRules;
  /** OpenTelemetry traces (`[tracing] otlp_endpoint`, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); null: off. docs/tracing.md. */
  readonly tracing: TracingConfig | null;
}

export interface ClusterConfig {
  /** One redis:// URL (a single server), or several (Redis Cluster seeds). */
  readonly redis: readonly string[];
  /** A node whose heartbeat is older than this is dead (`[cluster] heartbeat_ttl_ms`, default 5000). */
  readonly heartbeatTtlMs: number;
  /**
   * What nodes prove to each other before they exchange actor messages
   * (`[cluster] secret`, env PLEXSPACES_CLUSTER_SECRET; at least 16
   * characters). Without one, actors are each node's own: messages are not
   * forwarded between nodes (docs/cluster.md).
   */
  readonly secret?: string;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export const DEFAULTS: NodeConfig = {
  dataDir: './.plexspaces',
  host: '127.0.0.1',
  grpcPort: 8000,
  httpPort: 8001,
  auth: { enabled: false },
  maxJsonBytes: 1 << 20,
  maxDeployBytes: 64 << 20,
  maxWsMessageBytes: 1 << 20,
  maxSpaceSeries: 100,
  logLevel: 'info',
  quotas: {},
  labels: {},
  cluster: null,
  spacePlacement: DEFAULT_PLACEMENT,
  tracing: null,
};

const DEFAULT_HEARTBEAT_TTL_MS = 5_000;

/** The flags `start` takes that override the file and the environment. */
export interface ConfigFlags {
  readonly config?: string;
  readonly dataDir?: string;
  readonly memory?: boolean;
  readonly host?: string;
  readonly grpcPort?: string;
  readonly httpPort?: string;
  readonly workers?: string;
  readonly maxWsMessageBytes?: string;
  /** `--cluster URL`, repeatable. */
  readonly cluster?: readonly string[];
  readonly nodeId?: string;
  /** `--label k=v`, repeatable. */
  readonly labels?: readonly string[];
}

const FILE_KEYS = ['data_dir', 'memory', 'host', 'grpc_port', 'http_port', 'workers', 'log_level', 'auth', 'limits', 'metrics', 'quotas', 'cluster', 'tracing'];
const CLUSTER_KEYS = ['redis', 'node_id', 'labels', 'heartbeat_ttl_ms', 'spaces', 'node_spaces', 'shared_spaces', 'secret'];

/** A cluster secret: a string of at least 16 characters (shorter ones are guessable). */
function clusterSecret(where: string, value: unknown): string {
  if (typeof value !== 'string' || value.length < 16) throw new UsageError(`${where} must be a string of at least 16 characters (e.g. \`openssl rand -base64 24\`)`);
  return value;
}
const LABEL = /^[A-Za-z0-9_.\/-]{1,63}$/;
const AUTH_KEYS = ['enabled', 'algorithm', 'secret', 'secret_env', 'public_key_file', 'issuer', 'audience', 'operators'];
const LIMIT_KEYS = ['max_json_bytes', 'max_deploy_bytes', 'max_ws_message_bytes'];
// The floor is ws-endpoint.ts's MIN_WS_MAX_MESSAGE_BYTES: a request under it never makes the client ask for the limit.
const WS_MESSAGE_RANGE = [64 << 10, 1 << 30] as const;

function integer(name: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${name} must be an integer in ${min}..${max}, got ${shown(value)}`);
  return n;
}

function text(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`${name} must be a non-empty string, got ${shown(value)}`);
  return value;
}

function unknownKeys(where: string, table: Record<string, unknown>, known: string[]): void {
  const extra = Object.keys(table).filter((k) => !known.includes(k));
  if (extra.length > 0) throw new UsageError(`${where}: unknown key${extra.length > 1 ? 's' : ''} ${extra.join(', ')} (known: ${known.join(', ')})`);
}

function readFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new UsageError(`cannot read ${what} ${path}: ${(cause as Error).message}`);
  }
}

/** Merges defaults, the TOML file, `env` and `flags`; any bad value is a UsageError naming where it came from. */
export function loadNodeConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): NodeConfig {
  let config: { -readonly [K in keyof NodeConfig]: NodeConfig[K] } = { ...DEFAULTS, auth: { ...DEFAULTS.auth } };
  const file = flags.config ?? env.PLEXSPACES_CONFIG;
  if (file !== undefined) config = { ...config, ...fromToml(file, env) };

  if (env.PLEXSPACES_DATA_DIR) config.dataDir = env.PLEXSPACES_DATA_DIR;
  if (env.PLEXSPACES_HOST) config.host = env.PLEXSPACES_HOST;
  if (env.PLEXSPACES_GRPC_PORT) config.grpcPort = integer('PLEXSPACES_GRPC_PORT', env.PLEXSPACES_GRPC_PORT, 0, 65535);
  if (env.PLEXSPACES_HTTP_PORT) config.httpPort = integer('PLEXSPACES_HTTP_PORT', env.PLEXSPACES_HTTP_PORT, 0, 65535);
  if (env.PLEXSPACES_WORKERS) config.workers = integer('PLEXSPACES_WORKERS', env.PLEXSPACES_WORKERS, 1, 256);
  if (env.PLEXSPACES_LOG_LEVEL) config.logLevel = logLevel('PLEXSPACES_LOG_LEVEL', env.PLEXSPACES_LOG_LEVEL);
  if (env.PLEXSPACES_JWT_SECRET) config.auth = { ...config.auth, enabled: true, algorithm: 'HS256', secret: env.PLEXSPACES_JWT_SECRET };
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    const endpoint = otlpEndpoint('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
    config.tracing = { serviceName: DEFAULT_SERVICE_NAME, exportDelayMs: DEFAULT_EXPORT_DELAY_MS, sampleRatio: DEFAULT_SAMPLE_RATIO, ...config.tracing, otlpEndpoint: endpoint };
  }
  if (config.tracing?.otlpEndpoint === '') throw new UsageError(`${file}: [tracing] needs otlp_endpoint (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT): without it nothing is traced`);
  if (env.PLEXSPACES_JWT_PUBLIC_KEY_FILE) {
    config.auth = { ...config.auth, enabled: true, algorithm: 'RS256', publicKey: readFile(env.PLEXSPACES_JWT_PUBLIC_KEY_FILE, 'the public key') };
  }

  if (flags.dataDir !== undefined) config.dataDir = flags.dataDir;
  if (flags.memory) config.dataDir = null;
  if (flags.host !== undefined) config.host = text('--host', flags.host);
  if (flags.grpcPort !== undefined) config.grpcPort = integer('--grpc-port', flags.grpcPort, 0, 65535);
  if (flags.httpPort !== undefined) config.httpPort = integer('--http-port', flags.httpPort, 0, 65535);
  if (flags.workers !== undefined) config.workers = integer('--workers', flags.workers, 1, 256);
  if (flags.maxWsMessageBytes !== undefined) config.maxWsMessageBytes = integer('--max-ws-message-bytes', flags.maxWsMessageBytes, ...WS_MESSAGE_RANGE);
  if (env.PLEXSPACES_CLUSTER && flags.cluster === undefined) config.cluster = { ...config.cluster, heartbeatTtlMs: config.cluster?.heartbeatTtlMs ?? DEFAULT_HEARTBEAT_TTL_MS, redis: redisUrls('PLEXSPACES_CLUSTER', env.PLEXSPACES_CLUSTER.split(',')) };
  if (flags.cluster !== undefined && flags.cluster.length > 0) config.cluster = { ...config.cluster, heartbeatTtlMs: config.cluster?.heartbeatTtlMs ?? DEFAULT_HEARTBEAT_TTL_MS, redis: redisUrls('--cluster', flags.cluster) };
  if (env.PLEXSPACES_CLUSTER_SECRET) {
    if (config.cluster === null) throw new UsageError('PLEXSPACES_CLUSTER_SECRET needs a cluster (--cluster, PLEXSPACES_CLUSTER or [cluster] redis)');
    config.cluster = { ...config.cluster, secret: clusterSecret('PLEXSPACES_CLUSTER_SECRET', env.PLEXSPACES_CLUSTER_SECRET) };
  }
  if (flags.nodeId !== undefined) config.nodeId = text('--node-id', flags.nodeId);
  if (flags.labels !== undefined && flags.labels.length > 0) {
    const labels: Record<string, string> = { ...config.labels };
    for (const label of flags.labels) {
      const at = label.indexOf('=');
      if (at <= 0) throw new UsageError(`--label takes key=value, got ${shown(label)}`);
      labels[label.slice(0, at)] = label.slice(at + 1);
    }
    config.labels = checkLabels('--label', labels);
  }
  return config;
}

function redisUrls(where: string, urls: readonly unknown[]): string[] {
  if (urls.length === 0) throw new UsageError(`${where}: give at least one redis://host:port URL`);
  return urls.map((url) => {
    const value = typeof url === 'string' ? url.trim() : url;
    if (typeof value !== 'string' || !/^redis:\/\/[^\s]+$/.test(value)) throw new UsageError(`${where}: ${shown(url)} is not a redis://host:port URL`);
    return value;
  });
}

function checkLabels(where: string, labels: Record<string, unknown>): Record<string, string> {
  for (const [key, value] of Object.entries(labels)) {
    if (!LABEL.test(key)) throw new UsageError(`${where}: a label key must be 1–63 of A–Z a–z 0–9 _ . / -, got ${shown(key)}`);
    if (typeof value !== 'string' || value.length > 256) throw new UsageError(`${where}: label ${key} must be a string of at most 256 characters, got ${shown(value)}`);
  }
  return labels as Record<string, string>;
}

function logLevel(name: string, value: unknown): LogLevel {
  if (value === 'debug' || value === 'info' || value === 'warn' || value === 'error') return value;
  throw new UsageError(`${name} must be debug, info, warn or error, got ${shown(value)}`);
}

function fromToml(path: string, env: NodeJS.ProcessEnv): Partial<NodeConfig> {
  let table: Record<string, unknown>;
  try {
    table = parse(readFile(path, 'the config file')) as Record<string, unknown>;
  } catch (cause) {
    if (cause instanceof UsageError) throw cause;
    throw new UsageError(`${path} is not valid TOML: ${(cause as Error).message}`);
  }
  unknownKeys(path, table, FILE_KEYS);
  const out: { -readonly [K in keyof NodeConfig]?: NodeConfig[K] } = {};
  if (table.data_dir !== undefined) out.dataDir = text(`${path}: data_dir`, table.data_dir);
  if (table.memory === true) out.dataDir = null;
  if (table.host !== undefined) out.host = text(`${path}: host`, table.host);
  if (table.grpc_port !== undefined) out.grpcPort = integer(`${path}: grpc_port`, table.grpc_port, 0, 65535);
  if (table.http_port !== undefined) out.httpPort = integer(`${path}: http_port`, table.http_port, 0, 65535);
  if (table.workers !== undefined) out.workers = integer(`${path}: workers`, table.workers, 1, 256);
  if (table.log_level !== undefined) out.logLevel = logLevel(`${path}: log_level`, table.log_level);
  if (table.limits !== undefined) {
    const limits = table.limits as Record<string, unknown>;
    unknownKeys(`${path} [limits]`, limits, LIMIT_KEYS);
    if (limits.max_json_bytes !== undefined) out.maxJsonBytes = integer(`${path}: limits.max_json_bytes`, limits.max_json_bytes, 1024, 1 << 30);
    if (limits.max_deploy_bytes !== undefined) out.maxDeployBytes = integer(`${path}: limits.max_deploy_bytes`, limits.max_deploy_bytes, 1024, 1 << 30);
    if (limits.max_ws_message_bytes !== undefined) out.maxWsMessageBytes = integer(`${path}: limits.max_ws_message_bytes`, limits.max_ws_message_bytes, ...WS_MESSAGE_RANGE);
  }
  if (table.quotas !== undefined) out.quotas = quotasFromConfig(path, table.quotas as Record<string, unknown>);
  if (table.cluster !== undefined) {
    const cluster = table.cluster as Record<string, unknown>;
    unknownKeys(`${path} [cluster]`, cluster, CLUSTER_KEYS);
    if (cluster.node_id !== undefined) out.nodeId = text(`${path}: cluster.node_id`, cluster.node_id);
    if (cluster.labels !== undefined) {
      if (cluster.labels === null || typeof cluster.labels !== 'object' || Array.isArray(cluster.labels)) throw new UsageError(`${path}: cluster.labels must be a table of strings`);
      out.labels = checkLabels(`${path}: cluster.labels`, cluster.labels as Record<string, unknown>);
    }
    const ttl = cluster.heartbeat_ttl_ms === undefined ? DEFAULT_HEARTBEAT_TTL_MS : integer(`${path}: cluster.heartbeat_ttl_ms`, cluster.heartbeat_ttl_ms, 300, 600_000);
    if (cluster.redis !== undefined) {
      const urls = typeof cluster.redis === 'string' ? [cluster.redis] : cluster.redis;
      if (!Array.isArray(urls)) throw new UsageError(`${path}: cluster.redis must be a redis:// URL or a list of them`);
      out.cluster = {
        redis: redisUrls(`${path}: cluster.redis`, urls),
        heartbeatTtlMs: ttl,
        ...(cluster.secret === undefined ? {} : { secret: clusterSecret(`${path}: cluster.secret`, cluster.secret) }),
      };
    } else if (cluster.secret !== undefined) {
      throw new UsageError(`${path}: cluster.secret needs cluster.redis (the nodes' Redis)`);
    } else if (cluster.heartbeat_ttl_ms !== undefined) {
      throw new UsageError(`${path}: cluster.heartbeat_ttl_ms needs cluster.redis (the nodes' Redis)`);
    }
    if (cluster.spaces !== undefined || cluster.node_spaces !== undefined || cluster.shared_spaces !== undefined) {
      if (cluster.spaces !== undefined && cluster.spaces !== 'shared' && cluster.spaces !== 'node') throw new UsageError(`${path}: cluster.spaces must be "shared" or "node"`);
      const rules: SpacePlacementRules = {
        default: (cluster.spaces as 'shared' | 'node' | undefined) ?? 'shared',
        node: cluster.node_spaces === undefined ? [] : stringList(`${path}: cluster.node_spaces`, cluster.node_spaces),
        shared: cluster.shared_spaces === undefined ? [] : stringList(`${path}: cluster.shared_spaces`, cluster.shared_spaces),
      };
      for (const pattern of [...rules.node, ...rules.shared]) {
        try {
          patternOf(pattern);
        } catch (error) {
          throw new UsageError(`${path}: ${(error as Error).message}`);
        }
      }
      out.spacePlacement = rules;
    }
  }
  if (table.tracing !== undefined) {
    if (table.tracing === null || typeof table.tracing !== 'object' || Array.isArray(table.tracing)) throw new UsageError(`${path}: tracing must be a table ([tracing])`);
    out.tracing = tracingFromConfig(path, table.tracing as Record<string, unknown>);
  }
  if (table.metrics !== undefined) {
    const metrics = table.metrics as Record<string, unknown>;
    unknownKeys(`${path} [metrics]`, metrics, ['max_space_series']);
    if (metrics.max_space_series !== undefined) out.maxSpaceSeries = integer(`${path}: metrics.max_space_series`, metrics.max_space_series, 0, 10_000);
  }
  if (table.auth !== undefined) {
    const auth = table.auth as Record<string, unknown>;
    unknownKeys(`${path} [auth]`, auth, AUTH_KEYS);
    const algorithm = auth.algorithm ?? 'HS256';
    if (algorithm !== 'HS256' && algorithm !== 'RS256') throw new UsageError(`${path}: auth.algorithm must be HS256 or RS256`);
    // Secrets do not belong in files that get committed: secret_env names the variable that holds it.
    const secret = auth.secret_env !== undefined ? env[text(`${path}: auth.secret_env`, auth.secret_env)] : (auth.secret as string | undefined);
    if (auth.secret_env !== undefined && secret === undefined) throw new UsageError(`${path}: auth.secret_env names ${String(auth.secret_env)}, which is not set`);
    out.auth = {
      enabled: auth.enabled !== false,
      algorithm,
      secret,
      publicKey: auth.public_key_file !== undefined ? readFile(text(`${path}: auth.public_key_file`, auth.public_key_file), 'the public key') : undefined,
      issuer: auth.issuer as string | undefined,
      audience: auth.audience as string | undefined,
      operators: auth.operators === undefined ? undefined : stringList(`${path}: auth.operators`, auth.operators),
    };
  }
  return out;
}

/** A TOML array of non-empty strings. */
function stringList(what: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) throw new UsageError(`${what} must be a list of non-empty strings`);
  return value as string[];
}
