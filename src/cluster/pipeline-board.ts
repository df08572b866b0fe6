import type { Scope } from '../coord/scope.js';
import { mergeNodeFigures, STALE_MS, type ClusterPipelineFigures, type NodePipelineFigures } from '../pipeline/cluster-figures.js';
import type { PipelineFigures } from '../pipeline/pipeline.js';
import { onBackend, type RedisClient } from './redis-client.js';
import { LUA_NOW_MS, scopePrefix } from './redis-coordination/scope-keys.js';

/** How often a node publishes the figures of its pipelines on shared spaces. */
export const PUBLISH_INTERVAL_MS = 1000;
/** A node's figures nobody refreshed for this long are forgotten (the key itself expires as long after the last publish). */
export const FORGET_MS = 10 * 60_000;

/** A pipeline this node runs on a shared space, as the board publishes it. */
export interface PublishedPipeline {
  readonly scope: Scope;
  readonly figures: PipelineFigures;
}

/**
 * `{plex:<tenant>/<ns>}:pl:<name>`: hash node id → "<published at, ms of Redis's clock>\n<figures JSON>".
 * One key per pipeline (one slot in a Redis Cluster), one field per node.
 */
export function pipelineFiguresKey(scope: Scope, name: string): string {
  return `${scopePrefix(scope)}:pl:${name}`;
}

const PUBLISH = `${LUA_NOW_MS}
redis.call('HSET', KEYS[1], ARGV[1], now .. '\\n' .. ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return now`;

// Returns Redis's clock then the fields; forgets fields older than ARGV[1] ms (a node that is long gone).
const READ = `${LUA_NOW_MS}
local all = redis.call('HGETALL', KEYS[1])
local out = { tostring(now) }
for i = 1, #all, 2 do
  local at = tonumber(string.match(all[i + 1], '^(%d+)'))
  if at ~= nil and now - at > tonumber(ARGV[1]) then redis.call('HDEL', KEYS[1], all[i])
  else out[#out + 1] = all[i]; out[#out + 1] = all[i + 1] end
end
return out`;

type Scripted = RedisClient & {
  plexPipelinePublish(key: string, node: string, json: string, ttlMs: number): Promise<number>;
  plexPipelineRead(key: string, forgetMs: number): Promise<string[]>;
};

/**
 * The cluster's live pipeline figures (docs/pipelines.md, "Across nodes").
 * Every node running a pipeline on a shared space publishes its figures
 * once a second into one Redis hash per pipeline; any node — one that runs
 * it or not — reads the hash and merges the nodes' figures, so the figures
 * of a pipeline spread over the cluster are one read away from every
 * surface. A node that dies stops refreshing: its figures turn stale after
 * STALE_MS and only its totals still count.
 */
export class PipelineBoard {
  private readonly redis: Scripted;
  private timer: NodeJS.Timeout | undefined;
  private publishing: Promise<void> | undefined;
  /** Keys this node published on its last round: one it no longer runs loses its field. */
  private published = new Set<string>();
  /** The last publish failure (Redis down): the next round tries again. */
  lastError: Error | undefined;

  constructor(
    client: RedisClient,
    private readonly nodeId: string,
    private readonly source: () => readonly PublishedPipeline[],
  ) {
    this.redis = client as Scripted;
    if (typeof this.redis.plexPipelinePublish !== 'function') {
      client.defineCommand('plexPipelinePublish', { numberOfKeys: 1, lua: PUBLISH });
      client.defineCommand('plexPipelineRead', { numberOfKeys: 1, lua: READ });
    }
  }

  /** Publishes every PUBLISH_INTERVAL_MS until close(). */
  start(): void {
    this.timer ??= setInterval(() => void this.publishNow(), PUBLISH_INTERVAL_MS);
    this.timer.unref();
  }

  /** One round (skipped while the previous one still runs): this node's shared pipelines' figures, and fields removed for those it dropped. */
  publishNow(): Promise<void> {
    this.publishing ??= this.round().finally(() => (this.publishing = undefined));
    return this.publishing;
  }

  private async round(): Promise<void> {
    const now = new Set<string>();
    try {
      await Promise.all(
        this.source().map(({ scope, figures }) => {
          const key = pipelineFiguresKey(scope, figures.name);
          now.add(key);
          return this.redis.plexPipelinePublish(key, this.nodeId, JSON.stringify(figures), FORGET_MS);
        }),
      );
      await Promise.all([...this.published].filter((key) => !now.has(key)).map((key) => this.redis.hdel(key, this.nodeId)));
      this.published = now;
      this.lastError = undefined;
    } catch (error) {
      // Keep what may still be published, so a later round removes it.
      for (const key of now) this.published.add(key);
      this.lastError = error as Error;
    }
  }

  /**
   * The pipeline `name` of `scope` across the cluster, or undefined when no
   * node publishes it. `local` (this node's own figures, when it runs it)
   * replaces what this node last published: it is fresher.
   */
  async read(scope: Scope, name: string, local?: PipelineFigures): Promise<ClusterPipelineFigures | undefined> {
    const reply = await onBackend('read the cluster’s pipeline figures', () => this.redis.plexPipelineRead(pipelineFiguresKey(scope, name), FORGET_MS));
    const redisNow = Number(reply[0]);
    const entries: NodePipelineFigures[] = [];
    for (let i = 1; i + 1 < reply.length; i += 2) {
      const node = reply[i];
      if (node === this.nodeId && local !== undefined) continue;
      const newline = reply[i + 1].indexOf('\n');
      const at = Number(reply[i + 1].slice(0, newline));
      let figures: PipelineFigures;
      try {
        figures = JSON.parse(reply[i + 1].slice(newline + 1)) as PipelineFigures;
      } catch {
        continue; // not ours to show: a field no node of this version wrote
      }
      entries.push({ node, at: new Date(at).toISOString(), stale: redisNow - at > STALE_MS, figures });
    }
    if (local !== undefined) entries.push({ node: this.nodeId, at: new Date().toISOString(), stale: false, figures: local });
    return entries.length === 0 ? undefined : mergeNodeFigures(name, entries);
  }

  /**
   * Stops publishing after one last round: the final figures of the
   * pipelines this node stopped stay (stale after STALE_MS), so the work it
   * did still counts in the totals; a pipeline removed first has no field left.
   */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.publishing;
    await this.publishNow();
  }
}
