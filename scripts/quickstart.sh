#!/usr/bin/env bash
# A first evidence round trip on the embedded default (SQLite, no server):
# create a workspace, sign and log two files, verify the log, export one entry as a bundle and
# check it offline with the public key alone.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q -p assay-cli
assay=target/release/assay
ws=$(mktemp -d)/ws
$assay --workspace "$ws" init
$assay --workspace "$ws" evidence add README.md Cargo.lock --kind technical-file --subject demo-terminal \
  --meta firmware_digest=0000000000000000000000000000000000000000000000000000000000000000
$assay --workspace "$ws" evidence list
$assay --workspace "$ws" log verify
$assay --workspace "$ws" evidence export 0 --out "$ws/../bundle"
$assay verify-bundle "$ws/../bundle" --pubkey "$($assay --workspace "$ws" key export default)"
