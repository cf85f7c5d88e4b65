#!/usr/bin/env python3
"""Generates the `assay assess` benchmark case: a 1,000,000-row scored and decided PAD
campaign (10 species, 20,000 subjects), a 5,000-component CycloneDX SBOM drawn from the
packages of the shared PyPI and Go advisory databases (so the scan has real matches), and a
subject with 10 markets. Deterministic (seeded)."""
import glob, json, os, random, sys

out = sys.argv[1]
shared = sys.argv[2]
rnd = random.Random(1_000_000)
os.makedirs(f"{out}/pad", exist_ok=True)
os.makedirs(f"{out}/sbom", exist_ok=True)

species = ["printed-photo", "video-replay", "paper-mask", "resin-mask", "silicone-mask",
           "latex-mask", "3d-print-mask", "screen-photo", "cutout-photo", "wax-mask"]
groups = {"printed-photo": "print", "screen-photo": "replay", "cutout-photo": "print",
          "video-replay": "replay"}
with open(f"{out}/pad/campaign.csv", "w") as f:
    f.write("presentation_id,subject,session,kind,species,attack_potential,instrument,decision,score\n")
    for i in range(1_000_000):
        subject = f"s{rnd.randrange(20_000):05d}"
        if i % 3 == 0:
            score = rnd.gauss(2.0, 1.0)
            decision = "accept" if score >= 0.0 else "reject"
            f.write(f"p{i},{subject},{i % 4},bona_fide,,,,{decision},{score:.5f}\n")
        else:
            sp = species[i % len(species)]
            score = rnd.gauss(-2.5, 1.0)
            decision = "accept" if score >= 0.0 else "reject"
            level = "L2" if "mask" in sp else "L1"
            f.write(f"p{i},{subject},{i % 4},attack,{sp},{level},inst-{sp},{decision},{score:.5f}\n")

with open(f"{out}/pad/campaign.toml", "w") as f:
    f.write('[device]\nname = "Bench terminal"\nfirmware_digest = "sha256:' + "ab" * 32 + '"\n')
    f.write('[lab]\nname = "Bench lab"\n[dates]\nstart = 2026-10-01\nend = 2026-10-30\n')
    for sp in species:
        f.write(f'[species.{sp}]\ngroups = ["{groups.get(sp, "mask")}"]\n')

# Components: real package names and versions from the advisory databases (half of them a
# version listed as affected, half a version past the last fix or unknown), PyPI and Go.
names = []
for path in sorted(glob.glob(f"{shared}/advisories/go/*.json"))[:3000]:
    d = json.load(open(path))
    for a in d.get("affected", []):
        vs = [e.get("introduced") for r in a.get("ranges", []) for e in r.get("events", []) if e.get("introduced") not in (None, "0")]
        names.append(("golang", a["package"]["name"], "v" + (vs[0] if vs else "1.0.0").lstrip("v")))
for path in sorted(glob.glob(f"{shared}/advisories/pypa/**/*.yaml", recursive=True))[:3000]:
    name = os.path.basename(os.path.dirname(path))
    names.append(("pypi", name, f"{rnd.randrange(0, 4)}.{rnd.randrange(0, 20)}.{rnd.randrange(0, 10)}"))
rnd.shuffle(names)
seen, comps = set(), []
for eco, name, version in names:
    if (eco, name) in seen or name == "stdlib" or name == "toolchain":
        continue
    seen.add((eco, name))
    purl = f"pkg:{eco}/{name}@{version}"
    comps.append({"type": "library", "bom-ref": purl, "name": name, "version": version, "purl": purl})
    if len(comps) == 5000:
        break
while len(comps) < 5000:
    n = len(comps)
    purl = f"pkg:pypi/bench-filler-{n}@1.0.{n}"
    comps.append({"type": "library", "bom-ref": purl, "name": f"bench-filler-{n}", "version": f"1.0.{n}", "purl": purl})
json.dump({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": comps},
          open(f"{out}/sbom/bench.cdx.json", "w"))

markets = ["US", "DE", "FR", "SG", "BR", "JP", "AE", "MX", "IN", "GB"]
with open(f"{out}/subject.toml", "w") as f:
    f.write('id = "bench-terminal"\nname = "Bench terminal"\nvendor = "Bench"\nkind = "device"\n'
            'category = "face-recognition-terminal-3d"\n'
            'functions = ["autonomous-decision", "liveness-detection", "biometric-identification", "access-control"]\n'
            f'firmware_digest = "{"ab" * 32}"\ncountry_of_origin = "CN"\n')
    for m in markets:
        uses = '["federal-procurement"]' if m == "US" else '["commercial"]'
        f.write(f'\n[[market]]\ncountry = "{m}"\nuses = {uses}\n')
with open(f"{out}/case.toml", "w") as f:
    f.write(f'advisories = ["{shared}/advisories/pypa", "{shared}/advisories/go", '
            f'"{shared}/kev/known_exploited_vulnerabilities.json"]\n')
print(f"case in {out}: 1,000,000 PAD rows, {len(comps)} components, {len(markets)} markets")
