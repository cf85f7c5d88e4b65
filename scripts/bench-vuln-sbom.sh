#!/usr/bin/env bash
# Component reading, assay vs cyclonedx-python-lib (the CycloneDX project's own Python library),
# on the same files in one run: the largest shared CycloneDX SBOMs and a generated
# 10,000-component CycloneDX 1.5 file. Both sides are timed in process (read the file, build the
# component list), median of REPEAT runs; the ratio is peer / assay.
#
# Usage: scripts/bench-vuln-sbom.sh [REPEAT]   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
REPEAT="${1:-10}"
OUT=target/bench-vuln-sbom
VENV=target/bench-venv/vuln-sbom
DATA=../shared/data/sbom/cyclonedx
mkdir -p "$OUT"

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check 'cyclonedx-python-lib==8.*' >/dev/null

cargo build --quiet --release -p assay-vuln --example sbom_read
ASSAY=target/release/examples/sbom_read
"$ASSAY" --generate 10000 "$OUT/synthetic-10k.cdx.json" >/dev/null

FILES=(
  "$DATA/SBOM_keycloak-10.0.2_bom.json"
  "$DATA/SBOM_juice-shop_via_npm_flat_bom.1.4.json"
  "$OUT/synthetic-10k.cdx.json"
)

cat > "$OUT/peer.py" <<'PY'
import json, statistics, sys, time, warnings
from cyclonedx.model.bom import Bom
warnings.simplefilter("ignore")
repeat = int(sys.argv[1])
def count(components):
    return sum(1 + count(c.components) for c in components)
for path in sys.argv[2:]:
    times, n, error = [], 0, None
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            with open(path, encoding="utf-8") as f:
                bom = Bom.from_json(json.load(f))
            n = count(bom.components)
        except Exception as e:  # report, do not hide, a file the peer cannot read
            error = f"{type(e).__name__}: {e}"[:120]
            break
        times.append((time.perf_counter() - start) * 1000)
    if error:
        print(f"{path}\t-\tERROR {error}")
    else:
        print(f"{path}\t{n}\t{statistics.median(times):.3f}")
PY

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  host: $(nproc) cores  repeat: $REPEAT"
echo "peer: cyclonedx-python-lib $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("cyclonedx-python-lib"))'), $("$VENV/bin/python" --version)"
"$ASSAY" --repeat "$REPEAT" "${FILES[@]}" > "$OUT/assay.tsv"
"$VENV/bin/python" "$OUT/peer.py" "$REPEAT" "${FILES[@]}" > "$OUT/peer.tsv"
printf '%-48s %10s %12s %10s %12s %8s\n' file assay_n assay_ms peer_n peer_ms ratio
paste "$OUT/assay.tsv" "$OUT/peer.tsv" | while IFS=$'\t' read -r f an ams _ pn pms; do
  if [[ "$pms" == ERROR* ]]; then ratio="-"; else ratio=$(python3 -c "print(f'{$pms/$ams:.1f}x')"); fi
  printf '%-48s %10s %12s %10s %12s %8s\n' "$(basename "$f")" "$an" "$ams" "$pn" "$pms" "$ratio"
done
