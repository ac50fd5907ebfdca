from stark_print import sprint


class Row:
    def __init__(self, name, qty, price):
        self.name, self.qty, self.price = name, qty, price


def cell(x):
    return f"{x:>9.2f}"


m = {"k": 42, "a:b": 7}
xs = [1.5, 22.25, 333.125]
sprint(f"{m['k']} {m['k']:>5} {m['a:b']:03d} {xs[1:]} {len(xs[:2]):+d}")
rows = [Row("apple", 3, 1.25), Row("banana", 12, 0.5), Row("cherry", 150, 12.0)]
sprint(f"{'item':<8}|{'qty':>5}|{'price':>9}|{'total':>10}")
sprint(f"{'':-<8}+{'':->5}+{'':->9}+{'':->10}")
total_sum = 0.0
for r in rows:
    total = r.qty * r.price
    total_sum += total
    sprint(f"{r.name:<8}|{r.qty:>5d}|{r.price:>9.2f}|{total:>10,.2f}")
sprint(f"{'sum':<8}|{len(rows):>5}|{'':>9}|{total_sum:>10,.2f}")
share = rows[0].qty / 165.0
sprint(f"share {share:.1%} {share:.3e} {share:g} {1.0 / 3.0:.5} {2 ** 20:,} {2 ** 20:_x}")
cells = cell(3.14159) + "|" + cell(-2.0) + "|" + cell(1e6)
sprint(cells)
for i in range(3):
    sprint(f"{i:02d}: {'#' * (i + 1):<4}| {i * 1.5:6.2f} {-i:+d} {'true' if i % 2 == 0 else 'false'}")
name = "STARK"
sprint(f"{name:*^11} {name[:2]:>4} {name.lower():.3}")
