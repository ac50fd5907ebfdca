from stark_print import sprint
nbsp = chr(160)
ideo = chr(12288)
line_sep = chr(8232)
nel = chr(133)
text = " héllo" + nbsp + "wörld\tx" + ideo + ideo + "©opy" + line_sep + "it’s" + nel + "あい  end "
ws = text.split()
sprint(len(ws))
for w in ws:
    sprint(w, len(w), w.isdigit(), w.startswith("h"), w.endswith("d"))
sprint(len(text.strip()), len((nbsp + "x" + ideo).strip()), len((ideo + nbsp).strip()))
sprint(len(("\t" + nbsp + "ab").lstrip()), len(("ab " + line_sep).rstrip()))
lines = ("a" + nbsp + "b\nc d\n" + ideo + "é\n").split("\n")
sprint(len(lines))
for line in lines:
    sprint(len(line), len(line.split()), "-".join(line.split()))
sprint(len("".split()), len((nbsp + ideo).split()), "x y".split(" "))
