# String and map workload (CPython 3). Mirrors bench/word_freq.stark: N lines of 12
# pseudo-words from an LCG, every 7th line upper-cased, then split, lower-cased and counted
# in a dict; prints the 10 most frequent words (ties broken alphabetically).
# Usage: python3 word_freq.py [LINES]   (LINES defaults to 2000)
import sys

WORDS_PER_LINE = 12


class Rng:
    __slots__ = ("state",)

    def __init__(self, state):
        self.state = state

    def next(self):
        self.state = (self.state * 1103515245 + 12345) % 2147483648
        return self.state // 65536


def make_word(rng, syllables):
    count = 1 + rng.next() % 3
    word = ""
    for s in range(count):
        r = rng.next()
        pick = r % 16
        other = r // 16 % 16
        if other < pick:
            pick = other
        word = word + syllables[pick]
    return word


def main():
    argv = sys.argv[1:]
    lines = 2000
    if len(argv) > 0:
        lines = int(argv[0])

    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "an", "be", "ce", "do", "el", "fi", "go", "hu"]
    rng = Rng(42)
    counts = {}
    total = 0

    for i in range(lines):
        line = ""
        for k in range(WORDS_PER_LINE):
            line = line + make_word(rng, syllables) + " "
        if i % 7 == 3:
            line = line.upper()
        for w in line.strip().split(" "):
            key = w.lower()
            total += 1
            if key in counts:
                counts[key] += 1
            else:
                counts[key] = 1

    print("words:", total)
    print("distinct:", len(counts))

    keys = list(counts.keys())
    for rank in range(10):
        best = ""
        best_count = 0
        for k in keys:
            c = counts[k]
            if c > best_count or (c == best_count and k < best):
                best = k
                best_count = c
        if best_count == 0:
            break
        print(rank + 1, best, best_count)
        counts[best] = 0


main()
