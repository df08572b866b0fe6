import { DELIVERIES_LUA } from './deliveries-lua.js';
import { MATCH_LUA } from './match-lua.js';
import { STORE_LUA } from './store-lua.js';
import { TRANSACTION_LUA } from './transaction-lua.js';
import { WAITERS_LUA } from './waiters-lua.js';

/**
 * The scripts of a Redis tuple space. Each runs alone in Redis: nothing else
 * touches the space between its first read and its last write, which is
 * what makes find-and-remove, write-and-wake and find-or-block atomic. Every
 * script takes one key, the space's base key (space-keys.ts), so in a Redis
 * Cluster it runs on the slot that holds the whole space.
 *
 * A script here is a body that reads KEYS and ARGV; space-library.ts turns
 * the bodies into one Redis Functions library (Redis 7) or into EVAL
 * scripts (older servers), with SPACE_LIBRARY's functions defined before
 * them.
 */
export const SPACE_LIBRARY = MATCH_LUA + STORE_LUA + WAITERS_LUA + DELIVERIES_LUA;

/**
 * write(n, record1, ttl1, …): stores n tuples (or hands them to blocked
 * operations) in order. A ttl is '' for none. Returns n, or — changing
 * nothing — a quota refusal {'quota', name, limit, held, adding}.
 */
const WRITE = `
purge()
local n = tonumber(ARGV[1])
local recs = {}
for i = 1, n do recs[i] = cmsgpack.unpack(ARGV[2 * i]) end
local refused = quota_refusal(recs)
if refused then return refused end
for i = 1, n do
  local raw, ttl = ARGV[2 * i], ARGV[2 * i + 1]
  local rec = recs[i]
  local expires_at = 0
  if ttl ~= '' then expires_at = clock() + tonumber(ttl) end
  insert(next_seq(), raw, rec, expires_at)
end
return n
`;

/**
 * find(program, mode, limit, leaseMs, holder, node): mode 'read' returns the
 * oldest limit matches, 'take' removes and returns them, 'count' returns
 * how many match, 'atake' (a crash-safe take) returns {header, tuple} of
 * the oldest match, out on a delivery. A limit of -1 is no limit.
 */
const FIND = `
purge()
local prog = cmsgpack.unpack(ARGV[1])
local mode = ARGV[2]
local limit = tonumber(ARGV[3])
if limit < 0 then limit = math.huge end
if mode == 'count' then return count_matches(prog) end
local found = find(prog, limit)
local out = {}
if mode == 'atake' then
  local m = found[1]
  if m == nil then return {} end
  local before, expires_at = deliveries_of(m[2]), expiry_of(m[2], m[3])
  remove(m[2], m[3])
  emit('t', m[3][1])
  return { open_delivery(m[4], before, expires_at, ARGV[4], ARGV[5], ARGV[6]), m[3][1] }
end
for i = 1, #found do
  local m = found[i]
  if mode == 'take' then
    remove(m[2], m[3])
    emit('t', m[3][1])
  end
  out[i] = m[3][1]
end
return out
`;

/**
 * block(program, kind, waiterId, node, liveMs, leaseMs, holder): the oldest
 * match now (taken when kind is 't', on a delivery when leaseMs is not ''),
 * or — in the same script, so no write slips in between — the operation is
 * filed as a waiter. Returns {1, tuple, header}, {0, ms until the
 * earliest delivery lease ends or -1}, or {2, limit, waiting} when the
 * space's waitersPerSpace quota is reached (nothing filed).
 */
const BLOCK = `
purge()
local prog = cmsgpack.unpack(ARGV[1])
local kind, wid, node = ARGV[2], ARGV[3], ARGV[4]
local found = find(prog, 1)
local lease = false
if ARGV[6] ~= '' then lease = ARGV[6] end
if #found > 0 then
  local m = found[1]
  local header = ''
  if kind == 't' then
    local before, expires_at = 0, 0
    if lease then before, expires_at = deliveries_of(m[2]), expiry_of(m[2], m[3]) end
    remove(m[2], m[3])
    emit('t', m[3][1])
    if lease then header = open_delivery(m[4], before, expires_at, lease, ARGV[7], node) end
  end
  return { 1, m[3][1], header }
end
local max_w = quota_w
if max_w and waiting_r + waiting_t >= max_w then return { 2, max_w, waiting_r + waiting_t } end
local set = waiter_set_for(prog, kind)
file_waiter(wid, kind, cmsgpack.pack({ kind, node, ARGV[1], set, lease, ARGV[7] }), set)
redis.call('SET', base .. ':n:' .. node, '1', 'PX', ARGV[5])
-- When a delivery's lease ends first, the waiter's process runs tick() then
-- (no deadline at all: no delivery is open).
if not due_at then return { 0, -1 } end
local first = redis.call('ZRANGE', DL, 0, 0, 'WITHSCORES')
if first[2] == nil then return { 0, -1 } end
return { 0, math.max(0, math.ceil(tonumber(first[2]) - clock())) }
`;

/**
 * leave(mode, waiterId…): withdraws waiters. A tuple already handed to one
 * of them is returned ('timeout': the caller delivers it) or put back
 * ('abort': aborted or closed; a taker's tuple returns to the space in its
 * old place and may serve another waiter). Mode 'claim' withdraws nothing
 * and only collects handoffs (after missed messages). Returns
 * {waiterId, tuple, header, …} of the tuples returned (header: '' or a
 * delivery's "id:deliveries:leaseExpiresAt").
 */
const LEAVE = `
purge()
local mode = ARGV[1]
local out = {}
for i = 2, #ARGV do
  local wid = ARGV[i]
  local wraw = redis.call('HGET', W, wid)
  if wraw then
    if mode ~= 'claim' then drop_waiter(wid, cmsgpack.unpack(wraw)) end
  else
    local h = redis.call('HGET', H, wid)
    if h then
      redis.call('HDEL', H, wid)
      local ho = cmsgpack.unpack(h)
      if mode == 'timeout' or mode == 'claim' then
        out[#out + 1] = wid
        out[#out + 1] = cmsgpack.unpack(ho[3])[1]
        out[#out + 1] = ho[5]
      elseif ho[4] == 't' then
        put_back(ho)
      end
    end
  end
end
return out
`;

/**
 * settle(mode, deliveryId): 'ack' consumes a delivered tuple for good;
 * 'nack' and 'lapse' give it back (or dead-letter it). Returns 1, or 0 when
 * the delivery was no longer open (its lease ended and it came back).
 * settle('ackwrite', deliveryId, n, record1, ttl1, …) acks and writes n
 * tuples in the same script (a pipeline stage's exactly-once step): a quota
 * refusal {'quota', …} or a closed delivery (0) changes nothing.
 */
const SETTLE = `
purge()
if ARGV[1] == 'ackwrite' then
  local n = tonumber(ARGV[3])
  local recs = {}
  for i = 1, n do recs[i] = cmsgpack.unpack(ARGV[2 + 2 * i]) end
  if n > 0 then
    local refused = quota_refusal(recs)
    if refused then return refused end
  end
  if close_delivery(ARGV[2]) == nil then return 0 end
  for i = 1, n do
    local ttl = ARGV[3 + 2 * i]
    local expires_at = 0
    if ttl ~= '' then expires_at = clock() + tonumber(ttl) end
    insert(next_seq(), ARGV[2 + 2 * i], recs[i], expires_at)
  end
  return 1
end
local d = close_delivery(ARGV[2])
if d == nil then return 0 end
if ARGV[1] ~= 'ack' then give_back(d) end
return 1
`;

/** tick(): gives back deliveries whose lease ended; returns ms until the next deadline, or -1. */
const TICK = `
purge()
local now = clock()
local first = redis.call('ZRANGE', DL, 0, 0, 'WITHSCORES')
if first[2] == nil then return -1 end
return math.max(0, math.ceil(tonumber(first[2]) - now))
`;

/** release(holder): gives back every delivery of that holder; returns how many. */
const RELEASE = `
purge()
local ids = redis.call('SMEMBERS', holder_set(ARGV[1]))
table.sort(ids, function(a, b) return tonumber(a) < tonumber(b) end)
for i = 1, #ids do give_back(close_delivery(ids[i])) end
return #ids
`;

/** held(holder): how many deliveries that holder has open, in every process, after giving back lapsed ones. */
const HELD = `
purge()
return redis.call('SCARD', holder_set(ARGV[1]))
`;

/**
 * release_node(node): gives back every delivery opened by that process (its
 * node left the cluster: a goodbye or a lapsed heartbeat), in take order;
 * returns how many. Any node may run it, more than once: a closed delivery
 * is no longer in the set.
 */
const RELEASE_NODE = `
purge()
local ids = redis.call('SMEMBERS', node_set(ARGV[1]))
table.sort(ids, function(a, b) return tonumber(a) < tonumber(b) end)
local n = 0
for i = 1, #ids do
  local d = close_delivery(ids[i])
  if d then
    give_back(d)
    n = n + 1
  end
end
redis.call('DEL', node_set(ARGV[1]))
return n
`;

/**
 * configure(maxDeliveries, maxTuples, maxBytes, maxWaiters): deliveries of a
 * tuple before it is dead-lettered, and the space's quotas ('' for none).
 */
const CONFIGURE = `
redis.call('SET', KEYS[1] .. ':maxd', ARGV[1])
local q = KEYS[1] .. ':quota'
local before = redis.call('GET', q)
local counted = before and string.match(before, '^[^|]*|([^|]*)|') ~= ''
if ARGV[2] == '' and ARGV[3] == '' and ARGV[4] == '' then
  redis.call('DEL', q)
else
  redis.call('SET', q, ARGV[2] .. '|' .. ARGV[3] .. '|' .. ARGV[4])
end
-- The bytes counter exists only under a bytes quota (store-lua.ts).
if ARGV[3] == '' then
  redis.call('DEL', KEYS[1] .. ':bytes')
elseif not counted then
  reset_bytes()
end
-- The earliest deadline and the waiter counts of the space and of its dead
-- letters, exact (data written before they were kept gets them here).
reset_deadline()
reset_waiter_counts()
use_base(KEYS[1] .. ':dead')
reset_deadline()
reset_waiter_counts()
return 1
`;

/**
 * renew(node, liveMs, watching): keeps the node's waiters alive in this
 * space, and the watched flag while it has watchers.
 */
const RENEW = `
redis.call('SET', KEYS[1] .. ':n:' .. ARGV[1], '1', 'PX', ARGV[2])
if ARGV[3] == '1' then redis.call('SET', KEYS[1] .. ':watched', '1', 'PX', ARGV[2]) end
return 1
`;

/**
 * watch(liveMs, program | ''): turns on watch events, and returns the seq
 * counter (advanced, so that events of later scripts carry a value at
 * least this) and, with a program, the tuples matching it now, oldest first.
 */
const WATCH = `
purge()
redis.call('SET', base .. ':watched', '1', 'PX', ARGV[1])
local mark = redis.call('INCR', SEQ)
local out = { mark }
if ARGV[2] ~= '' then
  local found = find(cmsgpack.unpack(ARGV[2]), math.huge)
  for i = 1, #found do out[i + 1] = found[i][3][1] end
end
return out
`;

/**
 * mark(token): publishes a marker on the watch channel from the space's own
 * slot, after every event of the scripts before it (syncWatchers).
 */
const MARK = `
redis.call('PUBLISH', 'plex:ts:watch:' .. KEYS[1], 'm' .. ARGV[1])
return 1
`;

/** tx(mode, …): an optimistic transaction's snapshot ('fetch') or its validate-and-apply ('commit'); see transaction-lua.ts. */
const TRANSACTION = TRANSACTION_LUA;

/** Each script's body, and whether it uses SPACE_LIBRARY (the others are short enough to run bare under EVAL). */
export const SPACE_SCRIPTS = {
  plexSpaceWrite: { body: WRITE, library: true },
  plexSpaceFind: { body: FIND, library: true },
  plexSpaceBlock: { body: BLOCK, library: true },
  plexSpaceLeave: { body: LEAVE, library: true },
  plexSpaceRenew: { body: RENEW, library: false },
  plexSpaceWatch: { body: WATCH, library: true },
  plexSpaceMark: { body: MARK, library: false },
  plexSpaceSettle: { body: SETTLE, library: true },
  plexSpaceRelease: { body: RELEASE, library: true },
  plexSpaceHeld: { body: HELD, library: true },
  plexSpaceReleaseNode: { body: RELEASE_NODE, library: true },
  plexSpaceConfigure: { body: CONFIGURE, library: true },
  plexSpaceTick: { body: TICK, library: true },
  plexSpaceTransaction: { body: TRANSACTION, library: true },
} as const;

export type SpaceScriptName = keyof typeof SPACE_SCRIPTS;
