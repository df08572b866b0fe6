import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { Packr } from 'msgpackr';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { openApiDocument } from '../../src/server/openapi/document.js';
import { operationOf, pointerOf, SchemaChecker } from '../support/openapi-check.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchChromium, watchedPage } from '../support/browser.js';
import { deployModule } from '../support/deploy-module.js';
import { startNodeProcess, type NodeProcess } from '../support/node-process.js';
import { builtActor } from '../support/wasm-fixtures.js';

// The dashboard in a real headless Chromium (Debian's, driven by playwright-core) against real
// node processes running a workload this file starts: a deployed counter actor, tuples in a
// space, a shard group. What each page shows is compared with the JSON API's figures.
// PLEX_DASHBOARD_SCREENSHOTS=1 also writes docs/dashboard/<page>.png (committed, shown in the README).

const SCREENSHOTS = process.env.PLEX_DASHBOARD_SCREENSHOTS === '1' ? join(import.meta.dirname, '../../docs/dashboard') : undefined;
const SECRET = 'a-dashboard-test-secret-long-enough-for-hs256';
const children: ChildProcess[] = [];
let dir: string;
let open: NodeProcess;
let guarded: NodeProcess;
let browser: Browser;

const sign = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));

async function api<T = Record<string, unknown>>(node: NodeProcess, path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(`${node.http}${path}`, { method: init.method ?? (init.body === undefined ? 'GET' : 'POST'), headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const text = await response.text();
  expect(response.ok, `${path}: ${text}`).toBe(true);
  return JSON.parse(text) as T;
}

/** Opens a page of the dashboard and waits until the app has rendered it. */
async function openPage(page: Page, node: NodeProcess, hash: string): Promise<void> {
  await page.goto(`${node.http}/dashboard#/${hash}`);
  // The app marks the page it rendered: a hash-only navigation keeps the document (and data-ready) of the last one.
  await page.waitForSelector(`body[data-ready="true"][data-page="#/${hash}"]`);
}

async function screenshot(page: Page, name: string): Promise<void> {
  if (SCREENSHOTS === undefined) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  // The benchmarks page is long: its first screen is enough for the README.
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: name !== 'benchmarks' });
}

/**
 * For the screenshots only: `seconds` of asks, writes and takes over HTTP, so the overview's
 * charts have a few seconds of load to draw. Nothing is asserted on its timing.
 */
async function chartLoad(node: NodeProcess, seconds: number): Promise<void> {
  const until = Date.now() + seconds * 1000;
  const worker = async (n: number) => {
    for (let i = 0; Date.now() < until; i++) {
      await api(node, '/api/v1/actors/tally/ask', { body: { message_type: 'get', application_id: 'counter' } });
      await api(node, '/api/v1/tuplespace/default/default/load/write', { body: { tuple: ['job', n, i] } });
      await api(node, '/api/v1/tuplespace/default/default/load/take', { body: { template: ['job', n, null] } });
      // Uneven load draws a more telling chart than a flat line.
      if (i % 40 === 0) await new Promise((resolve) => setTimeout(resolve, 200 * (1 + (i % 3))));
    }
  };
  await Promise.all([0, 1, 2, 3].map(worker));
}

const packr = new Packr({ useRecords: false, int64AsType: 'bigint' });

/** Starts a long job.nbody over the node's websocket; `ended` resolves with its final frame (a cancel ends it). */
async function startJob(node: NodeProcess): Promise<{ ended: Promise<{ ok: boolean; error?: { code: string } }>; progressed: Promise<void>; close(): void }> {
  const ws = new WebSocket(`${node.http.replace('http', 'ws')}/ws`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let progressed!: () => void;
  const firstProgress = new Promise<void>((resolve) => (progressed = resolve));
  const ended = new Promise<{ ok: boolean; error?: { code: string } }>((resolve) =>
    ws.on('message', (data: Buffer) => {
      const frame = packr.unpack(data) as { id: number; event?: string; ok?: boolean; error?: { code: string } };
      if (frame.event === 'progress') progressed();
      else if (frame.ok !== undefined) resolve(frame as { ok: boolean; error?: { code: string } });
    }),
  );
  ws.send(packr.pack({ id: 1, op: 'job.nbody', args: { bodies: 512, steps: 1_000_000, workers: 1, energyEvery: 50 } }));
  return { ended, progressed: firstProgress, close: () => ws.close() };
}

const cell = (page: Page, table: string, row: string, column: string) => page.locator(`[data-testid="${table}"] tr[data-row="${row}"] td[data-col="${column}"]`);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plex-dashboard-'));
  const config = join(dir, 'auth.toml');
  writeFileSync(config, `[auth]\nenabled = true\nalgorithm = "HS256"\nsecret = "${SECRET}"\noperators = ["ops-alice"]\n`);
  [open, guarded, browser] = await Promise.all([startNodeProcess(join(dir, 'open'), children, { workers: 2 }), startNodeProcess(join(dir, 'guarded'), children, { args: ['--config', config] }), launchChromium()]);

  // The open node's workload: a counter actor (asked once, so it runs), three orders, a shard group.
  expect((await deployModule(open.http, 'counter', builtActor('counter'))).status).toBe(201);
  expect(await api(open, '/api/v1/actors/tally/ask', { body: { message_type: 'inc', payload: 5, application_id: 'counter' } })).toBe(5);
  await api(open, '/api/v1/tuplespace/default/default/orders/write-all', { body: { tuples: [['order', 1], ['order', 2], ['order', 3]] } });
  await api(open, '/api/v1/tuplespace/default/default/orders/read', { body: { template: ['order', null] } });
  await api(open, '/api/v1/shard-groups/default/default', { body: { id: 'users', application: 'counter', shards: 3 } });
  for (let i = 0; i < 3; i++) await api(open, '/api/v1/shard-groups/default/default/users/scatter-gather', { body: { type: 'get' } });
  // A bundle under a supervisor: a counter and an actor that traps when asked, restarted once.
  const bundle = new FormData();
  bundle.set('application_id', 'tallies');
  const child = (id: string, file: string) => `[[supervisor.children]]\nid = "${id}"\nmodule = "${file}"\nworld = "plexspaces:core@0.1.0"\n`;
  bundle.set('manifest', `[application]\nname = "tallies"\nversion = "1.0.0"\n\n[supervisor]\nstrategy = "one_for_one"\n\n${child('tally-a', 'counter.wasm')}\n${child('flaky', 'misbehaving.wasm')}`);
  bundle.append('wasm_file', new Blob([Buffer.from(builtActor('counter'))]), 'counter.wasm');
  bundle.append('wasm_file', new Blob([Buffer.from(builtActor('misbehaving'))]), 'misbehaving.wasm');
  const deployed = await fetch(`${open.http}/api/v1/applications/deploy`, { method: 'POST', body: bundle });
  expect(deployed.status, await deployed.clone().text()).toBe(201);
  const trapped = await fetch(`${open.http}/api/v1/actors/flaky/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message_type: 'trap', application_id: 'tallies' }) });
  expect(((await trapped.json()) as { error: { code: string } }).error.code).toBe('PLEX_ERR_ACTOR_TRAPPED');
  // The supervisor restarts it after the crash report: wait for that (expect.poll is for tests, vi.waitFor works in hooks).
  await vi.waitFor(async () => expect((await api<{ actors: { id: string; restarts: number }[] }>(open, '/api/v1/dashboard/actors')).actors.find((a) => a.id === 'flaky')?.restarts).toBe(1));
  for (const key of ['config/mode', 'config/limit']) await api(open, '/api/v1/kv/default/default/put', { body: { key, value: 'on' } });
  expect((await fetch(`${open.http}/api/v1/blobs/default/default/reports/q1.csv`, { method: 'PUT', body: 'a,b\n1,2\n', headers: { 'content-type': 'text/csv' } })).status).toBe(201);

  // The guarded node: tenant acme's tuples and actor; tenant globex has nothing.
  const acme = await sign({ tenant: 'acme' });
  await api(guarded, '/api/v1/tuplespace/acme/default/invoices/write', { body: { tuple: ['invoice', 1] }, token: acme });
  const form = new FormData();
  for (const [k, v] of Object.entries({ application_id: 'counter', name: 'counter', version: '1.0.0' })) form.set(k, v);
  form.set('wasm_file', new Blob([Buffer.from(builtActor('counter'))]), 'counter.wasm');
  expect((await fetch(`${guarded.http}/api/v1/applications/deploy`, { method: 'POST', body: form, headers: { authorization: `Bearer ${acme}` } })).status).toBe(201);
  expect(await api(guarded, '/api/v1/actors/acme-tally/ask', { body: { message_type: 'inc', payload: 1, application_id: 'counter' }, token: acme })).toBe(1);
});

afterAll(async () => {
  await browser?.close();
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('every page in a real browser, auth off', () => {
  it('loads each page with no console error, live over the websocket', async () => {
    if (SCREENSHOTS !== undefined) await chartLoad(open, 20);
    const { page, errors } = await watchedPage(browser);
    for (const [hash, ready] of [
      ['overview', '[data-testid="chart-ops"]'],
      ['actors', '[data-testid="actors"] tr[data-row="default/default/tally"]'],
      ['actor/default/default/tally', '[data-testid="actor-state"]'],
      ['spaces', '[data-testid="spaces"] tr[data-row="default/default/orders"]'],
      ['shard-groups', '[data-testid="group"]'],
      ['benchmarks', '[data-testid="suite"]'],
      ['coordination/default/default', '[data-testid="kv-keys"]'],
      ['jobs', '[data-testid="jobs"]'],
      ['pipelines', '[data-testid="no-pipelines"]'],
    ] as const) {
      await openPage(page, open, hash);
      await page.waitForSelector(ready);
      // The websocket is up (a snapshot stream runs on the live pages).
      await page.waitForSelector('#live-state.on');
      await screenshot(page, hash.split('/')[0]);
      expect(errors(), hash).toEqual([]);
    }
    await page.close();
  });

  it('shows the same figures as the JSON API', async () => {
    const { page, errors } = await watchedPage(browser);
    await openPage(page, open, 'overview');
    const overview = await api<{ node: { id: string; workers: number; actors: number; version: string } }>(open, '/api/v1/dashboard/overview');
    expect(await page.textContent('[data-testid="node-id"]')).toBe(overview.node.id);
    expect(await page.textContent('[data-testid="node-version"]')).toBe(overview.node.version);
    expect(Number(await page.textContent('[data-testid="node-workers"]'))).toBe(overview.node.workers);
    expect(Number(await page.textContent('[data-testid="node-actors"]'))).toBe(overview.node.actors);
    // One row per worker thread, with the actors the runtime placed on it.
    const placed = await api<{ node: { process: { workerQueues: { worker: number; actors: number }[] } } }>(open, '/api/v1/dashboard/overview?history=false');
    for (const w of placed.node.process.workerQueues) expect(await cell(page, 'workers', String(w.worker), 'actors').textContent(), `worker ${w.worker}`).toBe(String(w.actors));
    // The load charts got samples: the node's history has operations on the http surface.
    const history = await api<{ load: { surfaces: { http: { ops: number } } }[] }>(open, '/api/v1/dashboard/overview');
    expect(history.load.some((s) => s.surfaces.http.ops > 0)).toBe(true);

    await openPage(page, open, 'actors');
    const { actors } = await api<{ actors: { tenant: string; namespace: string; id: string; module: string; worker: number }[] }>(open, '/api/v1/dashboard/actors');
    await page.waitForSelector('[data-testid="actors"] tr[data-row="default/default/tally"]');
    const shown = await page.locator('[data-testid="actors"] tbody tr[data-row]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.row).sort());
    expect(shown).toEqual(actors.map((a) => `${a.tenant}/${a.namespace}/${a.id}`).sort());
    const tally = actors.find((a) => a.id === 'tally')!;
    expect(await cell(page, 'actors', 'default/default/tally', 'module').textContent()).toBe(tally.module);
    expect(Number(await cell(page, 'actors', 'default/default/tally', 'worker').textContent())).toBe(tally.worker);
    // Messages and memory per actor, as its worker counts them (no metrics facet needed), shown as the API says.
    type Counted = { id: string; messages: number; memoryBytes: number };
    const counted = actors.find((a) => a.id === 'tally') as unknown as Counted;
    expect(counted.messages).toBeGreaterThanOrEqual(1);
    expect(counted.memoryBytes).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) await api(open, '/api/v1/actors/tally/ask', { body: { message_type: 'get', application_id: 'counter' } });
    const recounted = (await api<{ actors: Counted[] }>(open, '/api/v1/dashboard/actors')).actors.find((a) => a.id === 'tally')!;
    expect(recounted.messages).toBe(counted.messages + 3);
    await vi.waitFor(async () => expect(Number(await cell(page, 'actors', 'default/default/tally', 'messages').textContent())).toBe(recounted.messages));
    expect(await cell(page, 'actors', 'default/default/tally', 'memoryBytes').textContent()).toMatch(/^\d+(\.\d)? (KiB|MiB|GiB|B)$/);
    // The supervised actor that trapped: its restart and crash, as the API counts them.
    const flaky = actors.find((a) => a.id === 'flaky') as unknown as { restarts: number; crashes: number };
    expect(flaky).toMatchObject({ restarts: 1, crashes: 1 });
    expect(await cell(page, 'actors', 'default/default/flaky', 'restarts').textContent()).toBe('1');
    expect(await cell(page, 'actors', 'default/default/flaky', 'crashes').textContent()).toBe('1');
    // The bundle's supervision tree lists both children, running again.
    const tree = page.locator('[data-application="default/tallies"]');
    expect(await tree.textContent()).toContain('tally-a (worker) running');
    expect(await tree.textContent()).toContain('flaky (worker) running restarts 1');
    // A click on a header sorts by that column; another click turns the order round.
    const ids = () => page.locator('[data-testid="actors"] tbody tr[data-row] td[data-col="id"]').allTextContents();
    const byId = actors.map((a) => a.id).sort((a, b) => a.localeCompare(b));
    await page.click('[data-testid="actors"] th[data-key="id"]');
    expect(await ids()).toEqual(byId);
    await page.click('[data-testid="actors"] th[data-key="id"]');
    expect(await ids()).toEqual([...byId].reverse());
    // Filtering leaves only the matching rows.
    await page.fill('[data-testid="actor-filter"]', 'tally');
    expect(await page.locator('[data-testid="actors"] tbody tr[data-row]').count()).toBe(2); // tally, tally-a

    await openPage(page, open, 'spaces');
    const count = await api<{ count: number }>(open, '/api/v1/tuplespace/default/default/orders/count', { body: { template: ['order', null] } });
    await expect.poll(() => cell(page, 'spaces', 'default/default/orders', 'tuples').textContent()).toBe(String(count.count));
    expect(await cell(page, 'spaces', 'default/default/orders', 'shapes').textContent()).toContain('["order", _]');

    await openPage(page, open, 'shard-groups');
    const { groups } = await api<{ groups: { shards: { shard: number; recent: { gathers: number; p50Ms: number } | null }[] }[] }>(open, '/api/v1/dashboard/shard-groups');
    expect(groups[0].shards.map((s) => s.recent?.gathers)).toEqual([3, 3, 3]);
    for (const s of groups[0].shards) {
      expect(await page.textContent(`[data-group="default/default/users"] tr[data-row="${s.shard}"] td[data-col="gathers"]`)).toBe('3');
      expect(Number(await page.textContent(`[data-group="default/default/users"] tr[data-row="${s.shard}"] td[data-col="p50Ms"]`))).toBe(s.recent!.p50Ms);
    }

    await openPage(page, open, 'benchmarks');
    const { suites } = await api<{ suites: { file: string; results: { id: string }[] }[] }>(open, '/api/v1/dashboard/benchmarks');
    expect(suites.length).toBeGreaterThan(0);
    for (const suite of suites) expect(await page.locator(`[data-suite="${suite.file}"] tr[data-result]`).count(), suite.file).toBe(suite.results.length);
    expect(errors()).toEqual([]);
    await page.close();
  });

  it('shows a scope’s key-value and blob usage and looks a lock up by name', async () => {
    const { page, errors } = await watchedPage(browser);
    await openPage(page, open, 'coordination/default/default');
    const figures = await api<{ kv: { keys: number }; blobs: { count: number } }>(open, '/api/v1/dashboard/coordination/default/default');
    expect(figures.kv.keys).toBe(2);
    expect(await page.textContent('[data-testid="kv-keys"]')).toBe(String(figures.kv.keys));
    expect(await page.textContent('[data-testid="blob-count"]')).toBe(String(figures.blobs.count));
    await page.fill('[data-testid="lock-name"]', 'leader');
    await page.click('[data-testid="lock-form"] button[type="submit"]');
    await expect.poll(() => page.textContent('[data-testid="lock-result"]')).toBe('leader: free');
    expect(errors()).toEqual([]);
    await page.close();
  });

  it('shows each pipeline stage’s live figures, as the API reports them', async () => {
    // The counter answers "get" with a bare number, not {"out": [...]}: every attempt fails, and the page must show it.
    await api(open, '/api/v1/pipelines/default/default', { body: { name: 'dash', space: 'dash', stages: [{ name: 'count', module: 'counter', input: ['job', null], message: 'get', maxAttempts: 1, instances: 2 }] } });
    try {
      const { page, errors } = await watchedPage(browser);
      await openPage(page, open, 'pipelines');
      const row = '[data-testid="pipeline-default/default/dash"] tr[data-row="count"]';
      await page.waitForSelector(row);
      expect(await page.textContent(`${row} td[data-col="instances"]`)).toBe('2');
      await api(open, '/api/v1/pipelines/default/default/dash/write', { body: { tuples: [['job', 1], ['job', 2]] } });
      type Figures = { stages: { failures: number }[] };
      await expect.poll(async () => (await api<Figures>(open, '/api/v1/pipelines/default/default/dash')).stages[0].failures, { timeout: 20_000 }).toBe(10); // 2 tuples × 5 deliveries × 1 attempt
      await expect.poll(() => page.textContent(`${row} td[data-col="failures"]`), { timeout: 10_000 }).toBe('10');
      await screenshot(page, 'pipelines');
      expect(errors()).toEqual([]);
      await page.close();
    } finally {
      await api(open, '/api/v1/pipelines/default/default/dash', { method: 'DELETE' });
    }
  });

  it('lists a running job with its progress and cancels it from the page', async () => {
    const job = await startJob(open);
    try {
      await job.progressed;
      const { page, errors } = await watchedPage(browser);
      await openPage(page, open, 'jobs');
      const { jobs } = await api<{ jobs: { id: string; kind: string }[] }>(open, '/api/v1/dashboard/jobs');
      expect(jobs.map((j) => j.kind)).toEqual(['nbody']);
      await page.waitForSelector(`[data-testid="jobs"] tr[data-row="${jobs[0].id}"]`);
      await expect.poll(() => page.textContent(`[data-testid="jobs"] tr[data-row="${jobs[0].id}"] td[data-col="progress"]`)).toMatch(/^\d+ \/ 1000000/);
      await screenshot(page, 'jobs');
      await page.click(`[data-testid="jobs"] tr[data-row="${jobs[0].id}"] [data-testid="cancel-job"]`);
      // The job's own stream ends as a cancel does, and the live list empties.
      expect((await job.ended).error?.code).toBe('PLEX_ERR_ABORTED');
      await page.waitForSelector('[data-testid="jobs"] td.muted');
      expect((await api<{ jobs: unknown[] }>(open, '/api/v1/dashboard/jobs')).jobs).toEqual([]);
      expect(errors()).toEqual([]);
      await page.close();
    } finally {
      job.close();
    }
    // The cancel route's reply fits the OpenAPI document (test/server/openapi.test.ts cannot start a job).
    const second = await startJob(open);
    try {
      await second.progressed;
      const [running] = (await api<{ jobs: { id: string }[] }>(open, '/api/v1/dashboard/jobs')).jobs;
      const reply = await api(open, `/api/v1/dashboard/jobs/${running.id}/cancel`, { method: 'POST' });
      const document = openApiDocument() as Record<string, any>;
      const op = operationOf(document, 'POST', `/api/v1/dashboard/jobs/${running.id}/cancel`)!;
      const checker = new SchemaChecker(document);
      expect(checker.errors(pointerOf('paths', op.path, 'post', 'responses', '200', 'content', 'application/json', 'schema'), reply)).toEqual([]);
      expect((await second.ended).error?.code).toBe('PLEX_ERR_ABORTED');
    } finally {
      second.close();
    }
  });

  it('shows an actor’s recent crashes on its page', async () => {
    const { page, errors } = await watchedPage(browser);
    await openPage(page, open, 'actor/default/default/flaky');
    const { crashes } = await api<{ crashes: { code: string }[] }>(open, '/api/v1/dashboard/actors/default/default/flaky');
    expect(crashes.map((c) => c.code)).toEqual(['PLEX_ERR_ACTOR_TRAPPED']);
    expect(await page.textContent('[data-testid="actor-crashes"]')).toContain('PLEX_ERR_ACTOR_TRAPPED');
    expect(await page.textContent('[data-field="restarts"]')).toBe('1');
    expect(errors()).toEqual([]);
    await page.close();
  });

  it('asks an actor from its page and shows the reply', async () => {
    const { page, errors } = await watchedPage(browser);
    await openPage(page, open, 'actor/default/default/tally');
    await page.fill('[data-testid="ask-type"]', 'inc');
    await page.fill('[data-testid="ask-payload"]', '2');
    await page.click('[data-testid="ask-form"] button[type="submit"]');
    await expect.poll(() => page.textContent('[data-testid="ask-reply"]')).toMatch(/^\d+$/);
    const reply = Number(await page.textContent('[data-testid="ask-reply"]'));
    // The actor's own count says the same, and the page's state (get-state) followed.
    expect(await api(open, '/api/v1/actors/tally/ask', { body: { message_type: 'get', application_id: 'counter' } })).toBe(reply);
    await expect.poll(() => page.textContent('[data-testid="actor-state"]')).toBe(String(reply));
    await screenshot(page, 'actor');
    expect(errors()).toEqual([]);
    await page.close();
  });

  it('watches a space live: a tuple written through the API shows in the watch view', async () => {
    const { page, errors } = await watchedPage(browser);
    await openPage(page, open, 'spaces');
    await page.fill('[data-testid="op-space"]', 'watched');
    await page.fill('[data-testid="watch-template"]', '["alert", null]');
    await page.click('[data-testid="watch-form"] button[type="submit"]');
    // The watch is open once the space has a watcher (the Spaces table's own live figures say so).
    await expect.poll(() => cell(page, 'spaces', 'default/default/watched', 'watchers').textContent()).toBe('1');
    await api(open, '/api/v1/tuplespace/default/default/watched/write', { body: { tuple: ['alert', 'disk full'] } });
    await expect.poll(() => page.textContent('[data-testid="watch-log"]')).toContain('write ["alert","disk full"]');
    await page.click('[data-testid="watch-form"] button[type="button"]'); // Stop
    await expect.poll(() => cell(page, 'spaces', 'default/default/watched', 'watchers').textContent()).toBe('0');
    expect(errors()).toEqual([]);
    await page.close();
  });

  it('takes a tuple from the form and the live count drops; a write from it brings it back, a read shows it', async () => {
    const { page, errors } = await watchedPage(browser);
    await openPage(page, open, 'spaces');
    const before = (await api<{ count: number }>(open, '/api/v1/tuplespace/default/default/orders/count', { body: { template: ['order', null] } })).count;
    await expect.poll(() => cell(page, 'spaces', 'default/default/orders', 'tuples').textContent()).toBe(String(before));
    await page.fill('[data-testid="op-space"]', 'orders');
    await page.selectOption('[data-testid="op-operation"]', 'take');
    await page.fill('[data-testid="op-tuple"]', '["order", null]');
    await page.click('[data-testid="op-form"] button[type="submit"]');
    await expect.poll(() => page.textContent('[data-testid="op-result"]')).toContain('"order"');
    // No reload: the websocket's snapshots bring the new count.
    await expect.poll(() => cell(page, 'spaces', 'default/default/orders', 'tuples').textContent()).toBe(String(before - 1));
    expect((await api<{ count: number }>(open, '/api/v1/tuplespace/default/default/orders/count', { body: { template: ['order', null] } })).count).toBe(before - 1);
    // A write from the same form brings it back, and a read shows the tuple without taking it.
    await page.selectOption('[data-testid="op-operation"]', 'write');
    await page.fill('[data-testid="op-tuple"]', '["order", 99]');
    await page.click('[data-testid="op-form"] button[type="submit"]');
    await expect.poll(() => cell(page, 'spaces', 'default/default/orders', 'tuples').textContent()).toBe(String(before));
    await page.selectOption('[data-testid="op-operation"]', 'read');
    await page.fill('[data-testid="op-tuple"]', '["order", 99]');
    await page.click('[data-testid="op-form"] button[type="submit"]');
    await expect.poll(() => page.textContent('[data-testid="op-result"]')).toContain('99');
    expect((await api<{ tuple: unknown }>(open, '/api/v1/tuplespace/default/default/orders/read', { body: { template: ['order', 99] } })).tuple).toEqual(['order', 99]);
    expect(errors()).toEqual([]);
    await page.close();
  });
});

describe('auth on: a token is needed, a tenant sees only its own rows', () => {
  async function withToken(token: string) {
    const watched = await watchedPage(browser);
    await watched.page.goto(`${guarded.http}/dashboard#/overview`);
    await watched.page.waitForSelector('body[data-ready="true"]');
    await watched.page.fill('#token-input', token);
    await watched.page.click('#token-form button[type="submit"]');
    await watched.page.waitForSelector('body[data-page="#/overview"] [data-testid="node-id"]');
    return watched;
  }

  it('asks for a token before showing anything', async () => {
    const { page, errors } = await watchedPage(browser);
    await openPage(page, guarded, 'actors');
    await page.waitForSelector('[data-testid="token-needed"]');
    expect(await page.isVisible('#token-form')).toBe(true);
    expect(errors()).toEqual([]);
    await page.close();
  });

  it('tenant acme sees its rows; tenant globex sees none of them; the operator sees both tenants', async () => {
    const acme = await withToken(await sign({ tenant: 'acme' }));
    await acme.page.waitForSelector('[data-testid="load-hidden"]'); // node-wide load: operators only
    await openPage(acme.page, guarded, 'actors');
    await acme.page.waitForSelector('[data-testid="actors"] tr[data-row="acme/default/acme-tally"]');
    await openPage(acme.page, guarded, 'spaces');
    await acme.page.waitForSelector('[data-testid="spaces"] tr[data-row="acme/default/invoices"]');
    expect(acme.errors()).toEqual([]);
    await acme.page.close();

    const globexToken = await sign({ tenant: 'globex' });
    const globex = await withToken(globexToken);
    for (const [hash, table, path, key] of [
      ['actors', 'actors', '/api/v1/dashboard/actors', 'actors'],
      ['spaces', 'spaces', '/api/v1/dashboard/spaces', 'spaces'],
    ] as const) {
      await openPage(globex.page, guarded, hash);
      await globex.page.waitForSelector(`[data-testid="${table}"] td.muted`); // "nothing here yet"
      expect(await globex.page.locator(`[data-testid="${table}"] tr[data-row]`).count(), hash).toBe(0);
      expect(await globex.page.textContent('main'), hash).not.toContain('acme');
      expect((await api<Record<string, unknown[]>>(guarded, path, { token: globexToken }))[key], path).toEqual([]);
    }
    expect(globex.errors()).toEqual([]);
    await globex.page.close();

    const operator = await withToken(await sign({ sub: 'ops-alice' }));
    await operator.page.waitForSelector('[data-testid="chart-ops"]');
    await openPage(operator.page, guarded, 'spaces');
    await operator.page.waitForSelector('[data-testid="spaces"] tr[data-row="acme/default/invoices"]');
    expect(operator.errors()).toEqual([]);
    await operator.page.close();
  });
});
