/**
 * Lua: the two halves of an optimistic transaction (redis-atomically.ts),
 * appended to the space library (space-scripts.ts).
 *
 * tx('fetch', q, program1, limit1, …): answers q queries at one point in
 * Redis's order, so the transaction's view is one consistent snapshot. A
 * limit is 'c' for a count, -1 for every match, else n (the oldest n).
 * Returns one answer per query: a count, or {seq, tuple, seq, tuple, …}
 * oldest first.
 *
 * tx('commit', q, program1, limit1, …, seen1, …, t, seq…, w, record, ttl, …):
 * re-answers the q queries and compares each with what the callback saw
 * (`seen`: the seqs joined by ',' or the count). When every one agrees, the
 * callback's run is still what it would be now, so the script applies it in
 * place: removes the t taken seqs, then writes the w tuples through the
 * normal write path (offered to blocked operations of every process, leases
 * from now). Redis runs the script alone, so nothing comes between the
 * check and the changes. Returns {1}, or {0, answer1, …}: the fresh answers,
 * so a conflicting transaction runs again without another round trip.
 */
export const TRANSACTION_LUA = `
purge()
local mode, q = ARGV[1], tonumber(ARGV[2])

local answers, seen = {}, {}
for i = 1, q do
  local prog = cmsgpack.unpack(ARGV[1 + 2 * i])
  local limit = ARGV[2 + 2 * i]
  if limit == 'c' then
    local n = count_matches(prog)
    answers[i], seen[i] = n, string.format('%d', n)
  else
    limit = tonumber(limit)
    if limit < 0 then limit = math.huge end
    local found = find(prog, limit)
    local flat, seqs = {}, {}
    for j = 1, #found do
      flat[2 * j - 1] = found[j][2]
      flat[2 * j] = found[j][3][1]
      seqs[j] = found[j][2]
    end
    answers[i], seen[i] = flat, table.concat(seqs, ',')
  end
end
if mode == 'fetch' then return answers end

local at = 3 + 2 * q
for i = 1, q do
  if seen[i] ~= ARGV[at + i - 1] then
    local out = { 0 }
    for j = 1, q do out[j + 1] = answers[j] end
    return out
  end
end
at = at + q
local taken = tonumber(ARGV[at])
for i = 1, taken do
  local seq = ARGV[at + i]
  -- Present: a validated answer listed it.
  local rec = cmsgpack.unpack(redis.call('HGET', T, seq))
  remove(seq, rec)
  emit('t', rec[1])
end
at = at + taken + 1
local writes = tonumber(ARGV[at])
for i = 1, writes do
  local raw, ttl = ARGV[at + 2 * i - 1], ARGV[at + 2 * i]
  local rec = cmsgpack.unpack(raw)
  local expires_at = 0
  if ttl ~= '' then expires_at = clock() + tonumber(ttl) end
  insert(next_seq(), raw, rec, expires_at)
end
return { 1 }
`;
