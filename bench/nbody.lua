-- Benchmarks Game: n-body (Lua 5.4 and LuaJIT, a table with named fields per body).
-- Mirrors bench/nbody.stark: the same operations in the same order, so the same output.
-- Usage: lua5.4 nbody.lua [N] or luajit nbody.lua [N]   (N defaults to 1000)

local SOLAR_MASS = 4.0 * 3.141592653589793 * 3.141592653589793
local DAYS_PER_YEAR = 365.24

local function body(x, y, z, vx, vy, vz, mass)
    return { x = x, y = y, z = z, vx = vx, vy = vy, vz = vz, mass = mass }
end

local function advance(bodies, dt)
    local n = #bodies
    for i = 1, n do
        local b1 = bodies[i]
        for j = i + 1, n do
            local b2 = bodies[j]
            local dx = b1.x - b2.x
            local dy = b1.y - b2.y
            local dz = b1.z - b2.z
            local d2 = dx * dx + dy * dy + dz * dz
            local mag = dt / (d2 * (d2 ^ 0.5))
            local b1m = b1.mass * mag
            local b2m = b2.mass * mag
            b1.vx = b1.vx - dx * b2m
            b1.vy = b1.vy - dy * b2m
            b1.vz = b1.vz - dz * b2m
            b2.vx = b2.vx + dx * b1m
            b2.vy = b2.vy + dy * b1m
            b2.vz = b2.vz + dz * b1m
        end
    end
    for i = 1, n do
        local b = bodies[i]
        b.x = b.x + dt * b.vx
        b.y = b.y + dt * b.vy
        b.z = b.z + dt * b.vz
    end
end

local function energy(bodies)
    local n = #bodies
    local e = 0.0
    for i = 1, n do
        local b1 = bodies[i]
        e = e + 0.5 * b1.mass * (b1.vx * b1.vx + b1.vy * b1.vy + b1.vz * b1.vz)
        for j = i + 1, n do
            local b2 = bodies[j]
            local dx = b1.x - b2.x
            local dy = b1.y - b2.y
            local dz = b1.z - b2.z
            e = e - (b1.mass * b2.mass) / ((dx * dx + dy * dy + dz * dz) ^ 0.5)
        end
    end
    return e
end

local function offset_momentum(bodies)
    local px, py, pz = 0.0, 0.0, 0.0
    for i = 1, #bodies do
        local b = bodies[i]
        px = px + b.vx * b.mass
        py = py + b.vy * b.mass
        pz = pz + b.vz * b.mass
    end
    local sun = bodies[1]
    sun.vx = -px / SOLAR_MASS
    sun.vy = -py / SOLAR_MASS
    sun.vz = -pz / SOLAR_MASS
end

-- `x` rounded half up to 9 decimals, as text (STARK has no "%.9f"; see nbody.stark).
local function fmt9(x)
    local sign = ""
    local a = x
    if x < 0.0 then
        sign = "-"
        a = -x
    end
    -- An integer in 5.4, an integral double in LuaJIT: exact while a * 1e9 < 2^53 (the
    -- energies are about 0.17).
    local scaled = math.floor(a * 1000000000.0 + 0.5)
    local whole = math.floor(scaled / 1000000000)
    return sign .. string.format("%d.%09d", whole, scaled - whole * 1000000000)
end

local function make_bodies()
    local sun = body(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, SOLAR_MASS)
    local jupiter = body(
        4.84143144246472090e+00,
        -1.16032004402742839e+00,
        -1.03622044471123109e-01,
        1.66007664274403694e-03 * DAYS_PER_YEAR,
        7.69901118419740425e-03 * DAYS_PER_YEAR,
        -6.90460016972063023e-05 * DAYS_PER_YEAR,
        9.54791938424326609e-04 * SOLAR_MASS)
    local saturn = body(
        8.34336671824457987e+00,
        4.12479856412430479e+00,
        -4.03523417114321381e-01,
        -2.76742510726862411e-03 * DAYS_PER_YEAR,
        4.99852801234917238e-03 * DAYS_PER_YEAR,
        2.30417297573763929e-05 * DAYS_PER_YEAR,
        2.85885980666130812e-04 * SOLAR_MASS)
    local uranus = body(
        1.28943695621391310e+01,
        -1.51111514016986312e+01,
        -2.23307578892655734e-01,
        2.96460137564761618e-03 * DAYS_PER_YEAR,
        2.37847173959480950e-03 * DAYS_PER_YEAR,
        -2.96589568540237556e-05 * DAYS_PER_YEAR,
        4.36624404335156298e-05 * SOLAR_MASS)
    local neptune = body(
        1.53796971148509165e+01,
        -2.59193146099879641e+01,
        1.79258772950371181e-01,
        2.68067772490389322e-03 * DAYS_PER_YEAR,
        1.62824170038242295e-03 * DAYS_PER_YEAR,
        -9.51592254519715870e-05 * DAYS_PER_YEAR,
        5.15138902046611451e-05 * SOLAR_MASS)
    return { sun, jupiter, saturn, uranus, neptune }
end

local n = tonumber(arg and arg[1]) or 1000
local bodies = make_bodies()
offset_momentum(bodies)
print(fmt9(energy(bodies)))
for _ = 1, n do
    advance(bodies, 0.01)
end
print(fmt9(energy(bodies)))
