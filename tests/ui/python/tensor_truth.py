# The NumPy program behind tests/ui/run/tensor_truth.stark: `bool(a)` of one-element arrays.
import numpy as np
from stark_print import sprint

t = np.array([[1.5, 0.0], [-2.0, 4.0]], dtype=np.float32)
if t[0, 0]:
    print("t[0, 0] is true")
if not t[0, 1]:
    print("t[0, 1] is false")
if t[0, 1]:
    print("unreachable")
elif t[1, 0] < 0.0:
    print("t[1, 0] < 0.0")
labels = np.array([0, 0, 1, 1])
n = 0
while labels[n] == 0:
    n += 1
sprint(n, bool(t[1, 1] > 3.0 and t[0, 0] > 1.0), bool(t[0, 1] or t[1, 1] < 0.0))
with np.errstate(invalid="ignore"):
    nan = np.array([0.0], dtype=np.float32) / 0.0
b = bool(t.sum(axis=0, keepdims=True)[0, 1] > 0.0)
sprint(b, "yes" if nan else "no", not np.array([False]))
sprint(bool((t > 0.0).any() and not (t > 0.0).all()))
