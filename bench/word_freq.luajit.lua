-- String and map workload, LuaJIT version of bench/word_freq.lua (same program, same output).
-- Mirrors bench/word_freq.stark: N lines of 12 pseudo-words from an LCG, every 7th line
-- upper-cased, then split, lower-cased and counted in a table; prints the 10 most frequent
-- words (ties broken alphabetically).
-- Usage: luajit word_freq.luajit.lua [LINES]   (LINES defaults to 2000)
--
-- Why a second file: the LCG's product state * 1103515245 reaches 2.4e18, beyond 2^53, so
-- LuaJIT's doubles cannot hold it and the multiplication is split below (1103515245 =
-- 16838 * 65536 + 20077, every partial product under 2^46); and Lua 5.1 has no `//`, so
-- the shifts are math.floor(x / 65536). Both cost nothing under LuaJIT's compiler but make
-- the Lua 5.4 interpreter 20-30% slower on this program, so bench/word_freq.lua keeps
-- 5.4's 64-bit integers and `//`. (This file runs under lua5.4 too, with the same output.)

local WORDS_PER_LINE = 12

local Rng = {}
Rng.__index = Rng

function Rng.new(state)
  return setmetatable({ state = state }, Rng)
end

local floor = math.floor

-- (state * 1103515245 + 12345) % 2^31 without a product beyond 2^53:
-- (x * 16838 * 65536) % 2^31 == (x * 16838 % 2^15) * 65536.
function Rng:next()
  local x = self.state
  x = (x * 20077 + x * 16838 % 32768 * 65536 + 12345) % 2147483648
  self.state = x
  return floor(x / 65536)
end

local function make_word(rng, syllables)
  local count = 1 + rng:next() % 3
  local word = ""
  for _ = 1, count do
    local r = rng:next()
    local pick = r % 16
    local other = floor(r / 16) % 16
    if other < pick then
      pick = other
    end
    word = word .. syllables[pick + 1]
  end
  return word
end

local function main()
  local lines = 2000
  if #arg > 0 then
    lines = math.floor(tonumber(arg[1]))
  end

  local syllables = { "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "an", "be", "ce", "do", "el", "fi", "go", "hu" }
  local rng = Rng.new(42)
  local counts = {}
  local keys = {} -- insertion order, as STARK and Python maps keep it
  local distinct = 0
  local total = 0

  for i = 0, lines - 1 do
    local line = ""
    for _ = 1, WORDS_PER_LINE do
      line = line .. make_word(rng, syllables) .. " "
    end
    if i % 7 == 3 then
      line = line:upper()
    end
    line = line:match("^%s*(.-)%s*$")
    for w in line:gmatch("[^ ]+") do
      local key = w:lower()
      total = total + 1
      local c = counts[key]
      if c ~= nil then
        counts[key] = c + 1
      else
        counts[key] = 1
        distinct = distinct + 1
        keys[distinct] = key
      end
    end
  end

  print(string.format("words: %d", total))
  print(string.format("distinct: %d", distinct))

  for rank = 0, 9 do
    local best = ""
    local best_count = 0
    for _, k in ipairs(keys) do
      local c = counts[k]
      if c > best_count or (c == best_count and k < best) then
        best = k
        best_count = c
      end
    end
    if best_count == 0 then
      break
    end
    print(string.format("%d %s %d", rank + 1, best, best_count))
    counts[best] = 0
  end
end

main()
