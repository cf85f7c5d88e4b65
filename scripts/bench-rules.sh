#!/usr/bin/env bash
# Rules engine scale benchmark: 10,000 subjects x 30 markets x the shipped packs against
# 100,000 evidence records. No peer tool exists for this job (OSCAL tooling and InSpec are not
# installable here and do not evaluate these packs), so the comparison is against a naive
# baseline in the same binary: no evidence index, a full scan of the evidence per subject.
# Prints wall time and peak memory of each run and the ratio naive / indexed.
set -euo pipefail
cd "$(dirname "$0")/.."
SUBJECTS="${1:-10000}"
cargo build --release -q -p assay-rules --example rules_scale
BIN=target/release/examples/rules_scale
run() { "$BIN" "$SUBJECTS" "$@" | tee /dev/stderr | sed -n 's/.*index + evaluate \([0-9.]*\)\(m\?s\).*/\1 \2/p'; }
to_ms() { awk '{ if ($2 == "ms") print $1; else print $1 * 1000 }'; }
par=$(run | to_ms)
ser=$(run --serial | to_ms)
naive=$(run --naive | to_ms)
echo "indexed (rayon, $(nproc) cores): ${par} ms; indexed (1 thread): ${ser} ms; naive scan (1 thread): ${naive} ms"
awk -v a="$naive" -v b="$ser" 'BEGIN { printf "naive / indexed (both 1 thread): %.1fx\n", a / b }'
