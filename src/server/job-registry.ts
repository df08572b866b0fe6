import { randomUUID } from 'node:crypto';
import { ForbiddenError, InvalidArgumentError, shown } from '../errors.js';
import type { Principal } from './auth.js';
import type { Scope } from './node-service.js';

/** A running job as the dashboard's Jobs page lists it. */
export interface RunningJob {
  readonly id: string;
  readonly tenant: string;
  readonly namespace: string;
  /** `nbody` (the websocket's `job.nbody`); the registry takes any kind a surface starts. */
  readonly kind: string;
  /** What it was started with (bodies, steps, workers…). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly startedAt: string;
  /** Steps done and to do, and the last energy reported (null until one is). */
  readonly step: number;
  readonly steps: number | null;
  readonly energy: number | null;
}

/** What a job's code gets: the signal that cancels it, and where it reports its progress. */
export interface JobHandle {
  readonly signal: AbortSignal;
  progress(step: number, steps: number, energy?: number): void;
}

interface Entry {
  job: RunningJob;
  readonly controller: AbortController;
}

/**
 * The jobs running on this node (long computations such as `job.nbody`),
 * so the dashboard can list them with their progress and cancel one. A job
 * is here from its start to its end, whichever way it ends; cancelling
 * aborts its signal, which the job checks between steps.
 */
export class JobRegistry {
  private readonly running = new Map<string, Entry>();

  /**
   * Runs `run` as a listed job of `scope`; `signal` (the caller's: a socket
   * that closed, a cancel) aborts it too. Resolves or rejects as `run` does.
   */
  async run<T>(scope: Scope, kind: string, params: Record<string, unknown>, signal: AbortSignal | undefined, run: (job: JobHandle) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const stop = () => controller.abort(signal?.reason);
    if (signal?.aborted) stop();
    signal?.addEventListener('abort', stop, { once: true });
    const id = randomUUID();
    const entry: Entry = {
      controller,
      job: { id, tenant: scope.tenant, namespace: scope.namespace, kind, params: { ...params }, startedAt: new Date().toISOString(), step: 0, steps: null, energy: null },
    };
    this.running.set(id, entry);
    try {
      return await run({
        signal: controller.signal,
        progress: (step, steps, energy) => {
          entry.job = { ...entry.job, step, steps, energy: energy ?? entry.job.energy };
        },
      });
    } finally {
      this.running.delete(id);
      signal?.removeEventListener('abort', stop);
    }
  }

  /** The running jobs `principal` may see: an operator every tenant's, a tenant its own (in the namespaces it holds). */
  list(principal: Principal): RunningJob[] {
    return [...this.running.values()].map((e) => e.job).filter((job) => visible(principal, job));
  }

  /** Cancels a running job; PLEX_ERR_INVALID_ARGUMENT for an unknown id, PLEX_ERR_FORBIDDEN for another tenant's. */
  cancel(principal: Principal, id: string): RunningJob {
    const entry = this.running.get(id);
    if (entry === undefined) throw new InvalidArgumentError(`no running job ${shown(id)} (it may have ended)`);
    if (!visible(principal, entry.job)) throw new ForbiddenError(`job ${shown(id)} is not this token's tenant's`);
    entry.controller.abort(new Error('cancelled from the dashboard'));
    return entry.job;
  }
}

function visible(principal: Principal, job: RunningJob): boolean {
  if (principal.operator) return true;
  return job.tenant === principal.tenant && (principal.namespaces === '*' || principal.namespaces.includes(job.namespace));
}
