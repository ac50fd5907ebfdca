# The NumPy program behind tests/ui/run/tensor_construct.stark (SPEC §8 construction).
import numpy as np
from stark_print import tprint

a = np.array([[1, 2], [3, 4]])
b = np.array([[1.5, 2.0], [3.0, 4.0]], dtype=np.float32)
c = np.array([[[True, False]], [[False, True]]])
tprint(a, b, c)
tprint(np.array([1, 2, 3]), np.array([1.0, 2.0], dtype=np.float32), np.array([[1, 2]], dtype=np.float64))
tprint(len(a), a.size, len(c), c.size, list(c.shape))
tprint(np.array([], dtype=np.float32), [0])
tprint(np.arange(5), np.arange(2, 7), np.arange(10, 0, -3), np.arange(1, 2, 5))
tprint(np.arange(0.0, 1.0, 0.25, dtype=np.float32), np.arange(1.5, 4, dtype=np.float32), np.arange(3, 0))
tprint(np.linspace(0, 1, 5, dtype=np.float32), np.linspace(2.0, 3.0, 4, dtype=np.float32),
       np.linspace(0, 1, 1, dtype=np.float32), np.linspace(-1, 1, 0, dtype=np.float32))
tprint(np.eye(3, dtype=np.float32), np.eye(2, dtype=np.int64))
tprint(np.full((2, 3), 7, dtype=np.float32), np.full(2, 0.5, dtype=np.float64), np.full(2, 1, dtype=bool))
tprint([3, 4], "float32", True, "float64")
tprint([float(x) for x in b.ravel()], [int(x) for x in a.ravel()], [float(x) for x in a.ravel()],
       [int(x) for x in c.ravel()])
tprint([0.0] * 4, [float(np.float32(0.1))])
src = np.array([[1, 2], [3, 4]])
cp = np.array(src.T, dtype=np.float64)
cp[0, 0] = 9.0
tprint(cp, src, np.array(np.ones(3, dtype=np.float32)))
