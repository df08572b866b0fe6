/**
 * Lua: the space's keys and the functions that store, find and remove
 * tuples. Every key is built from KEYS[1], the space's base key
 * `{ts:<name>}`, so all of them hash to its slot (space-keys.ts has the
 * layout). Sorted sets are scored by sequence number, which is write order.
 */
export const STORE_LUA = `
local base, T, SEQ, E, W, H, D, DL, DC
-- Per call: the space the call is for (KEYS[1]); base moves to its dead
-- letters and back while a delivery is dead-lettered.
local home_base
local watched, alive, clock_now
-- Per call, from purge's MGET: the space's quotas (false: none) and its
-- earliest deadline (due_at, for the space due_base; false: none).
local quota_t, quota_b, quota_w, due_base, due_at
-- Per call: how many readers and takers wait in the space waiting_base.
local waiting_base, waiting_r, waiting_t
-- Per call: {ts:S}:bytes as purge's MGET read it, nil once the purge changed
-- anything (the quota check comes before the write's own stores).
local held_bytes
-- Points every key name at one space: KEYS[1], or its dead-letter space
-- <KEYS[1]>:dead (the same hash tag, so the same slot).
local function use_base(b)
  base = b
  T, SEQ, E, W, H = b .. ':t', b .. ':seq', b .. ':e', b .. ':w', b .. ':h'
  D, DL, DC = b .. ':d', b .. ':dl', b .. ':dc'
  watched, alive = nil, {}
end

-- The start of every script: the library's functions stay loaded between
-- calls (Redis Functions), so each call points them at its own space and
-- forgets what the last call read.
local function begin_call(b)
  clock_now, quota_t, quota_b, quota_w, due_base, due_at = nil, false, false, false, nil, false
  waiting_base, held_bytes = nil, nil
  home_base = b
  use_base(b)
end

local BATCH = 64

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Redis's clock in ms, read once per call and only when something needs it
-- (a lease, a deadline due): a write or take of unleased tuples in a space
-- with no deadline never asks.
local function clock()
  if clock_now == nil then clock_now = now_ms() end
  return clock_now
end

-- {ts:S}:due holds a lower bound of the space's earliest deadline, a
-- leased tuple's expiry (E) or a delivery's lease end (DL): every ZADD to E
-- or DL goes through here. Removals leave it early, which only costs a
-- purge that finds nothing and sets it again.
local function note_deadline(t)
  if due_base ~= base then
    local v = redis.call('GET', base .. ':due')
    due_base, due_at = base, v and tonumber(v) or false
  end
  if not due_at or t < due_at then
    redis.call('SET', base .. ':due', string.format('%d', t))
    due_at = t
  end
end

-- After a purge: the exact earliest deadline, or no key when there is none.
local function reset_deadline()
  local e = redis.call('ZRANGE', E, 0, 0, 'WITHSCORES')
  local d = redis.call('ZRANGE', DL, 0, 0, 'WITHSCORES')
  local t = e[2] and tonumber(e[2])
  if d[2] and (not t or tonumber(d[2]) < t) then t = tonumber(d[2]) end
  if t then redis.call('SET', base .. ':due', string.format('%d', t)) else redis.call('DEL', base .. ':due') end
  due_base, due_at = base, t or false
end

-- A long key is named by its SHA-1 in index names; the full test still
-- compares whole keys, so a collision only widens a candidate set.
local function ix(key)
  if #key > 100 then return 'H' .. redis.sha1hex(key) end
  return key
end

local function entry_key(f)
  if type(f) == 'table' then return f[1] end
  return f
end

local function arity_set(arity) return base .. ':a:' .. arity end
local function field_set(arity, pos, key) return base .. ':x:' .. arity .. ':' .. pos .. ':' .. ix(key) end

-- Watch events: published on the space's watch channel only while some
-- process watches it ({ts:S}:watched exists). A message is
-- <w|t|x><seq counter>, a newline, the tuple bytes; the counter tells a new watcher
-- which events came before its snapshot.
local function emit(kind, tuple_bytes)
  if watched == nil then watched = redis.call('EXISTS', base .. ':watched') == 1 end
  if watched then
    redis.call('PUBLISH', 'plex:ts:watch:' .. base, kind .. (redis.call('GET', SEQ) or '0') .. '\\n' .. tuple_bytes)
  end
end

-- {ts:S}:bytes, the bytes of stored tuples (the encoded tuple, as in
-- process), is kept only while the space has a bytesPerSpace quota: two
-- Redis calls per pair that a space without that quota does not pay.
-- configure counts it afresh when the quota is set. Dead letters have no
-- quota of their own.
local function counts_bytes()
  return quota_b ~= false and base == home_base
end

-- Exact {ts:S}:bytes from the stored tuples (configure, when a bytes quota
-- is set on a space that had none: O(tuples), once).
local function reset_bytes()
  local total = 0
  local all = redis.call('HVALS', T)
  for i = 1, #all do total = total + #cmsgpack.unpack(all[i])[1] end
  redis.call('SET', base .. ':bytes', total)
end

local function store(seq, raw, rec, expires_at)
  redis.call('HSET', T, seq, raw)
  if counts_bytes() then redis.call('INCRBY', base .. ':bytes', #rec[1]) end
  local arity = #rec - 2
  redis.call('ZADD', arity_set(arity), seq, seq)
  for pos = 1, arity do redis.call('ZADD', field_set(arity, pos, entry_key(rec[pos + 2])), seq, seq) end
  if rec[2] == 1 then
    redis.call('ZADD', E, expires_at, seq)
    note_deadline(expires_at)
  end
end

local function remove(seq, rec)
  redis.call('HDEL', T, seq)
  if counts_bytes() then redis.call('DECRBY', base .. ':bytes', #rec[1]) end
  local arity = #rec - 2
  redis.call('ZREM', arity_set(arity), seq)
  for pos = 1, arity do redis.call('ZREM', field_set(arity, pos, entry_key(rec[pos + 2])), seq) end
  if rec[2] == 1 then redis.call('ZREM', E, seq) end
  redis.call('HDEL', DC, seq)
end

-- How many crash-safe deliveries a stored tuple has had (DC: only tuples that came back).
local function deliveries_of(seq)
  return tonumber(redis.call('HGET', DC, seq) or '0')
end

local function expiry_of(seq, rec)
  if rec[2] == 1 then return tonumber(redis.call('ZSCORE', E, seq)) end
  return 0
end

-- Leases: every script first drops what has expired, so nothing it looks at
-- afterwards is past its lease. Each tuple is dropped once: amortized O(1).
local function purge_expired(now)
  local due = redis.call('ZRANGE', E, '-inf', now, 'BYSCORE')
  for i = 1, #due do
    local raw = redis.call('HGET', T, due[i])
    if raw then
      local rec = cmsgpack.unpack(raw)
      remove(due[i], rec)
      emit('x', rec[1])
    else
      redis.call('ZREM', E, due[i])
    end
  end
end

-- The sets a template's candidates are in: the arity set when no position
-- is an actual or $in, the one actual position's set when there is one
-- such position, else the smallest of each actual position's set and each
-- $in position's union of sets (all are subsets of the arity set). nil
-- when some actual or $in position has no tuple at all.
local function candidate_sets(prog)
  local arity = #prog
  local constrained, only = 0, nil
  for pos = 1, arity do
    local op = prog[pos]
    if op ~= false and (op[1] == 'e' or op[1] == 'i') then
      constrained = constrained + 1
      if op[1] == 'e' then only = field_set(arity, pos, op[2]) end
    end
  end
  if constrained == 0 then return { arity_set(arity) } end
  if constrained == 1 and only then return { only } end
  local best, best_n = nil, nil
  for pos = 1, arity do
    local op = prog[pos]
    if op ~= false and op[1] == 'e' then
      local name = field_set(arity, pos, op[2])
      local n = redis.call('ZCARD', name)
      if n == 0 then return nil end
      if best_n == nil or n < best_n then best, best_n = { name }, n end
    elseif op ~= false and op[1] == 'i' then
      local names, total = {}, 0
      for key in pairs(op[2]) do
        local name = field_set(arity, pos, key)
        local n = redis.call('ZCARD', name)
        if n > 0 then names[#names + 1] = name; total = total + n end
      end
      if total == 0 then return nil end
      if best_n == nil or total < best_n then best, best_n = names, total end
    end
  end
  return best
end

-- Appends to out up to limit matches from one set, oldest first. The cursor
-- is a score, so removing members while walking does not skip any.
-- The first batch is no larger than the matches wanted: a take of one from a
-- set whose first member matches (the usual case) reads one member.
local function walk(set, prog, limit, out)
  local cursor, found = '-inf', 0
  local batch = math.min(BATCH, limit)
  while found < limit do
    local seqs = redis.call('ZRANGE', set, cursor, '+inf', 'BYSCORE', 'LIMIT', 0, batch)
    for i = 1, #seqs do
      local raw = redis.call('HGET', T, seqs[i])
      local rec = cmsgpack.unpack(raw)
      if tuple_match(prog, rec) then
        out[#out + 1] = { tonumber(seqs[i]), seqs[i], rec, raw }
        found = found + 1
        if found >= limit then return end
      end
    end
    if #seqs < batch then return end
    cursor = '(' .. seqs[#seqs]
    batch = BATCH
  end
end

-- The oldest limit matches: {seqNumber, seq, rec, raw record} each, in write order.
local function find(prog, limit)
  local sets = candidate_sets(prog)
  if sets == nil then return {} end
  local out = {}
  for i = 1, #sets do walk(sets[i], prog, limit, out) end
  if #sets > 1 then
    table.sort(out, function(a, b) return a[1] < b[1] end)
    for i = #out, limit + 1, -1 do out[i] = nil end
  end
  return out
end

-- How many tuples match: the arity set's size when no position is constrained.
local function count_matches(prog)
  for i = 1, #prog do
    if prog[i] ~= false then return #find(prog, math.huge) end
  end
  return redis.call('ZCARD', arity_set(#prog))
end

local function next_seq()
  return string.format('%d', redis.call('INCR', SEQ))
end
`;
