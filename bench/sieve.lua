-- List-heavy workload (Lua 5.4 and LuaJIT). Mirrors bench/sieve.stark: a sieve of Eratosthenes over a
-- table of N + 1 flags, then the primes collected into a second table.
-- Usage: lua5.4 sieve.lua [N]   (N defaults to 1000000; N >= 2); luajit runs it too (the sum
-- of the primes stays far below 2^53, so LuaJIT's doubles hold it exactly).

local function sieve(n)
  -- flags[k + 1] holds the flag of k, so the table stays a pure array.
  local flags = {}
  for k = 1, n + 1 do
    flags[k] = true
  end
  flags[1] = false
  flags[2] = false
  local i = 2
  while i * i <= n do
    if flags[i + 1] then
      for j = i * i, n, i do
        flags[j + 1] = false
      end
    end
    i = i + 1
  end
  local primes = {}
  local count = 0
  for k = 0, n do
    if flags[k + 1] then
      count = count + 1
      primes[count] = k
    end
  end
  return primes
end

local function main()
  local n = 1000000
  if #arg > 0 then
    n = math.floor(tonumber(arg[1]))
  end
  local primes = sieve(n)
  local total = 0
  for _, p in ipairs(primes) do
    total = total + p
  end
  print(string.format("primes up to %d: %d", n, #primes))
  print(string.format("sum: %d", total))
  print(string.format("largest: %d", primes[#primes]))
end

main()
