# The NumPy program behind tests/ui/run/tensor_broadcast.stark (SPEC §8 broadcasting).
import numpy as np
from stark_print import tprint

f32 = np.float32
x = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], dtype=f32)
row = np.array([10.0, 20.0, 30.0], dtype=f32)
col = np.array([[1.0], [2.0]], dtype=f32)
tprint(x + row, x - col, x * row, row / col)
tprint(col + row, list((col + row).shape), x ** 2, 2 ** np.array([1, 2, 3]))
tprint(x - x.mean(axis=0), list((x - x.mean(axis=0)).shape))
tprint(x > 0.0, x <= col, row >= 20, np.array([1, 2]) < np.array([[2], [1]]))
i = np.array([[1, 2, 3]])
tprint(i + np.array([[10], [20]]), (i * 1.5).dtype.name, (i + row).dtype.name)
p = np.array([0.5, 1.0, 2.0], dtype=f32)
# STARK evaluates float32 transcendentals in float64 and rounds once (correctly rounded).
d = p.astype(np.float64)
tprint(*[v.astype(f32) for v in (np.exp(d), np.log(d), np.sqrt(d), np.sin(d), np.cos(d), np.tanh(d), 1 / (1 + np.exp(-d)))])
tprint(np.abs(x), np.maximum(x, 0), np.clip(x, -1.0, 2.5), np.round(np.array([-1.5, -0.5, 0.5, 1.5, 2.5], dtype=f32)))
tprint(np.floor(np.array([-1.5, 0.2, 1.7], dtype=f32)), np.sqrt(np.array([1, 4, 9])), np.abs(np.array([-3, 3])))
tprint(np.maximum(np.array([-2.0, -0.0, 0.0, 3.0], dtype=f32), f32(0)) + f32(0))
tprint(np.maximum(x, row), np.minimum(x, 0.0), np.maximum(np.array([1, 5]), np.array([3, 2])))
tprint(x[x > 0.0], x[x < -100.0], np.where(x > 0.0, x, f32(0.0)), np.where(x > 0.0, 1, -1))
m = x.copy()
m[m < 0.0] = 0.0
tprint(m)
m[m > 3.0] = np.array([40.0, 50.0], dtype=f32)
tprint(m)
