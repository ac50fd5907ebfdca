#!/usr/bin/env python3
"""How long `stark repl` takes to answer a line (SPEC §10, issue 21: under 20 ms).

A session is opened through a pipe and grown to SIZE entries (definitions, and bindings
that every later line receives); then each timed entry is an expression whose echo is one
line of output, and the time is from writing the line to reading its answer.

    python3 bench/repl_latency.py [--stark target/release/stark] [--size 200] [--lines 100]
"""
import argparse
import statistics
import subprocess
import time

ap = argparse.ArgumentParser()
ap.add_argument("--stark", default="target/release/stark")
ap.add_argument("--size", type=int, default=200)
ap.add_argument("--lines", type=int, default=100)
args = ap.parse_args()

p = subprocess.Popen([args.stark, "repl"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True, bufsize=1)
p.stdin.write("struct P:\n    x: Int\n\n")
made = 0
for i in range(args.size):
    if i % 2 == 0:
        p.stdin.write(f"let v{i} = P(x={i})\n")
        made = i
    else:
        p.stdin.write(f"fn f{i}(a: Int) -> Int:\n    return a + {i}\n\n")
p.stdin.flush()
# Wait until the session has caught up.
p.stdin.write("print(\"ready\")\n")
p.stdin.flush()
assert p.stdout.readline().strip() == "ready"
times = []
for k in range(args.lines):
    line = f"f1(v{made}.x) * {k}\n"
    t0 = time.perf_counter()
    p.stdin.write(line)
    p.stdin.flush()
    answer = p.stdout.readline()
    times.append((time.perf_counter() - t0) * 1000)
    assert answer.strip() == str((made + 1) * k), answer
p.stdin.close()
p.wait()
times.sort()
print(f"session of {args.size} entries ({args.size // 2} bindings, {args.size // 2} functions), "
      f"{args.lines} lines: median {statistics.median(times):.2f} ms, "
      f"p99 {times[int(len(times) * 0.99) - 1]:.2f} ms, max {times[-1]:.2f} ms")
