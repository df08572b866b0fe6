/**
 * Lua: crash-safe deliveries coming back (nack, a lapsed lease, a released
 * holder) and the purge every script starts with. The delivery keys and
 * `open_delivery` / `close_delivery` are in waiters-lua.ts, which the write
 * path needs first.
 */
export const DELIVERIES_LUA = `
local function max_deliveries()
  return tonumber(redis.call('GET', base .. ':maxd') or '5')
end

-- A delivery that was not acked: the tuple is written again one delivery
-- older (it may serve a blocked taker at once), or goes to the dead-letter
-- space <base>:dead after maxDeliveries; one whose lease (ttl) ended expires.
local function give_back(d)
  local rec = cmsgpack.unpack(d[1])
  if rec[2] == 1 and d[4] <= clock() then
    emit('x', rec[1])
    return
  end
  if d[2] >= max_deliveries() and string.sub(base, -5) ~= ':dead' then
    local home = base
    use_base(home .. ':dead')
    insert(next_seq(), d[1], rec, d[4])
    use_base(home)
    return
  end
  local seq = next_seq()
  redis.call('HSET', DC, seq, d[2])
  insert(seq, d[1], rec, d[4], true)
end

-- First thing in every script: one MGET reads the space's earliest
-- deadline, its watched flag, its quotas, its waiter counts and its bytes; leases that ended (tuples and
-- deliveries) are dropped or given back only when that deadline has come,
-- so a space without leases never reads the clock or its lease sets here.
local function purge()
  local v = redis.call('MGET', base .. ':due', base .. ':watched', base .. ':quota', base .. ':wc:r', base .. ':wc:t', base .. ':bytes')
  watched = v[2] ~= false
  waiting_base, waiting_r, waiting_t = base, tonumber(v[4]) or 0, tonumber(v[5]) or 0
  held_bytes = tonumber(v[6]) or 0
  if v[3] then
    local t, b, w = string.match(v[3], '^([^|]*)|([^|]*)|([^|]*)$')
    quota_t, quota_b, quota_w = tonumber(t) or false, tonumber(b) or false, tonumber(w) or false
  end
  due_base, due_at = base, v[1] and tonumber(v[1]) or false
  if not due_at or clock() < due_at then return end
  local now = clock()
  held_bytes = nil -- the purge may change it
  purge_expired(now)
  local due = redis.call('ZRANGE', DL, '-inf', now, 'BYSCORE')
  for i = 1, #due do
    local d = close_delivery(due[i])
    if d then give_back(d) end
  end
  reset_deadline()
end
`;
