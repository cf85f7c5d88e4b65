//! CVSS base scores: every distinct vector in the shared data (OSV, RustSec, CSAF, SBOMs),
//! scored by assay (`assay_vuln::cvss::base_score`: parse + score) and by the peer, RedHat's
//! `cvss` Python package, on the same vectors, the same number of rounds, in one run; prints
//! both times and the ratio. Run: `scripts/bench-cvss.sh` (or
//! `cargo bench -p assay-vuln --bench cvss`; `CVSS_BENCH_ROUNDS` sets the rounds, default 200).
//! Both sides time only the scoring loop (the peer's interpreter start is excluded).

#![allow(clippy::print_stdout, clippy::print_stderr)] // prints its results

use std::collections::BTreeSet;
use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "json" | "yaml" | "yml" | "toml" | "md" | "xml"))
        {
            out.push(path);
        }
    }
}

fn vectors() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let mut files = Vec::new();
    for dir in ["advisories", "csaf", "sbom", "kev"] {
        walk(&root.join(dir), &mut files);
    }
    let vector_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '.');
    let mut found = BTreeSet::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for (start, _) in text.match_indices("CVSS:") {
            let rest = &text[start..];
            let end = rest.find(|c| !vector_char(c)).unwrap_or(rest.len());
            let vector = rest[..end].trim_end_matches(['/', '.']);
            if assay_vuln::cvss::base_score(vector).is_ok() {
                found.insert(vector.to_string());
            }
        }
    }
    found.into_iter().collect()
}

const PEER: &str = r#"
import sys, time
from cvss import CVSS2, CVSS3, CVSS4
rounds = int(sys.argv[1])
vectors = [l.strip() for l in sys.stdin if l.strip()]
def score(v):
    if v.startswith("CVSS:4"):
        return CVSS4(v).base_score
    if v.startswith("CVSS:3"):
        return CVSS3(v).scores()[0]
    return CVSS2(v).scores()[0]
start = time.perf_counter()
for _ in range(rounds):
    for v in vectors:
        score(v)
print(time.perf_counter() - start)
"#;

fn main() {
    let rounds: u32 = std::env::var("CVSS_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(200);
    let vectors = vectors();
    let count = |p: &str| vectors.iter().filter(|v| v.starts_with(p)).count();
    println!(
        "{} distinct vectors from the shared data (v3.0 {}, v3.1 {}, v4.0 {}), {rounds} rounds",
        vectors.len(),
        count("CVSS:3.0/"),
        count("CVSS:3.1/"),
        count("CVSS:4.0/")
    );
    let start = Instant::now();
    for _ in 0..rounds {
        for v in &vectors {
            black_box(assay_vuln::cvss::base_score(black_box(v)).ok());
        }
    }
    let ours = start.elapsed().as_secs_f64();
    let per = |secs: f64| secs * 1e6 / f64::from(rounds) / vectors.len() as f64;
    println!("assay: {ours:.4} s ({:.3} µs per vector)", per(ours));

    let child = Command::new("python3")
        .args(["-c", PEER, &rounds.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        println!("peer: python3 not available; no ratio");
        return;
    };
    let mut stdin = child.stdin.take().expect("stdin");
    let input = vectors.join("\n");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("peer output");
    let _ = writer.join();
    let theirs: Option<f64> = String::from_utf8_lossy(&out.stdout).trim().parse().ok();
    match theirs {
        Some(theirs) if out.status.success() => {
            println!(
                "python cvss: {theirs:.4} s ({:.3} µs per vector)",
                per(theirs)
            );
            println!("ratio (python cvss / assay): {:.1}x", theirs / ours);
        }
        _ => println!(
            "peer: python3 -c \"import cvss\" failed ({}); no ratio",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    }
}
