#!/usr/bin/env bash
# Benchmark of the delivery planner (assay-plan) against a peer: the same critical-path
# computation written with Python networkx, on the same generated plan (one merged graph of
# SUBJECTS x MARKETS; calendar days only so both compute exactly the same thing). Checks both
# give the same checksums, prints the ratio. Also times the `assay assess` shape: SUBJECTS
# separate plans of MARKETS markets each.
#
#   scripts/bench-plan.sh            # 10,000 subjects x 30 markets (about 1.1 million steps)
#   SUBJECTS=1000 scripts/bench-plan.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SUBJECTS="${SUBJECTS:-10000}"
MARKETS="${MARKETS:-30}"

cargo build --release --quiet -p assay-plan --example plan_bench
BIN=target/release/examples/plan_bench
VENV=target/bench-venv
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import networkx' 2>/dev/null || "$VENV/bin/pip" install --quiet networkx==3.4.2

INPUT=target/bench-plan-input.json
"$BIN" gen "$SUBJECTS" "$MARKETS" "$INPUT"
echo "input: $INPUT ($(du -h "$INPUT" | cut -f1)), $SUBJECTS subjects x $MARKETS markets"

A=$("$BIN" plan "$INPUT")
echo "$A"
P=$("$VENV/bin/python" scripts/bench-plan-networkx.py "$INPUT")
echo "$P"
"$BIN" subjects "$SUBJECTS" "$MARKETS"

field() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<"$2"; }
for f in steps market_day_sum slack_sum critical; do
  if [ "$(field "$f" "$A")" != "$(field "$f" "$P")" ]; then
    echo "MISMATCH in $f: assay $(field "$f" "$A") vs networkx $(field "$f" "$P")" >&2
    exit 1
  fi
done
echo "same plan (steps, market dates, slack, critical steps agree)"
python3 - "$(field total "$A")" "$(field total "$P")" "$(field plan "$A")" "$(field plan "$P")" <<'PY'
import sys
a, p, ac, pc = (float(x.rstrip("s")) for x in sys.argv[1:])
print(f"ratio networkx/assay: end to end {p / a:.1f}x, planning only {pc / ac:.1f}x")
PY
rm -f "$INPUT"
