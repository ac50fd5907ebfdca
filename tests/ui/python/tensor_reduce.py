# The NumPy program behind tests/ui/run/tensor_reduce.stark (SPEC §8 reductions).
import numpy as np
from stark_print import tprint

f32 = np.float32
x = np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]], dtype=f32)
tprint(x.sum(), x.mean(), x.max(), x.min(), x.prod(), x.std(), x.var())
tprint(x.argmax(), x.argmin(), x.any(), x.all(), (x > 3.0).any(), (x > 3.0).all())
tprint(x.sum(axis=0), x.sum(axis=1), x.sum(axis=-1), x.mean(axis=0), x.max(axis=1), x.min(axis=0))
tprint(x.prod(axis=1), x.std(axis=0), x.var(axis=1), x.argmax(axis=1), x.argmin(axis=0))
tprint(x.sum(axis=1, keepdims=True), x.mean(keepdims=True), x.max(axis=0, keepdims=True))
tprint((x > 2.0).any(axis=0), (x > 2.0).all(axis=1), float((x > 2.0).sum()), (x > 2.0).sum(axis=0))
i = np.array([[1, 2], [3, 4]])
tprint(float(i.sum()), i.mean(), float(i.max()), i.sum(axis=0), i.mean(axis=1), i.max(axis=0), i.prod(axis=0))
c = np.arange(24).reshape(2, 3, 4)
tprint(c.sum(axis=1), c.max(axis=-1), c.argmax(axis=0), list(c.mean(axis=2, keepdims=True).shape))
tprint(x.T.sum(axis=0), x[:, 1:].mean(), x[::-1, ::2].argmax(axis=0))
f = np.array([0.1, 0.2, 0.3], dtype=f32)
tprint(f.sum(), f.mean(), f.std())
tprint(np.array([1.0, -1.0], dtype=f32).any(), np.zeros(2, dtype=f32).any(), np.array([0, 0]).any(), np.array([0.5, 0.0], dtype=f32).all(), np.zeros(0, dtype=f32).all())
