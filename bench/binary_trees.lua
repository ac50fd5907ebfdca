-- Benchmarks Game: binary-trees (Lua 5.4 and LuaJIT, single-threaded, recursive).
-- Mirrors bench/binary_trees.stark: nodes are tables with left/right fields.
-- Usage: lua5.4 binary_trees.lua [DEPTH]   (DEPTH defaults to 10); luajit runs it too:
-- no 5.4-only syntax, and every number printed goes through %d.

local function make(depth)
  if depth == 0 then
    return { left = nil, right = nil }
  end
  return { left = make(depth - 1), right = make(depth - 1) }
end

local function check(n)
  if n.left == nil then
    return 1
  end
  return 1 + check(n.left) + check(n.right)
end

local function main()
  local n = 10
  if #arg > 0 then
    n = math.floor(tonumber(arg[1]))
  end
  local min_depth = 4
  local max_depth = n
  if min_depth + 2 > n then
    max_depth = min_depth + 2
  end
  local stretch_depth = max_depth + 1

  print(string.format("stretch tree of depth %d\t check: %d", stretch_depth, check(make(stretch_depth))))

  local long_lived = make(max_depth)

  for depth = min_depth, max_depth, 2 do
    -- 2 ^ k is exact for these small k; math.floor makes it an integer in 5.4 (1 << k).
    local iterations = math.floor(2 ^ (max_depth - depth + min_depth))
    local total = 0
    for _ = 1, iterations do
      total = total + check(make(depth))
    end
    print(string.format("%d\t trees of depth %d\t check: %d", iterations, depth, total))
  end

  print(string.format("long lived tree of depth %d\t check: %d", max_depth, check(long_lived)))
end

main()
