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
