from stark_print import sprint


def show(s):
    return "[" + s + "]"


s = "the cat sat on the mat"
sprint(s.replace("at", "og"), s.replace("the", "a", 1), s.replace("zz", "y"))
sprint("aaaa".replace("aa", "b"), "abc".replace("", "-"), "abc".replace("", "-", 2))
sprint(s.startswith("the"), s.startswith("cat"), s.endswith("mat"), s.endswith(""))
sprint(s.find("cat"), s.find("dog"), s.find(""), "héllo wörld".find("wö"))
sprint(s.count("at"), s.count("the"), "aaaa".count("aa"), "abc".count(""), "héé".count(""))
sprint(show("  padded \t\n".strip()), show("  padded  ".lstrip()), show("  padded  ".rstrip()))
sprint(show("xxhixyx".strip("xy")), show("xxhix".lstrip("x")), show("xxhix".rstrip("x")))
sprint(show("".strip()), show("   ".strip()), show("\u3000wide\u3000".strip()))
sprint(s.split(" "), "a,b,,c,".split(","), "  lots   of\tspace\n here  ".split())
sprint("".split(), "".split(","), "one".split(), "a--b--c".split("--"))
sprint("line1\nline2\r\nline3\rline4\n".splitlines(), "".splitlines(), "x\n\ny".splitlines())
sprint(", ".join(["a", "b", "c"]), "".join(["x", "y"]), "-".join([]), "+".join(["solo"]))
sprint(show("ab".ljust(6)), show("ab".rjust(6)), show("ab".center(6)), show("abc".center(6)))
sprint(show("ab".center(5)), show("ab".center(7, "*")), show("abcdef".ljust(3)), show("é".rjust(3, "·")))
sprint("2024".isdigit(), "20a4".isdigit(), "".isdigit(), "٣".isdigit())
sprint("abc".isalpha(), "ab1".isalpha(), "héllo".isalpha(), "".isalpha())
sprint(" \t\n".isspace(), " a ".isspace(), "".isspace())
words = "  The quick brown fox  ".strip().lower().split()
sprint(words, len(words), "|".join(words).upper())
