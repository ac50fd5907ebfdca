# §6: the tree-walking evaluator of bench/expr_eval.stark in CPython 3.11: the same tree,
# dataclasses for the variants, and `match` with class patterns for each node visit.
import sys
from dataclasses import dataclass


@dataclass
class Num:
    value: float


@dataclass
class Var:
    pass


@dataclass
class Add:
    left: object
    right: object


@dataclass
class Sub:
    left: object
    right: object


@dataclass
class Mul:
    left: object
    right: object


@dataclass
class Neg:
    inner: object


def build(depth, seed):
    if depth == 0:
        if seed % 3 == 0:
            return Var()
        return Num(float(seed % 7) + 0.5)
    a = (seed * 31 + 7) % 1000003
    b = (seed * 17 + 3) % 1000003
    k = seed % 5
    if k == 0:
        return Add(build(depth - 1, a), build(depth - 1, b))
    if k == 1:
        return Sub(build(depth - 1, a), build(depth - 1, b))
    if k == 2:
        return Mul(build(depth - 1, a), Num(0.5))
    if k == 3:
        return Neg(build(depth - 1, a))
    return Add(build(depth - 1, a), Var())


def evaluate(e, x):
    match e:
        case Num(v):
            return v
        case Var():
            return x
        case Add(a, b):
            return evaluate(a, x) + evaluate(b, x)
        case Sub(a, b):
            return evaluate(a, x) - evaluate(b, x)
        case Mul(a, b):
            return evaluate(a, x) * evaluate(b, x)
        case Neg(inner):
            return -evaluate(inner, x)


def count(e):
    match e:
        case Add(a, b) | Sub(a, b) | Mul(a, b):
            return 1 + count(a) + count(b)
        case Neg(inner):
            return 1 + count(inner)
        case _:
            return 1


def main():
    depth = int(sys.argv[1])
    rounds = int(sys.argv[2])
    tree = build(depth, 12345)
    total = 0.0
    for i in range(rounds):
        total += evaluate(tree, float(i % 100) * 0.01)
    print(count(tree), f"{total:.6f}")


main()
