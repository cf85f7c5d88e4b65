//! Mutation smoke test (issue #9 point 8): every advisory reader, SBOM and lockfile reader,
//! VEX reader and the small parsers (deadline policy, purl, versions, `vers:` ranges) get real
//! seed files and deterministic byte mutations of them, and must never panic. Bounded to a
//! couple of seconds per family so it runs in the normal suite; `scripts/fuzz.sh` fuzzes the
//! same parsers for longer (docs/reliability.md).

#[path = "../../../fuzz/mutate.rs"]
mod mutate;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assay_vuln::DeadlinePolicy;
use assay_vuln::advisory::ecosystem_from_osv;
use assay_vuln::import::parse_bytes;
use assay_vuln::matching::Prepared;
use assay_vuln::sbom::purl::Purl;
use assay_vuln::version::Scheme;
use assay_vuln::vex::{VersRange, read_vex_bytes};
use mutate::{Seed, smoke};

/// Per format inside a family: a family stays within a few seconds in debug builds.
const BUDGET: Duration = Duration::from_millis(400);
const RUNS: u64 = 5_000;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn data() -> PathBuf {
    root().join("../shared/data")
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn seeds(paths: &[PathBuf]) -> Vec<Seed> {
    paths.iter().filter_map(|p| Seed::file(p, 400)).collect()
}

/// The first `n` files (sorted) of a folder with the extension, recursively.
fn some_files(dir: &Path, ext: &str, n: usize) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out.truncate(n);
    out
}

/// Parses an advisory file and matches every version it names against its own ranges.
fn advisories(name: &str, bytes: &[u8]) {
    let parsed = parse_bytes(name, bytes);
    for adv in parsed.advisories.iter().take(4) {
        for affected in adv.affected.iter().take(4) {
            let scheme = Scheme::for_ecosystem(&ecosystem_from_osv(&affected.ecosystem));
            let prepared = Prepared::new(scheme, affected);
            let mut probes = vec!["0".to_string(), "1.0.0".to_string()];
            probes.extend(affected.versions.iter().take(4).cloned());
            for range in affected.ranges.iter().take(4) {
                probes.extend(range.fixed_versions());
            }
            for v in &probes {
                let _ = prepared.evaluate(v, &scheme.parse(v));
            }
        }
    }
}

fn small_kev() -> Option<Seed> {
    let text = std::fs::read(data().join("kev/known_exploited_vulnerabilities.json")).ok()?;
    let mut doc: serde_json::Value = serde_json::from_slice(&text).ok()?;
    let vulns = doc.get_mut("vulnerabilities")?.as_array_mut()?;
    vulns.truncate(3);
    Some(Seed::new(
        "kev (first 3 entries)",
        serde_json::to_vec_pretty(&doc).ok()?,
    ))
}

fn advisory_zip(files: &[Seed]) -> Seed {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (i, f) in files.iter().enumerate() {
        let method = if i % 2 == 0 {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        zip.start_file(format!("advisories/{i}.json"), options)
            .expect("zip entry");
        zip.write_all(&f.bytes).expect("zip write");
    }
    Seed::new(
        "advisories.zip",
        zip.finish().expect("zip finish").into_inner(),
    )
}

#[test]
fn advisory_readers_survive_mutations() {
    let d = data();
    let osv_json = seeds(&some_files(&d.join("advisories/go"), ".json", 6));
    let osv_yaml = seeds(&some_files(&d.join("advisories/pypa"), ".yaml", 6));
    let rustsec = seeds(&some_files(&d.join("advisories/rustsec/crates"), ".md", 6));
    let csaf = seeds(&some_files(&d.join("csaf/csaf"), ".json", 4));
    let kev: Vec<Seed> = small_kev().into_iter().collect();
    let zip = vec![advisory_zip(&osv_json[..osv_json.len().min(2)])];
    for (name, seeds) in [
        ("GO-2024-0001.json", &osv_json),
        ("PYSEC-2024-1.yaml", &osv_yaml),
        ("RUSTSEC-2024-0001.md", &rustsec),
        ("csaf.json", &csaf),
        ("known_exploited_vulnerabilities.json", &kev),
        ("advisories.zip", &zip),
    ] {
        if seeds.is_empty() {
            // The shared data is missing (not the CI layout): nothing to mutate for this one.
            continue;
        }
        smoke(&format!("advisories as {name}"), seeds, RUNS, BUDGET, |b| {
            advisories(name, b)
        });
    }
}

#[test]
fn sbom_and_lockfile_readers_survive_mutations() {
    let d = data();
    let cases: Vec<(&str, Vec<PathBuf>)> = vec![
        (
            "bom.cdx.json",
            vec![
                root().join("examples/face-terminal-cn-us/sbom/firmware-2.1.0.cdx.json"),
                fixture("sbom/nested-1.6.cdx.json"),
            ],
        ),
        (
            "sbom.spdx.json",
            vec![d.join(
                "sbom/spdx/presentations/OSS-NA-2023/SPDXVersion2.3/03-SBOMwDependency.json",
            )],
        ),
        (
            "sbom.spdx",
            vec![
                fixture("sbom/tagvalue.spdx"),
                d.join("sbom/spdx/software/example1/spdx2.2/example1.spdx"),
            ],
        ),
        (
            "sbom.spdx3.json",
            vec![d.join("sbom/spdx/software/example10/spdx3.0/hello-source.spdx3.json")],
        ),
        ("Cargo.lock", vec![fixture("sbom/Cargo.lock")]),
        ("poetry.lock", vec![fixture("sbom/poetry.lock")]),
        (
            "package-lock.json",
            vec![
                fixture("sbom/package-lock.json"),
                fixture("sbom/package-lock-v1.json"),
            ],
        ),
        ("requirements.txt", vec![fixture("sbom/requirements.txt")]),
        ("go.mod", vec![fixture("sbom/go.mod")]),
        ("go.sum", vec![fixture("sbom/go.sum")]),
    ];
    for (name, paths) in cases {
        let seeds = seeds(&paths);
        if seeds.is_empty() {
            continue;
        }
        smoke(&format!("sbom as {name}"), &seeds, RUNS, BUDGET, |b| {
            let _ = assay_vuln::sbom::read_bytes(Path::new(name), b);
        });
    }
}

#[test]
fn vex_readers_survive_mutations() {
    let mut paths = vec![
        fixture("vex/openvex.json"),
        fixture("vex/csaf-purl.json"),
        fixture("vex/cyclonedx-vex.json"),
        root().join("examples/face-terminal-cn-us/vex/firmware-2.1.0.openvex.json"),
    ];
    paths.extend(some_files(&data().join("csaf/csaf/csaf_vex"), ".json", 2));
    let seeds = seeds(&paths);
    smoke("vex", &seeds, RUNS * 2, BUDGET * 3, |b| {
        let _ = read_vex_bytes(Path::new("mutant.vex.json"), b);
    });
}

#[test]
fn small_parsers_survive_mutations() {
    let policy = vec![Seed::new(
        "policy.toml",
        "start = \"published\"\n[[tier]]\nname = \"kev\"\nknown_exploited = true\ndays = 7\n\
         [[tier]]\nname = \"critical\"\nmin_severity = \"critical\"\ndays = 15\n\
         [[tier]]\nname = \"rest\"\ndays = 180\n",
    )];
    smoke("deadline policy", &policy, RUNS, BUDGET, |b| {
        if let Ok(p) = std::str::from_utf8(b).map(|t| DeadlinePolicy::from_toml("policy.toml", t))
            && let Ok(p) = p
        {
            let scan = chrono::NaiveDate::MAX;
            for level in assay_vuln::finding::SeverityLevel::ALL {
                let _ = p.due_date(level, true, Some("2024-01-01"), scan);
                let _ = p.due_date(level, false, None, scan);
            }
        }
    });

    let purls: Vec<Seed> = [
        "pkg:cargo/serde@1.0.200",
        "pkg:npm/%40angular/core@16.2.1?arch=x86_64#sub/path",
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar",
        "pkg:deb/debian/openssl@1.1.1n-0%2Bdeb11u4?distro=bullseye",
        "pkg:golang/github.com/gin-gonic/gin@v1.9.0",
    ]
    .iter()
    .map(|p| Seed::new(*p, p.as_bytes()))
    .collect();
    smoke("purl", &purls, RUNS, BUDGET, |b| {
        if let Ok(p) = std::str::from_utf8(b).map(Purl::parse)
            && let Ok(p) = p
        {
            let _ = Purl::parse(&p.to_string());
            let _ = p.ecosystem();
        }
    });

    let schemes = [
        Scheme::Pep440,
        Scheme::Semver,
        Scheme::Go,
        Scheme::Maven,
        Scheme::Debian,
        Scheme::Generic,
    ];
    let versions: Vec<Seed> = [
        "1.0.0rc1\n1.0.0.post2",
        "1.2.3-alpha.1+build\n1.2.3",
        "v0.0.0-20210101000000-abcdefabcdef\nv1.2.3+incompatible",
        "1.0-SNAPSHOT\n1.0.RELEASE",
        "1:2.30-1ubuntu1~18.04\n2.30-1",
        "vers:npm/>=1.0.0|<2.0.0|!=1.5.0\n1.5.1",
        "<=1.14.0\n1.14.0",
    ]
    .iter()
    .map(|v| Seed::new(*v, v.as_bytes()))
    .collect();
    smoke("versions and vers ranges", &versions, RUNS, BUDGET, |b| {
        let Ok(text) = std::str::from_utf8(b) else {
            return;
        };
        let (a, v) = text.split_once('\n').unwrap_or((text, text));
        for scheme in schemes {
            let _ = scheme.compare(a, v);
        }
        if let Some(range) = VersRange::parse(a) {
            for scheme in schemes {
                let _ = range.contains(v, scheme);
            }
        }
    });
}
