import type { Logger } from '../node/logger.js';
import type { NodeService } from '../server/node-service.js';
import type { WsEndpoint } from '../server/ws-endpoint.js';
import { ActorDirectory } from './actor-directory.js';
import type { ClusterApplications } from './cluster-applications.js';
import { ActorRouter } from './actor-router.js';
import { RemoteActorCalls } from './remote-actor-calls.js';
import { RemoteExits } from './remote-exits.js';
import { ClusterSpawns } from './cluster-spawns.js';
import { ClusterShards } from './cluster-shards.js';
import { ClusterGroups } from './cluster-groups.js';
import { ClusterTrees } from './cluster-trees.js';
import { DEFAULT_LINK_MAX_FRAME_BYTES } from './link/node-link.js';
import { LINK_PATH, NodeLinks } from './link/node-links.js';
import type { NodeRegistry } from './node-registry.js';
import type { RedisClient } from './redis-client.js';

export interface ClusterActors {
  readonly router: ActorRouter;
  /** Closes the links (pending calls fail with PLEX_ERR_NODE_DOWN) and releases this node's directory entries. */
  close(): Promise<void>;
}

/**
 * Location-transparent actors for a node of a cluster: the actor directory
 * in Redis, links to the other nodes authenticated with the cluster
 * secret (accepted on the node's HTTP port at /api/v1/cluster/link), and
 * the node's actor calls routed through them (docs/cluster.md, "Actors
 * across nodes").
 */
export function startClusterActors(options: {
  client: RedisClient;
  registry: NodeRegistry;
  secret: string;
  service: NodeService;
  ws: WsEndpoint;
  applications?: ClusterApplications;
  log?: Logger;
}): ClusterActors {
  const { registry } = options;
  const self = `${registry.self.id}.${registry.self.incarnation}`;
  const directory = new ActorDirectory(options.client, self);
  // Calls through the node's surfaces ('ask', 'tell'), a WASM actor's own ('actor.ask', 'actor.send'),
  // and the exits its links and monitors hear of ('actor.watch', 'actor.exited').
  let remoteCalls: RemoteActorCalls | undefined;
  let remoteExits: RemoteExits | undefined;
  let shards: ClusterShards | undefined;
  const links = new NodeLinks({
    self,
    secret: options.secret,
    registry,
    handler: async (kind, body, peer) => {
      if (kind === 'actor.watch' || kind === 'actor.exited') return remoteExits!.serve(kind, body, peer);
      if (kind === 'shard.spawn' || kind === 'shard.stop' || kind === 'shard.evict') return shards!.serve(kind, body, peer);
      if (kind === 'group.call') return options.service.serveGroupCall(body);
      return kind.startsWith('actor.') ? remoteCalls!.serve(kind, body, peer) : options.service.serveForwarded(kind, body);
    },
  });
  // Placement reads the live nodes' labels and the load their heartbeats report (src/cluster/placement.ts).
  const actors = options.service.node.actors;
  registry.reportLoad(() => actors.runtime.placement().length);
  const router = new ActorRouter(directory, links, () => registry.provesMembership(), {
    get self() {
      return { ...registry.self, draining: registry.draining };
    },
    nodes: () => registry.nodes(),
  });
  remoteCalls = new RemoteActorCalls(router, actors);
  remoteExits = new RemoteExits(router, actors);
  actors.reachRemoteActorsThrough(remoteCalls);
  actors.watchRemoteExitsThrough(remoteExits);
  // Actors that actors spawn are in the directory too, from their spawn to their exit.
  const spawns = new ClusterSpawns(directory, registry.self.incarnation, (owner) => links.liveNow(owner));
  actors.runtime.registerSpawnsWith(spawns);
  const stopReleasing = actors.runtime.onExit((report) => spawns.exited(report.actorId));
  // A bundle's tree runs on one node (taken over by a survivor when that node leaves), and its workers
  // are the cluster's actors: any node reaches them. Trees restored before the join take their places first.
  const trees = new ClusterTrees(options.client, links, registry, options.service.node.applications, options.log);
  options.applications?.treesThrough(trees);
  void (async () => {
    // Not in this turn of the event loop: ioredis's auto-pipeline opened before the directory's scripts were
    // defined (above) lacks them, and a script command queued into it fails inside ioredis.
    await new Promise((resolve) => setImmediate(resolve));
    // Claims first: the trees joined() starts spawn their workers claimed, restarts included.
    await options.service.node.applications.claimChildrenWith(spawns);
    await trees.joined();
  })().catch((error: unknown) => options.log?.warn('cannot place this node’s bundle trees in the cluster', { error: (error as Error).message }));
  // Shard groups created on this node spread their shards over the cluster's nodes (src/cluster/cluster-shards.ts).
  shards = new ClusterShards(actors.runtime, links, registry, directory, (tenant) => options.applications?.sync(tenant) ?? Promise.resolve(0));
  options.service.node.shardGroups.placeShardsWith(shards);
  // Group ids are the cluster's, and any node answers a group's routes (forwarded to the node that drives it).
  options.service.routeGroupsThrough(new ClusterGroups(options.client, links));
  const stopWatching = registry.onChange((event) => {
    if (event.type !== 'leave') return;
    const owner = `${event.node.id}.${event.node.incarnation}`;
    router.forgetOwner(owner);
    // Its actors can report no exit any more: monitors get `down` and links their exit signal, reason noconnection.
    remoteExits!.nodeLeft(owner);
  });
  // Declared dead and back: the actors the others took over meanwhile stop here, so a stale copy never
  // answers; until that check is done the node serves none of its claimed actors (retried until it works).
  let closed = false;
  const reconcile = () => {
    router.reconcile((actorId) => options.service.node.actors.stop(actorId)).then(
      (stopped) => stopped > 0 && options.log?.warn('actors taken over by other nodes while this one was cut off stopped here', { actors: stopped }),
      (error: unknown) => {
        options.log?.warn('cannot reconcile this node’s actors with the directory yet; retrying', { error: (error as Error).message });
        if (!closed) setTimeout(reconcile, 1_000).unref();
      },
    );
  };
  const stopRejoins = registry.onRejoin(() => {
    router.markRejoining();
    reconcile();
  });
  options.ws.route(LINK_PATH, DEFAULT_LINK_MAX_FRAME_BYTES, (socket) => void links.accept(socket));
  options.service.routeActorsThrough(router, options.applications);
  return {
    router,
    async close() {
      closed = true;
      stopWatching();
      stopReleasing();
      stopRejoins();
      shards!.close();
      trees.close();
      links.close();
      await directory.releaseAll();
      await options.applications?.close();
    },
  };
}
