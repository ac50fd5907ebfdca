from stark_print import sprint
from dataclasses import dataclass
@dataclass
class P:
    x: int
    name: str
    def __stark__(self): return f'P(x={self.x}, name="{self.name}")'
xs = [3, 1, 2]
xs.insert(0, 0)
xs.insert(-1, 9)
xs.insert(100, 7)
xs.insert(-100, -1)
xs.insert(len(xs), 5)
sprint(xs)
sprint(xs.pop(), xs.pop(0), xs.pop(-2), xs.pop(1), xs)
xs.extend([1, 3, 1])
sprint(xs, xs.index(1), xs.index(9), xs.count(1), xs.count(42))
xs.remove(1)
sprint(xs)
xs.remove(1)
sprint(xs)
xs.extend(xs)
sprint(xs, len(xs))
xs.reverse()
sprint(xs)
xs.sort()
sprint(xs)
xs.sort(reverse=True)
sprint(xs)
fs = [2.5, -1.0, 0.5, 10.0]
fs.sort(reverse=True)
sprint(fs, fs.index(0.5))
ws = ["pear", "apple", "fig", "apple"]
ws.sort()
sprint(ws, ws.count("apple"), ws.index("fig"))
ws.remove("apple")
ws.reverse()
sprint(ws)
flags = [True, False, True]
flags.sort()
sprint(flags)
a = [1, 2]
b = [3]
c = a + b
sprint(c, a, b, a + [], [] + b, c + c)
sprint(a * 3, 2 * b, a * 0, a * -2, len([0] * 1000))
sprint(c == [1, 2, 3], c != [1, 2, 3], c == [1, 2], c == [3, 2, 1], [] == [])
grid = [[1, 2], [3, 4]]
sprint(grid == [[1, 2], [3, 4]], grid == [[1, 2], [4, 3]], grid != [[1, 2]])
ps = [P(1, "a"), P(2, "b")]
sprint(ps == [P(1, "a"), P(2, "b")], ps == [P(1, "a"), P(2, "c")])
qs = ps + [P(3, "c")]
qs.remove(P(2, "b"))
sprint(qs, qs.index(P(3, "c")), qs.count(P(1, "a")))
names = ["x"] * 3
sprint(names, names == ["x", "x", "x"])
