import numpy as np
from stark_print import sprint

t = np.array([[1.5, 2.0], [3.0, 4.0]], dtype=np.float32)
i = np.array([7, 8])
print(float(t[0, 0]), int(i[0]), int(t[1, 1].astype(np.int64)), f"{float(t[1, 0]):.3f}")
print(float(i[1]) / 2.0, int(t.sum()))
print(int(t[0, 0]), int(-t[0, 0]), int(np.array([2.9], dtype=np.float64)[0]), int(np.array([True])[0]))
xs = [float(t[0, 0]), float(t[1, 1]), 2.0]
ns = [int(i[1]), 3]
print(xs, ns, sum([float(t[1, 0]), float(t.sum())]))
named = {"a": float(t[0, 0]), "b": 3.0}
both = (float(t[1, 1]), int(i[0]))
sprint(named, both)
