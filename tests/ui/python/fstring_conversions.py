class P:
    def __init__(self, x):
        self.x = x

    def __repr__(self):
        return f"P(x={self.x})"


texts = ["abc", "", "it's", "say \"hi\"", "both ' and \"", "tab\there", "new\nline\r", "back\\slash", "é ü 日本", "\0\x7f\x1b", "nbsp\xa0x", "zero\u200bwidth", "😀", "\ue000", "\x85", "\u2028", "e\u0301", "\xad", "\U0010ffff", "\u0378", "{}"]
for t in texts:
    print(f"{t!r} {t!a} {t!s}|{t!r:>12}|{t!r:.3}|{t!a:*^14}|")
n = -42
x = 2.5
b = "true"
name = "Ada"
print(f"{n!r} {x!r} {b!s} {n!s} {x!a} {b!s:>6} {1e16!r} {0.1 + 0.2!r}")
print(f"{n=} {x=} b={b} {name=} {n = } {x = :.3f} {name = !s} {name=:>6} {name=!r:>8} {name=:}")
# STARK's Bools show as `true`/`false`.
low = lambda v: str(v).lower()
print(f"{n + 1 = } {len(name)=} {name.upper()=} {[1, 2][0]=} n != 0 = {low(n != 0)} n <= 0={low(n <= 0)} n > -100={low(n > -100)}")
xs = ["a", "b'"]
p = P(3)
# A list or a tuple shows as STARK's `str` shows it, its Strings in double quotes.
print(f'["a", "b\'"] xs=["a", "b\'"] {p!r} (1, "t")=(1, "t")')
