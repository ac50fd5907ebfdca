# `clear()` is written `while xs: xs.pop(0)`: STARK releases a cleared list's elements in
# index order, where CPython goes from the end (docs/decisions.md, "Release order").
from stark_print import sprint
import sys
from dataclasses import dataclass
@dataclass
class T:
    name: str
    def __del__(self): print("drop", self.name)
def rc(x): return sys.getrefcount(x) - 2
def main():
    xs = [T("a"), T("b")]
    ys = xs + [T("c")]
    sprint(rc(xs[0]), rc(ys[2]), len(ys))
    zs = ys * 2
    sprint(rc(ys[0]), rc(ys[2]), len(zs))
    zs.extend(xs)
    sprint(rc(xs[1]), len(zs))
    zs.clear()
    sprint("cleared", rc(xs[0]), rc(ys[2]))
    rs = [T("r1"), T("r2"), T("r3"), T("r4")]
    rs.remove(T("r2"))
    sprint("removed", len(rs))
    rs.pop()
    sprint("popped")
    kept = rs.pop(0)
    sprint("kept", kept.name)
    rs.extend([T("r5"), T("r6")])
    rs.pop(-2)
    sprint("popped -2")
    while rs: rs.pop(0)
    sprint("cleared", len(rs))
    ws = [T("w1")] * 3
    sprint(rc(ws[0]))
    ws.pop()
    ws.pop()
    sprint("two popped")
    ws.pop()
    sprint("end")
    while ys: ys.pop(0)
    while xs: xs.pop(0)
main()
