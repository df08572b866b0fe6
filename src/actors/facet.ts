import { InvalidArgumentError, shown } from '../errors.js';
import type { ExitReport } from '../runtime/actor-runtime-types.js';
import type { ActorSystem } from './actor-system.js';

/** One message on its way to an actor with facets. */
export interface Envelope {
  readonly actorId: string;
  readonly type: string;
  readonly payload: Uint8Array;
  readonly from: string;
  /** False for a tell: the reply is dropped after the facets saw it. */
  readonly wantsReply: boolean;
  /** Registers a listener told the message's context id (host calls made while handling it carry it) just before delivery. */
  onContext(listener: (context: number) => void): void;
}

/** Runs the rest of the chain (inner facets, then the actor) and resolves with the actor's reply. */
export type Next = () => Promise<Uint8Array>;

/** A facet attached to one actor. Every hook is optional. */
export interface FacetInstance {
  /** After the actor started, before its first message; facets start outermost first (durability recovers state here). */
  start?(): Promise<void> | void;
  /** Around every message: call `next()` to pass it on (or throw / return without it to stop it). */
  handle?(envelope: Envelope, next: Next): Promise<Uint8Array>;
  /** Before a virtual actor is deactivated (durability checkpoints, so reactivation is quick). */
  beforeDeactivate?(): Promise<void> | void;
  /** The actor exited (or was deactivated: `report` is undefined). */
  stop?(report: ExitReport | undefined): void;
}

/** What a facet factory learns about the actor it is attached to. */
export interface FacetHost {
  readonly actorId: string;
  readonly module: string;
  readonly system: ActorSystem;
  /** Names of every facet attached to the actor. */
  readonly facetNames: readonly string[];
}

/** A named facet kind; `priority` orders facets around a message: higher runs first (outermost). */
export interface FacetFactory {
  readonly name: string;
  readonly priority: number;
  create(host: FacetHost, options: Readonly<Record<string, unknown>>): FacetInstance;
}

/** A facet attached by name, or by name with options: `"metrics"`, `{ name: "durability", checkpointEvery: 50 }`. */
export type FacetSpec = string | ({ readonly name: string } & Readonly<Record<string, unknown>>);

/**
 * Priorities of the built-in facets, in the order the seed describes:
 * security first, then logging and metrics, then the business handler's
 * neighbours (timers, virtual activation), and persistence innermost, so
 * the journal sees exactly what the actor handles.
 */
export const FacetPriority = {
  Security: 1000,
  Logging: 900,
  Metrics: 800,
  Timer: 500,
  Virtual: 400,
  Durability: 100,
} as const;

/** Facet kinds by name: the built-ins and any registered custom facet. */
export class FacetRegistry {
  private readonly factories = new Map<string, FacetFactory>();

  register(factory: FacetFactory): void {
    if (typeof factory?.name !== 'string' || !/^[a-z][a-z0-9_-]{0,63}$/.test(factory.name)) throw new InvalidArgumentError(`a facet name must be 1–64 of a–z 0–9 _ - starting with a letter, got ${shown(factory?.name)}`);
    if (!Number.isFinite(factory.priority)) throw new InvalidArgumentError(`facet ${factory.name} needs a numeric priority`);
    if (typeof factory.create !== 'function') throw new InvalidArgumentError(`facet ${factory.name} needs a create function`);
    if (this.factories.has(factory.name)) throw new InvalidArgumentError(`a facet named ${shown(factory.name)} is already registered`);
    this.factories.set(factory.name, factory);
  }

  has(name: string): boolean {
    return this.factories.has(name);
  }

  names(): string[] {
    return [...this.factories.keys()];
  }

  /** Resolves specs to factories with their options, outermost first; unknown names and duplicates are errors. */
  resolve(specs: readonly FacetSpec[]): { factory: FacetFactory; options: Record<string, unknown> }[] {
    if (!Array.isArray(specs)) throw new InvalidArgumentError('facets must be an array of names or { name, …options }');
    const seen = new Set<string>();
    const resolved = specs.map((spec, i) => {
      const { name, ...options } = typeof spec === 'string' ? { name: spec } : (spec as { name: string });
      const factory = this.factories.get(name);
      if (factory === undefined) throw new InvalidArgumentError(`facets[${i}]: no facet named ${shown(name)} (known: ${this.names().join(', ')})`);
      if (seen.has(name)) throw new InvalidArgumentError(`facets[${i}]: ${name} is attached twice`);
      seen.add(name);
      return { factory, options };
    });
    return resolved.sort((a, b) => b.factory.priority - a.factory.priority);
  }
}
