import { createHash } from 'node:crypto';
import type { ClusterTrees } from './cluster-trees.js';
import { Cluster } from 'ioredis';
import { Packr } from 'msgpackr';
import type { ApplicationInfo, ApplicationRegistry } from '../node/application-registry.js';
import type { Logger } from '../node/logger.js';
import { onBackend, type RedisClient } from './redis-client.js';

/**
 * Module applications deployed once for the whole cluster: a deploy on any
 * node is kept in Redis and every node installs it — at once when it hears
 * of it, when it starts, and before it answers that an actor has no
 * application (a node that has not heard yet reads Redis first).
 *
 *   plex:apps:tenants        set of tenants with applications
 *   plex:apps:{<tenant>}     hash application id → msgpack [rev, name, version, durable, wasm, placement]
 *   channel plex:apps        msgpack [origin node, tenant, application id, rev | '' (undeployed)]
 *
 * `rev` is a hash of what was deployed, so a node that deploys the same
 * bytes again (or restores them from its own disk) changes nothing
 * elsewhere. Only module applications are shared: their actors are
 * activated by id, one node each through the actor directory. A bundle
 * starts its supervision tree on the node it is deployed to, so bundles
 * stay each node's own until trees are placed over the nodes (issue 16).
 */
const TENANTS = 'plex:apps:tenants';
const CHANNEL = 'plex:apps';
const packr = new Packr({ useRecords: false });

// `placement` is absent in entries written before placement existed: those place nothing.
/** A bundle's part of its entry: what the other nodes install it from (its tree runs on the node that deployed it). */
interface StoredBundle {
  readonly namespace: string;
  readonly manifest: string;
  readonly files: Record<string, Uint8Array>;
}

type Stored = [rev: string, name: string, version: string, durable: boolean, wasm: Uint8Array | null, placement?: unknown, bundle?: StoredBundle | null];

function appsKey(tenant: string): string {
  return `plex:apps:{${encodeURIComponent(tenant)}}`;
}

function revOf(info: Pick<ApplicationInfo, 'name' | 'version' | 'durable' | 'placement'>, wasm: Uint8Array): string {
  const placement = info.placement === undefined ? '' : JSON.stringify(info.placement);
  return createHash('sha256').update(`${info.name}\n${info.version}\n${info.durable}\n${placement}\n`).update(wasm).digest('base64url').slice(0, 22);
}

/** A bundle's revision: its info's and every file's (in name order) — the same on every node for the same deploy. */
function bundleRev(info: Pick<ApplicationInfo, 'name' | 'version' | 'durable' | 'placement'>, manifest: string, files: ReadonlyMap<string, Uint8Array>): string {
  const hash = createHash('sha256').update(manifest);
  for (const [file, bytes] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) hash.update(`\n${file}\n`).update(bytes);
  return revOf(info, hash.digest());
}

export class ClusterApplications {
  private trees: ClusterTrees | undefined;
  /** tenant\napplication id → the rev installed here, as the cluster has it. */
  private readonly revs = new Map<string, string>();
  /** Keys this node is writing to the cluster right now: syncs leave them alone. */
  private readonly publishing = new Set<string>();
  private readonly syncing = new Map<string, { again: boolean; done: Promise<number> }>();
  private subscriber: RedisClient | undefined;

  private constructor(
    private readonly client: RedisClient,
    private readonly registry: ApplicationRegistry,
    private readonly self: string,
    private readonly log: Logger,
  ) {}

  /** Subscribes to the cluster's deploys, then installs every application the cluster has. */
  static async start(client: RedisClient, registry: ApplicationRegistry, self: string, log: Logger): Promise<ClusterApplications> {
    const apps = new ClusterApplications(client, registry, self, log);
    const subscriber: RedisClient = client instanceof Cluster ? client.duplicate() : client.duplicate();
    subscriber.on('error', () => undefined);
    subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => apps.heard(message));
    if (subscriber.status === 'wait') await subscriber.connect();
    await subscriber.subscribe(CHANNEL);
    apps.subscriber = subscriber;
    const tenants = await onBackend('list the cluster’s applications', () => client.smembers(TENANTS));
    for (const tenant of tenants) await apps.sync(tenant);
    return apps;
  }

  /** The live node (not this one) that runs the bundle's tree, if any (ClusterTrees.runsElsewhere). */
  treeRunsElsewhere(tenant: string, applicationId: string): Promise<string | undefined> {
    return this.trees?.runsElsewhere(tenant, applicationId) ?? Promise.resolve(undefined);
  }

  /** After a bundle deploy on this node: the other nodes install its modules and virtual kinds (its tree runs here). */
  async publishedBundle(info: ApplicationInfo): Promise<void> {
    // What the registry deployed it from (the files its manifest names): what a restart restores, so the same revision.
    const source = this.registry.bundleSource(info.tenant, info.applicationId);
    if (info.kind !== 'bundle' || source === undefined) return;
    const { manifest, files } = source;
    const rev = bundleRev(info, manifest, files);
    await this.publish(info, [rev, info.name, info.version, info.durable, null, null, { namespace: info.namespace ?? 'default', manifest, files: Object.fromEntries(files) }]);
    // Its tree runs here now (unless a live node runs it already: src/cluster/cluster-trees.ts).
    await this.trees?.deployed(info.tenant, info.applicationId);
  }

  /** Where bundles' trees run (set once the node's links exist). */
  treesThrough(trees: ClusterTrees): void {
    this.trees = trees;
  }

  /** After a module deploy on this node: the cluster's copy, and a word to the other nodes. */
  async published(info: ApplicationInfo, wasm: Uint8Array): Promise<void> {
    if (info.kind !== 'module') return;
    await this.publish(info, [revOf(info, wasm), info.name, info.version, info.durable, wasm, info.placement ?? null]);
  }

  private async publish(info: ApplicationInfo, stored: Stored): Promise<void> {
    const key = `${info.tenant}\n${info.applicationId}`;
    const rev = stored[0];
    this.publishing.add(key);
    try {
      await onBackend('share the application with the cluster', async () => {
        await this.client.hset(appsKey(info.tenant), info.applicationId, packr.pack(stored));
        await this.client.sadd(TENANTS, info.tenant);
        await this.client.publish(CHANNEL, packr.pack([this.self, info.tenant, info.applicationId, rev]));
      });
      this.revs.set(key, rev);
    } finally {
      this.publishing.delete(key);
    }
  }

  /** After an undeploy on this node: gone from the cluster too (and its tree's entry, if this node ran it). */
  async undeployed(tenant: string, applicationId: string): Promise<void> {
    await this.trees?.release(tenant, applicationId).catch(() => undefined);
    const key = `${tenant}\n${applicationId}`;
    this.publishing.add(key);
    try {
      await onBackend('undeploy the application cluster-wide', async () => {
        await this.client.hdel(appsKey(tenant), applicationId);
        await this.client.publish(CHANNEL, packr.pack([this.self, tenant, applicationId, '']));
      });
      this.revs.delete(key);
    } finally {
      this.publishing.delete(key);
    }
  }

  /**
   * Makes this node's applications of a tenant what the cluster has: installs
   * what is missing or in another version, undeploys what the cluster no
   * longer has (of what came from it). State, not events, decides, so a
   * deploy and an undeploy heard while an install was under way still end
   * right. One sync per tenant at a time; one asked meanwhile runs after it.
   * Resolves with how many applications changed.
   */
  sync(tenant: string): Promise<number> {
    const running = this.syncing.get(tenant);
    if (running !== undefined) {
      running.again = true;
      return running.done;
    }
    const entry = { again: false, done: Promise.resolve(0) };
    entry.done = (async () => {
      let changed = 0;
      do {
        entry.again = false;
        changed += await this.syncNow(tenant);
      } while (entry.again);
      return changed;
    })().finally(() => this.syncing.delete(tenant));
    this.syncing.set(tenant, entry);
    return entry.done;
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
  }

  private async syncNow(tenant: string): Promise<number> {
    const all = await onBackend('read the cluster’s applications', () => this.client.hgetallBuffer(appsKey(tenant)));
    let changed = 0;
    for (const [applicationId, raw] of Object.entries(all)) {
      if (this.publishing.has(`${tenant}\n${applicationId}`)) continue;
      if (await this.install(tenant, applicationId, packr.unpack(raw) as Stored)) changed++;
    }
    for (const key of [...this.revs.keys()]) {
      const [owner, applicationId] = key.split('\n');
      if (owner !== tenant || applicationId in all || this.publishing.has(key)) continue;
      this.revs.delete(key);
      await this.registry.undeploy(tenant, applicationId).then(
        () => this.log.info('application undeployed cluster-wide', { tenant, application: applicationId }),
        (error: unknown) => this.log.warn('cannot undeploy an application the cluster undeployed', { tenant, application: applicationId, error: (error as Error).message }),
      );
      changed++;
    }
    return changed;
  }

  private heard(message: Buffer): void {
    let origin: unknown, tenant: unknown;
    try {
      [origin, tenant] = packr.unpack(message) as unknown[];
    } catch {
      return;
    }
    if (origin === this.self || typeof tenant !== 'string') return;
    this.sync(tenant).catch((error: unknown) => this.log.warn('cannot bring this node’s applications in line with the cluster’s', { tenant, error: (error as Error).message }));
  }

  private async install(tenant: string, applicationId: string, [rev, name, version, durable, wasm, placement, bundle]: Stored): Promise<boolean> {
    const key = `${tenant}\n${applicationId}`;
    if (this.revs.get(key) === rev) return false;
    try {
      if (bundle !== undefined && bundle !== null) {
        const files = new Map(Object.entries(bundle.files).map(([file, bytes]) => [file, new Uint8Array(bytes)] as const));
        // The very bundle this node has (its own copy, restored at start): nothing to reinstall — a reinstall
        // would take it away for a moment, and a call meanwhile would find no application.
        const here = this.registry.bundleSource(tenant, applicationId);
        if (here !== undefined && bundleRev(here.info, here.manifest, here.files) === rev) {
          this.revs.set(key, rev);
          return false;
        }
        // Its modules and virtual kinds; the tree stays on the node that deployed it (or here, if this node deployed it too).
        await this.registry.deployBundle(tenant, bundle.namespace, applicationId, bundle.manifest, files, { name, version }, { tree: this.registry.runsTree(tenant, applicationId), keep: this.registry.keptHere(tenant, applicationId) });
      } else {
        if (wasm === null) throw new Error('the cluster’s entry has neither a module nor a bundle');
        await this.registry.deploy(tenant, applicationId, name, version, new Uint8Array(wasm), { durable, placement });
      }
      this.revs.set(key, rev);
      this.log.info('application installed from the cluster', { tenant, application: applicationId, version });
      return true;
    } catch (error) {
      // Refused here (a quota of this node, a module this node cannot run): the others keep it.
      this.log.warn('cannot install an application deployed on another node', { tenant, application: applicationId, error: (error as Error).message });
      return false;
    }
  }
}
