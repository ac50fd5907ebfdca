#!/usr/bin/env bash
# tests/ui/python/check.sh — the expected outputs of the UI tests that say "Expected output:
# the equivalent Python program" come from running these programs with python3. This runs
# each NAME.py here and compares its output with tests/ui/run/NAME.stdout (or
# run_fail/NAME.stdout), so a reviewer can see that they still agree.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
status=0
for py in "$here"/*.py; do
    name=$(basename "$py" .py)
    case "$name" in stark_print | stark_dataset | gen_*) continue ;; esac
    expected="$here/../run/$name.stdout"
    [ -f "$expected" ] || expected="$here/../run_fail/$name.stdout"
    if [ ! -f "$expected" ]; then
        echo "?    $name (no expected output)"; status=1; continue
    fi
    if diff <(cd "$here" && python3 "$py") "$expected" >/dev/null; then
        echo "ok   $name"
    else
        echo "DIFF $name"; status=1
    fi
done
exit $status
