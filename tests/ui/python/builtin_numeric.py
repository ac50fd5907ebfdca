from stark_print import sprint
n = -7
x = -2.5
sprint(abs(n), abs(7), abs(x), abs(0.0), abs(-0.0), abs(n) + 1)
sprint(min(3, 1, 2), max(3, 1, 2), min(2.5, -1.0), float(max(1, 2.5)), float(min(1, 2.5)), float(max(-3, -1.5)))
sprint(min("pear", "apple", "fig"), max("pear", "apple"), min([5, 3, 9]), max([2.5, 7.25]))
words = ["b", "a", "c"]
sprint(min(words), max(words), words)
maybe = 4
sprint(max(maybe, 2), min(maybe, 2))
sprint(sum([1, 2, 3]), sum([0.1, 0.2, 0.3]), sum([]), sum([2.5]), sum(range(101)))
xs = []
sprint(float(sum(xs)), sum([1.0, 1e100, 1.0, -1e100]))
sprint(round(0.5), round(1.5), round(2.5), round(-0.5), round(-1.5), round(2.4999), round(7))
sprint(round(2.675, 2), round(0.125, 2), round(0.375, 2), round(1.0 / 3.0, 4), round(-1.005, 2))
sprint(round(1234.5678, -2), round(1250.0, -2), round(1350.0, -2), round(-1250.0, -2), round(5.0, -1))
sprint(round(-4.0, -1), round(0.5, 0), round(1.5, 0), round(123.456, 1), round(1e300, 2))
sprint(round(1250, -2), round(1350, -2), round(-1250, -2), round(149, -2), round(7, 3), round(5, -1))
sprint(round(15, -1), round(25, -1), round(-25, -1), round(999, -5))
ys = [3, 1, 2]
sprint(sorted(ys), sorted(ys, reverse=True), ys)
sprint(sorted(["b", "C", "a"]), sorted([2.5, -1.0, 0.0]), sorted([True, False]), sorted([]))
sprint(ord("a"), ord("A"), ord("é"), ord("€"), ord("😀"), chr(97), chr(955), chr(128512), chr(ord("a") + 1))
sprint(hex(255), hex(0), hex(-255), hex(4096), hex(9223372036854775807), hex(-9223372036854775807 - 1))
