# bench/logreg.py [N] [ITERS] (default N=2000) — logistic regression by batch gradient descent in NumPy, the same
# algorithm as bench/logreg.stark; both print the same to 4 decimals.
import sys

import numpy as np

n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
iters = int(sys.argv[2]) if len(sys.argv) > 2 else 100
d = 8
i = np.arange(0, n, dtype=np.float64).reshape(n, 1)
j = np.arange(0, d, dtype=np.float64)
X = np.sin(i * 0.013 + j * 0.7) + np.cos(i * 0.029 * (j + 1.0))
w_true = np.cos(np.arange(0, d, dtype=np.float64) * 1.1)
y = ((X @ w_true) > 0.1).astype(np.float64)
w = np.zeros(d, dtype=np.float64)
b = 0.0
lr = 0.5
for _ in range(iters):
    p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
    err = p - y
    w = w - lr * (X.T @ err) / n
    b = b - lr * float(err.mean())
p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
loss = -float((y * np.log(p + 1e-7) + (1.0 - y) * np.log(1.0 - p + 1e-7)).mean())
acc = float(((p > 0.5) == (y > 0.5)).mean())
print(f"loss {loss:.4f} accuracy {acc:.4f}")
print(" ".join(f"{float(v):.4f}" for v in w))
