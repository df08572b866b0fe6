import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexClient } from '../../src/client/index.js';
import { packr, startNode, wsClient, type NodeProcess } from './ws-support.js';

// What a websocket request carries reaches the space as the tuple field types of
// docs/tuple-space.md, or is refused with a PLEX_ERR_ code under the request's id and
// nothing stored — never turned into something else (a timestamp into {}, bin into
// an object of indices, NaN into a number no JSON surface can give back).

let node: NodeProcess;
let c: Awaited<ReturnType<typeof wsClient>>;
beforeAll(async () => {
  node = await startNode();
  c = await wsClient(node.ws);
});
afterAll(async () => {
  c?.close();
  await node?.stop();
});

let nextId = 1000;
/** A request packed with `encoder`, then `placeholder`'s encoding replaced by `bytes` (hand-made msgpack). */
function craft(op: string, args: Record<string, unknown>, splice?: { placeholder: string; bytes: Uint8Array }, encoder: Packr = packr): { id: number; frame: Buffer } {
  const id = nextId++;
  let frame = encoder.pack({ id, op, args });
  if (splice !== undefined) {
    const token = packr.pack(splice.placeholder);
    const at = frame.indexOf(token);
    expect(at).toBeGreaterThan(0);
    frame = Buffer.concat([frame.subarray(0, at), splice.bytes, frame.subarray(at + token.length)]);
  }
  return { id, frame };
}

async function refused(op: string, args: Record<string, unknown>, code: string, splice?: { placeholder: string; bytes: Uint8Array }, encoder?: Packr): Promise<string> {
  const { id, frame } = craft(op, args, splice, encoder);
  const reply = await c.send(frame, id);
  expect(reply).toMatchObject({ id, ok: false, error: { code } });
  return reply.error!.message;
}

const count = async (space: string, template: unknown[]) => (await c.call('ts.count', { space, template })).result;

describe('numbers', () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    it(`${bad} in a tuple, a nested record or a template is refused; nothing is stored`, async () => {
      await refused('ts.write', { space: 'nums', tuple: ['n', bad] }, 'PLEX_ERR_INVALID_TUPLE');
      const message = await refused('ts.write', { space: 'nums', tuple: ['n', { deep: [1, bad] }] }, 'PLEX_ERR_INVALID_TUPLE');
      expect(message).toContain('[1].deep[1]');
      await refused('ts.writeAll', { space: 'nums', tuples: [['n', 1], ['n', bad]] }, 'PLEX_ERR_INVALID_TUPLE');
      await refused('ts.count', { space: 'nums', template: ['n', { $gt: bad }] }, 'PLEX_ERR_INVALID_TEMPLATE');
      expect(await count('nums', ['n', null])).toBe(0);
    });
  }

  it('int64 is a bigint field and round-trips as {"$int"}; a uint64 past int64 is refused', async () => {
    expect(await c.call('ts.write', { space: 'ints', tuple: ['i', 2n ** 40n] })).toMatchObject({ ok: true });
    expect((await c.call('ts.read', { space: 'ints', template: ['i', null] })).result).toEqual(['i', { $int: '1099511627776' }]);
    await refused('ts.write', { space: 'ints', tuple: ['i', 2n ** 63n] }, 'PLEX_ERR_INVALID_TUPLE');
    expect(await count('ints', ['i', null])).toBe(1);
  });
});

describe('msgpack bin is a bytes field', () => {
  it('is stored as bytes (Uint8Array): ws, HTTP and the TS client all read the same bytes back, and it matches in templates', async () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    expect(await c.call('ts.write', { space: 'bin', tuple: ['blob', bytes, { inner: Buffer.from('hi') }] })).toMatchObject({ ok: true, result: 1 });
    const expected = ['blob', { $bytes: 'AAEC/w==' }, { inner: { $bytes: 'aGk=' } }];
    expect((await c.call('ts.read', { space: 'bin', template: ['blob', null, null] })).result).toEqual(expected);
    const http = await fetch(`${node.http}/api/v1/tuplespace/default/default/bin/read`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ template: ['blob', null, null] }) });
    expect(JSON.stringify(await http.json())).toContain('"AAEC/w=="');
    const client = await PlexClient.connect(node.ws);
    const [, read] = (await client.space('bin').read(['blob', null, null]))!;
    expect(read).toBeInstanceOf(Uint8Array);
    expect([...(read as Uint8Array)]).toEqual([0, 1, 2, 255]);
    client.close();
    expect(await count('bin', ['blob', bytes, null])).toBe(1);
    expect(await count('bin', ['blob', Buffer.from([0, 1, 2]), null])).toBe(0);
  });

  it('is refused outside tuples and templates (payloads are JSON)', async () => {
    const message = await refused('actor.ask', { actor: 'nobody', type: 'x', payload: { data: Buffer.from([1]) } }, 'PLEX_ERR_INVALID_ARGUMENT');
    expect(message).toContain('args.payload.data');
  });
});

describe('types the protocol does not have are refused under the request id, nothing stored', () => {
  const moreTypes = new Packr({ useRecords: false, moreTypes: true, structuredClone: true });
  const cases: [string, unknown][] = [
    ['a msgpack timestamp (ext -1)', new Date(0)],
    ['a Set (msgpackr ext 0x73)', new Set([1])],
    ['a RegExp (msgpackr ext 0x78)', /x/],
    ['a Float64Array (msgpackr ext 0x74)', new Float64Array([1.5])],
    ['an Error (msgpackr ext 0x65)', new TypeError('x')],
  ];
  for (const [name, value] of cases) {
    it(name, async () => {
      const message = await refused('ts.write', { space: 'ext', tuple: ['e', value] }, 'PLEX_ERR_INVALID_ARGUMENT', undefined, moreTypes);
      expect(message).toMatch(/extension|timestamp/);
      expect(await count('ext', ['e', null])).toBe(0);
    });
  }

  it('a timestamp in its 96-bit form (ext 8, type -1)', async () => {
    const ts96 = Buffer.from('c70cff' + '00000000' + '0000000000000001', 'hex');
    expect(await refused('ts.write', { space: 'ext', tuple: ['e', 'TSMARK'] }, 'PLEX_ERR_INVALID_ARGUMENT', { placeholder: 'TSMARK', bytes: ts96 })).toContain('timestamp');
    expect(await count('ext', ['e', null])).toBe(0);
  });

  it('an unknown extension type', async () => {
    await refused('ts.write', { space: 'ext', tuple: ['e', 'EXTMARK'] }, 'PLEX_ERR_INVALID_ARGUMENT', { placeholder: 'EXTMARK', bytes: Buffer.from('d40501', 'hex') });
  });

  it('a __proto__ key (msgpackr would store it renamed as __proto_)', async () => {
    const message = await refused('ts.write', { space: 'keys', tuple: ['p', { PROTOKEY9: { x: 1 } }] }, 'PLEX_ERR_INVALID_ARGUMENT', { placeholder: 'PROTOKEY9', bytes: packr.pack('__proto__') });
    expect(message).toContain('__proto__');
    expect(await count('keys', ['p', null])).toBe(0);
  });

  it('a map key that is not a string', async () => {
    const intKey = new Packr({ useRecords: false, mapsAsObjects: false }).pack(new Map([[1, 'x']]));
    expect(await refused('ts.write', { space: 'keys', tuple: ['k', 'MAPMARK'] }, 'PLEX_ERR_INVALID_ARGUMENT', { placeholder: 'MAPMARK', bytes: intKey })).toContain('keys must be strings');
    expect(await count('keys', ['k', null])).toBe(0);
  });

  it('a string that is not UTF-8 (msgpackr would store U+FFFD in its place)', async () => {
    expect(await refused('ts.write', { space: 'utf', tuple: ['s', 'UTFMARK'] }, 'PLEX_ERR_INVALID_ARGUMENT', { placeholder: 'UTFMARK', bytes: Buffer.from([0xa2, 0xff, 0xfe]) })).toContain('UTF-8');
    expect(await count('utf', ['s', null])).toBe(0);
  });

  it('undefined as a field', async () => {
    await refused('ts.write', { space: 'undef', tuple: ['u', undefined] }, 'PLEX_ERR_INVALID_TUPLE');
    expect(await count('undef', ['u', null])).toBe(0);
  });
});

describe('structure', () => {
  it('nesting deeper than 64 is refused before decoding', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(await refused('ts.write', { space: 'deep', tuple: ['d', deep] }, 'PLEX_ERR_INVALID_ARGUMENT')).toContain('deeper than 64');
  });

  it('an array header promising 4 billion items is refused without allocating for them', async () => {
    expect(await refused('ts.write', { space: 'deep', tuple: ['d', 'ARRMARK'] }, 'PLEX_ERR_INVALID_ARGUMENT', { placeholder: 'ARRMARK', bytes: Buffer.from('ddffffffff', 'hex') })).toContain('more items');
  });

  it('a text frame, garbage and a truncated frame get an error reply; the socket stays usable', async () => {
    const replies: unknown[] = [];
    const collect = new Promise<void>((resolve) => {
      const onMessage = (data: Buffer) => {
        replies.push(packr.unpack(data));
        if (replies.length === 3) {
          c.ws.off('message', onMessage);
          resolve();
        }
      };
      c.ws.on('message', onMessage);
    });
    c.ws.send('{"id":1,"op":"ping"}');
    c.ws.send(Buffer.from([0xc1]));
    c.ws.send(packr.pack({ id: 5, op: 'ping' }).subarray(0, 6));
    await collect;
    for (const reply of replies) expect(reply).toMatchObject({ ok: false, error: { code: 'PLEX_ERR_INVALID_ARGUMENT' } });
    expect(await c.call('ping')).toMatchObject({ result: 'pong' });
    expect(node.alive()).toBe(true);
  });
});
