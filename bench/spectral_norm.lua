-- Benchmarks Game: spectral-norm (Lua 5.4 and LuaJIT, single-threaded, plain tables of floats).
-- Mirrors bench/spectral_norm.stark. Lists are 0-based here too (index 0 lives in the
-- table's hash part, the rest in its array part).
-- Usage: lua5.4 spectral_norm.lua [N] or luajit spectral_norm.lua [N]   (N defaults to 100)

-- Formats a float the way Python's repr (and STARK's print) does: the shortest digits that
-- read back as the same double, fixed notation for exponents -4..15, otherwise d.ddde+XX.
local function float_repr(x)
  if x ~= x then return "nan" end
  if x == math.huge then return "inf" end
  if x == -math.huge then return "-inf" end
  if x == 0 then
    if 1 / x < 0 then return "-0.0" end
    return "0.0"
  end
  local s
  for p = 0, 16 do
    s = string.format("%." .. p .. "e", x)
    if tonumber(s) == x then break end
  end
  local sign, lead, frac, exp = s:match("^(-?)(%d)%.?(%d*)e([-+]%d+)$")
  local digits = (lead .. frac):gsub("0+$", "")
  if digits == "" then digits = "0" end
  local e = math.floor(tonumber(exp))
  if e >= -4 and e < 16 then
    if e >= 0 then
      if #digits <= e + 1 then
        return sign .. digits .. string.rep("0", e + 1 - #digits) .. ".0"
      end
      return sign .. digits:sub(1, e + 1) .. "." .. digits:sub(e + 2)
    end
    return sign .. "0." .. string.rep("0", -e - 1) .. digits
  end
  local mant = digits:sub(1, 1)
  if #digits > 1 then mant = mant .. "." .. digits:sub(2) end
  local esign = "+"
  if e < 0 then esign = "-"; e = -e end
  return string.format("%s%se%s%02d", sign, mant, esign, e)
end

-- (i + j) * (i + j + 1) is even, so `/ 2` is exact and gives the value `// 2` gives (as a
-- float in 5.4); Lua 5.1 and LuaJIT have no `//`.
local function eval_a(i, j)
  return 1.0 / ((i + j) * (i + j + 1) / 2 + i + 1)
end

local function mul_av(v, out, n)
  for i = 0, n - 1 do
    local s = 0.0
    for j = 0, n - 1 do
      s = s + eval_a(i, j) * v[j]
    end
    out[i] = s
  end
end

local function mul_atv(v, out, n)
  for i = 0, n - 1 do
    local s = 0.0
    for j = 0, n - 1 do
      s = s + eval_a(j, i) * v[j]
    end
    out[i] = s
  end
end

local function mul_atav(v, tmp, out, n)
  mul_av(v, tmp, n)
  mul_atv(tmp, out, n)
end

local function main()
  local n = 100
  if #arg > 0 then
    n = math.floor(tonumber(arg[1]))
  end

  local u, v, tmp = {}, {}, {}
  for i = 0, n - 1 do
    u[i] = 1.0
    v[i] = 0.0
    tmp[i] = 0.0
  end

  for _ = 1, 10 do
    mul_atav(u, tmp, v, n)
    mul_atav(v, tmp, u, n)
  end

  local vbv, vv = 0.0, 0.0
  for i = 0, n - 1 do
    vbv = vbv + u[i] * v[i]
    vv = vv + v[i] * v[i]
  end

  print(string.format("spectral norm of %dx%d: %s", n, n, float_repr((vbv / vv) ^ 0.5)))
end

main()
