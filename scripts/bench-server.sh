#!/usr/bin/env bash
# Load on the clearinghouse server (issue #13 point 10), on loopback only, bounded in time:
#   scripts/bench-server.sh            # SQLite, then PostgreSQL (a throw-away one, see below)
#   STORES=sqlite scripts/bench-server.sh
#   ASSAY_BIN=target/debug/assay DURATION=3s scripts/bench-server.sh   # a quick smoke run
#
# For each store: a temporary workspace, `assay serve --addr 127.0.0.1:0`, an admin token, a
# trusted lab key, real signed evidence uploaded through the API (an SBOM from
# /work/shared/data when present, recorded and exported by a second "lab" workspace), one
# pre-release review submission; then `wrk` drives each endpoint for DURATION (default 10 s)
# with CONNECTIONS (default 16) connections on THREADS (default 2) threads:
#   evidence-read  GET /api/v1/evidence/{id}         (an authorised read: token check, audit row)
#   evidence-file  GET /api/v1/evidence/{id}/file    (the evidence bytes)
#   dashboard      GET /api/v1/reviews/dashboard     (the JSON dashboard of review windows)
#   health         GET /api/v1/health                (no token, no audit: the floor)
# and prints requests/s, p50 and p99 (wrk --latency), and non-2xx answers. There is no SBOM scan
# endpoint yet (issue #13 point 7), so no scan figure: the script says so.
#
# PostgreSQL: the second round runs under scripts/test-postgres.sh (a private server on a unix
# socket in /tmp, removed afterwards); set STORES=sqlite to skip it.
# Every authorised request writes an audit row (a durable commit): the figures include it.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
STORES=${STORES:-sqlite postgres}

command -v wrk >/dev/null || { echo "error: wrk is not installed (apt-get install -y wrk; scripts/install-test-deps.sh)" >&2; exit 2; }
command -v curl >/dev/null || { echo "error: curl is not installed" >&2; exit 2; }

if [ -z "${ASSAY_BIN:-}" ]; then
  cargo build --release --locked -q -p assay-cli
  ASSAY_BIN=target/release/assay
fi
ASSAY_BIN=$(realpath "$ASSAY_BIN")
export ASSAY_BIN DURATION CONNECTIONS THREADS

# One round on the store named by $1 (sqlite | postgres; postgres needs ASSAY_TEST_POSTGRES_URL).
round() {
  local store=$1 tmp ws lab db_args=() pid addr base admin
  tmp=$(mktemp -d)
  ws=$tmp/ws
  lab=$tmp/lab
  pid=""
  # shellcheck disable=SC2064
  trap "[ -n \"\$pid\" ] && kill \$pid 2>/dev/null; wait 2>/dev/null; rm -rf '$tmp'" RETURN
  if [ "$store" = postgres ]; then
    db_args=(--database "$ASSAY_TEST_POSTGRES_URL")
  fi
  "$ASSAY_BIN" --workspace "$ws" -q init
  "$ASSAY_BIN" --workspace "$lab" -q init
  admin=$("$ASSAY_BIN" --workspace "$ws" --format json serve "${db_args[@]}" --init-admin bench \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
  [ -n "$admin" ] || { echo "error: no admin token from --init-admin" >&2; return 1; }

  "$ASSAY_BIN" --workspace "$ws" serve "${db_args[@]}" --addr 127.0.0.1:0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
  pid=$!
  for _ in $(seq 1 100); do
    addr=$(sed -n 's|^listening on http://||p' "$tmp/serve.out")
    [ -n "$addr" ] && break
    sleep 0.1
  done
  [ -n "$addr" ] || { echo "error: the server did not start:" >&2; cat "$tmp/serve.err" >&2; return 1; }
  base="http://$addr"

  # Seed: trust the lab, record and export a real SBOM (or a small file), upload it.
  local sbom key body up ev
  sbom=$(ls /work/shared/data/sbom/cyclonedx/*.json 2>/dev/null | head -n 1 || true)
  if [ -z "$sbom" ]; then
    sbom=$tmp/sbom.json
    echo '{"bomFormat":"CycloneDX","specVersion":"1.5","components":[]}' >"$sbom"
  fi
  "$ASSAY_BIN" --workspace "$lab" -q evidence add "$sbom" --kind sbom --subject bench-product >/dev/null
  "$ASSAY_BIN" --workspace "$lab" -q evidence export 0 --out "$tmp/bundle" >/dev/null
  key=$("$ASSAY_BIN" --workspace "$lab" key export default)
  curl -fsS -o /dev/null -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d "{\"name\":\"bench-lab\",\"role\":\"lab\",\"public_key\":\"$key\"}" "$base/api/v1/issuers"
  body=$tmp/upload.json
  python3 - "$tmp/bundle" >"$body" <<'PY'
import base64, json, os, sys
d = sys.argv[1]
files = {n: base64.b64encode(open(os.path.join(d, n), "rb").read()).decode()
         for n in sorted(os.listdir(d)) if os.path.isfile(os.path.join(d, n)) and not n.startswith(".")}
print(json.dumps({"files": files}))
PY
  up=$(curl -fsS -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    --data-binary "@$body" "$base/api/v1/evidence")
  ev=$(printf '%s' "$up" | python3 -c 'import json, sys; print(json.load(sys.stdin).get("id", ""))')
  [ -n "$ev" ] || { echo "error: the upload was refused: $up" >&2; return 1; }

  echo "== $store: evidence $ev ($(basename "$sbom")), $DURATION per endpoint, $CONNECTIONS connections, $THREADS threads"
  local name path auth out rps p50 p99 non2xx
  for spec in "evidence-read /api/v1/evidence/$ev auth" \
              "evidence-file /api/v1/evidence/$ev/file auth" \
              "dashboard /api/v1/reviews/dashboard auth" \
              "health /api/v1/health none"; do
    read -r name path auth <<<"$spec"
    local hdr=()
    [ "$auth" = auth ] && hdr=(-H "Authorization: Bearer $admin")
    out=$(wrk --latency -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --timeout 5s "${hdr[@]}" "$base$path")
    rps=$(printf '%s\n' "$out" | awk '/^Requests\/sec:/ {print $2}')
    p50=$(printf '%s\n' "$out" | awk '$1 == "50%" {print $2}')
    p99=$(printf '%s\n' "$out" | awk '$1 == "99%" {print $2}')
    non2xx=$(printf '%s\n' "$out" | awk '/Non-2xx or 3xx responses:/ {print $5}')
    printf '%-8s %-14s %10s req/s   p50 %-9s p99 %-9s non-2xx %s\n' \
      "$store" "$name" "$rps" "$p50" "$p99" "${non2xx:-0}"
  done
  echo "$store   sbom-scan      (no SBOM scan endpoint yet: issue #13 point 7)"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
}

for store in $STORES; do
  case "$store" in
    sqlite) round sqlite ;;
    postgres)
      if [ -n "${ASSAY_TEST_POSTGRES_URL:-}" ]; then
        round postgres
      else
        STORES=postgres scripts/test-postgres.sh "$0"
      fi
      ;;
    *) echo "error: unknown store $store (sqlite, postgres)" >&2; exit 2 ;;
  esac
done
