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
            check += float(c[0, 0])
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
    else:
        print(f"unknown op {op}: expected matmul, add or sum")
        sys.exit(2)
    print(op, n, reps, "true" if check > 0.0 or reps == 0 else "false")


if __name__ == "__main__":
    main()
