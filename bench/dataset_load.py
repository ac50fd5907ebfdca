# bench/dataset_load.py PATH — pandas.read_csv on the same file as bench/dataset_load.stark.
import sys

import pandas as pd


def main():
    d = pd.read_csv(sys.argv[1])
    print(len(d), "true" if d["price"].mean() > 0.0 else "false")


if __name__ == "__main__":
    main()
