"""`show` and `sprint`: Python's values printed the way STARK's `print` shows them (true/false,
double-quoted strings inside lists with STARK's escapes, tuples; an object shows its
`__stark__()`, as a struct prints), so that a Python program and its
STARK translation print the same text."""


def quoted(s):
    out = ['"']
    for c in s:
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append("\\x%02x" % ord(c))
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def show(v, top=True):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "None"
    if isinstance(v, str):
        return v if top else quoted(v)
    if isinstance(v, list):
        return "[" + ", ".join(show(x, False) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(show(k, False) + ": " + show(x, False) for k, x in v.items()) + "}"
    if isinstance(v, tuple):
        return "(" + ", ".join(show(x, False) for x in v) + ")"
    if hasattr(v, "__stark__"):
        return v.__stark__()
    return repr(v) if isinstance(v, float) else str(v)


def sprint(*args):
    print(" ".join(show(a) for a in args))


def tshow(a):
    """A NumPy array (or NumPy scalar) printed as STARK prints a Tensor (SPEC §8):
    `Tensor([[1.0, 2.0], [3.0, 4.0]], shape=[2, 2])`, `, dtype=int64` when not float32, a
    0-d array as its value, and past 1,000 elements the first and last 3 of every axis
    longer than 6 (NumPy's summary)."""
    import numpy as np

    a = np.asarray(a)
    names = {"float32": "float32", "float64": "float64", "int64": "int64", "bool": "bool"}
    dtype = names[str(a.dtype)]

    def elem(x):
        if dtype == "float32":
            # The shortest digits that round-trip as float32, laid out as Python's repr.
            return repr(float(str(np.float32(x))))
        if dtype == "float64":
            return repr(float(x))
        if dtype == "bool":
            return "true" if bool(x) else "false"
        return str(int(x))

    summarize = a.size > 1000

    def dim(x):
        if x.ndim == 0:
            return elem(x[()])
        n = x.shape[0]
        if summarize and n > 6:
            parts = [dim(x[i]) for i in range(3)] + ["..."] + [dim(x[i]) for i in range(n - 3, n)]
        else:
            parts = [dim(x[i]) for i in range(n)]
        return "[" + ", ".join(parts) + "]"

    if a.ndim == 0:
        return elem(a[()])
    shape = "[" + ", ".join(str(d) for d in a.shape) + "]"
    tail = "" if dtype == "float32" else ", dtype=" + dtype
    return "Tensor(" + dim(a) + ", shape=" + shape + tail + ")"


def tprint(*values):
    """`print` of STARK values: arrays through `tshow`, NumPy scalars as Python numbers."""
    import numpy as np

    out = []
    for v in values:
        if isinstance(v, np.ndarray):
            out.append(tshow(v))
        elif isinstance(v, (np.bool_, bool)):
            out.append("true" if v else "false")
        elif isinstance(v, np.integer):
            out.append(str(int(v)))
        elif isinstance(v, np.floating):
            out.append(repr(float(v)))
        else:
            out.append(show(v))
    print(" ".join(out))
