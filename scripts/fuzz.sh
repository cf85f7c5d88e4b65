#!/usr/bin/env bash
# Fuzz every parser and decoder with cargo-fuzz (libFuzzer), one target after the other.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 60); TARGETs default to all of `cargo fuzz list`.
# Installs cargo-fuzz from crates.io if missing, seeds fuzz/corpus/<target>/ from the shared
# data (../shared/data), examples/, the crates' test fixtures, fuzz/seeds/ and
# fuzz/regressions/, builds, runs each target for SECONDS and prints a table
# target / seconds / cpu seconds / execs / corpus / crashes. Exits 1 if any target crashed, naming the
# artifact (fuzz/artifacts/<target>/crash-*). See docs/reliability.md.
#
# Environment: FUZZ_SANITIZER (default none: the code is safe Rust; `address` for C deps),
# FUZZ_RSS_MB (2048), FUZZ_TIMEOUT (10 s per input), FUZZ_SEED_ONLY=1 (only seed the corpora),
# FUZZ_NO_BUILD=1 (use the binaries already built), FUZZ_CPU=1 (SECONDS counts CPU seconds: a
# target runs again on its corpus until it has had that much CPU time, for a shared machine),
# FUZZ_RESULTS (the results table, default fuzz/artifacts/results.tsv). `touch fuzz/.pause` holds the run between
# targets until the file is removed.
set -euo pipefail

SECONDS_PER_TARGET="${1:-60}"
shift || true
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DATA="${ASSAY_SHARED_DATA:-$ROOT/../shared/data}"
[ -d "$DATA" ] || DATA=/work/shared/data
FUZZ="$ROOT/fuzz"
SAN="${FUZZ_SANITIZER:-none}"
RSS="${FUZZ_RSS_MB:-2048}"
TIMEOUT="${FUZZ_TIMEOUT:-10}"
# Seeds above this size are skipped: the fuzzer should mutate structure, not megabytes.
MAX_SEED=204800

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz.sh: needs the nightly toolchain (rustup toolchain install nightly)" >&2
    exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz from crates.io" >&2
    cargo install cargo-fuzz --locked
fi

cd "$FUZZ"
if [ "$#" -gt 0 ]; then
    TARGETS=("$@")
else
    mapfile -t TARGETS < <(cargo fuzz list)
fi

# ---- seeding ---------------------------------------------------------------------------
# seed TARGET FILE...: copy the files (up to MAX_SEED bytes, named by content hash so that
# re-seeding never duplicates) into corpus/TARGET.
seed() {
    local target="$1"
    shift
    mkdir -p "corpus/$target"
    local f
    for f in "$@"; do
        [ -f "$f" ] || continue
        [ "$(stat -c %s "$f")" -le "$MAX_SEED" ] || continue
        cp "$f" "corpus/$target/seed-$(sha1sum "$f" | cut -c1-16)"
    done
}
# every Nth file of a sorted list, at most MAX files.
sample() {
    local every="$1" max="$2"
    awk -v n="$every" 'NR % n == 1' | head -n "$max"
}

gen="$(mktemp -d)"
trap 'rm -rf "$gen"' EXIT

# Generated seeds: a small KEV catalog, campaign JSON Lines, an advisory zip.
python3 - "$DATA" "$ROOT" "$gen" <<'PY'
import csv, json, os, sys, zipfile, glob
data, root, gen = sys.argv[1:4]
kev = os.path.join(data, "kev/known_exploited_vulnerabilities.json")
if os.path.exists(kev):
    doc = json.load(open(kev))
    for n in (1, 3, 12):
        small = dict(doc, vulnerabilities=doc["vulnerabilities"][:n], count=n)
        json.dump(small, open(os.path.join(gen, f"kev-{n}.json"), "w"), indent=2)
for src in glob.glob(os.path.join(root, "examples/*/pad/*.csv")) + \
        glob.glob(os.path.join(root, "crates/assay-pad/tests/fixtures/*.csv")):
    rows = list(csv.DictReader(open(src)))[:200]
    out = os.path.join(gen, os.path.basename(os.path.dirname(os.path.dirname(src))) + "-" +
                       os.path.basename(src).replace(".csv", ".jsonl"))
    with open(out, "w") as f:
        for r in rows:
            r = {k: v for k, v in r.items() if v not in ("", None)}
            if "score" in r:
                try:
                    r["score"] = float(r["score"])
                except ValueError:
                    pass
            f.write(json.dumps(r) + "\n")
go = sorted(glob.glob(os.path.join(data, "advisories/go/*.json")))[:3]
pypa = sorted(glob.glob(os.path.join(data, "advisories/pypa/**/*.yaml"), recursive=True))[:2]
if go:
    with zipfile.ZipFile(os.path.join(gen, "advisories-deflate.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        for p in go + pypa:
            z.write(p, "advisories/" + os.path.basename(p))
    with zipfile.ZipFile(os.path.join(gen, "advisories-stored.zip"), "w", zipfile.ZIP_STORED) as z:
        z.write(go[0], os.path.basename(go[0]))
PY
# Cut the large PAD score files to a few hundred rows.
head -n 300 "$DATA/pad/bob.pad.base/scores-dev.csv" > "$gen/bob-pad-300.csv" 2>/dev/null || true
for f in "$DATA"/pad/bob.measure/*.txt; do
    [ -f "$f" ] && head -n 200 "$f" > "$gen/bob-measure-$(basename "$f")"
done

PADFIX="$ROOT/crates/assay-pad/tests/fixtures"
RULESFIX="$ROOT/crates/assay-rules/tests/fixtures"
VULNFIX="$ROOT/crates/assay-vuln/tests/fixtures"
SBOM="$DATA/sbom"

seed pad_campaign_csv "$ROOT"/examples/*/pad/*.csv "$PADFIX"/*.csv
seed pad_campaign_jsonl "$gen"/*.jsonl
seed pad_bob_pad_csv "$gen"/bob-pad-300.csv
seed pad_bob_measure "$gen"/bob-measure-*.txt
seed pad_read_detect "$ROOT"/examples/*/pad/*.csv "$PADFIX"/*.csv "$gen"/bob-*.csv "$gen"/bob-measure-dev-1.txt
seed pad_manifest "$ROOT"/examples/*/pad/*.toml "$PADFIX"/*.toml
seed pad_lab "$PADFIX"/lab.toml
seed pad_scheme "$ROOT"/crates/assay-pad/schemes/*.toml

seed rules_pack "$ROOT"/crates/assay-rules/packs/*.toml "$RULESFIX"/packs/*.toml
seed rules_subject_manifest "$ROOT"/examples/*/subject.toml "$RULESFIX"/manifests/*.toml
seed rules_consistency "$ROOT"/examples/*/docs/*.md "$RULESFIX"/docs/*
seed assess_case_toml "$ROOT"/examples/*/case.toml
seed eval_model_config "$ROOT"/examples/*/eval/model.toml
seed eval_intercode_solutions "$ROOT"/suites/offensive/solutions.toml
seed core_retest_records "$ROOT"/examples/*/evidence/test-sample/*.toml "$ROOT"/examples/*/evidence/lab-booking/*.toml "$ROOT"/examples/*/evidence/prior-validation/*.toml

mapfile -t go_osv < <(ls "$DATA"/advisories/go/*.json 2>/dev/null | sample 40 100)
seed vuln_osv_json "${go_osv[@]}"
mapfile -t pypa_osv < <(find "$DATA"/advisories/pypa -name '*.yaml' 2>/dev/null | sort | sample 25 100)
seed vuln_osv_yaml "${pypa_osv[@]}"
seed vuln_csaf "$DATA"/csaf/csaf/*.json "$DATA"/csaf/csaf/csaf_vex/*.json
seed vuln_kev "$gen"/kev-*.json
mapfile -t rustsec < <(find "$DATA"/advisories/rustsec -name 'RUSTSEC-*.md' 2>/dev/null | sort | sample 12 100)
seed vuln_rustsec "${rustsec[@]}"
seed vuln_advisory_zip "$gen"/*.zip

seed sbom_cyclonedx "$SBOM"/cyclonedx/*.json "$ROOT"/examples/*/sbom/*.cdx.json "$VULNFIX"/sbom/*.cdx.json
seed sbom_spdx_json "$SBOM"/spdx/*/*/spdx2.*/*.json "$SBOM"/spdx/presentations/*/*.json \
    "$SBOM"/spdx/presentations/*/*/*.json "$SBOM"/spdx/software/*/content/*.spdx.json
seed sbom_spdx_tag_value "$SBOM"/spdx/software/*/spdx2.*/*.spdx "$VULNFIX"/sbom/*.spdx
seed sbom_spdx3 "$SBOM"/spdx/*/*/spdx3.0/*.json "$SBOM"/spdx/software/*/content/*.spdx3.json
seed lock_cargo "$VULNFIX"/sbom/Cargo.lock "$ROOT"/examples/*/sbom/Cargo.lock "$FUZZ"/Cargo.lock
seed lock_poetry "$VULNFIX"/sbom/poetry.lock
seed lock_package_json "$VULNFIX"/sbom/package-lock*.json
seed lock_requirements "$VULNFIX"/sbom/requirements.txt
seed lock_go_mod "$VULNFIX"/sbom/go.mod
seed lock_go_sum "$VULNFIX"/sbom/go.sum
seed vex_openvex "$VULNFIX"/vex/openvex.json "$ROOT"/examples/*/vex/*.openvex.json
seed vex_csaf "$VULNFIX"/vex/csaf-purl.json "$DATA"/csaf/csaf/csaf_vex/*.json
seed vex_cyclonedx "$VULNFIX"/vex/cyclonedx-vex.json

# Committed seeds and every past crash, for every target.
for t in "${TARGETS[@]}"; do
    seed "$t" "$FUZZ"/seeds/"$t"/* "$FUZZ"/regressions/"$t"/*
done

if [ "${FUZZ_SEED_ONLY:-0}" = 1 ]; then
    for t in "${TARGETS[@]}"; do
        printf '%-26s %5d seeds\n' "$t" "$(ls "corpus/$t" 2>/dev/null | wc -l)"
    done
    exit 0
fi

# ---- build and run ---------------------------------------------------------------------
if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
    cargo fuzz build -s "$SAN"
fi

BIN="$FUZZ/target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"
for t in "${TARGETS[@]}"; do
    [ -x "$BIN/$t" ] || { echo "fuzz.sh: $BIN/$t is not built (run without FUZZ_NO_BUILD)" >&2; exit 2; }
done
RESULTS="${FUZZ_RESULTS:-$FUZZ/artifacts/results.tsv}"
mkdir -p "$FUZZ/artifacts" logs
: > "$RESULTS"
failed=0
for t in "${TARGETS[@]}"; do
    # `touch fuzz/.pause` holds the run between targets (to measure a benchmark on a quiet
    # machine without cutting a target's time short); remove the file to go on.
    while [ -e "$FUZZ/.pause" ]; do sleep 5; done
    mkdir -p "artifacts/$t"
    before=$(ls "artifacts/$t" | wc -l)
    log="logs/$t.log"
    : > "$log"
    start=$(date +%s)
    cpu=0
    execs=0
    rc=0
    # CPU seconds beside wall seconds: on a shared machine a target may get less than a core.
    # With FUZZ_CPU=1 a target runs again (same corpus) until it has had SECONDS of CPU time.
    while :; do
        left=$(( SECONDS_PER_TARGET - cpu ))
        [ "$left" -lt 5 ] && left=5
        set +e
        # The built binary itself, not `cargo fuzz run`: no rebuild (and no build time counted
        # as fuzzing) when the sources change during a long run.
        /usr/bin/time -o "logs/$t.time" -f '%U %S' \
            "$BIN/$t" -artifact_prefix="artifacts/$t/" \
            -max_total_time="$left" -rss_limit_mb="$RSS" -timeout="$TIMEOUT" \
            -print_final_stats=1 "corpus/$t" > "logs/$t.part" 2>&1
        rc=$?
        set -e
        cat "logs/$t.part" >> "$log"
        cpu=$(( cpu + $(awk 'END { printf "%d", $1 + $2 }' "logs/$t.time" 2>/dev/null || echo 0) ))
        part=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.part" | grep -o '[0-9]*$' | tail -1)
        execs=$(( execs + ${part:-0} ))
        if [ "$rc" -ne 0 ] || [ "${FUZZ_CPU:-0}" != 1 ] || [ "$cpu" -ge $(( SECONDS_PER_TARGET - 5 )) ]; then
            break
        fi
    done
    rm -f "logs/$t.part"
    elapsed=$(( $(date +%s) - start ))
    after=$(ls "artifacts/$t" | wc -l)
    crashes=$(( after - before ))
    corpus=$(ls "corpus/$t" | wc -l)
    if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$elapsed" "$cpu" "$execs" "$corpus" "$crashes" >> "$RESULTS"
    if [ "$crashes" -ne 0 ]; then
        failed=1
        echo "CRASH in $t: $(ls -t "artifacts/$t" | head -1 | sed "s|^|fuzz/artifacts/$t/|") (log: fuzz/$log)" >&2
        grep -m1 -A3 "panicked at" "$log" >&2 || true
    fi
done

printf '\n%-26s %8s %8s %12s %8s %8s\n' target seconds cpu-s execs corpus crashes
while IFS=$'\t' read -r t s u e c x; do
    printf '%-26s %8s %8s %12s %8s %8s\n' "$t" "$s" "$u" "$e" "$c" "$x"
done < "$RESULTS"
if [ "$failed" -ne 0 ]; then
    echo "fuzz.sh: crashes found; minimise with \`cargo fuzz tmin TARGET ARTIFACT\` in fuzz/, commit the input under fuzz/regressions/TARGET/ and add a regression test" >&2
    exit 1
fi
