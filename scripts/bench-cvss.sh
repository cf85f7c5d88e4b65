#!/usr/bin/env bash
# CVSS base scores: assay vs RedHat's python `cvss` package on the same input (every distinct
# CVSS vector in ../shared/data), one run, ratio printed.
#
#   scripts/bench-cvss.sh                       # from the repository root
#   CVSS_BENCH_ROUNDS=500 scripts/bench-cvss.sh # more rounds (default 200)
#
# Needs `python3 -c "import cvss"` (scripts/install-test-deps.sh installs it); without it only
# assay's time is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench -p assay-vuln --bench cvss
