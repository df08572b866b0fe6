import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActorSystem } from '../../src/actors/actor-system.js';
import { Supervisor, type SupervisorEvent, type SupervisorSpec } from '../../src/actors/supervisor.js';
import { eventually, systemWithProbe, text } from './support.js';

let system: ActorSystem;
beforeAll(async () => {
  system = await systemWithProbe();
}, 60_000);
afterAll(async () => {
  await system?.close();
});

const count = async (id: string) => Number(text(await system.ask(id, 'inc'))) - 1; // inc, then read what it was
const crash = (id: string) => system.ask(id, 'crash').catch(() => undefined);

/** Three probe children a, b, c under `strategy`, each with a distinct count so restarts show. */
async function tree(prefix: string, strategy: SupervisorSpec['strategy'], extra: Partial<SupervisorSpec> = {}) {
  const sup = await Supervisor.start(
    system,
    prefix,
    { strategy, maxRestarts: 10, maxRestartWindowMs: 10_000, children: ['a', 'b', 'c'].map((id) => ({ id, module: 'probe' })), ...extra },
    { idPrefix: `${prefix}-` },
  );
  for (const id of ['a', 'b', 'c']) for (let i = 0; i < 5; i++) await system.ask(`${prefix}-${id}`, 'inc');
  return sup;
}

describe('Supervisor strategies', () => {
  it('one_for_one restarts only the crashed child (fresh state); siblings keep theirs', async () => {
    const sup = await tree('o4o', 'one_for_one');
    await crash('o4o-b');
    await sup.idle();
    await eventually(() => system.runtime.has('o4o-b'));
    expect([await count('o4o-a'), await count('o4o-b'), await count('o4o-c')]).toEqual([5, 0, 5]);
    expect(sup.childInfo().map((c) => c.restarts)).toEqual([0, 1, 0]);
    await sup.stop();
  });

  it('one_for_all restarts every child', async () => {
    const heard: string[] = [];
    const off = system.onRestart((r) => heard.push(`${r.supervisor}:${r.child}`));
    const sup = await tree('o4a', 'one_for_all');
    await crash('o4a-b');
    await sup.idle();
    expect([await count('o4a-a'), await count('o4a-b'), await count('o4a-c')]).toEqual([0, 0, 0]);
    off();
    expect(heard.sort()).toEqual(['o4a:a', 'o4a:b', 'o4a:c']); // what the node's restart metric counts
    await sup.stop();
  });

  it('rest_for_one restarts the child and those started after it', async () => {
    const sup = await tree('r41', 'rest_for_one');
    await crash('r41-b');
    await sup.idle();
    expect([await count('r41-a'), await count('r41-b'), await count('r41-c')]).toEqual([5, 0, 0]);
    await sup.stop();
  });
});

describe('restart policies', () => {
  it('permanent: restarted even after a normal stop; transient: only after a crash; temporary: never, and forgotten', async () => {
    const sup = await Supervisor.start(
      system,
      'policies',
      {
        maxRestarts: 10,
        children: [
          { id: 'pol-perm', module: 'probe', restart: 'permanent' },
          { id: 'pol-trans', module: 'probe', restart: 'transient' },
          { id: 'pol-trans2', module: 'probe', restart: 'transient' },
          { id: 'pol-temp', module: 'probe', restart: 'temporary' },
        ],
      },
    );
    await system.stop('pol-perm');
    await system.stop('pol-trans');
    await crash('pol-trans2');
    await crash('pol-temp');
    await sup.idle();
    expect(system.runtime.has('pol-perm')).toBe(true);
    expect(system.runtime.has('pol-trans')).toBe(false);
    expect(system.runtime.has('pol-trans2')).toBe(true);
    expect(system.runtime.has('pol-temp')).toBe(false);
    expect(sup.childInfo().map((c) => [c.id, c.running])).toEqual([
      ['pol-perm', true],
      ['pol-trans', false],
      ['pol-trans2', true],
    ]);
    await sup.stop();
  });
});

describe('restart intensity and escalation', () => {
  it('more than maxRestarts in the window: the supervisor stops its children and escalates', async () => {
    const events: SupervisorEvent[] = [];
    const sup = await Supervisor.start(system, 'fragile', {
      maxRestarts: 2,
      maxRestartWindowMs: 10_000,
      children: [
        { id: 'frag-a', module: 'probe' },
        { id: 'frag-b', module: 'probe' },
      ],
    });
    sup.onEvent((e) => events.push(e));
    for (let i = 0; i < 3; i++) {
      await eventually(() => system.runtime.has('frag-a'));
      await crash('frag-a');
      await sup.idle();
    }
    expect(sup.status).toBe('escalated');
    expect(system.runtime.has('frag-a')).toBe(false);
    expect(system.runtime.has('frag-b')).toBe(false);
    const escalation = events.find((e) => e.type === 'escalate');
    expect(escalation).toMatchObject({ error: { code: 'PLEX_ERR_ESCALATED', supervisor: 'fragile' } });
    expect(events.filter((e) => e.type === 'restart')).toHaveLength(2);
  });

  it('a nested supervisor that escalates is restarted by its parent as a whole; the parent escalates past its own limit', async () => {
    const events: SupervisorEvent[] = [];
    const root = await Supervisor.start(system, 'root', {
      strategy: 'one_for_one',
      maxRestarts: 1,
      maxRestartWindowMs: 10_000,
      children: [
        { id: 'nest-sibling', module: 'probe' },
        { id: 'inner', supervisor: { maxRestarts: 0, children: [{ id: 'nest-worker', module: 'probe' }] } },
      ],
    });
    root.onEvent((e) => events.push(e));
    for (let i = 0; i < 5; i++) await system.ask('nest-sibling', 'inc');
    await crash('nest-worker'); // inner gives up at once (maxRestarts 0) → root restarts inner
    await root.idle();
    await eventually(() => system.runtime.has('nest-worker'));
    expect(root.status).toBe('running');
    expect(root.childSupervisor('inner')?.status).toBe('running');
    expect(await count('nest-sibling')).toBe(5);
    expect(events).toContainEqual(expect.objectContaining({ type: 'restart', child: 'inner' }));
    await crash('nest-worker'); // inner escalates again → root's second restart in the window → root escalates
    await root.idle();
    expect(root.status).toBe('escalated');
    expect(system.runtime.has('nest-sibling')).toBe(false);
    expect(system.runtime.has('nest-worker')).toBe(false);
  });

  it('a restart that fails (init refuses) counts as another exit, so a child that cannot start escalates instead of looping', async () => {
    const scope = { tenant: 'default', namespace: 'default' };
    const events: SupervisorEvent[] = [];
    const sup = await Supervisor.start(system, 'bad-init', {
      maxRestarts: 3,
      maxRestartWindowMs: 10_000,
      children: [{ id: 'bad-init-child', module: 'probe', config: 'fail-if-kv:bad-init-switch' }],
    });
    sup.onEvent((e) => events.push(e));
    await system.coordination.kv.put(scope, 'bad-init-switch', 'on');
    await crash('bad-init-child');
    await sup.idle();
    expect(sup.status).toBe('escalated');
    expect(events.filter((e) => e.type === 'restart')).toHaveLength(3);
    expect(events.filter((e) => e.type === 'exit' && e.reason.startsWith('restart failed'))).toHaveLength(3);
    await system.coordination.kv.delete(scope, 'bad-init-switch');
  });

  it('back-off waits before restarting', async () => {
    const sup = await Supervisor.start(system, 'slow', {
      maxRestarts: 5,
      backoff: { initialMs: 150, maxMs: 1000 },
      children: [{ id: 'slow-child', module: 'probe' }],
    });
    const started = Date.now();
    await crash('slow-child');
    await sup.idle();
    expect(system.runtime.has('slow-child')).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    await sup.stop();
  });
});

describe('supervisor lifecycle', () => {
  it('starts children in order and stops them in reverse order', async () => {
    const order: string[] = [];
    const off = system.onExit((r) => order.push(r.actorId));
    const sup = await Supervisor.start(system, 'ordered', { children: ['x', 'y', 'z'].map((id) => ({ id: `ord-${id}`, module: 'probe' })) });
    expect(sup.childInfo().map((c) => c.running)).toEqual([true, true, true]);
    await sup.stop();
    off();
    expect(order).toEqual(['ord-z', 'ord-y', 'ord-x']);
    expect(sup.status).toBe('stopped');
  });

  it('refuses an invalid tree before starting anything', async () => {
    const before = system.runtime.placement().length;
    await expect(Supervisor.start(system, 'bad', { strategy: 'all_for_none' as never, children: [] })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(
      Supervisor.start(system, 'dup', { children: [{ id: 'same', module: 'probe' }, { id: 'inner', supervisor: { children: [{ id: 'same', module: 'probe' }] } }] }),
    ).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(Supervisor.start(system, 'pol', { children: [{ id: 'p', module: 'probe', restart: 'sometimes' as never }] })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    expect(system.runtime.placement().length).toBe(before);
  });

  it('a child that cannot start rolls back the children started before it', async () => {
    await expect(
      Supervisor.start(system, 'rollback', { children: [{ id: 'rb-ok', module: 'probe' }, { id: 'rb-missing', module: 'no-such-module' }] }),
    ).rejects.toMatchObject({ code: 'PLEX_ERR_MODULE_NOT_FOUND' });
    expect(system.runtime.has('rb-ok')).toBe(false);
  });
});
