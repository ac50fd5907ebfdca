#!/usr/bin/env bash
# Per-program RC statistics (M12): RC ops a naive insertion would emit vs emitted by
# `stark ir --stats`, over examples/ and bench/. Usage: bench/rc_stats.sh [STARK_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
stark=${1:-target/release/stark}
[ -x "$stark" ] || cargo build --release -p stark_cli >/dev/null
printf '| program | naive | emitted | removed |\n|---|---:|---:|---:|\n'
tn=0; te=0
for f in examples/*.stark bench/*.stark; do
  line=$("$stark" ir --stats "$f" 2>/dev/null | grep '^  total') || continue
  read -r _ n e pct <<<"$line"
  tn=$((tn + n)); te=$((te + e))
  printf '| %s | %s | %s | %s |\n' "$f" "$n" "$e" "$pct"
done
awk -v n="$tn" -v e="$te" 'BEGIN { printf "| **all** | %d | %d | %.1f%% |\n", n, e, (n ? 100*(n-e)/n : 0) }'
