import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActorSystem } from '../../src/actors/actor-system.js';
import { eventually, HostOp, probeCall, probeLog, systemWithProbe, text } from './support.js';

let system: ActorSystem;
beforeAll(async () => {
  system = await systemWithProbe();
}, 60_000);
afterAll(async () => {
  await system?.close();
});

describe('links and monitors (actors on different workers)', () => {
  it('a crash kills linked actors that do not trap exits, in a chain, and tells trapping ones with an exit message', async () => {
    const a = await system.spawn('probe', { id: 'link-a', worker: 0 });
    const b = await system.spawn('probe', { id: 'link-b', worker: 1 });
    const c = await system.spawn('probe', { id: 'link-c', worker: 0 });
    const trapper = await system.spawn('probe', { id: 'link-trapper', worker: 1, trapExits: true });
    system.link(a, b);
    system.link(b, c);
    system.link(a, trapper);
    await expect(system.ask(a, 'crash')).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_TRAPPED' });
    await eventually(() => !system.runtime.has(b) && !system.runtime.has(c));
    expect(system.runtime.has(trapper)).toBe(true);
    const log = await probeLog(system, trapper);
    expect(log).toHaveLength(1);
    expect(log[0][0]).toBe('exit');
    expect(JSON.parse(log[0][1])).toMatchObject({ from: a, normal: false, reason: expect.stringMatching(/^PLEX_ERR_ACTOR_TRAPPED/) });
  });

  it('a normal stop leaves linked actors running', async () => {
    const a = await system.spawn('probe', { worker: 0 });
    const b = await system.spawn('probe', { worker: 1 });
    system.link(a, b);
    await system.stop(a);
    await new Promise((r) => setTimeout(r, 20));
    expect(system.runtime.has(b)).toBe(true);
    expect(await system.ask(b, 'inc').then(text)).toBe('1');
  });

  it('a monitor gets one down message with the reason; monitoring a dead actor answers noproc at once', async () => {
    const watcher = await system.spawn('probe', { worker: 0 });
    const target = await system.spawn('probe', { worker: 1 });
    const ref = await probeCall(system, watcher, HostOp.Monitor, target);
    expect(ref).toMatch(/^mon-/);
    await system.kill(target, 'test');
    await eventually(async () => (await probeLog(system, watcher)).length === 1);
    const [[type, payload]] = await probeLog(system, watcher);
    expect(type).toBe('down');
    expect(JSON.parse(payload)).toEqual({ ref, actor: target, reason: 'killed: test', normal: false });
    const ref2 = await probeCall(system, watcher, HostOp.Monitor, 'no-such-actor');
    await eventually(async () => (await probeLog(system, watcher)).length === 2);
    expect(JSON.parse((await probeLog(system, watcher))[1][1])).toEqual({ ref: ref2, actor: 'no-such-actor', reason: 'noproc', normal: false });
  });

  it('links made from inside an actor work the same way; linking to a missing actor is an ERROR', async () => {
    const a = await system.spawn('probe', { worker: 0 });
    const b = await system.spawn('probe', { worker: 1 });
    expect(await probeCall(system, a, HostOp.Link, b)).toBe('ok');
    expect(await probeCall(system, a, HostOp.Link, 'ghost')).toBe('ERROR');
    await system.kill(b);
    await eventually(() => !system.runtime.has(a));
  });
});

describe('timers', () => {
  it('send-after delivers to the caller; a cancelled timer never fires; intervals repeat until cancelled', async () => {
    const id = await system.spawn('probe');
    expect(await probeCall(system, id, HostOp.SendAfter, '30\nwake\n{"n":1}')).toMatch(/^timer-/);
    const cancelled = await probeCall(system, id, HostOp.SendAfter, '30\nnever\n{}');
    expect(await probeCall(system, id, HostOp.CancelTimer, cancelled)).toBe('ok');
    const interval = await probeCall(system, id, HostOp.SendInterval, '15\ntick\n{}');
    await eventually(async () => (await probeLog(system, id)).filter(([t]) => t === 'tick').length >= 3);
    expect(await probeCall(system, id, HostOp.CancelTimer, interval)).toBe('ok');
    const log = await probeLog(system, id);
    expect(log).toContainEqual(['wake', '{"n":1}']);
    expect(log.map(([t]) => t)).not.toContain('never');
    const ticks = log.filter(([t]) => t === 'tick').length;
    await new Promise((r) => setTimeout(r, 60));
    expect((await probeLog(system, id)).filter(([t]) => t === 'tick').length).toBe(ticks);
  });

  it('an exiting actor takes its timers with it', async () => {
    const id = await system.spawn('probe');
    await probeCall(system, id, HostOp.SendInterval, '10\ntick\n{}');
    await probeCall(system, id, HostOp.SendAfter, '10000\nlater\n{}');
    expect(system.timers.pendingTimers(id)).toBe(2);
    await system.stop(id);
    expect(system.timers.pendingTimers(id)).toBe(0);
  });

  it('rejects bad delays', async () => {
    const id = await system.spawn('probe');
    expect(await probeCall(system, id, HostOp.SendAfter, '-5\nx\n{}')).toBe('ERROR');
    expect(await probeCall(system, id, HostOp.SendInterval, '0\nx\n{}')).toBe('ERROR');
    expect(system.timers.pendingTimers(id)).toBe(0);
  });
});

describe('coordination host calls from a core module', () => {
  it('kv, groups, locks, blobs and channels work through plex.call, in the actor’s scope', async () => {
    const a = await system.spawn('probe', { id: 'acme/prod/a' });
    const b = await system.spawn('probe', { id: 'acme/prod/b' });
    const other = await system.spawn('probe', { id: 'globex/prod/a' });
    expect(await probeCall(system, a, HostOp.KvPut, 'greeting\n\nhello')).toBe('ok');
    expect(await probeCall(system, b, HostOp.KvGet, 'greeting')).toBe('hello');
    expect(await probeCall(system, other, HostOp.KvGet, 'greeting')).toBe('');
    expect(await system.coordination.kv.get({ tenant: 'acme', namespace: 'prod' }, 'greeting')).toBe('hello');
    expect(JSON.parse(await probeCall(system, a, HostOp.KvList, 'gr'))).toEqual(['greeting']);

    expect(await probeCall(system, a, HostOp.PgJoin, 'room')).toBe('ok');
    expect(await probeCall(system, b, HostOp.PgJoin, 'room')).toBe('ok');
    expect(await probeCall(system, other, HostOp.PgJoin, 'room')).toBe('ok');
    expect(JSON.parse(await probeCall(system, a, HostOp.PgMembers, 'room'))).toEqual([a, b]);
    expect(await probeCall(system, a, HostOp.PgBroadcast, 'room\nchat\n{"text":"hi"}')).toBe('2');
    await eventually(async () => (await probeLog(system, b)).some(([t]) => t === 'chat'));
    expect(await probeLog(system, other)).toEqual([]);

    const grant = JSON.parse(await probeCall(system, a, HostOp.LockAcquire, '\n\n\nleader\n30\n0'));
    expect(grant).toMatchObject({ lock_id: 'leader', holder: a, version: expect.any(String) });
    expect(await probeCall(system, b, HostOp.LockAcquire, '\n\n\nleader\n30\n0')).toBe('ERROR');
    expect(await probeCall(system, b, HostOp.LockAcquire, 'globex\nprod\n\nleader\n30\n0')).toBe('ERROR'); // not its tenant
    expect(await probeCall(system, a, HostOp.LockRelease, `leader\n\n\n\n${grant.version}`)).toBe('ok');
    expect(JSON.parse(await probeCall(system, b, HostOp.LockAcquire, '\n\n\nleader\n30\n0')).version).toBe(String(BigInt(grant.version) + 1n));

    expect(JSON.parse(await probeCall(system, a, HostOp.BlobUpload, 'notes.txt\ntext/plain\nline 1\nline 2'))).toMatchObject({ blob_id: 'notes.txt', size: 13, content_type: 'text/plain' });
    expect(await probeCall(system, b, HostOp.BlobDownload, 'notes.txt')).toBe('line 1\nline 2');
    expect(await probeCall(system, other, HostOp.BlobDownload, 'notes.txt')).toBe('ERROR');

    expect(await probeCall(system, a, HostOp.ChannelSend, 'jobs\n\n{"job":1}')).toBe('ok');
    const delivery = JSON.parse(await probeCall(system, b, HostOp.ChannelReceive, 'jobs\n1000'));
    expect(delivery).toMatchObject({ message: { job: 1 }, attempt: 1 });
    expect(await probeCall(system, other, HostOp.ChannelReceive, 'jobs\n0')).toBe('');
    // b dies holding the delivery: it is redelivered to the next consumer.
    await system.kill(b);
    const again = JSON.parse(await probeCall(system, a, HostOp.ChannelReceive, 'jobs\n1000'));
    expect(again).toMatchObject({ message: { job: 1 }, attempt: 2 });
    expect(await probeCall(system, a, HostOp.ChannelAck, `jobs\n${again.id}`)).toBe('ok');
    // b also left its group when it died.
    expect(await system.coordination.groups.members({ tenant: 'acme', namespace: 'prod' }, 'room')).toEqual([a]);
  });

  it('a lock call’s namespace other than the caller’s own names a lock group inside the caller’s scope (the articles’ "leader-election")', async () => {
    const a = await system.spawn('probe', { id: 'acme/prod/candidate-a' });
    const b = await system.spawn('probe', { id: 'acme/prod/candidate-b' });
    const dev = await system.spawn('probe', { id: 'acme/dev/candidate-a' });
    // The lock `chief`: the test above left the scope's plain `leader` held.
    const acquire = (id: string, tenant: string, namespace: string) => probeCall(system, id, HostOp.LockAcquire, `${tenant}\n${namespace}\n\nchief\n30\n0`);
    // lock_acquire("", "leader-election", …, "chief", 30, 0): the candidates of one scope contend for one lock.
    const grant = JSON.parse(await acquire(a, '', 'leader-election'));
    expect(grant).toMatchObject({ lock_id: 'chief', holder: a });
    expect(await acquire(b, '', 'leader-election')).toBe('ERROR');
    // The group's lock is not the scope's plain lock of that name; naming the own namespace is the plain lock.
    expect(JSON.parse(await acquire(b, '', ''))).toMatchObject({ lock_id: 'chief', holder: b });
    expect(await acquire(a, '', 'prod')).toBe('ERROR');
    expect(await acquire(a, 'acme', 'prod')).toBe('ERROR');
    // Another namespace of the tenant has a group of that name of its own; another tenant stays refused, and so does a bad name.
    expect(JSON.parse(await acquire(dev, '', 'leader-election'))).toMatchObject({ holder: dev });
    expect(await acquire(b, 'globex', 'leader-election')).toBe('ERROR');
    expect(await acquire(b, '', 'no/slashes')).toBe('ERROR');
    // Released through the same group, the lock goes to the next candidate with a newer fencing version.
    expect(await probeCall(system, a, HostOp.LockRelease, `chief\n\nleader-election\n\n${grant.version}`)).toBe('ok');
    expect(JSON.parse(await acquire(b, '', 'leader-election')).version).toBe(String(BigInt(grant.version) + 1n));
  });
});

describe('ask between actors on the same worker', () => {
  it('answers instead of waiting out its timeout: the worker runs the neighbour while the asker waits', async () => {
    const asker = await system.spawn('probe', { worker: 0 });
    const neighbour = await system.spawn('probe', { worker: 0 });
    const faceted = await system.spawn('probe', { worker: 0, facets: ['metrics'] });
    await system.ask(neighbour, 'inc');
    const started = Date.now();
    expect(await probeCall(system, asker, HostOp.Ask, `${neighbour}\ninc\n2000\n`)).toBe('2');
    expect(await probeCall(system, asker, HostOp.Ask, `${faceted}\ninc\n2000\n`)).toBe('1');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(system.actorMetrics(faceted)?.messages).toBe(1);
    // The neighbour may make host calls of its own while the asker's call is outstanding (they take the next channel).
    await system.coordination.kv.put({ tenant: 'default', namespace: 'default' }, 'nested-key', 'nested value');
    expect(await probeCall(system, asker, HostOp.Ask, `${neighbour}\ncall\n2000\n${HostOp.KvGet}\nnested-key`)).toBe('nested value');
    // Nested twice: the neighbour asks a third actor on the same worker, which reads the KV store.
    const third = await system.spawn('probe', { worker: 0 });
    const inner = `${third}\ncall\n2000\n${HostOp.KvGet}\nnested-key`;
    expect(await probeCall(system, asker, HostOp.Ask, `${neighbour}\ncall\n2000\n${HostOp.Ask}\n${inner}`)).toBe('nested value');
    // Messages to the waiting actor itself wait their turn: they are handled after its current one, in order.
    const order = await Promise.all([probeCall(system, asker, HostOp.Ask, `${neighbour}\ninc\n2000\n`), system.ask(asker, 'inc').then(text), system.ask(asker, 'inc').then(text)]);
    expect(order).toEqual(['3', '1', '2']);
  });
});
