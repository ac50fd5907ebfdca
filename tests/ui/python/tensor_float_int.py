import numpy as np

t = np.array([[1.5, 2.0], [3.0, 4.0]], dtype=np.float32)
i = np.array([7, 8])
print(float(t[0, 0]), int(i[0]), int(t[1, 1].astype(np.int64)), f"{float(t[1, 0]):.3f}")
print(float(i[1]) / 2.0, int(t.sum()))
