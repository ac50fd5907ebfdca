# CPython comparison for bench/gc_pause.stark: the same heap shape (1,000,000 live objects
# in a list plus cyclic garbage), timing a full gc.collect().
import gc, sys, time

class Node:
    __slots__ = ("id", "next", "__weakref__")
    def __init__(self, i, nxt):
        self.id = i
        self.next = nxt

def make_cycle(i):
    a = Node(i, None)
    b = Node(i + 1, a)
    a.next = b

live = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
keep = [Node(i, None) for i in range(live)]
gc.disable()
for i in range(10_000):
    make_cycle(i)
worst = 0.0
for _ in range(5):
    for i in range(10_000):
        make_cycle(i)
    t = time.perf_counter()
    gc.collect()
    worst = max(worst, time.perf_counter() - t)
print("live objects kept:", len(keep))
print("gc.collect() max us:", int(worst * 1e6))
