import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeRequest, RequestRefused } from '../../src/server/ws-decode.js';

// The frame check in front of msgpackr must refuse only what the protocol lacks: every request a
// client can build from tuple field types decodes to the same value, and no byte string makes
// the decoder fail with anything but a refusal.

const packr = new Packr({ useRecords: false, int64AsType: 'bigint' });

const key = fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__');
const field: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => s.isWellFormed()),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/**
 * What the endpoint hands the operations: the JSON form, bytes as {"$bytes"}. msgpackr writes an
 * integral double as an integer, so -0 arrives as 0 — as it would through JSON, and tuple matching
 * (===) never told them apart.
 */
function jsonForm(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(jsonForm);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonForm(v)]));
  return value;
}

describe('decodeRequest', () => {
  it('accepts every request made of tuple field types and hands over their JSON form', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.array(field, { minLength: 1, maxLength: 6 }), (id, tuple) => {
        const request = decodeRequest(packr.pack({ id, op: 'ts.write', scope: undefined, args: { space: 's', tuple } }));
        expect(request).toEqual({ id, op: 'ts.write', args: { space: 's', tuple: jsonForm(tuple) } });
      }),
      { numRuns: 300 },
    );
  });

  it('any bytes: a request or a RequestRefused carrying a PLEX_ERR code, never another exception', () => {
    const valid = packr.pack({ id: 7, op: 'ts.writeAll', args: { space: 's', tuples: [['a', 1, 2n ** 40n, Buffer.from('x'), { k: [null, true, 1.5] }]] } });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          // Mutations of a valid frame reach deeper into the format than random bytes.
          fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(valid.length)).map(([at, byte, cut]) => {
            const copy = Buffer.from(valid);
            copy[at] = byte;
            return copy.subarray(0, Math.max(cut, at + 1));
          }),
        ),
        (bytes) => {
          try {
            decodeRequest(bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(RequestRefused);
            expect((error as RequestRefused).error).toMatchObject({ code: expect.stringMatching(/^PLEX_ERR_/) });
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
