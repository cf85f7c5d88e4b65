#!/usr/bin/env bash
# Benchmark of the main job: a case with a 1,000,000-row PAD campaign, a 5,000-component SBOM
# and 10 markets, from nothing (a fresh workspace, advisories not yet imported) to dossier; then
# the same case again on the warm workspace (index built, evidence already recorded).
# Prints wall time and peak memory (GNU time). No peer tool does this whole job, so there is no
# ratio here; the engines' own benchmarks compare against their peers.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="$(cd ../shared/data && pwd)"
work=target/bench-assess
case="$work/case"
if [ ! -f "$case/pad/campaign.csv" ]; then
  rm -rf "$case"
  python3 scripts/bench/gen_assess_case.py "$case" "$shared"
fi
cargo build --release --locked -q -p assay-cli
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
run() {
  /usr/bin/time -f "%e s wall, %M KiB peak RSS" target/release/assay --workspace "$work/ws" -q --no-progress \
    assess "$case" --out "$work/out" --date 2026-11-22 || [ $? -eq 1 ]
}
rm -rf "$work/ws" "$work/out"
echo "cold (fresh workspace, advisory import included):"
run
echo "warm (index built, evidence recorded):"
run
