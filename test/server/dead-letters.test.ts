import { describe, expect, it } from 'vitest';
import { DeadLetters, failedDelivery, failedReply, type DeadLetter } from '../../src/server/dead-letters.js';

// The record stays bounded whatever tenants send; the HTTP listing, metric and log are in articles-routes.test.ts.

const letter = (tenant: string, n: number, namespace = 'default'): DeadLetter => ({
  at: new Date(0).toISOString(), // one timestamp for all: order must come from arrival, not the clock
  tenant,
  namespace,
  actor: `a${n}`,
  messageType: 'x',
  reason: 'unknown-handler',
  error: 'no handler onX',
  payloadBytes: 2,
});

describe('DeadLetters', () => {
  it('keeps the newest perTenant records of a tenant, newest first', () => {
    const record = new DeadLetters({ perTenant: 3 });
    for (let n = 0; n < 5; n++) record.add(letter('acme', n));
    expect(record.list({ tenant: 'acme' }).map((l) => l.actor)).toEqual(['a4', 'a3', 'a2']);
    expect(record.list({ tenant: 'acme', limit: 1 }).map((l) => l.actor)).toEqual(['a4']);
    expect(record.list({ tenant: 'globex' })).toEqual([]);
  });

  it('forgets the tenant written to longest ago past the tenant bound; filters by namespace', () => {
    const record = new DeadLetters({ tenants: 2 });
    record.add(letter('a', 1));
    record.add(letter('b', 2, 'eu'));
    record.add(letter('a', 3)); // a is now the most recent writer
    record.add(letter('c', 4));
    expect(record.list().map((l) => `${l.tenant}/${l.actor}`)).toEqual(['c/a4', 'a/a3', 'a/a1']);
    record.add(letter('c', 5, 'eu'));
    expect(record.list({ tenant: 'c', namespaces: ['eu'] }).map((l) => l.actor)).toEqual(['a5']);
  });

  it('refuses bounds that are not positive integers', () => {
    for (const options of [{ perTenant: 0 }, { tenants: 1.5 }, { perTenant: Number.NaN }]) expect(() => new DeadLetters(options)).toThrow(RangeError);
  });

  it('judges replies and rejections', () => {
    expect(failedReply('{"count":1}')).toBeUndefined();
    expect(failedReply('not json')).toBeUndefined();
    expect(failedReply('{"error":"no handler onNope for message \\"nope\\""}')).toMatchObject({ reason: 'unknown-handler' });
    expect(failedReply('{"error":"insufficient funds"}')).toEqual({ reason: 'handler-error', error: 'insufficient funds' });
    expect(failedReply('ERROR PLEX_ERR_NOT_FOUND: gone')).toMatchObject({ reason: 'handler-error' });
    expect(failedDelivery(Object.assign(new Error('trapped'), { code: 'PLEX_ERR_ACTOR_TRAPPED' }))).toEqual({ reason: 'crashed', code: 'PLEX_ERR_ACTOR_TRAPPED', error: 'trapped' });
    expect(failedDelivery(Object.assign(new Error('late'), { code: 'PLEX_ERR_ASK_TIMEOUT' }))).toMatchObject({ reason: 'timeout' });
    expect(failedDelivery(new Error('what'))).toEqual({ reason: 'failed', code: undefined, error: 'what' });
  });
});
