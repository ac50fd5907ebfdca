# The NumPy program behind tests/ui/run/tensor_print.stark (SPEC §8 printing).
import numpy as np
from stark_print import tprint

f32 = np.float32
vals = [0.1, 1e-7, 1e16, -0.0, 1.0 / 3.0]
tprint(np.array(vals, dtype=f32))
tprint(np.array(vals, dtype=np.float64))
with np.errstate(divide="ignore", invalid="ignore"):
    tprint(np.array([1.0, -1.0, 0.0], dtype=f32) / f32(0.0))
tprint(np.array([-9007199254740993, 0, 7]), np.array([True, False]))
tprint(np.asarray(np.array([[1, 2], [3, 4]])[0, 1]), np.asarray(np.array([2.5], dtype=f32)[0]),
       np.asarray(np.array([True])[0]), np.asarray(np.array([0.1])[0]))
tprint(np.zeros((2, 0, 3), dtype=f32), np.zeros(0, dtype=np.int64), np.zeros((1, 1, 1), dtype=f32))
tprint(np.arange(1001))
tprint(np.arange(2000).reshape(2, 10, 100)[1, ::3])
tprint(np.arange(1200).reshape(4, 300).astype(np.float64))
tprint(np.arange(1001).astype(bool)[995:])
tprint(np.arange(2002).reshape(2, 1001) > 1000)
