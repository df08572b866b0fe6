import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeProcess, type NodeProcess } from '../support/node-process.js';
import { buildPythonComponent } from '../support/python-components.js';

/**
 * The Python client (sdks/python, plexspaces.client) against a real node process over gRPC: Debian's
 * python3 with python3-grpcio and python3-grpc-tools (test prerequisites) runs
 * python-client-checks.py, which generates its stubs from proto/ on first use, and uses spaces
 * (batched writes, selective counts, a blocking take woken by another client, watch, crash-safe
 * take), bad input, and the article's 20-worker pool of Python actors (pool_worker.py, built
 * with componentize-py) under the article's names.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'plex-pyclient-'));
const children: import('node:child_process').ChildProcess[] = [];
let node: NodeProcess;
let grpc: string;

beforeAll(async () => {
  const worker = await buildPythonComponent(join(ROOT, 'examples/polyglot/python/worker-pool/pool_worker.py'));
  writeFileSync(join(work, 'pool_worker.wasm'), worker);
  node = await startNodeProcess(join(work, 'data'), children, { workers: 2 });
  grpc = /grpc: (\S+)/.exec(node.out())![1];
}, 300_000);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('the Python client over gRPC', () => {
  it('spaces, bad input and the article’s worker pool behave as the node says', async () => {
    const { stdout } = await run(PYTHON, [join(import.meta.dirname, 'python-client-checks.py'), grpc, join(work, 'pool_worker.wasm')], {
      env: { ...process.env, PYTHONPATH: join(ROOT, 'sdks/python/src'), XDG_CACHE_HOME: join(work, 'cache') },
      timeout: 240_000,
      maxBuffer: 16 * 2 ** 20,
    });
    const seen = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(seen.health).toBe('ok');
    expect(seen.written).toBe(5000);
    expect(seen.count).toBe(5000);
    expect(seen.selective).toBe(100);
    // Records, nulls and bytes come back as written (bytes printed as hex by the script).
    expect(seen.first).toEqual(['job', 0, { weight: 0, tags: ['a', null], blob: '0001' }]);
    expect(seen.int64).toEqual(['big', String(2n ** 62n + 1n), 'Int64']);
    expect(seen.blocking_take).toEqual(['result', 'late', 42]);
    expect(seen.blocking_waited).toBe(true);
    expect(seen.timeout).toBeNull();
    expect(seen.watch).toEqual([
      ['write', ['watched', 1]],
      ['take', ['watched', 1]],
    ]);
    expect(seen.deliveries).toEqual([1, 2]);
    expect(seen.after_ack).toBe(0);
    expect(seen.errors).toEqual({
      empty_tuple: 'ValueError: a tuple has at least one field',
      nan: 'ValueError: a tuple field must be a finite number, got nan',
      bad_space: 'PLEX_ERR_INVALID_NAME',
      bad_type: 'PLEX_ERR_INVALID_TEMPLATE',
      unknown_pool: 'PLEX_ERR_SHARD_GROUP_NOT_FOUND',
      no_action: 'PLEX_ERR_INVALID_ARGUMENT',
      unknown_app: 'PLEX_ERR_MODULE_NOT_FOUND',
      unknown_actor: 'PLEX_ERR_ACTOR_NOT_FOUND',
    });
    expect(seen.unchanged).toBe(true);
    expect(seen.deploy).toBe('module');
    // 10,000 updates in two calls, not 10,000 round trips.
    expect(seen.update).toEqual({ entries: 10_000, calls: 2, failed: 0 });
    expect(seen.map).toEqual({ answers: 20, total: 49_995_000, keys: 10_000, every_worker_has_keys: true });
    expect(seen.reduce_concat).toBe(20);
    expect(seen.reduce_sum).toBe(10_000);
    expect(seen.stream).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(seen.scale).toEqual({ to: 24, keys: 10_000 });
    expect(seen.after_scale).toBe(49_995_000);
    expect(seen.pools).toEqual(['worker-pool-1']);
    expect(seen.deleted).toEqual([]);
  }, 300_000);
});
