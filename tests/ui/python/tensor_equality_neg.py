# The NumPy program behind tests/ui/run/tensor_equality_neg.stark (SPEC §8 `==`, `!=`, `-`).
import numpy as np
from stark_print import tprint

f32 = np.float32
x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=f32)
labels = np.array([0, 1, 0])
tprint(labels == 0, labels != 0, x == 4.0, x == np.array([1.0, 4.0], dtype=f32))
tprint(x[labels == 0], x[labels == 1].mean(axis=0))
tprint((x == x.copy()).all(), (x != x).any(), (np.array([1, 2]) == np.array([1.0, 2.0])).all())
tprint(-x, -labels, -(x - 3.5), -np.array([0.0], dtype=f32), np.negative(x)[0])
total = 0.0
for i in range(3):
    total += float(x[i, 1])
count = 0
for i in range(3):
    count += int(labels[i])
tprint(total, count)
y = x.copy()
y[labels == 0] = np.array([-1.0, -2.0], dtype=f32)
y[labels != 0] = 0
tprint(y)
b = np.array([True, False, True])
tprint(b == True, b != False, bool(b[0] == True), y + True, np.where(y > 0.0, True, False))
