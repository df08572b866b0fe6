import { InvalidArgumentError } from '../../errors.js';
import { utf8 } from '../../runtime/protocol.js';
import { FacetPriority, type FacetFactory } from '../facet.js';

export interface ActorMessageStats {
  messages: number;
  failures: number;
  totalMs: number;
  maxMs: number;
}

/**
 * `metrics`: counts each actor's messages and failures and times them
 * (the handler plus the facets inside this one). Read with `stats(id)`.
 */
export function metricsFacet(): FacetFactory & { stats(actorId: string): ActorMessageStats | undefined } {
  const byActor = new Map<string, ActorMessageStats>();
  return {
    name: 'metrics',
    priority: FacetPriority.Metrics,
    stats: (actorId) => {
      const s = byActor.get(actorId);
      return s === undefined ? undefined : { ...s };
    },
    create(host) {
      const stats: ActorMessageStats = { messages: 0, failures: 0, totalMs: 0, maxMs: 0 };
      byActor.set(host.actorId, stats);
      return {
        async handle(_envelope, next) {
          const started = performance.now();
          try {
            return await next();
          } catch (error) {
            stats.failures++;
            throw error;
          } finally {
            const ms = performance.now() - started;
            stats.messages++;
            stats.totalMs += ms;
            if (ms > stats.maxMs) stats.maxMs = ms;
          }
        },
      };
    },
  };
}

/** `logging`: one JSON line per message (actor, type, sender, duration, outcome) to `write` (default stderr). */
export function loggingFacet(write: (line: string) => void = (line) => process.stderr.write(line)): FacetFactory {
  return {
    name: 'logging',
    priority: FacetPriority.Logging,
    create(host) {
      return {
        async handle(envelope, next) {
          const started = performance.now();
          let outcome = 'ok';
          try {
            return await next();
          } catch (error) {
            outcome = (error as { code?: string }).code ?? 'error';
            throw error;
          } finally {
            write(`${JSON.stringify({ actor: host.actorId, type: envelope.type, from: envelope.from, ms: Math.round((performance.now() - started) * 1000) / 1000, outcome })}\n`);
          }
        },
      };
    },
  };
}

/** `timer`: sends the actor `type` (default `tick`) every `everyMs` while it runs. */
export function timerFacet(): FacetFactory {
  return {
    name: 'timer',
    priority: FacetPriority.Timer,
    create(host, options) {
      const everyMs = options.everyMs;
      if (typeof everyMs !== 'number' || !(everyMs > 0)) throw new InvalidArgumentError(`timer.everyMs must be a positive number, got ${String(everyMs)}`);
      const type = typeof options.type === 'string' ? options.type : 'tick';
      const payload = utf8.encode(options.payload === undefined ? '{}' : JSON.stringify(options.payload));
      return {
        start() {
          // The actor system cancels an actor's timers when it exits.
          host.system.timers.interval(host.actorId, everyMs, type, payload);
        },
      };
    },
  };
}
