import { pack, unpack } from 'msgpackr';
import type { ReminderStore, StoredReminder } from '../../actors/durable-storage.js';
import { onBackend, type RedisClient } from '../redis-client.js';
import { actorPrefix } from './scope-keys.js';

/*
 * Reminders of actor A, under its hash tag A = {plex:actor:<id>}:
 *
 *   A:rem        hash  name ─▶ msgpack [periodMs | nil, type, payload] ── the definition
 *   A:rem:due    zset  name, score the next due time (epoch ms) ── soonest first
 *   {plex:reminders}:actors   set of actor ids that have (had) reminders
 *
 * The due time lives only in the sorted set, so claiming a firing touches
 * one key. The actor set is the cluster-wide listing (`reminders()` with no
 * actor) without SCAN; it is on another slot, so it is written after the
 * actor's script, and an id stays in it when its last reminder goes (a
 * listing skips actors with none).
 */

const ACTORS = '{plex:reminders}:actors';

// KEYS: definitions, due. ARGV: name, due at, packed definition.
const PUT = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
`;

// KEYS: definitions, due. ARGV: name. 1 when a reminder was removed.
const DELETE = `
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('HDEL', KEYS[1], ARGV[1])
`;

// KEYS: definitions, due. ARGV: name ('' every one). Returns name, due, definition triples, soonest first.
const READ = `
local names
if ARGV[1] == '' then names = redis.call('ZRANGE', KEYS[2], 0, -1) else names = { ARGV[1] } end
local out = {}
for _, name in ipairs(names) do
  local due = redis.call('ZSCORE', KEYS[2], name)
  local definition = redis.call('HGET', KEYS[1], name)
  if due and definition then
    out[#out + 1] = name
    out[#out + 1] = due
    out[#out + 1] = definition
  end
end
return out
`;

// KEYS: definitions, due. ARGV: name, expected due at, next due at ('' remove).
// 1 when this caller claimed the firing: the reminder was still due at that time.
const CLAIM = `
local due = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not due or tonumber(due) ~= tonumber(ARGV[2]) then return 0 end
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
end
return 1
`;

type Scripted = RedisClient & {
  plexReminderPut(definitions: string, due: string, name: string, dueAt: string, definition: Buffer): Promise<number>;
  plexReminderDelete(definitions: string, due: string, name: string): Promise<number>;
  plexReminderReadBuffer(definitions: string, due: string, name: string): Promise<Buffer[]>;
  plexReminderClaim(definitions: string, due: string, name: string, dueAt: string, next: string): Promise<number>;
};

function scripted(client: RedisClient): Scripted {
  const c = client as Scripted;
  if (typeof c.plexReminderPut !== 'function') {
    client.defineCommand('plexReminderPut', { numberOfKeys: 2, lua: PUT });
    client.defineCommand('plexReminderDelete', { numberOfKeys: 2, lua: DELETE });
    client.defineCommand('plexReminderRead', { numberOfKeys: 2, lua: READ });
    client.defineCommand('plexReminderClaim', { numberOfKeys: 2, lua: CLAIM });
  }
  return c;
}

function keys(actorId: string): [definitions: string, due: string] {
  const a = actorPrefix(actorId);
  return [`${a}:rem`, `${a}:rem:due`];
}

/**
 * Durable reminders in Redis, shared by the nodes of a cluster. A firing is
 * claimed by one script (still due at the time this node read? then advance
 * or remove it), so when several nodes have it armed only one delivers it.
 */
export class RedisReminders implements ReminderStore {
  readonly shared = true;
  private readonly client: Scripted;

  constructor(client: RedisClient) {
    this.client = scripted(client);
  }

  async put(r: StoredReminder): Promise<void> {
    const definition = pack([r.periodMs ?? null, r.type, Buffer.from(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength)]);
    await onBackend('reminder put', () => this.client.plexReminderPut(...keys(r.actorId), r.name, String(r.dueAt), definition));
    await onBackend('reminder put', () => this.client.sadd(ACTORS, r.actorId));
  }

  async get(actorId: string, name: string): Promise<StoredReminder | undefined> {
    return (await this.read(actorId, name))[0];
  }

  async delete(actorId: string, name: string): Promise<boolean> {
    return (await onBackend('reminder delete', () => this.client.plexReminderDelete(...keys(actorId), name))) === 1;
  }

  async list(actorId?: string): Promise<StoredReminder[]> {
    if (actorId !== undefined) return this.read(actorId, '');
    const actors = await onBackend('reminder list', () => this.client.smembers(ACTORS));
    const all = (await Promise.all(actors.map((id) => this.read(id, '')))).flat();
    return all.sort((a, b) => a.dueAt - b.dueAt);
  }

  async claim(actorId: string, name: string, dueAt: number, nextDueAt: number | null): Promise<boolean> {
    return (await onBackend('reminder claim', () => this.client.plexReminderClaim(...keys(actorId), name, String(dueAt), nextDueAt === null ? '' : String(nextDueAt)))) === 1;
  }

  private async read(actorId: string, name: string): Promise<StoredReminder[]> {
    const flat = await onBackend('reminder read', () => this.client.plexReminderReadBuffer(...keys(actorId), name));
    const out: StoredReminder[] = [];
    for (let i = 0; i < flat.length; i += 3) {
      const [periodMs, type, payload] = unpack(flat[i + 2]) as [number | null, string, Uint8Array];
      const base = { actorId, name: flat[i].toString(), dueAt: Number(flat[i + 1].toString()), type, payload: new Uint8Array(payload) };
      out.push(periodMs === null ? base : { ...base, periodMs });
    }
    return out;
  }
}
