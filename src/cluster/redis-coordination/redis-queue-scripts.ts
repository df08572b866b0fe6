import type { RedisClient } from '../redis-client.js';
import { LUA_NOW_MS } from './scope-keys.js';

/*
 * The Lua of a queue channel on Redis. Queue N of scope P = {plex:tenant/namespace}
 * has the base key B = P:ch:N (a channel name never holds '/', so B/x is unambiguous):
 *
 *   B/s          stream: one entry { m = message (msgpack) } per message not yet acked or
 *                dead-lettered, in send order; consumer group 'g' reads it (XREADGROUP '>')
 *   B/d          hash   delivery id ─▶ "entry id \t attempt \t process \t consumer"   (in flight)
 *   B/v          zset   delivery id, score its visibility deadline (ms, Redis clock)
 *   B/r          zset   entry id ready for redelivery, score the moment it became ready
 *   B/a          hash   entry id ─▶ deliveries so far
 *   B/c/<who>    set    delivery ids held by consumer <who>;  B/cs: set of those consumers
 *   B/n/<proc>   set    delivery ids opened through process <proc> (<node id>.<incarnation>);  B/ns: those processes
 *   B/cfg        hash   { cap, maxd, vt, dlcap, maxb } fixed at creation
 *   B/st         hash   counters: sent, acked, redelivered, deadLettered, deadLettersDropped, ids
 *   B/dead       stream dead letters { m, a attempts, r reason, t at }, MAXLEN dlcap
 *   P:ch:kinds   hash   channel name ─▶ 'queue' | 'topic' (one kind per name; listing)
 *   channel B/ev 'r' a message became ready, 's' room freed, 'x' deleted
 *
 * Every script runs on the scope's slot with nothing interleaved, and every
 * script first returns the deliveries whose visibility deadline passed
 * (lapse), so no script sees a lapsed delivery as in flight and no timer in
 * any process is needed for correctness.
 *
 * KEYS: B, P:ch:kinds. ARGV: name, cap, maxd, vt, dlcap, maxb (the options a
 * script that creates the queue uses), create ('1' or '0'), then the
 * operation's own arguments.
 */
const PRELUDE = `${LUA_NOW_MS}
local base, kinds, name = KEYS[1], KEYS[2], ARGV[1]
local S, D, V, R, A = base .. '/s', base .. '/d', base .. '/v', base .. '/r', base .. '/a'
local CFG, ST, CS, DEAD, EV = base .. '/cfg', base .. '/st', base .. '/cs', base .. '/dead', base .. '/ev'
local ready_changed, room_changed = false, false
local cfg

-- 'ok' with cfg loaded, 'kind' (the name is a topic) or 'missing'.
local function load_queue()
  local c = redis.call('HMGET', CFG, 'cap', 'maxd', 'vt', 'dlcap', 'maxb')
  if c[1] then
    cfg = { cap = tonumber(c[1]), maxd = tonumber(c[2]), vt = tonumber(c[3]), dlcap = tonumber(c[4]), maxb = tonumber(c[5]) }
    return 'ok'
  end
  if redis.call('HGET', kinds, name) == 'topic' then return 'kind' end
  return 'missing'
end

local function create_queue()
  redis.call('HSET', kinds, name, 'queue')
  redis.call('HSET', CFG, 'cap', ARGV[2], 'maxd', ARGV[3], 'vt', ARGV[4], 'dlcap', ARGV[5], 'maxb', ARGV[6])
  redis.pcall('XGROUP', 'CREATE', S, 'g', '$', 'MKSTREAM')
  cfg = { cap = tonumber(ARGV[2]), maxd = tonumber(ARGV[3]), vt = tonumber(ARGV[4]), dlcap = tonumber(ARGV[5]), maxb = tonumber(ARGV[6]) }
end

local function open_queue()
  local state = load_queue()
  if state == 'missing' and ARGV[7] == '1' then
    create_queue()
    return 'ok'
  end
  return state
end

-- entry, attempts, consumer, process (the consumer comes last: it may hold any character).
local function record(id)
  local rec = redis.call('HGET', D, id)
  if not rec then return nil end
  local t1 = string.find(rec, '\\t', 1, true)
  local t2 = string.find(rec, '\\t', t1 + 1, true)
  local t3 = string.find(rec, '\\t', t2 + 1, true)
  return string.sub(rec, 1, t1 - 1), tonumber(string.sub(rec, t1 + 1, t2 - 1)), string.sub(rec, t3 + 1), string.sub(rec, t2 + 1, t3 - 1)
end

local function close_delivery(id, consumer, process)
  redis.call('HDEL', D, id)
  redis.call('ZREM', V, id)
  redis.call('SREM', base .. '/c/' .. consumer, id)
  redis.call('SREM', base .. '/n/' .. process, id)
end

local function bump(field)
  redis.call('HINCRBY', ST, field, 1)
end

local function remove_entry(entry)
  redis.call('XACK', S, 'g', entry)
  redis.call('XDEL', S, entry)
  redis.call('HDEL', A, entry)
  room_changed = true
end

local function dead_letter(entry, attempts, reason)
  local got = redis.call('XRANGE', S, entry, entry)
  bump('deadLettered')
  if got[1] then
    if redis.call('XLEN', DEAD) >= cfg.dlcap then bump('deadLettersDropped') end
    redis.call('XADD', DEAD, 'MAXLEN', cfg.dlcap, '*', 'm', got[1][2][2], 'a', attempts, 'r', reason, 't', now)
  end
  remove_entry(entry)
end

-- Back at the head of the queue (the latest to become ready goes first, as in process), or dead at the limit.
local function redeliver(entry, attempts, reason, at)
  if attempts >= cfg.maxd then
    dead_letter(entry, attempts, reason)
    return
  end
  bump('redelivered')
  redis.call('ZADD', R, at, entry)
  ready_changed = true
end

local function lapse()
  local due = redis.call('ZRANGEBYSCORE', V, '-inf', now, 'WITHSCORES')
  for i = 1, #due, 2 do
    local entry, attempts, consumer, process = record(due[i])
    if entry then
      close_delivery(due[i], consumer, process)
      redeliver(entry, attempts, 'visibility-timeout', tonumber(due[i + 1]))
    else
      redis.call('ZREM', V, due[i])
    end
  end
end

-- Milliseconds until the earliest visibility deadline ('0': nothing in flight): a waiter's next look.
local function next_lapse()
  local first = redis.call('ZRANGE', V, 0, 0, 'WITHSCORES')
  if first[2] then return tostring(math.max(1, tonumber(first[2]) - now + 1)) end
  return '0'
end

local function notify()
  if ready_changed then redis.call('PUBLISH', EV, 'r') end
  if room_changed then redis.call('PUBLISH', EV, 's') end
end
`;

// ARGV[8]: the message's size in bytes, ARGV[9]: the message. The size is checked before the queue is created, so bad input creates nothing.
const SEND = `${PRELUDE}
local state = load_queue()
if state == 'kind' then return {'kind'} end
local maxb = cfg and cfg.maxb or tonumber(ARGV[6])
if tonumber(ARGV[8]) > maxb then return {'too-large', tostring(maxb)} end
if state == 'missing' then create_queue() end
lapse()
local result
if redis.call('XLEN', S) >= cfg.cap then
  result = {'full', next_lapse()}
else
  redis.call('XADD', S, '*', 'm', ARGV[9])
  bump('sent')
  ready_changed = true
  result = {'ok'}
end
notify()
return result
`;

// ARGV[8]: consumer, ARGV[9]: the receiving process. Redeliveries come before new messages.
const RECEIVE = `${PRELUDE}
local state = open_queue()
if state ~= 'ok' then return {state} end
lapse()
local who = 'c:' .. ARGV[8]
local entry, message
local top = redis.call('ZREVRANGE', R, 0, 0)
if top[1] then
  entry = top[1]
  redis.call('ZREM', R, entry)
  message = redis.call('XCLAIM', S, 'g', who, 0, entry)[1][2][2]
else
  local read = redis.call('XREADGROUP', 'GROUP', 'g', who, 'COUNT', 1, 'STREAMS', S, '>')
  if read then
    entry = read[1][2][1][1]
    message = read[1][2][1][2][2]
  end
end
if not entry then
  notify()
  return {'empty', next_lapse()}
end
local attempts = redis.call('HINCRBY', A, entry, 1)
local id = redis.call('HINCRBY', ST, 'ids', 1)
redis.call('HSET', D, id, entry .. '\\t' .. attempts .. '\\t' .. ARGV[9] .. '\\t' .. ARGV[8])
redis.call('ZADD', V, now + cfg.vt, id)
redis.call('SADD', base .. '/c/' .. ARGV[8], id)
redis.call('SADD', CS, ARGV[8])
redis.call('SADD', base .. '/n/' .. ARGV[9], id)
redis.call('SADD', base .. '/ns', ARGV[9])
notify()
return {'got', tostring(id), message, tostring(attempts)}
`;

// ARGV[8]: delivery id, ARGV[9]: 'ack', 'requeue' or 'dead'.
const SETTLE = `${PRELUDE}
local state = open_queue()
if state ~= 'ok' then return state end
lapse()
local entry, attempts, consumer, process = record(ARGV[8])
if not entry then
  notify()
  return 'settled'
end
close_delivery(ARGV[8], consumer, process)
if ARGV[9] == 'ack' then
  remove_entry(entry)
  bump('acked')
elseif ARGV[9] == 'dead' then
  dead_letter(entry, attempts, 'nack')
else
  redeliver(entry, attempts, 'nack', now)
end
notify()
return 'ok'
`;

// ARGV[8]: consumer. Its deliveries go back (latest id first at the head); it leaves the consumer group.
const RELEASE = `${PRELUDE}
if open_queue() ~= 'ok' then return 0 end
lapse()
local held = base .. '/c/' .. ARGV[8]
local ids = redis.call('SMEMBERS', held)
table.sort(ids, function(a, b) return tonumber(a) < tonumber(b) end)
local released = 0
for _, id in ipairs(ids) do
  local entry, attempts, _, process = record(id)
  if entry then
    close_delivery(id, ARGV[8], process)
    redeliver(entry, attempts, 'consumer-exit', now)
    released = released + 1
  end
end
redis.call('DEL', held)
redis.call('SREM', CS, ARGV[8])
-- DELCONSUMER drops the consumer's pending entries, so the ones waiting for redelivery move to 'parked' first.
local who = 'c:' .. ARGV[8]
for _, p in ipairs(redis.call('XPENDING', S, 'g', '-', '+', cfg.cap, who)) do
  redis.call('XCLAIM', S, 'g', 'parked', 0, p[1], 'JUSTID')
end
redis.call('XGROUP', 'DELCONSUMER', S, 'g', who)
notify()
return released
`;

// ARGV[8]: a process (<node id>.<incarnation>) whose node left the cluster: what it handed out comes back now,
// not at the visibility deadline. Idempotent: deliveries already closed are not in its set any more.
const RELEASE_PROCESS = `${PRELUDE}
if open_queue() ~= 'ok' then return 0 end
lapse()
local opened = base .. '/n/' .. ARGV[8]
local ids = redis.call('SMEMBERS', opened)
table.sort(ids, function(a, b) return tonumber(a) < tonumber(b) end)
local released = 0
for _, id in ipairs(ids) do
  local entry, attempts, consumer = record(id)
  if entry then
    close_delivery(id, consumer, ARGV[8])
    redeliver(entry, attempts, 'consumer-exit', now)
    released = released + 1
  end
end
redis.call('DEL', opened)
redis.call('SREM', base .. '/ns', ARGV[8])
notify()
return released
`;

const STATS = `${PRELUDE}
local state = open_queue()
if state ~= 'ok' then return {state} end
lapse()
notify()
local c = redis.call('HMGET', ST, 'sent', 'acked', 'redelivered', 'deadLettered', 'deadLettersDropped')
local inflight = redis.call('ZCARD', V)
return {'ok', redis.call('XLEN', S) - inflight, inflight, cfg.cap, redis.call('XLEN', DEAD),
  tonumber(c[1] or 0), tonumber(c[2] or 0), tonumber(c[3] or 0), tonumber(c[4] or 0), tonumber(c[5] or 0)}
`;

// ARGV[8]: '1' to drain. Flat reply: 'ok', then message, attempts, reason, at per dead letter.
const DEAD_LETTERS = `${PRELUDE}
local state = open_queue()
if state ~= 'ok' then return {state} end
lapse()
notify()
local out = {'ok'}
for _, e in ipairs(redis.call('XRANGE', DEAD, '-', '+')) do
  local f = e[2]
  out[#out + 1] = f[2]
  out[#out + 1] = f[4]
  out[#out + 1] = f[6]
  out[#out + 1] = f[8]
end
if ARGV[8] == '1' then redis.call('DEL', DEAD) end
return out
`;

// declareQueue: creates with the options, or refuses a topic's name.
const OPEN = `${PRELUDE}
return open_queue()
`;

/** The reply of a script that answers a status first; Buffer variants keep message bytes intact. */
type Reply = (string | Buffer | number)[];

export type QueueScripted = RedisClient & {
  plexQueueSend(...args: (string | Buffer)[]): Promise<[string, string?]>;
  plexQueueReceiveBuffer(...args: string[]): Promise<Buffer[]>;
  plexQueueSettle(...args: string[]): Promise<string>;
  plexQueueRelease(...args: string[]): Promise<number>;
  plexQueueReleaseProcess(...args: string[]): Promise<number>;
  plexQueueStats(...args: string[]): Promise<Reply>;
  plexQueueDeadLettersBuffer(...args: string[]): Promise<Buffer[]>;
  plexQueueOpen(...args: string[]): Promise<string>;
};

export function queueScripted(client: RedisClient): QueueScripted {
  const c = client as QueueScripted;
  if (typeof c.plexQueueSend !== 'function') {
    for (const [name, lua] of Object.entries({ Send: SEND, Receive: RECEIVE, Settle: SETTLE, Release: RELEASE, ReleaseProcess: RELEASE_PROCESS, Stats: STATS, DeadLetters: DEAD_LETTERS, Open: OPEN })) {
      client.defineCommand(`plexQueue${name}`, { numberOfKeys: 2, lua });
    }
  }
  return c;
}
