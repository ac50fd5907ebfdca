# bench/gen_csv.py ROWS OUT.csv — a CSV with a header and ROWS rows (name, three numeric
# columns) for bench/dataset_load.*. The file is generated, not committed.
import random
import sys


def main():
    rows, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(7)
    with open(out, "w") as f:
        f.write("name,x,y,z\n")
        for i in range(rows):
            f.write(f"user{i},{rng.random() * 100:.4f},{rng.randint(0, 1000)},{rng.gauss(0, 1):.6f}\n")


if __name__ == "__main__":
    main()
