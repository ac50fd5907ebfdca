from stark_print import sprint
from dataclasses import dataclass
@dataclass
class V:
    name: str
    def __del__(self): print("drop", self.name)
def main():
    m = {"one": 1, "two": 2, "three": 3}
    sprint(list(m.values()), m.get("two", 0), m.get("nine", 0), m.get("nine"), m.get("one"))
    sprint(m.pop("two", None), m.pop("two", None), m.pop("two", -1), m)
    m["two"] = 22
    m["one"] = 11
    sprint(m, list(m.keys()), list(m.values()))
    del m["one"]
    m["zero"] = 0
    m["one"] = 1
    sprint(m)
    for k in m:
        sprint(k, m[k])
    prices = {"tea": 2.5}
    missing = float(prices.get("coffee", 3))
    sprint(prices.get("tea", 0), missing, missing + 0.5, prices.pop("tea", 1))
    sprint(prices, len(prices))
    counts = {}
    for x in [3, 1, 3, 2, 3, 1]:
        counts[x] = counts.get(x, 0) + 1
    sprint(counts, list(counts.values()))
    fallback = None
    sprint(counts.get(7, fallback), counts.get(3, fallback))
    objs = {"a": V("va"), "b": V("vb"), "c": V("vc")}
    objs.pop("b")
    sprint("popped b")
    kept = objs.pop("a")
    sprint("kept", kept.name, objs.pop("zz", None) == None, len(objs))
    objs.clear()
    sprint("end")
main()
