from functools import reduce
from stark_print import sprint
def is_even(x):
    return x % 2 == 0
xs = [3, 1, 4, 1, 5, 9, 2, 6]
sprint(list(map(lambda x: x * 2, xs)))
sprint(list(filter(is_even, xs)))
sprint(any(x > 8 for x in xs), all(x > 0 for x in xs), any(x > 100 for x in xs))
sprint(reduce(lambda acc, x: acc + x, xs, 0))
sprint(reduce(lambda acc, x: acc * 10 + x, xs, 0))
names = ["ann", "bob", "cy"]
prefix = "hi "
sprint(list(map(lambda n: prefix + n, names)))
sprint(list(filter(lambda n: len(n) == 3, names)))
sprint(reduce(lambda acc, n: acc + n, names, ""))
k = 3
sprint([y for y in map(lambda x: x + k, xs) if y > 5])
empty = []
sprint(list(map(lambda x: x, empty)), all(map(is_even, empty)), reduce(lambda a, b: a * b, empty, 1))
nested = [[1, 2], [3], []]
sprint(list(map(len, nested)))
sprint([l for l in nested if len(l) > 0])
sprint(list(map(lambda x: x / 2.0, xs)))
out = []
for x in xs:
    if x > 4:
        out.append(x * 10)
sprint(out)
