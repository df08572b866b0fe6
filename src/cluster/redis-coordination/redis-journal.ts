import { pack, unpack } from 'msgpackr';
import type { Checkpoint, CheckpointStore, JournalEntry, JournalMessage, JournalStore, RecordedEffect } from '../../actors/durable-storage.js';
import { onBackend, type RedisClient } from '../redis-client.js';
import { actorPrefix } from './scope-keys.js';

/*
 * Keys of actor A, all under one hash tag A = {plex:actor:<id>}:
 *
 *   A:j:seq   string  the last seq handed out (INCR; never reset, so a seq is never reused after a truncation)
 *   A:j       zset    member seq, score seq ── the journal's order
 *   A:j:e     hash    seq ─▶ msgpack [type, from, payload]
 *   A:j:f     set     seqs the actor crashed on (replay skips them)
 *   A:fx:<seq> hash   call index ─▶ msgpack [op, status, data] ── the host calls of message seq
 *   A:cp      hash    { s: seq covered, v: state, t: taken at (Redis clock, ms) }
 *
 * A message is in the journal once A:j and A:j:e have it; both are written by
 * one script, so a reader never sees half an entry.
 */

// KEYS: seq, index, entries, checkpoint. ARGV: packed entry. Returns the new seq.
const APPEND = `
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local covered = tonumber(redis.call('HGET', KEYS[4], 's') or '0')
-- Never below the checkpoint: a seq the checkpoint covers would be skipped by recovery.
if covered > last then last = covered end
local seq = last + 1
redis.call('SET', KEYS[1], seq)
redis.call('ZADD', KEYS[2], seq, seq)
redis.call('HSET', KEYS[3], seq, ARGV[1])
return seq
`;

// KEYS: index, failed. ARGV: seq. Marks only an entry still in the journal (not one a checkpoint dropped).
const MARK_FAILED = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then redis.call('SADD', KEYS[2], ARGV[1]) return 1 end
return 0
`;

// KEYS: index, entries, failed. ARGV: after seq, effects key prefix. Returns { seq, entry, failed, { idx, effect, … } } per entry.
const READ = `
local out = {}
for _, s in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')) do
  out[#out + 1] = { s, redis.call('HGET', KEYS[2], s) or '', redis.call('SISMEMBER', KEYS[3], s), redis.call('HGETALL', ARGV[2] .. s) }
end
return out
`;

// KEYS: index, entries, failed. ARGV: through seq, effects key prefix. Returns how many entries were dropped.
const TRUNCATE = `
local seqs = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for _, s in ipairs(seqs) do
  redis.call('DEL', ARGV[2] .. s)
  redis.call('HDEL', KEYS[2], s)
  redis.call('SREM', KEYS[3], s)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return #seqs
`;

// KEYS: checkpoint. ARGV: seq, state. 0 when the stored checkpoint already covers a later seq.
const SAVE_CHECKPOINT = `
local covered = redis.call('HGET', KEYS[1], 's')
if covered and tonumber(covered) > tonumber(ARGV[1]) then return 0 end
local t = redis.call('TIME')
redis.call('HSET', KEYS[1], 's', ARGV[1], 'v', ARGV[2], 't', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
return 1
`;

type ReadRow = [Buffer, Buffer, number, Buffer[]];

type Scripted = RedisClient & {
  plexJournalAppend(seq: string, index: string, entries: string, checkpoint: string, entry: Buffer): Promise<number>;
  plexJournalMarkFailed(index: string, failed: string, seq: string): Promise<number>;
  plexJournalReadBuffer(index: string, entries: string, failed: string, after: string, effects: string): Promise<ReadRow[]>;
  plexJournalTruncate(index: string, entries: string, failed: string, through: string, effects: string): Promise<number>;
  plexCheckpointSave(checkpoint: string, seq: string, state: Buffer): Promise<number>;
};

function scripted(client: RedisClient): Scripted {
  const c = client as Scripted;
  if (typeof c.plexJournalAppend !== 'function') {
    client.defineCommand('plexJournalAppend', { numberOfKeys: 4, lua: APPEND });
    client.defineCommand('plexJournalMarkFailed', { numberOfKeys: 2, lua: MARK_FAILED });
    client.defineCommand('plexJournalRead', { numberOfKeys: 3, lua: READ });
    client.defineCommand('plexJournalTruncate', { numberOfKeys: 3, lua: TRUNCATE });
    client.defineCommand('plexCheckpointSave', { numberOfKeys: 1, lua: SAVE_CHECKPOINT });
  }
  return c;
}

function keys(actorId: string) {
  const a = actorPrefix(actorId);
  return { seq: `${a}:j:seq`, index: `${a}:j`, entries: `${a}:j:e`, failed: `${a}:j:f`, effects: `${a}:fx:`, checkpoint: `${a}:cp` };
}

const bytes = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/**
 * Durable actors' journals and checkpoints in Redis, shared by the nodes of
 * a cluster: what one node journaled, another recovers. Each call is one
 * command or one script on the actor's slot; an append resolves only after
 * Redis has run its script, which is when the actor may see the message.
 */
export class RedisJournal implements JournalStore, CheckpointStore {
  private readonly client: Scripted;

  constructor(client: RedisClient) {
    this.client = scripted(client);
  }

  async append(actorId: string, message: JournalMessage): Promise<number> {
    const k = keys(actorId);
    const entry = pack([message.type, message.from, bytes(message.payload)]);
    return Number(await onBackend('journal append', () => this.client.plexJournalAppend(k.seq, k.index, k.entries, k.checkpoint, entry)));
  }

  async markFailed(actorId: string, seq: number): Promise<void> {
    const k = keys(actorId);
    await onBackend('journal mark failed', () => this.client.plexJournalMarkFailed(k.index, k.failed, String(seq)));
  }

  async entriesAfter(actorId: string, seq: number): Promise<JournalEntry[]> {
    const k = keys(actorId);
    const rows = await onBackend('journal read', () => this.client.plexJournalReadBuffer(k.index, k.entries, k.failed, String(seq), k.effects));
    return rows.map(([s, packed, failed, flatEffects]) => {
      const [type, from, payload] = unpack(packed) as [string, string, Uint8Array];
      const indexed: [number, RecordedEffect][] = [];
      for (let i = 0; i < flatEffects.length; i += 2) {
        const [op, status, data] = unpack(flatEffects[i + 1]) as [number, number, Uint8Array];
        indexed.push([Number(flatEffects[i].toString()), { op, status, data: new Uint8Array(data) }]);
      }
      indexed.sort((a, b) => a[0] - b[0]);
      return { seq: Number(s.toString()), type, from, payload: new Uint8Array(payload), status: failed === 1 ? 2 : 0, effects: indexed.map(([, e]) => e) };
    });
  }

  async recordEffect(actorId: string, seq: number, index: number, effect: RecordedEffect): Promise<void> {
    const k = keys(actorId);
    await onBackend('journal record effect', () => this.client.hset(`${k.effects}${seq}`, String(index), pack([effect.op, effect.status, bytes(effect.data)])));
  }

  async truncate(actorId: string, seq: number): Promise<void> {
    const k = keys(actorId);
    await onBackend('journal truncate', () => this.client.plexJournalTruncate(k.index, k.entries, k.failed, String(seq), k.effects));
  }

  async latest(actorId: string): Promise<Checkpoint | undefined> {
    const [seq, state] = await onBackend('checkpoint read', () => this.client.hmgetBuffer(keys(actorId).checkpoint, 's', 'v'));
    return seq === null || state === null ? undefined : { seq: Number(seq.toString()), state: new Uint8Array(state) };
  }

  async save(actorId: string, checkpoint: Checkpoint): Promise<void> {
    await onBackend('checkpoint save', () => this.client.plexCheckpointSave(keys(actorId).checkpoint, String(checkpoint.seq), bytes(checkpoint.state)));
  }
}
