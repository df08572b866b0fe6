import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpaceRegistry } from '../../src/space/space-registry.js';
import { any } from '../../src/tuple/types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SpaceRegistry', () => {
  it('keeps tenants apart: same namespace and name, different tuples', async () => {
    const registry = new SpaceRegistry();
    const a = registry.open({ tenant: 'acme', namespace: 'prod', name: 'jobs' });
    const b = registry.open({ tenant: 'globex', namespace: 'prod', name: 'jobs' });
    await a.write(['secret', 'acme']);
    expect(await b.tryRead(['secret', any])).toBeNull();
    expect(registry.open({ tenant: 'acme', namespace: 'prod', name: 'jobs' })).toBe(a);
    expect(await registry.list('globex')).toEqual([{ tenant: 'globex', namespace: 'prod', name: 'jobs' }]);
    expect(await registry.list('acme', 'dev')).toEqual([]);
    await registry.close();
  });

  it.each([
    [{ tenant: '../etc', namespace: 'n', name: 'x' }],
    [{ tenant: 'a/b', namespace: 'n', name: 'x' }],
    [{ tenant: 't', namespace: '', name: 'x' }],
    [{ tenant: 't', namespace: 'n', name: 'x'.repeat(65) }],
    [{ tenant: 't', namespace: 'n' }],
  ])('rejects unsafe names %j', (ref) => {
    const registry = new SpaceRegistry();
    expect(() => registry.open(ref as never)).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_NAME' }));
  });

  it('persists spaces in the data directory and lists them after a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plex-registry-'));
    dirs.push(dataDir);
    const first = new SpaceRegistry({ dataDir });
    await first.open({ tenant: 't1', namespace: 'ns', name: 'queue' }).writeAll([['q', 1], ['q', 2]]);
    await first.open({ tenant: 't2', namespace: 'ns', name: 'queue' }).write(['other']);
    await first.close();

    const second = new SpaceRegistry({ dataDir });
    expect(await second.list('t1')).toEqual([{ tenant: 't1', namespace: 'ns', name: 'queue' }]);
    const q = second.open({ tenant: 't1', namespace: 'ns', name: 'queue' });
    expect(await q.readAll(['q', any])).toEqual([['q', 1], ['q', 2]]);
    expect(await second.delete({ tenant: 't1', namespace: 'ns', name: 'queue' })).toBe(true);
    expect(await second.list('t1')).toEqual([]);
    expect(await second.open({ tenant: 't1', namespace: 'ns', name: 'queue' }).count([any, any])).toBe(0);
    expect(await second.open({ tenant: 't2', namespace: 'ns', name: 'queue' }).count(['other'])).toBe(1);
    await second.close();
  });
});
