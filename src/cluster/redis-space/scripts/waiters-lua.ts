/**
 * Lua: blocked reads and takes, kept in Redis so that a write in any
 * process finds them in the same script that stores the tuple.
 *
 *   W  hash  waiter id → {kind 'r'|'t', node, program, index set}
 *   w<k>x:<arity>:<pos>:<key> / w<k>a:<arity>   zsets of waiter ids by
 *      arrival order, k = r (readers) or t (takers): a waiter is filed under
 *      one of its actual positions, or its arity when it has none, so a
 *      write looks only at waiters filed under its own fields
 *   H  hash  waiter id → {seq, expiresAt, record, kind}: a tuple handed to
 *      a waiter, until its process claims it (or puts it back)
 *   n:<node>  exists while that node's process is alive (PX, renewed)
 *
 * A write hands a tuple straight to waiters, so there is no race to lose:
 * the taker keeps its place until it is served, times out or is aborted.
 */
export const WAITERS_LUA = `
-- Readers and takers are filed apart (w<kind>x / w<kind>a), so that a write
-- can serve every reader and then stop at the first taker.
local function waiter_sets(rec, kind)
  local arity = #rec - 2
  local names = { base .. ':w' .. kind .. 'a:' .. arity }
  for pos = 1, arity do names[#names + 1] = base .. ':w' .. kind .. 'x:' .. arity .. ':' .. pos .. ':' .. ix(entry_key(rec[pos + 2])) end
  return names
end

-- A waiter is filed under one actual position: the one whose set holds the
-- fewest waiters now (ties go to the later position, usually the more
-- specific: ['job', id] files under id). A write then looks at the waiters
-- filed under its own fields' keys, i.e. only those that can match.
local function waiter_set_for(prog, kind)
  local arity = #prog
  local names = {}
  for pos = 1, arity do
    local op = prog[pos]
    if op ~= false and op[1] == 'e' then names[#names + 1] = base .. ':w' .. kind .. 'x:' .. arity .. ':' .. pos .. ':' .. ix(op[2]) end
  end
  if #names == 0 then return base .. ':w' .. kind .. 'a:' .. arity end
  if #names == 1 then return names[1] end
  local best, best_n = nil, nil
  for i = 1, #names do
    local n = redis.call('ZCARD', names[i])
    if best_n == nil or n <= best_n then best, best_n = names[i], n end
  end
  return best
end

-- {ts:S}:wc:r and {ts:S}:wc:t count the readers and takers in W (changed
-- only where an entry of W is added or removed), so a write to a space
-- nobody waits on, or that only takers wait on, looks at no waiter set.
-- purge's MGET reads them for its space.
local function waiting(kind)
  if waiting_base ~= base then
    local v = redis.call('MGET', base .. ':wc:r', base .. ':wc:t')
    waiting_base, waiting_r, waiting_t = base, tonumber(v[1]) or 0, tonumber(v[2]) or 0
  end
  if kind == 'r' then return waiting_r end
  return waiting_t
end

local function count_waiter(kind, delta)
  waiting(kind)
  redis.call('INCRBY', base .. ':wc:' .. kind, delta)
  if kind == 'r' then waiting_r = waiting_r + delta else waiting_t = waiting_t + delta end
end

local function file_waiter(wid, kind, wraw, set)
  if redis.call('HSET', W, wid, wraw) == 1 then count_waiter(kind, 1) end
  redis.call('ZADD', set, next_seq(), wid)
end

local function drop_waiter(wid, wrec)
  if redis.call('HDEL', W, wid) == 1 then count_waiter(wrec[1], -1) end
  redis.call('ZREM', wrec[4], wid)
end

-- Exact counts from W (configure: for data written before the counters were kept).
local function reset_waiter_counts()
  local r, t = 0, 0
  local all = redis.call('HVALS', W)
  for i = 1, #all do
    if cmsgpack.unpack(all[i])[1] == 'r' then r = r + 1 else t = t + 1 end
  end
  redis.call('SET', base .. ':wc:r', r)
  redis.call('SET', base .. ':wc:t', t)
  waiting_base, waiting_r, waiting_t = base, r, t
end

local function node_alive(node)
  local v = alive[node]
  if v == nil then
    v = redis.call('EXISTS', base .. ':n:' .. node) == 1
    alive[node] = v
  end
  return v
end

-- Crash-safe deliveries: D hash id -> {record, deliveries, holder,
-- expiresAt}, DL zset id by lease deadline, dh:<holder> set of ids, DC hash
-- seq -> deliveries so far of a stored tuple that came back.
local function holder_set(holder) return base .. ':dh:' .. holder end

-- Opens a delivery (the tuple is already out of the index); returns its
-- header "id:deliveries:leaseExpiresAt".
-- node: the taker's process ('' for none), so its deliveries come back when
-- the node registry sees it leave (release_node), not only at lease end.
local function node_set(node) return base .. ':dn:' .. node end
local function open_delivery(raw, before, expires_at, lease_ms, holder, node)
  local id = next_seq()
  local deliveries = before + 1
  local deadline = clock() + tonumber(lease_ms)
  redis.call('HSET', D, id, cmsgpack.pack({ raw, deliveries, holder, expires_at, node or '' }))
  redis.call('ZADD', DL, deadline, id)
  note_deadline(deadline)
  if holder ~= '' then redis.call('SADD', holder_set(holder), id) end
  if node and node ~= '' then redis.call('SADD', node_set(node), id) end
  -- Processes with blocked operations here arm a timer for this lease: if
  -- its holder dies, the tuple still comes back on time and serves them.
  redis.call('PUBLISH', 'plex:ts:watch:' .. base, 'l' .. lease_ms)
  return id .. ':' .. deliveries .. ':' .. string.format('%d', deadline)
end

local function close_delivery(id)
  local draw = redis.call('HGET', D, id)
  if not draw then return nil end
  local d = cmsgpack.unpack(draw)
  redis.call('HDEL', D, id)
  redis.call('ZREM', DL, id)
  if d[3] ~= '' then redis.call('SREM', holder_set(d[3]), id) end
  if d[5] and d[5] ~= '' then redis.call('SREM', node_set(d[5]), id) end
  return d
end

-- Calls serve(wid, wrec) on the live waiters of one kind that match rec, in
-- arrival order, until it returns true. The waiter sets are merged lazily
-- (a batch of 16 from each), so stopping early costs only what was looked at.
local function each_match(rec, kind, serve)
  local sets = waiter_sets(rec, kind)
  local heads = {}
  local function refill(h)
    h.list = redis.call('ZRANGE', h.set, h.cursor, '+inf', 'BYSCORE', 'LIMIT', 0, 16, 'WITHSCORES')
    h.i = 1
    if #h.list > 0 then h.cursor = '(' .. h.list[#h.list] end
  end
  for s = 1, #sets do
    heads[s] = { set = sets[s], cursor = '-inf' }
    refill(heads[s])
  end
  while true do
    local best, best_score = nil, nil
    for s = 1, #sets do
      local h = heads[s]
      if h.i > #h.list and #h.list == 32 then refill(h) end
      if h.i <= #h.list then
        local score = tonumber(h.list[h.i + 1])
        if best == nil or score < best_score then best, best_score = h, score end
      end
    end
    if best == nil then return false end
    local wid = best.list[best.i]
    best.i = best.i + 2
    local wraw = redis.call('HGET', W, wid)
    if wraw then
      local wrec = cmsgpack.unpack(wraw)
      if not node_alive(wrec[2]) then
        drop_waiter(wid, wrec)
      elseif tuple_match(cmsgpack.unpack(wrec[3]), rec) then
        if serve(wid, wrec) then return true end
      end
    end
  end
end

-- Gives a new tuple to blocked operations: every matching reader, then the
-- oldest matching taker. True when a taker consumed it. came_back: the
-- tuple was delivered before (its count is in DC under seq).
local function offer(seq, expires_at, raw, rec, came_back)
  if waiting('r') == 0 and waiting('t') == 0 then return false end
  local function hand(wid, wrec)
    drop_waiter(wid, wrec)
    -- A crash-safe taker (wrec[5] = its lease) gets the tuple as a delivery, opened here.
    local header = ''
    if wrec[1] == 't' and wrec[5] then
      header = open_delivery(raw, came_back and deliveries_of(seq) or 0, expires_at, wrec[5], wrec[6], wrec[2])
    end
    redis.call('HSET', H, wid, cmsgpack.pack({ seq, expires_at, raw, wrec[1], header }))
    redis.call('PUBLISH', 'plex:ts:' .. wrec[2], wid .. '\\n' .. header .. '\\n' .. rec[1])
    if wrec[1] == 't' then
      if came_back then redis.call('HDEL', DC, seq) end
      emit('t', rec[1])
    end
    return wrec[1] == 't'
  end
  if waiting('r') > 0 then each_match(rec, 'r', hand) end
  if waiting('t') == 0 then return false end
  return each_match(rec, 't', hand)
end

-- Whether a blocked taker would consume rec now (serves nobody): a single
-- write to a full space still feeds the consumers that would drain it.
local function taker_waiting(rec)
  if waiting('t') == 0 then return false end
  return each_match(rec, 't', function() return true end)
end

-- Quotas (configure: base:quota, "<tuples>|<bytes>|<waiters>", each ''
-- for none; no key for no quota), read by purge's MGET. Nil when the n
-- tuples of recs fit; else the refusal the caller turns into a
-- QuotaExceededError: {'quota', name, limit, held, adding}.
local function quota_refusal(recs)
  local max_t, max_b = quota_t, quota_b
  if not max_t and not max_b then return nil end
  local add_b = 0
  for i = 1, #recs do add_b = add_b + #recs[i][1] end
  local held_t = redis.call('HLEN', T)
  local held_b = held_bytes or tonumber(redis.call('GET', base .. ':bytes') or '0')
  local over_t = max_t and held_t + #recs > max_t
  local over_b = max_b and held_b + add_b > max_b
  if not over_t and not over_b then return nil end
  if #recs == 1 and taker_waiting(recs[1]) then return nil end
  if over_t then return { 'quota', 'tuplesPerSpace', max_t, held_t, #recs } end
  return { 'quota', 'bytesPerSpace', max_b, held_b, add_b }
end

-- Stores a tuple unless a blocked taker consumes it; a lease that already
-- ended (ttlMs 0) still serves blocked operations but is not stored.
local function insert(seq, raw, rec, expires_at, came_back)
  emit('w', rec[1])
  if offer(seq, expires_at, raw, rec, came_back) then return end
  if rec[2] == 1 and expires_at <= clock() then return end
  store(seq, raw, rec, expires_at)
end

-- A handoff that its waiter will not take (aborted, closed) goes back, with
-- its sequence number, so it keeps its place in write order; a delivery
-- opened for it is withdrawn, uncounted.
local function put_back(ho)
  local rec = cmsgpack.unpack(ho[3])
  if ho[5] ~= '' then
    local id, deliveries = string.match(ho[5], '^([^:]*):([^:]*):')
    close_delivery(id)
    if tonumber(deliveries) > 1 then redis.call('HSET', DC, ho[1], tonumber(deliveries) - 1) end
  end
  if rec[2] == 1 and ho[2] <= clock() then return end
  insert(ho[1], ho[3], rec, ho[2], true)
end
`;
