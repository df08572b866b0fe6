import type { Activation, ActorRouter } from '../cluster/actor-router.js';
import { tenantOf } from '../cluster/actor-directory.js';
import { peerNode } from '../cluster/link/node-link.js';
import { ActorConflictError, ActorMovedError, ActorNotFoundError, ErrorCode, InvalidArgumentError, ModuleNotFoundError, NodeDownError, PlexError, shown } from '../errors.js';
import { checkId, type ApplicationInfo } from '../node/application-registry.js';
import type { PlexNode } from '../node/plex-node.js';
import { applicationFor, applicationOfModule } from './actor-addressing.js';
import { DeadLetters, failedDelivery, failedReply, type DeadLetter } from './dead-letters.js';
import { checkJsonValue } from './json-input.js';
import type { NodeMetrics } from './metrics.js';
import type { Scope } from './node-service.js';

/** How long a forwarded call may take when its caller set no timeout (above any node's default ask timeout), and the trip's margin. */
const FORWARD_DEADLINE_MS = 30_000;
const FORWARD_MARGIN_MS = 5_000;
const ACTOR_ID = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;
const utf8 = new TextDecoder();

/** A reply's bytes as JSON when they are JSON, else as text. */
export function decodeReply(bytes: Uint8Array): unknown {
  const text = utf8.decode(bytes);
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The actor operations of NodeService (which checks every scope before it
 * calls here): activation by id, ask, and tell with its dead letters.
 */
export class ActorCalls {
  /** Remote tells that were accepted but not handled (see dead-letters.ts). */
  readonly deadLetters = new DeadLetters();

  /** Set on a node of a cluster with a secret: messages for actors that run elsewhere go over the node links. */
  private router: ActorRouter | undefined;

  constructor(
    private readonly node: PlexNode,
    private readonly metrics: NodeMetrics | undefined,
    /** How long a tell may take to be handled before it is a dead letter (`timeout`). */
    private readonly tellBoundMs: number,
  ) {}

  /** The cluster's applications (src/cluster/cluster-applications.ts): read before an id is called unknown. */
  private applications: { sync(tenant: string): Promise<number> } | undefined;

  /** Whether messages go through the cluster's actor directory (a node of a cluster with a secret). */
  get routed(): boolean {
    return this.router !== undefined;
  }

  /** Routes messages through the cluster's actor directory from now on (src/cluster/actor-router.ts). */
  routeThrough(router: ActorRouter, applications?: { sync(tenant: string): Promise<number> }): void {
    this.router = router;
    this.applications = applications;
  }

  /**
   * A call for an actor another node runs, sent there and answered from
   * there; undefined when it is this node's to handle (running here, or
   * claimed for activation here just now). A forwarded call that finds the
   * actor moved is looked up once more.
   */
  private async elsewhere(scope: Scope, id: string, application: string | undefined, kind: string, body: ForwardedCall): Promise<{ value: unknown } | undefined> {
    const router = this.router;
    if (router === undefined) return undefined;
    const actorId = `${scope.tenant}/${scope.namespace}/${checkActorId(id)}`;
    let synced = false;
    for (let attempt = 0; ; attempt++) {
      // Being moved off this node by a drain: once it is gone, it is looked up (and placed) afresh.
      await router.departed(actorId);
      if (this.node.runtime.has(actorId)) {
        router.mayServe(actorId);
        return undefined;
      }
      let where: Awaited<ReturnType<ActorRouter['where']>>;
      try {
        where = await router.where(actorId, () => this.activation(scope, id, application));
      } catch (error) {
        // No application here for the id: one deployed on another node may not have reached this one yet.
        if (synced || this.applications === undefined || !noApplicationHere(error)) throw error;
        synced = true;
        if ((await this.applications.sync(scope.tenant)) === 0) throw error;
        attempt--;
        continue;
      }
      if (where === 'here') return undefined;
      try {
        // The peer's own ask timeout (its default when the caller gave none) ends the ask there; the margin covers the trip.
        return { value: await where.request(kind, body, (body.timeoutMs ?? FORWARD_DEADLINE_MS) + FORWARD_MARGIN_MS) };
      } catch (error) {
        if (attempt > 0 || (error as PlexError).code !== ErrorCode.ActorMoved) throw error;
        router.forget(actorId);
      }
    }
  }

  /**
   * Whether this node could activate actor `id` (else it throws, as
   * activation would: no application for it here), where its application
   * places it (src/cluster/placement.ts), and whether its state
   * outlives the node that runs it — a durable actor's journal and a
   * virtual actor's state are in the cluster's Redis — so that a survivor
   * may take it over from a dead node.
   */
  private activation(scope: Scope, id: string, application: string | undefined): Activation {
    const actorId = `${scope.tenant}/${scope.namespace}/${id}`;
    if (this.node.actors.isVirtual(actorId)) return { survives: true };
    const app = this.activatingApplication(scope, id, application);
    return { survives: app.durable && this.node.runtime.canSnapshot(app.module), placement: app.placement };
  }

  /**
   * A call another node forwarded here (the link authenticated that node
   * with the cluster secret; the caller's scope was checked there). Served
   * only if the actor is this node's: otherwise PLEX_ERR_ACTOR_MOVED, and
   * the sender looks it up again.
   */
  async serveForwarded(kind: string, body: unknown): Promise<unknown> {
    const call = forwardedCall(body);
    const scope: Scope = { tenant: call.tenant, namespace: call.namespace };
    const actorId = `${call.tenant}/${call.namespace}/${checkActorId(call.id)}`;
    const router = this.router;
    if (router === undefined) throw new InvalidArgumentError('this node does not take forwarded calls (no cluster secret)');
    // A stop claims nothing: it stops what runs here (and releases its entry), or finds nothing.
    if (kind === 'stop') return this.stopHere(scope, call.id);
    await router.departed(actorId);
    if (!this.node.runtime.has(actorId) && !(await router.ownsHere(actorId))) throw new ActorMovedError(actorId, router.self);
    router.mayServe(actorId);
    const serve = () => {
      switch (kind) {
        case 'ask':
          return this.askHere(scope, call.id, checkType(call.type), call.payload, { application: call.application, timeoutMs: call.timeoutMs });
        case 'tell':
          return this.tellHere(scope, call.id, checkType(call.type), call.payload, { application: call.application });
        default:
          throw new InvalidArgumentError(`unknown forwarded call ${shown(kind)}`);
      }
    };
    try {
      return await serve();
    } catch (error) {
      // Placed here by a node that has the application, which this one may not have installed yet: read the cluster's first.
      if (this.applications === undefined || this.node.runtime.has(actorId) || !noApplicationHere(error)) throw error;
      // Retried whatever the sync installed: a sync the cluster's announcement started may have installed it just before.
      await this.applications.sync(scope.tenant);
      return serve();
    }
  }

  /** The application that activates actor `id` here: the one the call names, else the one `applicationFor` picks; else not found. */
  private activatingApplication(scope: Scope, id: string, application: string | undefined): ApplicationInfo {
    const named = application === undefined ? undefined : this.node.applications.find(scope.tenant, application);
    if (application !== undefined && named === undefined) throw new ModuleNotFoundError(`${scope.tenant}/${application}`);
    const app = named ?? applicationFor(this.node.applications.list(scope.tenant), id, scope.namespace);
    if (app === undefined) throw new ActorNotFoundError(`${scope.namespace}/${id}`);
    return app;
  }

  /**
   * The runtime id of actor `id` in a scope, activated on first use: from
   * `application` when the call names one (an actor of another application
   * running under the id is PLEX_ERR_ACTOR_CONFLICT: `application` is never
   * ignored), else from the application `applicationFor` picks. Every
   * surface calls this, so HTTP, ws and gRPC address actors alike.
   */
  async actor(scope: Scope, id: string, application?: string): Promise<string> {
    const actorId = `${scope.tenant}/${scope.namespace}/${checkActorId(id)}`;
    const named = application === undefined ? undefined : this.node.applications.find(scope.tenant, application);
    if (this.node.runtime.has(actorId)) {
      if (application !== undefined) {
        const module = this.node.runtime.placement().find((p) => p.actorId === actorId)?.module;
        const running = module === undefined ? undefined : applicationOfModule(module);
        const wanted = named?.applicationId ?? application;
        if (running !== undefined && running !== wanted) throw new ActorConflictError(`${scope.namespace}/${id}`, wanted, running);
      }
      return actorId;
    }
    // A virtual actor that the actor system activates on this message.
    if (this.node.actors.isVirtual(actorId)) return actorId;
    const app = this.activatingApplication(scope, id, application);
    // Durable unless the application opted out (application-registry.ts): its state survives crashes and restarts, restored from the journal when the id is activated again.
    const durable = app.durable && this.node.runtime.canSnapshot(app.module);
    try {
      return await this.node.actors.spawn(app.module, { id: actorId, facets: durable ? ['durability'] : [] });
    } catch (error) {
      // Two requests may activate the same actor at once: the loser uses the winner's.
      if (this.node.runtime.has(actorId)) return actorId;
      throw error;
    }
  }

  async ask(scope: Scope, id: string, type: string, payload: unknown, options: { application?: string; timeoutMs?: number } = {}): Promise<unknown> {
    // Refused before the actor is activated or the call forwarded: bad input changes nothing.
    checkJsonValue(payload, 'payload');
    const messageType = checkType(type);
    const forwarded = await this.elsewhere(scope, id, options.application, 'ask', { ...scope, id, application: options.application, type: messageType, payload, timeoutMs: options.timeoutMs });
    if (forwarded !== undefined) return forwarded.value;
    return this.askHere(scope, id, messageType, payload, options);
  }

  private async askHere(scope: Scope, id: string, messageType: string, payload: unknown, options: { application?: string; timeoutMs?: number }): Promise<unknown> {
    const actorId = await this.actor(scope, id, options.application);
    const reply = await this.node.actors.ask(actorId, messageType, JSON.stringify(payload ?? {}), { timeoutMs: options.timeoutMs });
    return decodeReply(reply);
  }

  async tell(scope: Scope, id: string, type: string, payload: unknown, options: { application?: string } = {}): Promise<void> {
    // Refused before the actor is activated or the call forwarded: bad input changes nothing.
    checkJsonValue(payload, 'payload');
    const messageType = checkType(type);
    const forwarded = await this.elsewhere(scope, id, options.application, 'tell', { ...scope, id, application: options.application, type: messageType, payload });
    if (forwarded !== undefined) return;
    await this.tellHere(scope, id, messageType, payload, options);
  }

  private async tellHere(scope: Scope, id: string, messageType: string, payload: unknown, options: { application?: string }): Promise<null> {
    const actorId = await this.actor(scope, id, options.application);
    const text = JSON.stringify(payload ?? {});
    // Sent as an ask whose reply only the node reads: the actor handles it as it would a tell (same
    // mailbox, same order, no sender), and the reply or the rejection says whether it was handled —
    // which the caller, answered 202 already, cannot learn otherwise.
    this.node.actors.ask(actorId, messageType, text, { timeoutMs: this.tellBoundMs }).then(
      (reply) => {
        const failure = failedReply(utf8.decode(reply));
        if (failure !== undefined) this.deadLetter(scope, id, messageType, text, failure);
      },
      (error: unknown) => this.deadLetter(scope, id, messageType, text, failedDelivery(error)),
    );
    return null;
  }

  private deadLetter(scope: Scope, actor: string, messageType: string, payload: string, failure: Pick<DeadLetter, 'reason' | 'code' | 'error'>): void {
    const letter: DeadLetter = { at: new Date().toISOString(), tenant: scope.tenant, namespace: scope.namespace, actor, messageType, ...failure, payloadBytes: Buffer.byteLength(payload) };
    this.deadLetters.add(letter);
    this.metrics?.deadLetter(letter.reason);
    process.stderr.write(`plexspaces: dead letter: a tell to ${scope.tenant}/${scope.namespace}/${actor} (${messageType}) was not handled (${letter.reason}${letter.code === undefined ? '' : ` ${letter.code}`}): ${letter.error}\n`);
  }

  listActors(scope: Scope): string[] {
    const prefix = `${scope.tenant}/${scope.namespace}/`;
    return this.node.runtime
      .placement()
      .map((p) => p.actorId)
      .filter((id) => id.startsWith(prefix))
      .map((id) => id.slice(prefix.length));
  }

  /**
   * The actors of a scope and the node each runs on (`self`: this node's
   * id): in a cluster, every actor the directory has (`live` false when its
   * node is gone — a durable one moves on its next message) and this node's
   * own; on a node alone, its own.
   */
  async whereActors(scope: Scope, self: string): Promise<{ id: string; node: string; live: boolean }[]> {
    const prefix = `${scope.tenant}/${scope.namespace}/`;
    const found = new Map<string, { id: string; node: string; live: boolean }>();
    const router = this.router;
    if (router !== undefined) {
      const live = new Map<string, boolean>();
      for (const [actorId, owner] of await router.directory.entries(scope.tenant)) {
        if (!actorId.startsWith(prefix)) continue;
        if (!live.has(owner)) live.set(owner, owner === router.self || (await router.links.liveNow(owner)));
        found.set(actorId, { id: actorId.slice(prefix.length), node: peerNode(owner), live: live.get(owner)! });
      }
    }
    // What runs here counts as here (spawned actors are in no directory).
    for (const id of this.listActors(scope)) found.set(`${prefix}${id}`, { id, node: self, live: true });
    return [...found.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * Before a planned stop of this node (`plexspaces drain`): nothing new is
   * placed here, and the claimed actors whose state outlives the node
   * (durable actors of the cluster's applications) stop with a checkpoint and leave the directory, so
   * their next message activates them on another node with their state.
   * The others are kept and named: their state exists only here.
   */
  async drain(registry: { drain(): Promise<void> }): Promise<{ moved: string[]; kept: string[] }> {
    const router = this.router;
    if (router === undefined) throw new InvalidArgumentError('this node is not in a cluster with a secret: there is no other node to move its actors to');
    await registry.drain();
    const modules = new Map(this.node.runtime.placement().map((p) => [p.actorId, p.module]));
    return router.drain(
      (actorId) => {
        // A shard group's shard (`tenant/namespace/group/shard-i`) is its group's to move (ShardGroup.relocate).
        if (actorId.split('/').length > 3) return false;
        const module = modules.get(actorId);
        // Claimed but not running (any more): only its entry goes.
        if (module === undefined) return true;
        // A virtual kind comes from a bundle, which is this node's own (and so is the state it saves): it stays.
        if (this.node.actors.isVirtual(actorId)) return false;
        const app = this.node.applications.list(tenantOf(actorId)).find((a) => a.modules.includes(module));
        // A bundle's worker belongs to its supervision tree, which runs here: its supervisor would only start it here again.
        return app !== undefined && app.kind === 'module' && app.durable && this.node.runtime.canSnapshot(module);
      },
      async (actorId) => {
        if (this.node.runtime.has(actorId)) await this.node.actors.stopGracefully(actorId);
      },
    );
  }

  /** Stops an actor, on whichever node runs it (a stop claims nothing: an actor nobody runs is not found). */
  async stopActor(scope: Scope, id: string): Promise<void> {
    const actorId = `${scope.tenant}/${scope.namespace}/${checkId('actor id', id)}`;
    const router = this.router;
    if (router !== undefined && !this.node.runtime.has(actorId)) {
      const owner = await router.directory.lookup(actorId);
      if (owner !== undefined && owner !== router.self) {
        if (!(await router.links.liveNow(owner))) throw new NodeDownError(peerNode(owner), `it ran actor ${actorId}`);
        await (await router.links.to(owner)).request('stop', { ...scope, id });
        router.forget(actorId);
        return;
      }
    }
    await this.stopHere(scope, id);
  }

  private async stopHere(scope: Scope, id: string): Promise<null> {
    const actorId = `${scope.tenant}/${scope.namespace}/${checkId('actor id', id)}`;
    if (!this.node.runtime.has(actorId)) throw new ActorNotFoundError(`${scope.namespace}/${id}`);
    await this.node.actors.stop(actorId);
    if (this.router !== undefined) {
      this.router.forget(actorId);
      await this.router.directory.release(actorId);
    }
    return null;
  }
}

/** What a node forwards for an actor call: the caller's scope, the actor, the message. */
interface ForwardedCall {
  readonly tenant: string;
  readonly namespace: string;
  readonly id: string;
  readonly application?: string;
  readonly type?: string;
  readonly payload?: unknown;
  readonly timeoutMs?: number;
}

/** A forwarded call's body, checked: a peer is trusted with scopes, not with shapes. */
function forwardedCall(body: unknown): ForwardedCall {
  const call = body as Partial<ForwardedCall> | null;
  if (call === null || typeof call !== 'object' || typeof call.tenant !== 'string' || typeof call.namespace !== 'string' || typeof call.id !== 'string') {
    throw new InvalidArgumentError('a forwarded call needs tenant, namespace and id strings');
  }
  if (call.application !== undefined && call.application !== null && typeof call.application !== 'string') throw new InvalidArgumentError('a forwarded call\'s application must be a string');
  if (call.timeoutMs !== undefined && call.timeoutMs !== null && typeof call.timeoutMs !== 'number') throw new InvalidArgumentError('a forwarded call\'s timeoutMs must be a number');
  return { ...call, application: call.application ?? undefined, timeoutMs: call.timeoutMs ?? undefined } as ForwardedCall;
}

/** The error of an id this node has no application for — yet, maybe: one deployed on another node may not have reached it. */
function noApplicationHere(error: unknown): boolean {
  const code = (error as PlexError).code;
  return code === ErrorCode.ActorNotFound || code === ErrorCode.ModuleNotFound;
}

function checkActorId(id: unknown): string {
  if (typeof id !== 'string' || !ACTOR_ID.test(id)) throw new InvalidArgumentError(`an actor id must be 1–128 of A–Z a–z 0–9 _ . - : (a virtual actor is kind:key), got ${shown(id)}`);
  return id;
}

export function checkType(type: unknown): string {
  if (typeof type !== 'string' || type.length === 0 || type.length > 128) throw new InvalidArgumentError(`a message type must be 1–128 characters, got ${shown(type)}`);
  return type;
}

