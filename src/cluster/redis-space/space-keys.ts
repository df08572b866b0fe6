/**
 * Where a space lives in Redis. Every key of space S starts with its base
 * key `{ts:S}`, a hash tag: Redis Cluster puts all of them on one slot (so
 * one script can touch them all) and different spaces on different slots.
 *
 *   {ts:S}:seq                    counter: write order and waiter arrival order
 *   {ts:S}:t                      hash  seq → match record (tuple bytes + keys)
 *   {ts:S}:a:<arity>              zset  seq (score seq): every tuple of that arity
 *   {ts:S}:x:<arity>:<pos>:<key>  zset  seq: tuples whose field pos has that key
 *   {ts:S}:e                      zset  seq (score expiresAt): leased tuples
 *   {ts:S}:w                      hash  waiter id → blocked read or take
 *   {ts:S}:w<k>a:<arity>, {ts:S}:w<k>x:<arity>:<pos>:<key>   zsets of waiter
 *                                 ids by arrival; k = r (readers) or t (takers)
 *   {ts:S}:h                      hash  waiter id → tuple handed to it
 *   {ts:S}:n:<node>               a live process with waiters here (PX)
 *
 *   {ts:S}:watched                some process watches the space (PX, renewed)
 *
 *   {ts:S}:d / :dl / :dh:<holder> / :dc   crash-safe deliveries (waiters-lua.ts)
 *   {ts:S}:maxd                   maxDeliveries;  {ts:S}:dead:…  the dead-letter space
 *   {ts:S}:due                    lower bound of the earliest deadline in :e and :dl (absent: none)
 *   {ts:S}:quota                  "<tuples>|<bytes>|<waiters>" ('' for none; absent: no quota)
 *   {ts:S}:bytes                  bytes of stored tuples, only under a bytes quota;  {ts:S}:wc:r / :wc:t  readers / takers in :w
 *
 *   channel plex:ts:<node>        "<waiter id>\n<delivery header>\n<tuple bytes>" to that process
 *   channel plex:ts:watch:{ts:S}  "<w|t|x><seq>\n<tuple bytes>": watch events
 *
 * The name is escaped (`%`, `{`, `}` as %25, %7B, %7D) so that the tag ends
 * exactly at its `}`: otherwise space `a}:x` would share keys with space `a`.
 */
export function spaceBaseKey(name: string): string {
  return `{ts:${name.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}}`;
}

export function handoffKey(base: string): string {
  return `${base}:h`;
}

export function tupleHashKey(base: string): string {
  return `${base}:t`;
}

export function waiterHashKey(base: string): string {
  return `${base}:w`;
}

export function nodeChannel(node: string): string {
  return `plex:ts:${node}`;
}

export function watchChannel(base: string): string {
  return `plex:ts:watch:${base}`;
}

export function expiryKey(base: string): string {
  return `${base}:e`;
}
