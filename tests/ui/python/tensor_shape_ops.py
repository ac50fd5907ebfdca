# The NumPy program behind tests/ui/run/tensor_shape_ops.stark (SPEC §8 shape operations).
import numpy as np
from stark_print import tprint

f32 = np.float32
a = np.arange(24).reshape(2, 3, 4)
tprint(list(a.reshape(4, -1).shape), list(a.reshape(-1).shape), list(a.reshape(3, -1, 2).shape))
tprint(list(a.transpose().shape), list(a.transpose(1, 0, 2).shape), a.transpose(2, -3, 1)[1])
tprint(a.T[0], a.flatten()[5:9], a[0].T.flatten())
tprint(list(np.zeros((1, 3, 1)).squeeze().shape), list(np.zeros((1, 3, 1)).squeeze(-1).shape))
tprint(np.expand_dims(np.array([1, 2, 3]), 1), list(np.expand_dims(np.array([1, 2, 3]), -1).shape))
p = np.array([[1, 2], [3, 4]])
q = np.array([[5, 6]])
tprint(np.concatenate([p, q]), np.concatenate([p, q.T], axis=1))
tprint(np.concatenate([p, np.array([[0.5, 0.5]], dtype=f32)], axis=0))
tprint(np.stack([p, p]), np.stack([p, p * 10], axis=-1))
tprint(np.stack([np.array([1, 2]), np.array([3, 4])], axis=1))
m = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=f32)
v = np.array([1.0, -1.0], dtype=f32)
tprint(m @ v, np.array([1.0, 0.0, 2.0], dtype=f32) @ m, np.asarray(v @ v), m.T @ m)
tprint(p @ p, p @ np.array([1, 1]))
b1 = np.arange(12).reshape(2, 2, 3)
b2 = np.arange(6).reshape(3, 2)
tprint(b1 @ b2, list((b1 @ b2).shape))
tprint(b1 @ np.arange(12).reshape(2, 3, 2), np.ones((4, 1, 2, 3), dtype=f32) @ np.ones((5, 3, 2), dtype=f32))
tprint(list((np.ones((4, 1, 2, 3)) @ np.ones((5, 3, 2))).shape))
tprint(m[:, ::-1] @ m.T[::-1])
g = np.arange(30, dtype=np.float64).reshape(5, 6) - 7.5
tprint(g[1:4, 2:] @ g[1:5, ::2], g[1:4, 2:] @ g.T[2:, 1:4], g.T[1] @ g[:, 1:3], g[0, 1:4] @ g[2:5, ::2])
