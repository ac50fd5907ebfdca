"""pandas (3.x) printed the way STARK prints its datasets (docs/decisions.md, "Printing a
Dataset"): pandas' own table, then a line of dtypes; a column as pandas' unnamed Series.
A Dataset has no index, so the pandas frames here are always reset to 0..n-1."""

import pandas as pd


def dtype_name(s):
    t = str(s.dtype)
    if t in ("int64", "float64", "bool"):
        return t
    present = s.dropna()
    if len(present) and all(isinstance(v, (bool,)) or type(v).__name__ == "bool_" for v in present):
        return "bool"
    return "string"


def dshow(df, keys=None):
    df = df.reset_index(drop=True)
    if len(df) == 0:
        print("Empty Dataset")
        print("Columns: [" + ", ".join(df.columns) + "]")
    else:
        print(df.to_string(max_rows=60, min_rows=10))
        if len(df) > 60:
            print()
            print(f"[{len(df)} rows x {len(df.columns)} columns]")
    print("dtypes: " + ", ".join(f"{c} {dtype_name(df[c])}" for c in df.columns))


def cshow(s):
    s = s.reset_index(drop=True).rename(None)
    text = s.to_string(max_rows=60, min_rows=10, length=len(s) > 60)
    if len(s) > 60:
        # repr(Series) puts the length and the dtype on one line.
        print(text + ", dtype: " + dtype_name(s))
    else:
        print(text)
        print("dtype: " + dtype_name(s))


def fshow(x):
    """A Float as STARK prints one (Python's repr; nan as nan)."""
    print(repr(float(x)))
