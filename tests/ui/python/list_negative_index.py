from stark_print import sprint
def make(): return ["x", "y", "z"]
def get(xs, i): return xs[i] if -len(xs) <= i < len(xs) else None
xs = [10, 20, 30, 40]
sprint(xs[-1], xs[-2], xs[-4], xs[0])
xs[-1] = 45
xs[-4] += 1
sprint(xs)
i = -3
xs[i] = xs[i] * 2
sprint(xs)
sprint(get(xs,-1), get(xs,-4), get(xs,-5), get(xs,4))
sprint(make()[-1], make()[-3])
words = ["a", "b", "c"]
words[-2] = words[-1] + words[-3]
sprint(words, len(words))
nested = [[1, 2], [3, 4]]
nested[-1][-1] = 99
sprint(nested, nested[-2][-1])
