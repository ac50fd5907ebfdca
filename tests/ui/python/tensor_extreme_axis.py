# The NumPy program behind tests/ui/run/tensor_extreme_axis.stark.
import numpy as np
from stark_print import tprint

t = (np.arange(24, dtype=np.float32).reshape(2, 3, 4) % np.float32(5.0)).astype(np.float32)
t[1, 2, 1] = np.nan
t[0, 1, 3] = 9.0
for ax in range(3):
    tprint(ax, t.max(axis=ax), t.argmin(axis=ax))
    tprint(list(t.min(axis=ax, keepdims=True).shape), t.argmax(axis=ax))
    tprint(t.T.argmax(axis=ax), t.astype(np.float64).min(axis=ax))
i = np.arange(24).reshape(2, 3, 4) % 7
tprint(i.max(axis=1), i.argmax(axis=2), i.min(axis=0), i.argmin(axis=-1))
b = i > 3
tprint(b.max(axis=0), b.argmax(axis=1), b.argmin(axis=2))
