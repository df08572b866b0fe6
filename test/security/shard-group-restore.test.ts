import { kill9, startNodeProcess } from '../support/node-process.js';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildActor } from '../../src/sdk/build-actor.js';

// A tenant's shard groups survive a crash of the node like its applications do: created (and scaled)
// over HTTP, the process SIGKILLed, a new one started on the same data directory lists them and
// scatter-gathers over them; a deleted group stays deleted.

const dir = mkdtempSync(join(tmpdir(), 'plex-group-restore-'));
const children: ChildProcess[] = [];
let kvShard: Uint8Array;

beforeAll(async () => {
  kvShard = (await buildActor(join(import.meta.dirname, '../../examples/actors/kv-shard.ts'))).component;
}, 120_000);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const startNode = () => startNodeProcess(dir, children);

async function post(http: string, path: string, body: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${http}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

const groups = async (http: string, tenant: string) => ((await (await fetch(`${http}/api/v1/shard-groups/${tenant}/jobs`)).json()) as { groups: { id: string; shards: number }[] }).groups;

describe('shard groups across a node crash', () => {
  it('come back from the data directory, with their shard count, and answer a scatter-gather', async () => {
    const first = await startNode();
    const form = new FormData();
    form.set('tenant', 'acme');
    form.set('application_id', 'kv');
    form.set('name', 'kv-shard');
    form.set('version', '1.0.0');
    form.set('wasm_file', new Blob([new Uint8Array(kvShard)]), 'kv-shard.wasm');
    expect((await fetch(`${first.http}/api/v1/applications/deploy`, { method: 'POST', body: form })).status).toBe(201);
    const sg = '/api/v1/shard-groups/acme/jobs';
    for (const id of ['grid', 'scratch']) expect((await post(first.http, sg, { id, application: 'kv', shards: 2, partition: 'consistent-hash' })).status).toBe(201);
    const scaled = await post(first.http, `${sg}/grid/scale`, { shards: 3 });
    expect(scaled.status, JSON.stringify(scaled.json)).toBe(200);
    expect((await fetch(`${first.http}${sg}/scratch`, { method: 'DELETE' })).status).toBe(200);
    expect((await post(first.http, `${sg}/grid/bulk-update`, { entries: [['a', 1], ['b', 2]] })).status).toBe(200);
    await kill9(first.child);

    const second = await startNode();
    expect(second.out()).toContain('shard groups: 1 restored (acme/jobs/grid)');
    expect(await groups(second.http, 'acme')).toEqual([{ id: 'grid', shards: 3, partition: 'consistent-hash', rebalancing: false, nodes: Array(3).fill(expect.any(String)) }]);
    const gathered = await post(second.http, `${sg}/grid/scatter-gather`, { type: 'barrier', payload: { round: 7 }, aggregate: 'majority' });
    expect(gathered.status, JSON.stringify(gathered.json)).toBe(200);
    expect(gathered.json.value).toEqual({ round: 7 });
    // The group works as a new one would: shard state is not kept (its shards are new actors).
    expect((await post(second.http, `${sg}/grid/bulk-update`, { entries: Array.from({ length: 10 }, (_, i) => [`k${i}`, i]) })).status).toBe(200);
    const sum = await post(second.http, `${sg}/grid/reduce`, { type: 'stats', op: 'sum', path: 'sum' });
    expect(sum.json).toMatchObject({ value: 45 });
    expect(sum.json.shards).toHaveLength(3);
    // Another tenant sees none of it.
    expect(await groups(second.http, 'globex')).toEqual([]);
    await kill9(second.child);
  }, 120_000);
});
