import { ActorNotFoundError, InvalidArgumentError, shown } from '../errors.js';
import type { FacetRegistry, FacetSpec } from './facet.js';

/** A kind of virtual actor: any id `kind:key` (or `tenant/namespace/kind:key`) is activated on its first message. */
export interface VirtualKind {
  readonly module: string;
  readonly config?: Uint8Array | string;
  /** Facets besides `virtual` (added automatically; give `{ name: "virtual", idleMs }` to tune it). */
  readonly facets?: readonly FacetSpec[];
}

/** Starts the actor `actorId` of a virtual kind with these facets (the actor system's `spawn`). */
export type VirtualStart = (actorId: string, kind: VirtualKind, facets: readonly FacetSpec[]) => Promise<unknown>;

/**
 * The virtual actor kinds of an actor system (actor-system.ts) and their
 * activations, apart from the system's message paths: which ids name a
 * virtual actor, and starting one once, however many messages wait for it.
 */
export class VirtualKinds {
  private readonly kinds = new Map<string, VirtualKind>();
  private readonly activating = new Map<string, Promise<void>>();

  constructor(
    private readonly facets: FacetRegistry,
    private readonly start: VirtualStart,
  ) {}

  /** Declares a kind; a malformed or taken name, or an unknown facet, fails now rather than at the first message. */
  define(kind: string, spec: VirtualKind): void {
    if (!/^([A-Za-z0-9_.-]{1,64}\/[A-Za-z0-9_.-]{1,64}\/)?[A-Za-z0-9_.-]{1,64}$/.test(kind)) throw new InvalidArgumentError(`a virtual actor kind must be 1–64 of A–Z a–z 0–9 _ . -, got ${shown(kind)}`);
    if (this.kinds.has(kind)) throw new InvalidArgumentError(`virtual actor kind ${shown(kind)} is already defined`);
    this.facets.resolve([...(spec.facets ?? [])]); // unknown facets fail now, not at the first message
    this.kinds.set(kind, spec);
  }

  undefine(kind: string): boolean {
    return this.kinds.delete(kind);
  }

  /** `kind:key` ids; a kind defined for a scope (`tenant/namespace/kind`) serves only that scope's ids. */
  kindOf(actorId: string): VirtualKind | undefined {
    if (this.kinds.size === 0) return undefined;
    const slash = actorId.lastIndexOf('/');
    const name = actorId.slice(slash + 1);
    const colon = name.indexOf(':');
    if (colon <= 0) return undefined;
    return this.kinds.get(`${actorId.slice(0, slash + 1)}${name.slice(0, colon)}`);
  }

  /** Starts a virtual actor for `actorId` if its kind is defined (once, however many messages wait for it). */
  activate(actorId: string): Promise<void> {
    const pending = this.activating.get(actorId);
    if (pending !== undefined) return pending;
    const kind = this.kindOf(actorId);
    if (kind === undefined) return Promise.reject(new ActorNotFoundError(actorId));
    const facets = kind.facets ?? [];
    const withVirtual = facets.some((f) => (typeof f === 'string' ? f : f.name) === 'virtual') ? facets : [...facets, 'virtual'];
    const activation = this.start(actorId, kind, withVirtual)
      .then(() => undefined)
      .finally(() => this.activating.delete(actorId));
    this.activating.set(actorId, activation);
    return activation;
  }
}
