from dataclasses import dataclass
from typing import Generic, TypeVar, Optional
from stark_print import sprint, show

A = TypeVar("A")
B = TypeVar("B")
T = TypeVar("T")


@dataclass
class Pair(Generic[A, B]):
    first: A
    second: B

    def swap(self):
        return Pair(self.second, self.first)

    def __stark__(self):
        return f"Pair(first={show(self.first, False)}, second={show(self.second, False)})"


class Leaf:
    def size(self):
        return 0


@dataclass
class Node:
    left: object
    value: object
    right: object

    def size(self):
        return 1 + self.left.size() + self.right.size()


def first(xs):
    return xs[0] if xs else None


def count(xs, target):
    return len([x for x in xs if x == target])


def describe(x):
    return f"<{show(x)}> {show(x)!r}"


def pair_of(x):
    return Pair(x, x)


def repeat(x, n):
    return [x for _ in range(n)]


def firsts(xss):
    return [first(xs) for xs in xss]


def leaf(v):
    return Node(Leaf(), v, Leaf())


sprint(first([3, 1, 2]), first(["b", "a"]))
sprint(first([]))
sprint(count([1, 2, 1, 3, 1], 1), count(["x", "y"], "y"), count([1.5], 2.0))
sprint(describe(3), describe("s"), describe(2.5), describe([1, 2]))
p = Pair(1, "one")
sprint(p, p.first, p.second)
sprint(p.swap())
sprint(Pair(2, "two"))
pp = pair_of(Pair("in", True))
sprint(pp.first == pp.second, pp)
sprint(repeat("ab", 3), repeat(0, 2))
sprint(firsts([[1, 2], [], [3]]))
t = Node(leaf(1), 2, Node(leaf(3), 4, Leaf()))
sprint(t.size(), leaf("x").size())
sprint(first([(1, "a"), (2, "b")]))
