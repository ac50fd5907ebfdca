from stark_print import sprint
m = {"b": 2, "a": 3, "c": 1}
sprint(sorted(m.items()))
ps = [(2, "x"), (1, "z"), (2, "a"), (1, "b")]
ps.sort()
sprint(ps)
ps.sort(reverse=True)
sprint(ps)
sprint(max(ps), min(ps), max((1, 2), (1, 3)), min(True, False), max([False, True]))
ranked = sorted([(v, k) for k, v in m.items()], reverse=True)
sprint(ranked, ranked[0][1], ranked[-1][1])
nested = [((1, 2.5), "p"), ((1, 0.5), "q"), ((0, 9.0), "r")]
sprint(sorted(nested), max(nested)[1])
