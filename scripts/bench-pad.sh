#!/usr/bin/env bash
# Benchmark: `assay pad report` against a Python peer (pandas + scikit-learn) on the same
# generated 10-million-row scored campaign (20 species, 50,000 subjects), in one run.
# Prints wall time and peak RSS of each (GNU time -v) and the ratios.
# Usage: scripts/bench-pad.sh [ROWS]   (run from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${1:-10000000}"
DIR=target/bench-pad
DATA="$DIR/campaign-$ROWS.csv"
mkdir -p "$DIR"

if ! command -v /usr/bin/time >/dev/null; then
  apt-get update -qq && apt-get install -y -qq time
fi
if [ ! -x target/bench-venv/bin/python ]; then
  python3 -m venv target/bench-venv
fi
target/bench-venv/bin/python -c 'import pandas, sklearn' 2>/dev/null \
  || target/bench-venv/bin/pip install --quiet pandas scikit-learn

cargo build --release -p assay-cli -p assay-pad --example generate_campaign >/dev/null 2>&1 \
  || cargo build --release -p assay-cli -p assay-pad --example generate_campaign
if [ ! -s "$DATA" ]; then
  echo "generating $DATA ($ROWS rows)"
  target/release/examples/generate_campaign "$DATA" "$ROWS" 50000 20
fi
ls -la "$DATA"
# The Python peer, written out from here so the benchmark is one file.
cat > "$DIR/peer.py" <<'PEER'
#!/usr/bin/env python3
"""Python peer of `assay pad report` for scripts/bench-pad.sh.

Same input file, the same core work: read the campaign CSV (pandas), DET curve
(scikit-learn det_curve), the bpcer20 threshold (every species' APCER <= 5%, bob.pad.base's
per-species rule: the lowest score threshold at which the real rate is <= 5%), per-species
APCER and BPCER there, the EER, and a subject-clustered bootstrap of the per-species APCER
and BPCER with 1,000 resamples done on per-subject aggregated counts (vectorised numpy).
"""
import sys
import time

import numpy as np
import pandas as pd
from sklearn.metrics import det_curve


def rate_threshold(scores_sorted, rate):
    """Lowest threshold t with #{s >= t} / n <= rate (ties stay together)."""
    n = len(scores_sorted)
    k = int(np.floor(rate * n))
    if k == 0:
        return np.nextafter(scores_sorted[-1], np.inf)
    idx = n - k
    v = scores_sorted[idx]
    if idx > 0 and scores_sorted[idx - 1] == v:
        above = np.searchsorted(scores_sorted, v, side="right")
        return np.nextafter(scores_sorted[-1], np.inf) if above == n else scores_sorted[above]
    return v


def main(path, resamples=1000, seed=7):
    t0 = time.perf_counter()
    df = pd.read_csv(path, dtype={"presentation_id": str, "subject": str, "session": "Int64",
                                  "kind": str, "species": str, "attack_potential": str,
                                  "instrument": str, "decision": str, "score": float})
    if df["presentation_id"].duplicated().any():
        raise SystemExit("duplicate presentation_id")
    df = df[df["score"].notna()]
    bona = (df["kind"] == "bona_fide").to_numpy()
    scores = df["score"].to_numpy()
    # DET curve: bona fide is the positive class.
    fpr, fnr, thr = det_curve(bona.astype(np.int8), scores)
    eer_i = np.argmin(np.abs(fpr - fnr))
    eer = (fpr[eer_i] + fnr[eer_i]) / 2
    attacks = df[~bona]
    per_species = {name: np.sort(g["score"].to_numpy()) for name, g in attacks.groupby("species")}
    t = max(rate_threshold(s, 0.05) for s in per_species.values())
    apcer = {name: float((s >= t).sum()) / len(s) for name, s in per_species.items()}
    bf_scores = scores[bona]
    bpcer = float((bf_scores < t).sum()) / len(bf_scores)
    # Subject-clustered bootstrap on per-subject counts.
    df = df.assign(err=np.where(bona, scores < t, scores >= t).astype(np.int64),
                   group=np.where(bona, "__bona_fide__", df["species"].fillna("")))
    agg = df.groupby(["subject", "group"])["err"].agg(["sum", "count"]).unstack(fill_value=0)
    num = agg["sum"].to_numpy(dtype=np.float64)
    den = agg["count"].to_numpy(dtype=np.float64)
    rng = np.random.default_rng(seed)
    n_subj = num.shape[0]
    stats = np.empty((resamples, num.shape[1]))
    for b in range(resamples):
        idx = rng.integers(0, n_subj, n_subj)
        stats[b] = num[idx].sum(axis=0) / den[idx].sum(axis=0)
    lo, hi = np.percentile(stats, [2.5, 97.5], axis=0)
    elapsed = time.perf_counter() - t0
    print(f"peer: rows={len(df)} bpcer20_threshold={t:.6f} BPCER20={bpcer:.6f} "
          f"APCER_AP={max(apcer.values()):.6f} EER={eer:.6f} det_points={len(thr)} "
          f"bootstrap_cols={len(lo)} seconds={elapsed:.2f}")


if __name__ == "__main__":
    main(sys.argv[1])
PEER
# Warm the page cache for both contenders alike.
cat "$DATA" > /dev/null

# Each contender runs RUNS times (default 3), alternating; the best wall time and the highest
# peak RSS are kept, since on a shared machine other work only ever adds time.
RUNS="${RUNS:-3}"
measure() { # name, then the command
  local name="$1"; shift
  /usr/bin/time -v "$@" > "$DIR/$name.out" 2> "$DIR/$name.time" || {
    local rc=$?
    # assay exits 1 when a scheme fails; that is a verdict, not a benchmark failure.
    [ "$name" = assay ] && [ $rc -eq 1 ] || { cat "$DIR/$name.time"; exit $rc; }
  }
  local wall rss cpu
  wall=$(grep "Elapsed (wall clock)" "$DIR/$name.time" | awk '{print $NF}')
  rss=$(grep "Maximum resident set size" "$DIR/$name.time" | awk '{print $NF}')
  cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$DIR/$name.time")
  echo "$name: wall $wall, cpu ${cpu}s, peak RSS $((rss / 1024)) MiB"
  echo "$(to_seconds "$wall") $rss $cpu" >> "$DIR/$name.figs"
}

to_seconds() { awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else if (NF==2) print $1*60+$2; else print $1 }' <<<"$1"; }
rm -f "$DIR/assay.figs" "$DIR/peer.figs"
for run in $(seq "$RUNS"); do
  measure assay target/release/assay --format json pad report "$DATA" --scheme ibeta-l2 --bootstrap 1000
  measure peer target/bench-venv/bin/python "$DIR/peer.py" "$DATA"
done
tail -n 1 "$DIR/peer.out"
best() { sort -n "$1" | head -n 1; }
read -r as ar ac < <(best "$DIR/assay.figs")
read -r ps pr pc < <(best "$DIR/peer.figs")
ar=$(awk '{print $2}' "$DIR/assay.figs" | sort -n | tail -n 1)
pr=$(awk '{print $2}' "$DIR/peer.figs" | sort -n | tail -n 1)
awk -v a="$as" -v p="$ps" -v ar="$ar" -v pr="$pr" -v ac="$ac" -v pc="$pc" 'BEGIN {
  printf "best wall: assay %.2f s, peer %.2f s; cpu of those runs: assay %.2f s, peer %.2f s\n", a, p, ac, pc;
  printf "speed-up (peer time / assay time, best of each): %.1fx\n", p / a;
  printf "cpu ratio (peer cpu / assay cpu): %.1fx\n", pc / ac;
  printf "memory (peer peak RSS / assay peak RSS): %.1fx (%d MiB vs %d MiB)\n", pr / ar, pr / 1024, ar / 1024 }'
