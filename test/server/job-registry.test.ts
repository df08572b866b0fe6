import { describe, expect, it } from 'vitest';
import { OPEN, type Principal } from '../../src/server/auth.js';
import { JobRegistry, type JobHandle } from '../../src/server/job-registry.js';

const acme: Principal = { tenant: 'acme', namespaces: '*', operator: false };
const globex: Principal = { tenant: 'globex', namespaces: '*', operator: false };
const scope = { tenant: 'acme', namespace: 'default' };

/** A job that runs until its signal aborts, reporting what the test tells it to. */
function waitingJob(started: (job: JobHandle) => void) {
  return (job: JobHandle) =>
    new Promise<string>((_, reject) => {
      started(job);
      job.signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { code: 'PLEX_ERR_ABORTED' })), { once: true });
    });
}

describe('JobRegistry', () => {
  it('lists a job while it runs, with its last progress, to its own tenant and operators only', async () => {
    const jobs = new JobRegistry();
    let handle!: JobHandle;
    const running = jobs.run(scope, 'nbody', { bodies: 64 }, undefined, waitingJob((job) => (handle = job)));
    handle.progress(3, 10, -0.5);
    handle.progress(4, 10);
    expect(jobs.list(acme)).toMatchObject([{ tenant: 'acme', kind: 'nbody', params: { bodies: 64 }, step: 4, steps: 10, energy: -0.5 }]);
    expect(jobs.list(OPEN)).toHaveLength(1);
    expect(jobs.list(globex)).toEqual([]);
    // Another tenant cannot cancel it; its own tenant can, and the job ends and leaves the list.
    const [listed] = jobs.list(acme);
    expect(() => jobs.cancel(globex, listed.id)).toThrow(expect.objectContaining({ code: 'PLEX_ERR_FORBIDDEN' }));
    jobs.cancel(acme, listed.id);
    await expect(running).rejects.toMatchObject({ code: 'PLEX_ERR_ABORTED' });
    expect(jobs.list(OPEN)).toEqual([]);
    expect(() => jobs.cancel(acme, listed.id)).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' }));
  });

  it('the caller’s signal aborts the job too, and a finished job leaves the list', async () => {
    const jobs = new JobRegistry();
    const caller = new AbortController();
    const running = jobs.run(scope, 'nbody', {}, caller.signal, waitingJob(() => undefined));
    caller.abort();
    await expect(running).rejects.toMatchObject({ code: 'PLEX_ERR_ABORTED' });
    expect(await jobs.run(scope, 'nbody', {}, undefined, async () => 'done')).toBe('done');
    expect(jobs.list(OPEN)).toEqual([]);
  });
});
