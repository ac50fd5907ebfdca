# The NumPy program behind tests/ui/run/tensor_chain_reuse.stark: the values of each chain.
# The allocation counts are STARK's own (how many tensors each chain makes), written here
# as the constants that program expects.
import numpy as np
from stark_print import tprint


def exp32(a):
    # STARK's float32 exp is the correctly rounded value (docs/decisions.md, "Tensors"):
    # computed in float64 and rounded once; NumPy's SIMD float32 exp can be 1 ulp off it.
    return np.exp(a.astype(np.float64)).astype(np.float32)


x = np.arange(12, dtype=np.float32).reshape(3, 4)
m = x.mean(axis=0)
s = x.std(axis=0)
y = exp32((x - m) / s)
tprint("((x - m) / s).exp():", 1)
tprint(y)
z = np.float32(1.0) - np.sqrt(x * np.float32(2.0))
tprint("1.0 - (x * 2.0).sqrt():", 1)
tprint(z)
b = x * np.float32(2.0)
c = (b + np.float32(1.0)) * b
tprint("(b + 1.0) * b:", 1)
tprint(b[0], c[0])
held = [x * np.float32(1.0)]
h = held[0] + np.float32(1.0)
tprint(held[0][0], h[0])
i = np.arange(6)
q = (i * 3) / 2
tprint("(i * 3) / 2:", 2, str(q.dtype))
tprint(q)
r = (x[0] * np.float32(10.0)) + x
tprint("(x[0] * 10.0) + x:", 3)
tprint(r)
v = (x[1:3] + np.float32(100.0)) * np.float32(2.0)
tprint(v)
tprint(x)
w = np.sqrt(np.maximum(x - np.float32(5.0), np.float32(0.0)))
tprint("Tensor.maximum(x - 5.0, 0.0).sqrt():", 1)
tprint(w)
t = exp32((x - m) / s)
tprint("in an arena:", 1, bool(t.sum() == y.sum()))
tprint("left by the arena:", 0)
e = exp32((x - np.float32(1.0)) * np.float32(0.5))
tprint("100 chains:", 100, 0)
total = 0.0
for k in range(100):
    total += float(e[2, 3])
tprint(total / 100.0)
yy = -((x + np.float32(1.0)) * np.float32(2.0))
tprint(float(yy.sum()) + 1.0)
