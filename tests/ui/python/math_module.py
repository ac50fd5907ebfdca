from stark_print import sprint
import math
def hyp(a, b): return math.sqrt(a * a + b * b)
sprint(math.sqrt(16), math.sqrt(2.0), math.sqrt(0), math.sqrt(-0.0), math.sqrt(math.inf))
sprint(math.exp(0), math.exp(1), math.exp(-1000), math.log(math.e), math.log(1), math.log(100, 10))
sprint(math.log(8, 2), math.log2(1024), math.log2(3), math.log10(0.001), math.log10(12345))
sprint(math.sin(0), math.sin(math.pi / 2), math.cos(math.pi), math.tan(math.pi / 4), math.cos(1))
sprint(math.atan2(1, 1), math.atan2(-1, -1), math.atan2(0, -1), math.atan2(1.5, 0))
sprint(math.floor(2.7), math.floor(-2.7), math.ceil(2.1), math.ceil(-2.1), math.floor(5), math.ceil(-0.5))
f = math.floor(7.9)
sprint(f + 1, math.ceil(1e15 + 0.5), math.floor(-9.2e18))
sprint(math.isnan(math.nan), math.isnan(1.0), math.isinf(math.inf), math.isinf(-math.inf), math.isinf(1e308))
sprint(math.isnan(math.inf - math.inf), math.isinf(1e308 * 10), math.isnan(3))
sprint(math.pow(2, 10), math.pow(2, 0.5), math.pow(-8, 3), math.pow(0, 0), math.pow(math.nan, 0))
sprint(math.pow(1, math.nan), math.pow(2, -1), math.pow(math.inf, -1), math.pow(-math.inf, 3))
sprint(math.hypot(3, 4), math.hypot(5, 12), hyp(6, 8), math.hypot(math.inf, math.nan))
sprint(math.pi, math.e, math.tau, math.inf, -math.inf, math.nan)
r = 2
sprint(math.pi * r * r, math.sqrt(r), math.log(r) == math.log(2.0))
