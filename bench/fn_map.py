# The same as fn_map.stark: `list(map(lambda x: x * 2, xs))` against the append loop.
import sys

def main():
    mode, n = sys.argv[1], int(sys.argv[2])
    xs = []
    for i in range(n):
        xs.append(i)
    total = 0
    for _ in range(10):
        if mode == "map":
            ys = list(map(lambda x: x * 2, xs))
        else:
            ys = []
            for x in xs:
                ys.append(x * 2)
        total += len(ys) + ys[n - 1]
    print(total)

main()
