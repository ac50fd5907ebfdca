-- String and map workload (Lua 5.4). Mirrors bench/word_freq.stark: N lines of 12
-- pseudo-words from an LCG, every 7th line upper-cased, then split, lower-cased and counted
-- in a table; prints the 10 most frequent words (ties broken alphabetically).
-- Usage: lua5.4 word_freq.lua [LINES]   (LINES defaults to 2000)
-- Lua 5.4 only (64-bit integers, `//`); LuaJIT runs bench/word_freq.luajit.lua, which says why.

local WORDS_PER_LINE = 12

local Rng = {}
Rng.__index = Rng

function Rng.new(state)
  return setmetatable({ state = state }, Rng)
end

function Rng:next()
  self.state = (self.state * 1103515245 + 12345) % 2147483648
  return self.state // 65536
end

local function make_word(rng, syllables)
  local count = 1 + rng:next() % 3
  local word = ""
  for _ = 1, count do
    local r = rng:next()
    local pick = r % 16
    local other = r // 16 % 16
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
    lines = math.tointeger(tonumber(arg[1]))
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

  print("words: " .. total)
  print("distinct: " .. distinct)

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
    print((rank + 1) .. " " .. best .. " " .. best_count)
    counts[best] = 0
  end
end

main()
