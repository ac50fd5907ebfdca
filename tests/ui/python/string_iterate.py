from stark_print import sprint


def vowels(s):
    n = 0
    for c in s:
        if c in "aeioué":
            n += 1
    return n


for c in "añ😀":
    sprint(c, len(c))
out = ""
for c in "hello world":
    if c == "o":
        continue
    if c == "r":
        break
    out = c + out
sprint(out)
sprint(vowels("the quick brown fox jumps over the lazy dog"), vowels("café"), vowels(""))
s = "abc"
for c in s:
    s = s + c
sprint(s)
chars = []
for c in "x" + "yz":
    chars.append(c)
sprint(chars)
