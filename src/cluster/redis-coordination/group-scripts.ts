/*
 * The Lua scripts of process groups on Redis. Every script takes one key,
 * KEYS[1] = P:pg for the scope P = {plex:tenant/namespace}, and builds the
 * names of the others from it, so all of them are on the scope's slot:
 *
 *   P:pg:seq                      counter: join order
 *   P:pg:groups                   zset group → seq when it was created (dropped with its last member)
 *   P:pg:m:<group>                zset member → seq of its join: members in join order
 *   P:pg:r:<group>                hash member → {"n": node id, "i": incarnation, "t": {topic: true, …}}
 *   P:pg:t:<#group>:<group>:<topic>  zset member → seq: the topic's subscribers in join order
 *
 * The group's length in the topic key keeps group "a:b" topic "c" apart
 * from group "a" topic "b:c".
 */

const KEY_NAMES = `
local base = KEYS[1]
local function mkey(g) return base .. ':m:' .. g end
local function rkey(g) return base .. ':r:' .. g end
local function tkey(g, t) return base .. ':t:' .. #g .. ':' .. g .. ':' .. t end
`;

/**
 * ARGV: group, member, node, incarnation, topics…. A member joins once: a
 * second join keeps its place and adds topics. Returns the node and
 * incarnation that recorded it before (empty when it is new), so the
 * caller can drop that node's index entry when another node took it over.
 */
export const JOIN = `${KEY_NAMES}
local group, member = ARGV[1], ARGV[2]
local old = redis.call('HGET', rkey(group), member)
local topics, seq = {}, nil
if old then
  topics = cjson.decode(old).t
  seq = redis.call('ZSCORE', mkey(group), member)
else
  seq = redis.call('INCR', base .. ':seq')
  if redis.call('EXISTS', mkey(group)) == 0 then redis.call('ZADD', base .. ':groups', seq, group) end
  redis.call('ZADD', mkey(group), seq, member)
end
for i = 5, #ARGV do
  topics[ARGV[i]] = true
  redis.call('ZADD', tkey(group, ARGV[i]), seq, member)
end
redis.call('HSET', rkey(group), member, cjson.encode({n = ARGV[3], i = ARGV[4], t = topics}))
if old then
  local r = cjson.decode(old)
  return {r.n, r.i}
end
return {}
`;

/**
 * ARGV: group, member, [node, incarnation]. Removes the member from the
 * group and its topics; with a node and incarnation, only when they are the
 * ones that recorded it (a dead node's cleanup never removes a member that
 * joined again elsewhere). Returns the recorder's node and incarnation, or
 * empty when nothing was removed.
 */
export const LEAVE = `${KEY_NAMES}
local group, member = ARGV[1], ARGV[2]
local old = redis.call('HGET', rkey(group), member)
if not old then return {} end
local r = cjson.decode(old)
if ARGV[3] and (r.n ~= ARGV[3] or r.i ~= ARGV[4]) then return {} end
for topic in pairs(r.t) do redis.call('ZREM', tkey(group, topic), member) end
redis.call('HDEL', rkey(group), member)
redis.call('ZREM', mkey(group), member)
if redis.call('EXISTS', mkey(group)) == 0 then redis.call('ZREM', base .. ':groups', group) end
return {r.n, r.i}
`;

/** ARGV: group, member, topic, '+' (subscribe) or '-' (unsubscribe). 1 when it changed, 0 when not; -1: not a member. */
export const SUBSCRIBE = `${KEY_NAMES}
local group, member, topic = ARGV[1], ARGV[2], ARGV[3]
local old = redis.call('HGET', rkey(group), member)
if not old then return -1 end
local r = cjson.decode(old)
if ARGV[4] == '+' then
  redis.call('ZADD', tkey(group, topic), redis.call('ZSCORE', mkey(group), member), member)
  r.t[topic] = true
else
  if not r.t[topic] then return 0 end
  redis.call('ZREM', tkey(group, topic), member)
  r.t[topic] = nil
end
redis.call('HSET', rkey(group), member, cjson.encode(r))
return 1
`;

/**
 * ARGV: group, topic ('' for every member), own node, own incarnation,
 * type, from, payload. Reads the recipients and their nodes in one step
 * and publishes one message per other node on its channel,
 * `<header JSON>\n<payload>` (JSON escapes newlines, so the first one ends
 * the header). Returns the recipient count, then this node's own members,
 * which the caller delivers in process.
 */
export const SEND = `${KEY_NAMES}
local group, topic = ARGV[1], ARGV[2]
local members
if topic == '' then members = redis.call('ZRANGE', mkey(group), 0, -1) else members = redis.call('ZRANGE', tkey(group, topic), 0, -1) end
local out, others, order = {#members}, {}, {}
for _, member in ipairs(members) do
  local rec = redis.call('HGET', rkey(group), member)
  if rec then
    local r = cjson.decode(rec)
    if r.n == ARGV[3] and r.i == ARGV[4] then
      out[#out + 1] = member
    else
      local to = r.n .. '\\n' .. r.i
      if not others[to] then
        others[to] = {n = r.n, i = r.i, m = {}}
        order[#order + 1] = to
      end
      local list = others[to].m
      list[#list + 1] = member
    end
  end
end
for _, to in ipairs(order) do
  local o = others[to]
  redis.call('PUBLISH', 'plex:pg:' .. o.n, cjson.encode({i = o.i, m = o.m, y = ARGV[5], f = ARGV[6]}) .. '\\n' .. ARGV[7])
end
return out
`;

/** The channel a node's group deliveries arrive on (not a key: no hash tag). */
export function deliveryChannel(nodeId: string): string {
  return `plex:pg:${nodeId}`;
}

/** What a node's members were recorded by: one set per node id, on its own slot. */
export function nodeIndexKey(nodeId: string): string {
  return `{plex:pg-node:${nodeId}}:members`;
}
