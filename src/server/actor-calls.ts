import { ActorConflictError, ActorNotFoundError, InvalidArgumentError, ModuleNotFoundError, shown } from '../errors.js';
import { checkId } from '../node/application-registry.js';
import type { PlexNode } from '../node/plex-node.js';
import { applicationFor, applicationOfModule } from './actor-addressing.js';
import { DeadLetters, failedDelivery, failedReply, type DeadLetter } from './dead-letters.js';
import { checkJsonValue } from './json-input.js';
import type { NodeMetrics } from './metrics.js';
import type { Scope } from './node-service.js';

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

  constructor(
    private readonly node: PlexNode,
    private readonly metrics: NodeMetrics | undefined,
    /** How long a tell may take to be handled before it is a dead letter (`timeout`). */
    private readonly tellBoundMs: number,
  ) {}

  /**
   * The runtime id of actor `id` in a scope, activated on first use: from
   * `application` when the call names one (an actor of another application
   * running under the id is PLEX_ERR_ACTOR_CONFLICT: `application` is never
   * ignored), else from the application `applicationFor` picks. Every
   * surface calls this, so HTTP, ws and gRPC address actors alike.
   */
  async actor(scope: Scope, id: string, application?: string): Promise<string> {
    if (typeof id !== 'string' || !ACTOR_ID.test(id)) throw new InvalidArgumentError(`an actor id must be 1–128 of A–Z a–z 0–9 _ . - : (a virtual actor is kind:key), got ${shown(id)}`);
    const actorId = `${scope.tenant}/${scope.namespace}/${id}`;
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
    if (application !== undefined && named === undefined) throw new ModuleNotFoundError(`${scope.tenant}/${application}`);
    const app = named ?? applicationFor(this.node.applications.list(scope.tenant), id, scope.namespace);
    if (app === undefined) throw new ActorNotFoundError(`${scope.namespace}/${id}`);
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
    // Refused before the actor is activated: bad input changes nothing.
    checkJsonValue(payload, 'payload');
    const actorId = await this.actor(scope, id, options.application);
    const reply = await this.node.actors.ask(actorId, checkType(type), JSON.stringify(payload ?? {}), { timeoutMs: options.timeoutMs });
    return decodeReply(reply);
  }

  async tell(scope: Scope, id: string, type: string, payload: unknown, options: { application?: string } = {}): Promise<void> {
    // Refused before the actor is activated: bad input changes nothing.
    checkJsonValue(payload, 'payload');
    const messageType = checkType(type);
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

  async stopActor(scope: Scope, id: string): Promise<void> {
    const actorId = `${scope.tenant}/${scope.namespace}/${checkId('actor id', id)}`;
    if (!this.node.runtime.has(actorId)) throw new ActorNotFoundError(`${scope.namespace}/${id}`);
    await this.node.actors.stop(actorId);
  }
}

export function checkType(type: unknown): string {
  if (typeof type !== 'string' || type.length === 0 || type.length > 128) throw new InvalidArgumentError(`a message type must be 1–128 characters, got ${shown(type)}`);
  return type;
}

