# Benchmarks Game: spectral-norm (CPython 3, single-threaded, plain lists of floats).
# Mirrors bench/spectral_norm.stark.
# Usage: python3 spectral_norm.py [N]   (N defaults to 100)
import sys


def eval_a(i, j):
    return 1.0 / ((i + j) * (i + j + 1) // 2 + i + 1)


def mul_av(v, out):
    n = len(v)
    for i in range(n):
        s = 0.0
        for j in range(n):
            s += eval_a(i, j) * v[j]
        out[i] = s


def mul_atv(v, out):
    n = len(v)
    for i in range(n):
        s = 0.0
        for j in range(n):
            s += eval_a(j, i) * v[j]
        out[i] = s


def mul_atav(v, tmp, out):
    mul_av(v, tmp)
    mul_atv(tmp, out)


def main():
    argv = sys.argv[1:]
    n = 100
    if len(argv) > 0:
        n = int(argv[0])

    u = []
    v = []
    tmp = []
    for i in range(n):
        u.append(1.0)
        v.append(0.0)
        tmp.append(0.0)

    for round in range(10):
        mul_atav(u, tmp, v)
        mul_atav(v, tmp, u)

    vbv = 0.0
    vv = 0.0
    for i in range(n):
        vbv += u[i] * v[i]
        vv += v[i] * v[i]

    print(f"spectral norm of {n}x{n}:", (vbv / vv) ** 0.5)


main()
