from dataclasses import dataclass
import copy
from stark_print import sprint, show


@dataclass
class Pair:
    a: object
    b: object

    def __stark__(self):
        return f"Pair(a={show(self.a, False)}, b={show(self.b, False)})"


class Yes:
    def __init__(self, v):
        self.v = v

    def __stark__(self):
        return f"Opt.Yes(v={show(self.v, False)})"


class No:
    def __stark__(self):
        return "Opt.No"


def half(x):
    return None if x % 2 == 1 else x // 2


def describe(x):
    return "none" if x is None else "some"


sprint(None, None, None, "text", copy.deepcopy([1, 2]))
p = Pair(None, 1)
sprint(p, p.a is None)
n = None
sprint(5 == n, n == 5, n is None, Pair(5, n) == Pair(5, None))
sprint(describe(n), describe(3))
lo, hi, x = 1, 5, 3
sprint(x < hi, lo > (x))
sprint(half(3), half(4))
sprint([half(v) for v in [1, 2, 3, 4]])
sprint(Yes(1), Yes(None))
sprint(No())
