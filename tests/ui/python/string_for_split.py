# The Python program whose output tests/ui/run/string_for_split.stdout must be.


def show(label, text, sep):
    out = ""
    n = 0
    for p in text.split(sep):
        out = out + "[" + p + "]"
        n += 1
    print(label, n, out)


def words(label, text):
    out = ""
    n = 0
    chars = 0
    for w in text.split():
        out = out + "<" + w + ">"
        n += 1
        chars += len(w)
    print(label, n, chars, out)


def first_long(text, at_least):
    for w in text.split():
        if len(w) >= at_least:
            return w
    return "-"


def main():
    show("lines", "a\nbb\n\nccc\n", "\n")
    show("empty", "", "\n")
    show("no sep", "abc", ",")
    show("only seps", ",,,", ",")
    show("edges", ",a,b,", ",")
    show("multi", "x--y----z--", "--")
    show("overlap", "aaaaa", "aa")
    show("unicode sep", "héllo·wörld··x", "·")
    show("long sep", "one<=====>two<=====><=====>three", "<=====>")
    show("tab", "a\tb\t\tc", "\t")

    nbsp = chr(160)
    ideo = chr(12288)
    words("spaces", "  the quick\tbrown\n\nfox  ")
    words("empty", "")
    words("blank", " \t\n ")
    words("unicode", "héllo" + nbsp + "wörld" + ideo + ideo + "あい" + chr(28) + "end" + chr(133))
    words("dash", "em—dash not—a space")
    words("long", "x" * 70 + " " + "y" * 3 + " " + "z" * 130)

    seen = 0
    for w in "one two three four five".split():
        if w == "two":
            continue
        if w == "four":
            break
        seen += len(w)
    print("seen", seen)
    print("first long", first_long("a bb ccc dddd", 3), first_long("a b", 5))

    text = "p,q,r"
    sep = ","
    got = ""
    for piece in text.split(sep):
        text = "zzz"
        sep = "z"
        got = got + piece
    print("rebound", got, text, sep)

    table = "name,age\nann,31\nbob,42\n"
    total = 0
    for row in table.strip().split("\n"):
        for cell in row.split(","):
            if cell.isdigit():
                total += int(cell)
    print("total", total)
    upper = [w.upper() for w in "mixed Case words".split()]
    print("upper", len(upper), upper[0], upper[2])
    lens = [len(p) for p in "a,,bcd,".split(",")]
    print("lens", len(lens), lens[0], lens[1], lens[2], lens[3])

    kept = []
    for w in "keep these words".split():
        kept.append(w)
    print("kept", len(kept), kept[0], kept[1], kept[2])


main()
