def note(tag, v):
    print(f"({tag})")
    return v


x = 3.14159
n = 1234567
s = "héllo"
for w in [0, 1, 6, 12]:
    print(f"[{x:{w}}] [{n:{w}}] [{s:{w}}] [{-x:{w}}] [{x:{w}{w}}]")
for p in [0, 1, 3, 10]:
    print(f"[{x:.{p}f}] [{x:>{p + 8}.{p}e}] [{n:,.{p}f}] [{s:.{p}}] [{x:{p}.{p}%}] [{x:.{p}}]")
for fill in ["*", "0", "é", " ", "{", "}", ">"]:
    for align in ["<", ">", "^"]:
        print(f"[{n:{fill}{align}12}] [{-x:{fill}{align}{10}.2f}] [{s:{fill}{align}9}]")
    print(f"[{n:{fill}=12,}] [{-x:{fill}={10}.2f}]")
specs = ["", ">8", "08.3f", "+.2e", ",", "_^12", ".1%", "g", "#<10g", " =9.1f", "z.1f", "-^+11,.2f"]
for spec in specs:
    print(f"[{x:{spec}}] [{-x:{spec}}] [{n:{spec}}] [{-n:{spec}}] [{0.0:{spec}}] [{-0.0:{spec}}]")
for spec in ["x", "#X", "b", "#o", "d", "n", "_b", "+08x", "#_x"]:
    print(f"[{255:{spec}}] [{-255:{spec}}] [{65:{spec}}]")
for spec in ["", "s", ">8", "^9", "*<7", ".2", "08", "★^9", "{>8", ".0"]:
    print(f"[{s:{spec}}] [{'':{spec}}] [{'日本語':{spec}}]")
w = 10
m = {"w": 7}
print(f"[{x:{w!r}}] [{x:{w:d}}] [{x:{w:3}}] [{x:{w=}}] [{x:{m['w']}}] [{s:{'*'}^{w}}]")
print(f"[{s!r:{w}}] [{s!r:>{w}}] [{x=:{w}.2f}] [{s = :^{w}}] [{n:{'_'}}] [{65:{'c'}}]")
print(f"[{note('value', n):{note('width', 9)}.{note('precision', 2)}f}]")
