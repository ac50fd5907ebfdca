# The NumPy program behind tests/ui/run/tensor_views.stark (SPEC §8 indexing and views).
import numpy as np
from stark_print import tprint

t = np.arange(12).reshape(3, 4)
tprint(t)
tprint(t[1], t[-1], np.asarray(t[1, 2]), np.asarray(t[-1, -1]))
tprint(t[1:3], t[:, 0], t[::2, -1], t[::-1, 1:3])
tprint(t[0:3:2, ::3], t[:, -2:], t[5:], t[:, 4:])
tprint(list(t[1:3].shape), list(t[:, 0].shape), list(np.asarray(t[1, 2]).shape), len(t[0]), t[1:3].size)
tprint(t.T, list(t.transpose().shape), t.T[0], t[:, 1:].T)
x = float(t[2, 3])
n = int(t[2, 3])
tprint(x + 0.5, n * 2)
v = t[1:][::-1]
tprint(v, v[0, ::2])
row = t[0]
row[1] = 100
row += 1
tprint(t[0])
col = t[:, 3]
col.fill(-5)
tprint(t)
t[1:3, 0:2] = np.array([[7, 8], [9, 10]])
t[:, 2] = 0
tprint(t)
c = t[0].copy()
t[0] = 42
tprint(c, t[0])
flat = t.reshape(-1)
flat[0] = -1
tprint(np.asarray(t[0, 0]), t.T.reshape(12)[0:3], list(t.flatten().shape))
u = t[np.newaxis]
tprint(list(u.shape), list(u.squeeze(0).shape), list(t[0:1].squeeze().shape))
r = np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32)
r[::-1] = r
tprint(r)
