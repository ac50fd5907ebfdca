#!/usr/bin/env python3
"""Generates a STARK program of many modules, to measure how checking scales (SPEC §7).

    python3 bench/gen_modules.py OUT_DIR [MODULES=200] [LINES=500]
    time target/release/stark check OUT_DIR/main.stark

Module `mK` imports `mK-1` (qualified use) and `mK-2` (`from … import`), and defines a
constant, a struct with a method, an enum and functions that call into both imports, so
every kind of cross-module name is resolved many times. `main.stark` imports every module.
"""
import os
import sys


def module(k: int, lines: int) -> str:
    out = []
    if k >= 1:
        out.append(f"import m{k - 1}")
    if k >= 2:
        out.append(f"from m{k - 2} import Vec{k - 2}, mk{k - 2}")
    out += [
        "",
        f"const SCALE: Int = {k + 1}",
        "",
        f"struct Vec{k}:",
        "    x: Int",
        "    y: Int",
        "",
        "    fn norm1(&self) -> Int:",
        "        return abs(self.x) + abs(self.y)",
        "",
        f"enum Shape{k}:",
        "    Square(side: Int)",
        "    Empty",
        "",
        f"fn mk{k}(x: Int, y: Int) -> Vec{k}:",
        f"    return Vec{k}(x, y)",
        "",
        f"fn _area(&s: Shape{k}) -> Int:",
        "    match s:",
        f"        case Shape{k}.Square(n):",
        "            return n * n",
        "        case Empty:",
        "            return 0",
        "",
    ]
    j = 0
    while len(out) < lines:
        body = [
            f"fn f{j}(a: Int, b: Int) -> Int:",
            "    mutable let t = a",
            "    for i in range(b):",
            "        t += i * SCALE",
            "    if t > 100:",
            "        t = t % 97",
            f"    let v = mk{k}(t, a)",
            f"    let s = Shape{k}.Square(b)",
        ]
        extra = "v.norm1() + _area(s)"
        if k >= 1:
            body.append(f"    let w: m{k - 1}.Vec{k - 1} = m{k - 1}.mk{k - 1}(a, b)")
            extra += f" + w.norm1() + m{k - 1}.f{j}(1, 2) + m{k - 1}.SCALE"
        if k >= 2:
            body.append(f"    let u: Vec{k - 2} = mk{k - 2}(b, a)")
            extra += " + u.norm1()"
        body += [f"    return {extra}", ""]
        out += body
        j += 1
    return "\n".join(out) + "\n"


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    root = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    lines = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    os.makedirs(root, exist_ok=True)
    for k in range(n):
        with open(os.path.join(root, f"m{k}.stark"), "w") as f:
            f.write(module(k, lines))
    with open(os.path.join(root, "main.stark"), "w") as f:
        for k in range(n):
            f.write(f"import m{k}\n")
        f.write("\nfn main():\n    mutable let total = 0\n")
        for k in range(n):
            f.write(f"    total += m{k}.f0(1, 2)\n")
        f.write("    print(total)\n")


if __name__ == "__main__":
    main()
