# bench/gen_csv.py ROWS OUT.csv — a CSV with a header and ROWS rows for the dataset
# benchmarks (bench/dataset_load.*, bench/dataset_ops.*): an int id, an int customer key
# (0..999, for the join), a string category (40 values, for the group-by), two float
# columns (price, qty) and a high-cardinality string (name). Beside it, OUT's directory gets
# customers.csv (the 1,000-row table the join meets) and OUT with `.parquet` for `.csv`
# (written by pandas, as a pandas user's file would be). The files are generated, not
# committed.
import os
import random
import sys


def main():
    rows, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(7)
    with open(out, "w") as f:
        f.write("id,customer,category,price,qty,name\n")
        for i in range(rows):
            f.write(
                f"{i},{rng.randrange(1000)},cat{rng.randrange(40)},"
                f"{rng.random() * 100:.4f},{rng.random() * 10:.2f},user{i}\n"
            )
    with open(os.path.join(os.path.dirname(out) or ".", "customers.csv"), "w") as f:
        f.write("customer,region,discount\n")
        for c in range(1000):
            f.write(f"{c},region{c % 12},{rng.random() * 0.3:.3f}\n")
    try:
        import pandas as pd

        pd.read_csv(out).to_parquet(out[: -len(".csv")] + ".parquet")
    except ImportError:
        pass


if __name__ == "__main__":
    main()
