# Benchmarks Game: binary-trees (CPython 3, single-threaded, recursive).
# Mirrors bench/binary_trees.stark: a Node class with left/right, make(depth), check(n).
# Usage: python3 binary_trees.py [DEPTH]   (DEPTH defaults to 10)
import sys


class Node:
    __slots__ = ("left", "right")

    def __init__(self, left, right):
        self.left = left
        self.right = right


def make(depth):
    if depth == 0:
        return Node(None, None)
    return Node(make(depth - 1), make(depth - 1))


def check(n):
    if n.left is None:
        return 1
    return 1 + check(n.left) + check(n.right)


def main():
    argv = sys.argv[1:]
    n = 10
    if len(argv) > 0:
        n = int(argv[0])
    min_depth = 4
    max_depth = n
    if min_depth + 2 > n:
        max_depth = min_depth + 2
    stretch_depth = max_depth + 1

    print(f"stretch tree of depth {stretch_depth}\t check: {check(make(stretch_depth))}")

    long_lived = make(max_depth)

    for depth in range(min_depth, max_depth + 1, 2):
        iterations = 2 ** (max_depth - depth + min_depth)
        total = 0
        for i in range(iterations):
            total += check(make(depth))
        print(f"{iterations}\t trees of depth {depth}\t check: {total}")

    print(f"long lived tree of depth {max_depth}\t check: {check(long_lived)}")


main()
