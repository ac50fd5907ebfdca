# The same as comprehension.stark: a list comprehension against the append loop.
import sys

def main():
    mode, n = sys.argv[1], int(sys.argv[2])
    xs = []
    for i in range(n):
        xs.append(i)
    total = 0
    for _ in range(10):
        if mode == "comp":
            ys = [x * 2 for x in xs]
        else:
            ys = []
            for x in xs:
                ys.append(x * 2)
        total += len(ys) + ys[n - 1]
    print(total)

main()
