# The NumPy program behind tests/ui/run/tensor_kmeans.stark (k-means with SPEC §8 operations).
import numpy as np
from stark_print import tprint

rows = []
for i in range(60):
    c = i % 3
    dx = ((i * 7) % 11) / 10.0 - 0.5
    dy = ((i * 13) % 17) / 17.0 - 0.5
    rows.append([c * 5.0 + dx, float(c * c) + dy])
x = np.array(rows, dtype=np.float32)
centroids = x[0:3].copy()
labels = np.zeros(60, dtype=np.int64)
inertia = 0.0
for it in range(10):
    diff = x[:, None, :] - centroids[None, :, :]
    d = (diff * diff).sum(axis=2)
    labels = d.argmin(axis=1)
    inertia = float(d.min(axis=1).sum())
    for k in range(3):
        centroids[k] = x[labels == k].mean(axis=0)
tprint(np.round(centroids * 10000) / 10000)
tprint(labels[0:9], float((labels == 0).sum()), float((labels == 1).sum()), float((labels == 2).sum()))
print(f"{inertia:.4f}")
