# String workload (CPython 3). Mirrors bench/strings.stark: generate a ~50 MB text
# deterministically, then for every line strip, split on whitespace, look at each word (its
# length, a prefix, whether it is a number), replace, join and format an f-string with
# format specs; print totals.
# Usage: python3 strings.py [MB]   (MB defaults to 50)
import sys


class Rng:
    __slots__ = ("state",)

    def __init__(self, state):
        self.state = state

    def next(self):
        self.state = (self.state * 1103515245 + 12345) % 2147483648
        return self.state // 65536


def main():
    argv = sys.argv[1:]
    mb = 50
    if len(argv) > 0:
        mb = int(argv[0])
    words = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "and", "then",
             "some", "more", "words", "stark", "strings", "python", "format", "memory", "arena", "zone",
             "héllo", "wörld", "x", "yz", "number", "42", "3.14", "data", "tensor", "actor", "list", "map"]
    pads = ["", " ", "  ", "\t", " \t ", "    "]
    rng = Rng(7)

    pool = []
    for i in range(4096):
        n = 4 + rng.next() % 12
        ws = []
        for k in range(n):
            ws.append(words[rng.next() % 32])
        pool.append(pads[rng.next() % 6] + " ".join(ws) + pads[rng.next() % 6])

    picked = []
    size = 0
    target = mb * 1000000
    while size < target:
        line = pool[rng.next() % 4096]
        size += len(line) + 1
        picked.append(line)
    text = "\n".join(picked)

    lines_seen = 0
    word_count = 0
    out_chars = 0
    checksum = 0
    longest = 0
    th_words = 0
    number_sum = 0
    for line in text.split("\n"):
        t = line.strip()
        if t == "":
            continue
        lines_seen += 1
        ws = t.split()
        word_count += len(ws)
        for w in ws:
            if len(w) > longest:
                longest = len(w)
            if w.startswith("th"):
                th_words += 1
            if w.isdigit():
                number_sum += int(w)
        r = t.replace("the", "THE")
        j = "-".join(ws)
        f = f"{lines_seen:>9}|{len(ws):03d}|{len(r) / len(ws):8.3f}|{ws[0]:<8}|{word_count:,}"
        out_chars += len(j) + len(f)
        checksum = (checksum * 31 + len(f) + r.find("THE")) % 1000000007
    print("bytes:", len(text))
    print("lines:", lines_seen)
    print("words:", word_count)
    print("output chars:", out_chars)
    print("checksum:", checksum)
    print("longest word:", longest, "th-words:", th_words, "number sum:", number_sum)


main()
