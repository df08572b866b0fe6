import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BlobStore } from '../../src/coord/blob-store.js';
import { ProcessGroups } from '../../src/coord/process-groups.js';

const acme = { tenant: 'acme', namespace: 'prod' };
const globex = { tenant: 'globex', namespace: 'prod' };
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('ProcessGroups', () => {
  it('joins, broadcasts to every member, publishes to topic subscribers, and keeps tenants apart', () => {
    const sent: string[] = [];
    const groups = new ProcessGroups((member, type, payload, from) => sent.push(`${member}<-${from}:${type}:${text(payload)}`));
    groups.join(acme, 'room', 'alice');
    groups.join(acme, 'room', 'bob', ['sports']);
    groups.join(globex, 'room', 'mallory');
    expect(groups.members(acme, 'room')).toEqual(['alice', 'bob']);
    expect(groups.broadcast(acme, 'room', 'say', new TextEncoder().encode('hi'), 'alice')).toBe(2);
    expect(sent).toEqual(['alice<-alice:say:hi', 'bob<-alice:say:hi']);
    sent.length = 0;
    expect(groups.publish(acme, 'room', 'sports', 'score', new TextEncoder().encode('1-0'))).toBe(1);
    expect(sent).toEqual(['bob<-:score:1-0']);
    groups.subscribe(acme, 'room', 'alice', 'sports');
    expect(groups.subscribers(acme, 'room', 'sports')).toEqual(['alice', 'bob']);
    expect(() => groups.subscribe(acme, 'room', 'carol', 'sports')).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' }));
    expect(groups.members(globex, 'room')).toEqual(['mallory']);
  });

  it('a member that dies leaves every group; an empty group disappears', () => {
    const groups = new ProcessGroups(() => undefined);
    groups.join(acme, 'a', 'x');
    groups.join(acme, 'b', 'x');
    groups.join(globex, 'a', 'x');
    groups.join(acme, 'a', 'y');
    expect(groups.leaveAll('x')).toBe(3);
    expect(groups.members(acme, 'a')).toEqual(['y']);
    expect(groups.list(acme)).toEqual(['a']);
    expect(groups.list(globex)).toEqual([]);
    expect(groups.leave(acme, 'a', 'x')).toBe(false);
  });
});

describe('BlobStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plex-blobs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const where of ['file system', 'memory'] as const) {
    it(`stores, reads back, lists and deletes blobs with their content type (${where})`, () => {
      const blobs = new BlobStore(where === 'memory' ? null : join(dir, 'a'));
      const info = blobs.put(acme, 'reports/2026/q1.csv', 'a,b\n1,2\n', 'text/csv');
      expect(info).toMatchObject({ blobId: 'reports/2026/q1.csv', size: 8, contentType: 'text/csv' });
      expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
      const got = blobs.get(acme, 'reports/2026/q1.csv');
      expect(text(got.data)).toBe('a,b\n1,2\n');
      expect(got.info.contentType).toBe('text/csv');
      blobs.put(acme, 'reports/2026/q2.csv', new Uint8Array([1, 2, 3]));
      blobs.put(acme, 'other', 'x', 'text/plain');
      expect(blobs.list(acme, 'reports/').map((b) => b.blobId)).toEqual(['reports/2026/q1.csv', 'reports/2026/q2.csv']);
      expect(() => blobs.get(globex, 'other')).toThrow(expect.objectContaining({ code: 'PLEX_ERR_NOT_FOUND' }));
      expect(blobs.delete(acme, 'other')).toBe(true);
      expect(blobs.delete(acme, 'other')).toBe(false);
      expect(() => blobs.head(acme, 'other')).toThrow(expect.objectContaining({ code: 'PLEX_ERR_NOT_FOUND' }));
    });
  }

  it('no blob id can escape its tenant directory', () => {
    const root = join(dir, 'b');
    const blobs = new BlobStore(root);
    blobs.put(acme, '../../../../etc/evil', 'x');
    blobs.put(acme, '/abs/path', 'y');
    expect(readdirSync(root)).toEqual(['acme']);
    expect(readdirSync(join(root, 'acme'))).toEqual(['prod']);
    expect(text(blobs.get(acme, '../../../../etc/evil').data)).toBe('x');
    expect(existsSync(join(dir, 'etc'))).toBe(false);
    expect(() => blobs.put({ tenant: '..', namespace: 'x' }, 'a', 'b')).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' }));
  });

  it('refuses oversize blobs and bad content types and stores nothing', () => {
    const blobs = new BlobStore(join(dir, 'c'), { maxBlobBytes: 10 });
    expect(() => blobs.put(acme, 'big', 'x'.repeat(11))).toThrow(expect.objectContaining({ code: 'PLEX_ERR_PAYLOAD_TOO_LARGE' }));
    expect(() => blobs.put(acme, 'bad', 'x', 'not a type')).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' }));
    expect(() => blobs.put(acme, '', 'x')).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' }));
    expect(blobs.list(acme)).toEqual([]);
  });
});
