from stark_print import sprint
def neg(x):
    return -x
xs = [3, 1, 4, 1, 5, 9, 2, 6]
words = ["banana", "kiwi", "apple", "fig"]
sprint(sorted(words, key=lambda w: len(w)))
sprint(sorted(words, key=lambda w: len(w), reverse=True))
sprint(sorted(xs, key=neg))
print(min(words, key=lambda w: len(w)), max(words, key=lambda w: len(w)))
sprint(min(xs, key=lambda x: (x - 5) * (x - 5)))
xs.sort(key=lambda x: x % 3)
sprint(xs)
xs.sort(key=lambda x: x, reverse=True)
sprint(xs)
pairs = [(1, "b"), (2, "a"), (3, "b")]
sprint(sorted(pairs, key=lambda p: p[1]))
sprint(words)
