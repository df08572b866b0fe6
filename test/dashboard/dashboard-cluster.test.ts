import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisProcess } from '../../src/cluster/redis-process.js';
import { launchChromium, watchedPage } from '../support/browser.js';
import { deployModule } from '../support/deploy-module.js';
import { startNodeProcess, type NodeProcess } from '../support/node-process.js';
import { builtActor } from '../support/wasm-fixtures.js';

// The overview of a cluster: one node's dashboard lists every live node with its own CPU, memory
// and actors, read from that node (its GET /api/v1/dashboard/overview), in a real Chromium.

const dir = mkdtempSync(join(tmpdir(), 'plex-dashboard-cluster-'));
const children: ChildProcess[] = [];
let redis: RedisProcess;
let alpha: NodeProcess;
let beta: NodeProcess;
let browser: Browser;

interface Overview {
  node: { id: string; actors: number };
  nodes: { id: string; self: boolean; figures: { actors: number; cpuPercent: number | null; rssBytes: number } | null }[];
}
const overview = async (node: NodeProcess, query = '') => (await (await fetch(`${node.http}/api/v1/dashboard/overview${query}`)).json()) as Overview;

beforeAll(async () => {
  [redis, browser] = await Promise.all([startRedisServer(), launchChromium()]);
  const config = join(dir, 'cluster.toml');
  writeFileSync(config, `[cluster]\nredis = ["${redis.url}"]\nheartbeat_ttl_ms = 8000\n`);
  const start = (id: string) => startNodeProcess(join(dir, id), children, { args: ['--config', config, '--node-id', id] });
  [alpha, beta] = await Promise.all([start('alpha'), start('beta')]);
  // Two actors on beta, none on alpha: the figures must be beta's own.
  expect((await deployModule(beta.http, 'counter', builtActor('counter'))).status).toBe(201);
  for (const id of ['one', 'two']) {
    const response = await fetch(`${beta.http}/api/v1/actors/${id}/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message_type: 'inc', application_id: 'counter' }) });
    expect(response.status).toBe(200);
  }
}, 180_000);
afterAll(async () => {
  await browser?.close();
  for (const child of children) child.kill('SIGKILL');
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the overview of a cluster', () => {
  it('lists every node with the figures that node reports of itself', async () => {
    await expect.poll(async () => (await overview(alpha)).nodes.map((n) => n.id).sort(), { timeout: 30_000 }).toEqual(['alpha', 'beta']);
    const seen = await overview(alpha);
    const betaRow = seen.nodes.find((n) => n.id === 'beta')!;
    expect(betaRow.figures).toMatchObject({ actors: (await overview(beta)).node.actors });
    expect(betaRow.figures!.actors).toBe(2);
    expect(betaRow.figures!.rssBytes).toBeGreaterThan(0);
    expect(seen.nodes.find((n) => n.id === 'alpha')!.figures).toMatchObject({ actors: 0 });
    // What one node asks of another: its own figures, no fan-out from there.
    expect((await overview(beta, '?history=false&peers=false')).nodes.every((n) => n.figures === null)).toBe(true);

    const { page, errors } = await watchedPage(browser);
    await page.goto(`${alpha.http}/dashboard#/overview`);
    await page.waitForSelector('body[data-page="#/overview"] [data-testid="nodes"] tr[data-row="beta"]');
    expect(await page.textContent('[data-testid="nodes"] tr[data-row="beta"] td[data-col="actors"]')).toBe('2');
    expect(await page.textContent('[data-testid="nodes"] tr[data-row="alpha"] td[data-col="actors"]')).toBe('0');
    expect(await page.textContent('[data-testid="nodes"] tr[data-row="beta"] td[data-col="rssBytes"]')).toMatch(/MiB$/);
    expect(errors()).toEqual([]);
    await page.close();
  });
});
