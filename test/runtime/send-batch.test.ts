import { describe, expect, it } from 'vitest';
import { readSendBatch, SendBatchWriter } from '../../src/runtime/send-batch.js';

const utf8 = new TextEncoder();

describe('send batches between workers', () => {
  it('round-trips records, including look-alike headers and non-ASCII ids', () => {
    const writer = new SendBatchWriter();
    const records: [string, string, string, string][] = [
      ['ab', 'c', 'inc', '1'],
      ['a', 'bc', 'inc', '1'],
      ['a', 'bc', 'inc', '2'],
      ['ünïcødé', 'actor-2', 'add1', ''],
      ['x', 'y', 'big', 'z'.repeat(100_000)],
    ];
    for (const [from, to, type, payload] of records) writer.append(utf8.encode(from), utf8.encode(`${to}\n${type}\n${payload}`));
    const seen: [string, string, string, string][] = [];
    readSendBatch(writer.take(), (from, to, type, payload) => seen.push([from, to, type, new TextDecoder().decode(payload)]));
    expect(seen).toEqual(records);
    expect(writer.isEmpty).toBe(true);
  });
});
