# The Python twin of tests/ui/run/match_semantics.stark: dataclasses for the variants,
# Python 3.10 `match`; its output is that test's expected output.
from dataclasses import dataclass


@dataclass
class Circle:
    radius: float


@dataclass
class Rect:
    w: float
    h: float


@dataclass
class Empty:
    pass


@dataclass
class Ok:
    value: object


@dataclass
class Err:
    error: object


@dataclass
class BadDigit:
    at: int


class ParseEmpty:
    pass


def area(s):
    match s:
        case Circle(r):
            return 3.0 * r * r
        case Rect(w, h):
            return w * h
        case Empty():
            return 0.0


def describe(s):
    match s:
        case Circle(radius=r) if r > 10.0:
            return "big circle"
        case Circle(_):
            return "circle"
        case Rect(w, h) if w == h:
            return f"square {w}"
        case Rect(w=w):
            return f"rect of width {w}"
        case Empty():
            return "empty"


def classify(n):
    match n:
        case 0:
            return "zero"
        case 1 | 2 | 3:
            return "small"
        case -1:
            return "minus one"
        case k if k % 2 == 0:
            return f"even {k}"
        case _:
            return "odd"


def word(s):
    match s:
        case "one":
            return 1
        case "two":
            return 2
        case _:
            return 0


def point(p):
    match p:
        case (0, 0):
            return "origin"
        case (0, y):
            return f"on y at {y}"
        case (x, 0):
            return f"on x at {x}"
        case (x, y) if x == y:
            return "diagonal"
        case _:
            return "elsewhere"


def flags(a, b):
    match (a, b):
        case (True, True):
            return "both"
        case (True, False) | (False, True):
            return "one"
        case (False, False):
            return "none"


def parsed(r):
    match r:
        case Ok(v) if v < 0:
            return "negative"
        case Ok(v):
            return f"ok {v}"
        case Err(ParseEmpty()):
            return "empty input"
        case Err(BadDigit(at)):
            return f"bad digit at {at}"


def maybe(x):
    match x:
        case None:
            return "nothing"
        case Circle(r):
            return f"a circle of {r}"
        case other:
            return f"area {area(other)}"


shapes = [Circle(1.0), Rect(w=2.0, h=3.0), Empty(), Circle(20.0), Rect(2.0, 2.0)]
for s in shapes:
    print(describe(s), area(s))
for n in [0, 2, -1, 8, 9]:
    print(classify(n))
print(word("one"), word("two"), word("three"))
for p in [(0, 0), (0, 5), (7, 0), (3, 3), (1, 2)]:
    print(point(p))
print(flags(True, True), flags(False, True), flags(False, False))
print(parsed(Ok(-4)), parsed(Ok(12)), parsed(Err(ParseEmpty())), parsed(Err(BadDigit(3))))
print(maybe(None), maybe(Circle(2.0)), maybe(Rect(1.0, 4.0)))
