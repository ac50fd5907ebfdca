# bench/tensor_ops.py OP SIZE [REPS] — the NumPy side of bench/tensor_ops.stark (same ops,
# same structure: setup, then REPS operations).
import sys

import numpy as np


def main():
    op, n = sys.argv[1], int(sys.argv[2])
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    rng = np.random.default_rng(1)
    check = 0.0
    if op == "matmul":
        a = rng.random((n, n), dtype=np.float32)
        b = rng.random((n, n), dtype=np.float32)
        for _ in range(reps):
            c = a @ b
            check += float(c[0, 0]) ** 2
    elif op == "add":
        a = rng.random(n, dtype=np.float32)
        b = rng.random(n, dtype=np.float32)
        for _ in range(reps):
            c = a + b
            check += float(c[0])
    elif op == "sum":
        a = rng.random(n, dtype=np.float32)
        for _ in range(reps):
            check += float(a.sum())
    elif op == "center":
        x = rng.random((n, 1024), dtype=np.float32)
        for _ in range(reps):
            c = x - x.mean(axis=0)
            check += float(c[0, 0]) ** 2
    elif op == "mask":
        x = rng.random(n, dtype=np.float32)
        for _ in range(reps):
            m = x > 0.5
            check += float(m.sum()) + 1.0
    elif op == "rowsum":
        x = rng.random((n, 1024), dtype=np.float32)
        for _ in range(reps):
            s = x.sum(axis=1)
            check += float(s[0])
    elif op == "exp":
        x = rng.random(n, dtype=np.float32)
        for _ in range(reps):
            e = np.exp(x)
            check += float(e[0])
    elif op == "bmm":
        a = rng.random((64, n, n), dtype=np.float32)
        b = rng.random((64, n, n), dtype=np.float32)
        for _ in range(reps):
            c = a @ b
            check += float(c[0, 0, 0])
    else:
        print(f"unknown op {op}: expected matmul, add, sum, center, mask, rowsum, exp or bmm")
        sys.exit(2)
    print(op, n, reps, "true" if check > 0.0 or reps == 0 else "false")


if __name__ == "__main__":
    main()
