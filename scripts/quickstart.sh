#!/usr/bin/env bash
# The main job on the embedded default (SQLite in .assay/, no server): assess the example
# case of a 3D face terminal made in China for US federal procurement and three export markets,
# then re-verify the output folder. The dossier is out/face-terminal-cn-us/dossier.html.
#
# `assay assess` exits 1 when a market has a blocker (a confirmed or reported requirement unmet); that
# is a verdict, not a failure of this script, which exits non-zero only on errors.
set -uo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q -p assay-cli || exit 2
case="${1:-examples/face-terminal-cn-us}"
target/release/assay assess "$case"
status=$?
if [ "$status" -ge 2 ]; then exit "$status"; fi
target/release/assay assess --check "out/$(basename "$case")" || exit 2
echo
echo "Open out/$(basename "$case")/dossier.html in a browser; the filing package is in out/$(basename "$case")/filing/."
