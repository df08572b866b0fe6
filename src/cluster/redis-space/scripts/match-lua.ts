/**
 * Lua: testing a template program (template-program.ts) against a match
 * record (match-record.ts). Pure functions, no Redis calls.
 *
 * String comparisons never use Lua's `<`: Lua 5.1 compares strings with
 * strcoll, so the result would depend on the server's locale. `bytes_cmp`
 * compares bytes; `utf8_cmp` turns byte order into JavaScript's UTF-16 order.
 */
export const MATCH_LUA = `
local function bytes_cmp(a, b)
  if a == b then return 0 end
  local n = math.min(#a, #b)
  local i = 1
  while i <= n do
    local j = math.min(i + 15, n)
    if string.sub(a, i, j) ~= string.sub(b, i, j) then
      for k = i, j do
        local x, y = string.byte(a, k), string.byte(b, k)
        if x ~= y then
          if x < y then return -1, x, y end
          return 1, x, y
        end
      end
    end
    i = j + 1
  end
  if #a < #b then return -1 end
  return 1
end

-- Two well-formed UTF-8 strings in UTF-16 code unit order. At the first
-- differing byte both strings are at the start of a character or inside
-- characters of one length; byte order and UTF-16 order disagree only when a
-- 4-byte character (a surrogate pair, D800-DFFF) meets one of U+E000-U+FFFF
-- (lead byte EE or EF).
local function utf8_cmp(a, b)
  local c, x, y = bytes_cmp(a, b)
  if x ~= nil then
    if x >= 240 and y >= 238 and y < 240 then return -1 end
    if y >= 240 and x >= 238 and x < 240 then return 1 end
  end
  return c
end

local function to_utf16(s)
  local out = {}
  local i, n = 1, #s
  while i <= n do
    local c = string.byte(s, i)
    local cp
    if c < 128 then cp = c; i = i + 1
    elseif c < 224 then cp = (c - 192) * 64 + (string.byte(s, i + 1) - 128); i = i + 2
    elseif c < 240 then cp = ((c - 224) * 64 + (string.byte(s, i + 1) - 128)) * 64 + (string.byte(s, i + 2) - 128); i = i + 3
    else cp = (((c - 240) * 64 + (string.byte(s, i + 1) - 128)) * 64 + (string.byte(s, i + 2) - 128)) * 64 + (string.byte(s, i + 3) - 128); i = i + 4 end
    if cp >= 65536 then
      cp = cp - 65536
      local hi, lo = 55296 + math.floor(cp / 1024), 56320 + cp % 1024
      out[#out + 1] = string.char(math.floor(hi / 256), hi % 256, math.floor(lo / 256), lo % 256)
    else
      out[#out + 1] = string.char(math.floor(cp / 256), cp % 256)
    end
  end
  return table.concat(out)
end

-- A string field against a string operand {utf8 | false, utf16}: UTF-16 order.
local function string_cmp(tag, rest, bound)
  if tag == 's' and bound[1] ~= false then return utf8_cmp(rest, bound[1]) end
  if tag == 's' then rest = to_utf16(rest) end
  return bytes_cmp(rest, bound[2])
end

local function bounds_ok(op, cmp)
  if op[3] ~= false and cmp(op[3]) <= 0 then return false end
  if op[4] ~= false and cmp(op[4]) < 0 then return false end
  if op[5] ~= false and cmp(op[5]) >= 0 then return false end
  if op[6] ~= false and cmp(op[6]) > 0 then return false end
  return true
end

local function range_ok(op, key)
  local kind, tag = op[2], string.sub(key, 1, 1)
  local rest = string.sub(key, 2)
  if kind == 'n' or kind == 'i' then
    -- nNaN is 4 bytes: NaN is in no range, as in JavaScript.
    if tag ~= kind or #key ~= 9 then return false end
    return bounds_ok(op, function(b) return bytes_cmp(rest, b) end)
  end
  if tag ~= 's' and tag ~= 'S' then return false end
  return bounds_ok(op, function(b) return string_cmp(tag, rest, b) end)
end

local function prefix_ok(op, key)
  local tag = string.sub(key, 1, 1)
  if tag == 's' and op[2] ~= false then return string.sub(key, 2, #op[2] + 1) == op[2] end
  if tag ~= 's' and tag ~= 'S' then return false end
  local rest = string.sub(key, 2)
  if tag == 's' then rest = to_utf16(rest) end
  return string.sub(rest, 1, #op[3]) == op[3]
end

local function field_match(op, f)
  if op == false then return true end
  local code = op[1]
  local key = f
  if type(f) == 'table' then key = f[1] end
  if code == 'e' then return key == op[2] end
  if code == 'i' then return op[2][key] == true end
  if code == 't' then return string.find(op[2], string.sub(key, 1, 1), 1, true) ~= nil end
  if code == 'p' then return prefix_ok(op, key) end
  if code == 'r' then return range_ok(op, key) end
  if code == 'a' then
    if type(f) ~= 'table' then return false end
    local subs = op[2]
    if #f ~= #subs + 1 then return false end
    for i = 1, #subs do
      if not field_match(subs[i], f[i + 1]) then return false end
    end
    return true
  end
  return false
end

-- rec = {tupleBytes, leased, entry...}
local function tuple_match(prog, rec)
  if #rec - 2 ~= #prog then return false end
  for i = 1, #prog do
    if not field_match(prog[i], rec[i + 2]) then return false end
  end
  return true
end
`;
