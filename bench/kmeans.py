# bench/kmeans.py [N] [ITERS] (default N=2000) — k-means (k=8, 16 features) in NumPy without Python loops over
# points, the same algorithm as bench/kmeans.stark; both print the same to 4 decimals.
import sys

import numpy as np

n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
iters = int(sys.argv[2]) if len(sys.argv) > 2 else 20
k, d = 8, 16
# Deterministic points in 8 well-separated groups (point i belongs to group i % 8).
i = np.arange(0, n, dtype=np.float64).reshape(n, 1)
j = np.arange(0, d, dtype=np.float64)
group = i - 8.0 * np.floor(i / 8.0)
X = np.sin(i * 0.37 + j * 1.3) + group * 3.0
C = X[0:k].copy()
counts = np.zeros(k, dtype=np.int64)
for _ in range(iters):
    # Squared distances to every centroid: |x|^2 - 2 x.c + |c|^2.
    d2 = (X * X).sum(axis=1, keepdims=True) - 2.0 * (X @ C.T) + (C * C).sum(axis=1)
    labels = d2.argmin(axis=1)
    for c in range(k):
        members = X[labels == c]
        counts[c] = len(members)
        if len(members) > 0:
            C[c] = members.mean(axis=0)
for c in range(k):
    print(f"{c} {counts[c]} {float(C[c, 0]):.4f} {float(C[c].sum()):.4f}")
