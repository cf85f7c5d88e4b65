#!/usr/bin/env bash
# The test command of the README: installs what the tests need, then runs every test.
# Tests read the shared data sets at ../shared/data (next to this repository).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d ../shared/data ]; then
  echo "error: ../shared/data not found: the tests read the shared data sets from there" >&2
  exit 2
fi
scripts/install-test-deps.sh
cargo test --workspace --locked "$@"
