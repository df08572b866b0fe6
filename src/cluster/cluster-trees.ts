import type { Logger } from '../node/logger.js';
import type { ApplicationRegistry } from '../node/application-registry.js';
import { ActorDirectory, type Owner } from './actor-directory.js';
import type { NodeLinks } from './link/node-links.js';
import type { NodeRegistry } from './node-registry.js';
import type { RedisClient } from './redis-client.js';

/**
 * Where each bundle's supervision tree runs in a cluster: on one node, named
 * in a directory of its own (`plex:trees:{tenant}`, field
 * `<tenant>/<application id>` → owner, compare-and-set as for actors). The
 * node that deploys a bundle runs its tree; every other node has its modules
 * and virtual kinds (src/cluster/cluster-applications.ts). When the tree's
 * node leaves the cluster, the first survivor to claim the entry starts the
 * tree — its permanent workers start again there (durable ones from the
 * shared journal), under the same supervisor rules; a node that comes back
 * finds its tree taken and stops its own copy, so a tree never runs twice.
 */
export class ClusterTrees {
  private readonly directory: ActorDirectory;
  private readonly unsubscribe: () => void;

  constructor(
    client: RedisClient,
    private readonly links: NodeLinks,
    registry: NodeRegistry,
    private readonly applications: ApplicationRegistry,
    private readonly log?: Logger,
  ) {
    this.directory = new ActorDirectory(client, links.self, 'plex:trees');
    this.unsubscribe = registry.onChange((event) => {
      if (event.type !== 'leave') return;
      void this.takeOver(`${event.node.id}.${event.node.incarnation}`, event.node.id);
    });
  }

  /**
   * When this node joins (its bundles were restored without their trees):
   * each bundle deployed through it starts its tree here if its entry is
   * free, this node's, or a dead node's — not when another live node runs it.
   */
  async joined(): Promise<void> {
    for (const bundle of this.applications.bundles()) {
      if (!bundle.kept && !bundle.treeHere) continue;
      if (await this.hold(bundle.tenant, bundle.applicationId)) await this.applications.startTree(bundle.tenant, bundle.applicationId);
    }
  }

  /** After a deploy on this node started the tree: its entry, unless a live node runs it already (then it stops here). */
  async deployed(tenant: string, applicationId: string): Promise<void> {
    await this.hold(tenant, applicationId);
  }

  /**
   * The live node other than this one that runs the bundle's tree, if any: a
   * deploy through this node then installs the bundle without its tree (the
   * running tree's node installs the new revision from the cluster and starts
   * its tree again there), instead of starting a second tree whose workers'
   * names the first one holds.
   */
  async runsElsewhere(tenant: string, applicationId: string): Promise<string | undefined> {
    const owner = await this.directory.lookup(`${tenant}/${applicationId}`);
    if (owner === undefined || owner === this.links.self || !(await this.links.liveNow(owner))) return undefined;
    return owner.split('.')[0];
  }

  /** After an undeploy here: its entry goes (if this node's), so a later deploy through any node runs the tree there. */
  async release(tenant: string, applicationId: string): Promise<void> {
    await this.directory.release(`${tenant}/${applicationId}`);
  }

  close(): void {
    this.unsubscribe();
  }

  /** Takes the tree's entry (free, this node's, or a dead node's): true; another live node has it: its tree here (if any) stops, false. */
  private async hold(tenant: string, applicationId: string): Promise<boolean> {
    const entry = `${tenant}/${applicationId}`;
    let owner = await this.directory.claim(entry);
    if (owner !== this.links.self && !(await this.links.liveNow(owner))) owner = await this.directory.claim(entry, owner);
    if (owner === this.links.self) return true;
    if (await this.applications.stopTree(tenant, applicationId)) this.log?.warn('a bundle’s tree runs on another node: stopped here', { application: entry, node: owner.split('.')[0] });
    return false;
  }

  /** A node left: the trees it ran start on the first survivor to claim them. */
  private async takeOver(left: Owner, node: string): Promise<void> {
    for (const bundle of this.applications.bundles()) {
      if (bundle.treeHere) continue;
      const entry = `${bundle.tenant}/${bundle.applicationId}`;
      try {
        if ((await this.directory.lookup(entry)) !== left) continue;
        if ((await this.directory.claim(entry, left)) !== this.links.self) continue; // another survivor took it
        await this.applications.startTree(bundle.tenant, bundle.applicationId);
        this.log?.warn('took over a bundle’s tree from a node that left', { application: entry, from: node });
      } catch (error) {
        this.log?.warn('cannot take over a bundle’s tree', { application: entry, from: node, error: (error as Error).message });
      }
    }
  }
}
