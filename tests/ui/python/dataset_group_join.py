import pandas as pd
import numpy as np
from stark_dataset import dshow, cshow
from stark_print import sprint


def agg(df, key, spec):
    # STARK's group_by keeps the keys' order of first appearance and drops missing keys.
    return df.groupby(key, sort=False).agg(spec).reset_index()


def dtypes(df):
    return {c: {"int64": "int64", "float64": "float64", "bool": "bool"}.get(str(t), "string") for c, t in df.dtypes.items()}


o = pd.read_csv("../data/orders.csv")
dshow(agg(o, "category", {"price": "mean", "qty": "sum"}))
dshow(agg(o, "category", {"price": "min", "qty": "max", "order": "count"}))
dshow(agg(o, "category", {"price": "std", "qty": "mean"}))
dshow(agg(o, "category", {"price": "first", "qty": "last", "customer": "sum"}))
dshow(agg(o, "customer", {"category": "first", "price": "sum"}))
c = pd.read_csv("../data/customers.csv")
dshow(o.merge(c, on="customer", how="inner"))
dshow(o.merge(c, on="customer", how="left"))
vc = o["category"].value_counts().reset_index()
dshow(vc.rename(columns={"category": "value"}))
vc = o["customer"].value_counts().reset_index()
dshow(vc.rename(columns={"customer": "value"}))
u1 = pd.Series(o["category"].dropna().unique())
u2 = pd.Series(o["qty"].dropna().unique())
cshow(u1)
cshow(u2)
dshow(o.describe().reset_index().rename(columns={"index": "stat"}))
m = pd.DataFrame({"k": [3, 1, 2], "v": [0.5, 1.5, 2.5]})
dshow(m)
sprint(dtypes(m))
s = pd.DataFrame({"name": ["x", "y"], "flag": ["a", "b"]})
dshow(s.assign(ok=[True, False]))
t = pd.DataFrame({"a": np.array([1.0, 2.0], dtype=np.float32).astype(np.float64), "b": np.array([3, 4])})
dshow(t)
sprint(dtypes(t))
