#!/usr/bin/env bash
# Benchmark of the vulnerability engine (assay vuln), side by side with cargo-audit.
#
#   scripts/bench-vuln.sh            # from the repository root
#
# 1. generates inputs under target/bench-vuln/: a 10,000-component CycloneDX SBOM drawn from
#    the packages of the shared PyPI, Go and RustSec databases; a synthetic OSV database of
#    200,000 advisories (one zip, like an ecosystem all.zip); a large Cargo.lock;
# 2. builds the advisory index (shared databases + KEV + CSAF, then + the synthetic set) and
#    times it, re-import included;
# 3. scans the SBOM against both indexes (wall time, peak RSS);
# 4. runs cargo-audit (installed here with `cargo install cargo-audit --locked`) and assay on
#    the same Cargo.lock files, offline on the shared RustSec database, and prints the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DATA=$ROOT/../shared/data
OUT=$ROOT/target/bench-vuln
mkdir -p "$OUT"
RUNS=${RUNS:-5}

command -v cargo-audit >/dev/null || cargo install cargo-audit --locked
cargo build --release -p assay-cli >/dev/null
ASSAY=$ROOT/target/release/assay

python3 - "$DATA" "$OUT" <<'PY'
import glob, json, os, random, re, sys, zipfile
data, out = sys.argv[1], sys.argv[2]
random.seed(42)
pkgs = []  # (purl type, name, [versions])
for f in glob.glob(f"{data}/advisories/pypa/*/*.yaml"):
    name = os.path.basename(os.path.dirname(f))
    vs = re.findall(r"^  - ([0-9][^\s]*)$", open(f).read(), re.M)
    pkgs.append(("pypi", name, vs or ["1.0.0"]))
for f in glob.glob(f"{data}/advisories/go/*.json"):
    d = json.load(open(f))
    for a in d.get("affected", []):
        vs = [e[k] for r in a.get("ranges", []) for e in r["events"] for k in e if e[k] != "0"]
        pkgs.append(("golang", a["package"]["name"], vs or ["1.0.0"]))
for f in glob.glob(f"{data}/advisories/rustsec/crates/*/*.md"):
    text = open(f).read()
    m = re.search(r'^package = "([^"]+)"', text, re.M)
    vs = re.findall(r'(\d+\.\d+\.\d+)', text.split("[versions]")[-1].split("```")[0])
    if m:
        pkgs.append(("cargo", m.group(1), vs or ["0.1.0"]))
# One entry per package (the Go database names `stdlib` in hundreds of advisories; drawing
# per advisory would make the SBOM mostly stdlib), with every version its advisories name.
merged = {}
for t, name, vs in pkgs:
    merged.setdefault((t, name), set()).update(vs)
pkgs = [(t, name, sorted(vs)) for (t, name), vs in sorted(merged.items())]
components, seen = [], set()
while len(components) < 10000:
    t, name, vs = random.choice(pkgs)
    v = random.choice(vs)
    if t == "golang" and not v.startswith("v"):
        v = "v" + v
    key = (t, name, v)
    if key in seen:
        # a nearby version, so the SBOM is not only advisory boundary versions
        v = f"{v}.{random.randint(1, 9)}" if t == "pypi" else v
        key = (t, name, v)
        if key in seen:
            continue
    seen.add(key)
    components.append({"type": "library", "name": name, "version": v, "purl": f"pkg:{t}/{name}@{v}",
                       "bom-ref": f"c{len(components)}"})
bom = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": components}
json.dump(bom, open(f"{out}/sbom-10k.cdx.json", "w"))

# Synthetic OSV advisories: 200,000 records over 50,000 packages in four ecosystems; a fifth of
# the SBOM's packages also get synthetic advisories, so the scan does real matching work.
ecos = [("PyPI", "pypi"), ("npm", "npm"), ("crates.io", "cargo"), ("Go", "golang")]
zpath = f"{out}/synthetic-200k.zip"
if not os.path.exists(zpath):
    sbom_pkgs = [(c["purl"].split("/")[0][4:], c["name"]) for c in components[:2000]]
    osv_eco = {"pypi": "PyPI", "golang": "Go", "cargo": "crates.io"}
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(200000):
            if i % 100 < 4:
                t, name = sbom_pkgs[i % len(sbom_pkgs)]
                eco = osv_eco[t]
            else:
                eco = ecos[i % 4][0]
                name = f"synthetic-pkg-{i % 50000}"
            a, b = random.randint(0, 5), random.randint(0, 9)
            events = [{"introduced": f"{a}.{b}.0"}, {"fixed": f"{a}.{b}.{random.randint(1, 20)}"}]
            if random.random() < 0.3:
                events += [{"introduced": f"{a + 1}.0.0"}, {"last_affected": f"{a + 1}.{b}.3"}]
            random.shuffle(events)  # OSV does not require sorted events
            rec = {"schema_version": "1.6.0", "id": f"SYN-{i:06d}", "modified": "2026-01-01T00:00:00Z",
                   "published": "2025-06-01T00:00:00Z", "aliases": [f"CVE-2099-{i:06d}"],
                   "summary": f"synthetic advisory {i}",
                   "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
                   "affected": [{"package": {"ecosystem": eco, "name": name},
                                 "ranges": [{"type": "SEMVER" if eco != "PyPI" else "ECOSYSTEM", "events": events}]}]}
            z.writestr(f"SYN-{i:06d}.json", json.dumps(rec))

# A large Cargo.lock: this repository's own packages plus crates named by RustSec advisories
# at versions inside and outside their ranges (cargo-audit reads the lockfile; nothing is built).
lock = open(f"{os.path.dirname(out)}/../Cargo.lock").read()
entries = re.findall(r'\[\[package\]\]\nname = "([^"]+)"\nversion = "([^"]+)"', lock)
names = set()
rows = []
for n, v in entries:
    rows.append((n, v)); names.add((n, v))
for t, name, vs in pkgs:
    if t != "cargo":
        continue
    for v in vs[:4]:
        if re.fullmatch(r"\d+\.\d+\.\d+", v) and (name, v) not in names:
            names.add((name, v)); rows.append((name, v))
os.makedirs(f"{out}/large", exist_ok=True)
with open(f"{out}/large/Cargo.lock", "w") as f:
    f.write("# generated by scripts/bench-vuln.sh\nversion = 3\n")
    for n, v in sorted(rows):
        f.write(f'\n[[package]]\nname = "{n}"\nversion = "{v}"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n')
print(f"sbom: {len(components)} components; large/Cargo.lock: {len(rows)} packages")
PY

# Runs a command once; prints "wall-seconds peak-RSS-KB" (millisecond resolution).
peak() {
  python3 -c 'import resource, subprocess, sys, time
t = time.perf_counter(); p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
if p.returncode not in (0, 1): sys.exit(f"failed ({p.returncode}): {p.stderr.decode()[:500]}")
print(f"{time.perf_counter() - t:.3f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")' "$@"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "== index build (shared databases: PyPA, Go, RustSec, KEV, CSAF)"
WS=$OUT/ws-shared; rm -rf "$WS"; "$ASSAY" init --workspace "$WS" >/dev/null
read -r t m < <(peak "$ASSAY" --workspace "$WS" --no-progress -q vuln db import "$DATA/advisories" "$DATA/kev/known_exploited_vulnerabilities.json" "$DATA/csaf/csaf")
echo "first import: ${t}s, peak ${m} KB"
read -r t m < <(peak "$ASSAY" --workspace "$WS" --no-progress -q vuln db import "$DATA/advisories" "$DATA/kev/known_exploited_vulnerabilities.json" "$DATA/csaf/csaf")
echo "re-import (unchanged): ${t}s, peak ${m} KB"
"$ASSAY" --workspace "$WS" vuln db stats | sed -n '1,3p;/advisories/p'

echo "== index build (shared + synthetic 200,000 advisories)"
WS2=$OUT/ws-200k; rm -rf "$WS2"; "$ASSAY" init --workspace "$WS2" >/dev/null
read -r t m < <(peak "$ASSAY" --workspace "$WS2" --no-progress -q vuln db import "$DATA/advisories" "$DATA/kev/known_exploited_vulnerabilities.json" "$DATA/csaf/csaf" "$OUT/synthetic-200k.zip")
echo "first import: ${t}s, peak ${m} KB"
"$ASSAY" --workspace "$WS2" vuln db stats | sed -n '/size/p;/advisories/p'

for ws in "$WS" "$WS2"; do
  echo "== scan of the 10,000-component SBOM against $(basename "$ws") ($RUNS runs, median)"
  for _ in $(seq "$RUNS"); do peak "$ASSAY" --workspace "$ws" --no-progress -q --format json vuln scan --date 2026-11-22 "$OUT/sbom-10k.cdx.json"; done > "$OUT/times.txt"
  echo "scan: $(cut -d' ' -f1 "$OUT/times.txt" | median)s, peak $(cut -d' ' -f2 "$OUT/times.txt" | sort -n | tail -1) KB"
  "$ASSAY" --workspace "$ws" --no-progress --format json vuln scan --date 2026-11-22 "$OUT/sbom-10k.cdx.json" \
    | python3 -c 'import json,sys; s=json.load(sys.stdin)["summary"]; print("components", s["components"], "findings", s["findings"], "kev_open", s["kev_open"])'
done

echo "== side by side with cargo-audit $(cargo-audit --version 2>/dev/null | awk '{print $2}') (offline, shared RustSec database)"
for lock in "$ROOT/Cargo.lock" "$OUT/large/Cargo.lock"; do
  n=$(grep -c '^\[\[package\]\]' "$lock")
  for _ in $(seq "$RUNS"); do peak cargo-audit audit --db "$DATA/advisories/rustsec" --no-fetch --stale -f "$lock" --json; done > "$OUT/audit.txt"
  for _ in $(seq "$RUNS"); do peak "$ASSAY" --workspace "$WS" --no-progress -q --format json vuln scan --date 2026-11-22 "$lock"; done > "$OUT/assay.txt"
  a=$(cut -d' ' -f1 "$OUT/audit.txt" | median); b=$(cut -d' ' -f1 "$OUT/assay.txt" | median)
  echo "${lock#$ROOT/} ($n packages): cargo-audit ${a}s (peak $(cut -d' ' -f2 "$OUT/audit.txt" | sort -n | tail -1) KB), assay ${b}s (peak $(cut -d' ' -f2 "$OUT/assay.txt" | sort -n | tail -1) KB), ratio $(python3 -c "print(round($a/max($b,0.001),1))")x"
done

echo "== same findings? cargo-audit vs assay on every Cargo.lock in the local cargo registry + the large one"
python3 - "$ASSAY" "$WS" "$DATA/advisories/rustsec" "$OUT/large/Cargo.lock" $(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/*/Cargo.lock 2>/dev/null) <<'PY'
import json, os, subprocess, sys, collections
assay, ws, db, locks = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
same = total_a = total_b = 0
only_a, only_b = collections.Counter(), collections.Counter()
for lock in locks:
    a = subprocess.run(["cargo-audit", "audit", "--db", db, "--no-fetch", "--stale", "-f", lock, "--json"], capture_output=True, text=True)
    A = {(v["advisory"]["id"], v["package"]["name"], v["package"]["version"]) for v in json.loads(a.stdout)["vulnerabilities"]["list"]}
    b = subprocess.run([assay, "--workspace", ws, "--no-progress", "-q", "--format", "json", "vuln", "scan", "--date", "2026-11-22", lock], capture_output=True, text=True)
    if b.returncode not in (0, 1):
        sys.exit(f"assay failed on {lock}: {b.stderr[:300]}")
    B = {(s, f["component"]["name"], f["component"]["version"]) for f in json.loads(b.stdout)["findings"] for s in f["sources"] if s.startswith("RUSTSEC-")}
    total_a += len(A); total_b += len(B); same += A == B
    only_a.update(A - B); only_b.update(B - A)
print(f"lockfiles {len(locks)}: identical findings in {same}; findings cargo-audit {total_a}, assay {total_b}")
print("only cargo-audit:", dict(only_a)); print("only assay:", dict(only_b))
PY
