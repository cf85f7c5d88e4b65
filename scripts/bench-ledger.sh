#!/usr/bin/env bash
# Ledger benchmark beside a peer, same count of entries in one run:
#   assay: append 100,000 small evidence entries in batches of 10,000 (sign, store durably,
#          Merkle tree, signed checkpoint per batch), then `assay log verify` of the whole log;
#   peer:  securesystemslib (in-toto's signing library) signs and verifies 100,000 DSSE
#          envelopes of in-toto statements with Ed25519, in memory only.
# The peer does less work (no storage, no tree, no blob hashing); the ratio is still the fair
# question "how much does a durable, verifiable log cost over bare DSSE signing".
# Finer figures (and the inclusion-proof check) come from `cargo bench -p assay-ledger`.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
cargo build --release --locked -q -p assay-cli
venv=target/bench-venv-ledger
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "securesystemslib[crypto]==1.3.0"
fi
ws=$(mktemp -d)/ws
target/release/assay --workspace "$ws" -q init
t0=$(date +%s.%N)
target/release/assay --workspace "$ws" log append-synthetic --count "$N" --batch 10000 > /dev/null
t1=$(date +%s.%N)
target/release/assay --workspace "$ws" -q --no-progress log verify
t2=$(date +%s.%N)
peer=$("$venv/bin/python" scripts/bench/dsse_peer.py "$N")
python3 - "$N" "$t0" "$t1" "$t2" "$peer" <<'PY'
import json, sys
n, t0, t1, t2 = int(sys.argv[1]), *map(float, sys.argv[2:5])
peer = json.loads(sys.argv[5])
append, verify = t1 - t0, t2 - t1
print(f"assay append  {n} entries: {append:.2f} s = {n/append:,.0f} entries/s (incl. process start)")
print(f"assay verify  {n} entries: {verify:.2f} s = {n/verify:,.0f} entries/s (incl. process start)")
print(f"peer  sign    {n} envelopes: {peer['sign_s']:.2f} s = {peer['sign_per_s']:,.0f}/s")
print(f"peer  verify  {n} envelopes: {peer['verify_s']:.2f} s = {peer['verify_per_s']:,.0f}/s")
print(f"ratio append/sign:   assay is {peer['sign_s']/append:.1f}x the peer's speed")
print(f"ratio verify/verify: assay is {peer['verify_s']/verify:.1f}x the peer's speed")
PY
rm -rf "$(dirname "$ws")"
