# bench/dataset_ops.py OP PATH REPS — the pandas twin of bench/dataset_ops.stark, written
# as a pandas user writes each operation (defaults: read_csv, read_parquet, groupby().agg,
# boolean indexing, sort_values, merge).
import sys

import pandas as pd


def main():
    op, path, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    check = 0.0
    if op == "load":
        for _ in range(reps):
            check += float(len(pd.read_csv(path)))
    elif op == "parquet":
        pq = path.replace(".csv", ".parquet")
        for _ in range(reps):
            check += float(len(pd.read_parquet(pq)))
    else:
        d = pd.read_csv(path)
        customers = pd.read_csv(path.replace("sales.csv", "customers.csv"))
        for _ in range(reps):
            if op == "groupby":
                g = d.groupby("category").agg({"price": "mean", "qty": "sum"})
                check += float(len(g))
            elif op == "filter":
                check += float(len(d[d["price"] > 50.0]))
            elif op == "sort":
                check += float(len(d.sort_values("price")))
            elif op == "join":
                check += float(len(d.merge(customers, on="customer")))
    print(repr(check))


if __name__ == "__main__":
    main()
