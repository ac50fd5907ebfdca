from stark_print import sprint
xs = [3, 1, 4, 1, 5, 9, 2, 6]
fs = [0.1, 0.2, 0.3]
none = []
nonef = []
sprint(sum(xs, 10), sum(xs, -31), sum(xs, start=100), sum([], 5), sum(none, -3))
sprint(sum(fs, 1), sum(fs, 0.5), sum(fs, -0.6), sum(xs, 0.5), sum([], 2.5), float(sum(nonef, 1)))
sprint(sum([0.1] * 10, 0.0), sum([1e100, 1.0, -1e100], 1.0), sum([-0.0], -0.0), float(sum([-0.0])))
for start in [0, 1, 2, 3, 4, -1, -3, -4, -100, 100]:
    i = xs.index(1, start) if 1 in xs[start:] else -1
    sprint(start, i, xs.index(9, 0, start) if 9 in xs[:start] else -1)
sprint(xs.index(4, -6, -5), xs.index(6, 7, 8), xs.index(6, -1), xs.index(3, 0, 1), xs.index(1, 2, 4))
words = ["b", "a", "c", "a"]
sprint(words.index("a"), words.index("a", 2), words.index("c", -2), words.index("b", -100, 1))
sprint(min(xs, default=0), max(xs, default=0), min(none, default=-1), max(none, default=7))
sprint(min(fs, default=0), float(max(nonef, default=1)), min(none, default=2.5), float(max(xs, default=0.5)))
sprint(min(words, default="z"), max([], default="q"), min(["b"], default="a"))
sprint(min(none, default=None), max(xs, default=None), max(xs, default=0))
m = max(none, default=None)
if m is None:
    sprint("no maximum")
pairs = [(2, "b"), (1, "z")]
sprint(min(pairs, default=(0, "")), max([(1.5, 2)], default=(0.0, 0)))
