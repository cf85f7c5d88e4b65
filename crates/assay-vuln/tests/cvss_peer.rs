//! CVSS base scores against a peer: RedHat's `cvss` Python package (v2, v3.0, v3.1, v4.0).
//!
//! Compared: every distinct CVSS vector written in the shared data (OSV, RustSec, CSAF
//! advisories, SBOMs), every v2 and v3.x base vector (the whole base space), and a fixed
//! sample of one in 7 of the v4.0 base space. Skipped, with the reason printed, when
//! `python3 -c "import cvss"` fails (scripts/install-test-deps.sh installs it).

#![allow(clippy::print_stdout, clippy::print_stderr)] // prints its results

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use assay_vuln::cvss::base_score;

fn data() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).to_path_buf()
}

const PEER: &str = r#"
import sys
from cvss import CVSS2, CVSS3, CVSS4
for line in sys.stdin:
    v = line.strip()
    try:
        if v.startswith("CVSS:4"):
            s = CVSS4(v).base_score
        elif v.startswith("CVSS:3"):
            s = CVSS3(v).scores()[0]
        else:
            s = CVSS2(v).scores()[0]
        print("%.1f" % float(s))
    except Exception as e:
        print("ERR " + type(e).__name__)
"#;

fn peer_available() -> Result<(), String> {
    match Command::new("python3").args(["-c", "import cvss"]).output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(String::from_utf8_lossy(&out.stderr).trim().to_string()),
        Err(e) => Err(e.to_string()),
    }
}

fn peer_scores(vectors: &[String]) -> Vec<String> {
    let mut child = Command::new("python3")
        .args(["-c", PEER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut input = String::new();
    for v in vectors {
        input.push_str(v);
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("peer output");
    writer.join().expect("writer").expect("write to peer");
    assert!(out.status.success(), "peer failed");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_string)
        .collect()
}

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

/// Every distinct vector string written in the shared data: `CVSS:x.y/...` anywhere, and v2
/// vectors given as a CSAF/CycloneDX `vectorString` or an OSV `CVSS_V2` score.
pub fn shared_data_vectors() -> BTreeSet<String> {
    let mut files = Vec::new();
    for dir in ["advisories", "csaf", "sbom", "kev"] {
        walk(&data().join(dir), &mut files);
    }
    let vector_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '.');
    let mut vectors = BTreeSet::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let mut starts: Vec<usize> = text.match_indices("CVSS:").map(|(i, _)| i).collect();
        for key in ["\"vectorString\": \"", "\"vector\": \"", "score: "] {
            for (i, _) in text.match_indices(key) {
                if text[i + key.len()..].starts_with("AV:") {
                    starts.push(i + key.len());
                }
            }
        }
        for start in starts {
            let rest = &text[start..];
            let end = rest.find(|c| !vector_char(c)).unwrap_or(rest.len());
            let vector = rest[..end].trim_end_matches(['/', '.']);
            if vector.contains('/') {
                vectors.insert(vector.to_string());
            }
        }
    }
    vectors
}

fn compare(label: &str, vectors: &[String]) -> usize {
    let theirs = peer_scores(vectors);
    assert_eq!(
        theirs.len(),
        vectors.len(),
        "{label}: one peer line per vector"
    );
    let mut mismatches = Vec::new();
    for (vector, peer) in vectors.iter().zip(&theirs) {
        let ours = match base_score(vector) {
            Ok(s) => format!("{:.1}", s.score),
            Err(_) => "ERR".to_string(),
        };
        let agree = if peer.starts_with("ERR") {
            ours == "ERR"
        } else {
            ours == *peer
        };
        if !agree {
            mismatches.push(format!("{vector}: ours {ours}, peer {peer}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{label}: {} of {} differ from the peer:\n{}",
        mismatches.len(),
        vectors.len(),
        mismatches
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    println!("{label}: {} vectors agree with the peer", vectors.len());
    vectors.len()
}

fn product(groups: &[(&str, &[&str])]) -> Vec<String> {
    let mut out = vec![String::new()];
    for (name, values) in groups {
        let mut next = Vec::with_capacity(out.len() * values.len());
        for prefix in &out {
            for value in *values {
                let sep = if prefix.is_empty() { "" } else { "/" };
                next.push(format!("{prefix}{sep}{name}:{value}"));
            }
        }
        out = next;
    }
    out
}

#[test]
fn shared_data_vectors_match_the_peer() {
    if let Err(reason) = peer_available() {
        println!("skipped: the peer (python3 -c \"import cvss\") is not available: {reason}");
        return;
    }
    let vectors: Vec<String> = shared_data_vectors().into_iter().collect();
    assert!(
        vectors.len() >= 150,
        "expected the shared data's vectors, found {}",
        vectors.len()
    );
    for prefix in ["CVSS:3.0/", "CVSS:3.1/", "CVSS:4.0/"] {
        assert!(
            vectors.iter().any(|v| v.starts_with(prefix)),
            "no {prefix} vector found"
        );
    }
    let compared = compare("shared data", &vectors);
    println!("compared {compared} distinct vectors from the shared data");
}

#[test]
fn whole_v2_and_v3_base_spaces_match_the_peer() {
    if let Err(reason) = peer_available() {
        println!("skipped: the peer (python3 -c \"import cvss\") is not available: {reason}");
        return;
    }
    let v2 = product(&[
        ("AV", &["L", "A", "N"]),
        ("AC", &["H", "M", "L"]),
        ("Au", &["M", "S", "N"]),
        ("C", &["N", "P", "C"]),
        ("I", &["N", "P", "C"]),
        ("A", &["N", "P", "C"]),
    ]);
    compare("v2 base space", &v2);
    let v3 = product(&[
        ("AV", &["N", "A", "L", "P"]),
        ("AC", &["L", "H"]),
        ("PR", &["N", "L", "H"]),
        ("UI", &["N", "R"]),
        ("S", &["U", "C"]),
        ("C", &["H", "L", "N"]),
        ("I", &["H", "L", "N"]),
        ("A", &["H", "L", "N"]),
    ]);
    for head in ["CVSS:3.0", "CVSS:3.1"] {
        let all: Vec<String> = v3.iter().map(|v| format!("{head}/{v}")).collect();
        compare(head, &all);
    }
}

#[test]
fn v4_base_space_sample_matches_the_peer() {
    if let Err(reason) = peer_available() {
        println!("skipped: the peer (python3 -c \"import cvss\") is not available: {reason}");
        return;
    }
    let space = product(&[
        ("AV", &["N", "A", "L", "P"]),
        ("AC", &["L", "H"]),
        ("AT", &["N", "P"]),
        ("PR", &["N", "L", "H"]),
        ("UI", &["N", "P", "A"]),
        ("VC", &["H", "L", "N"]),
        ("VI", &["H", "L", "N"]),
        ("VA", &["H", "L", "N"]),
        ("SC", &["H", "L", "N"]),
        ("SI", &["H", "L", "N"]),
        ("SA", &["H", "L", "N"]),
    ]);
    let mut sample: Vec<String> = space
        .iter()
        .step_by(7)
        .map(|v| format!("CVSS:4.0/{v}"))
        .collect();
    // Threat, environmental and supplemental metrics on a few vectors.
    for extra in [
        "E:U",
        "E:P",
        "E:A/CR:L/IR:M/AR:H",
        "MAV:P/MAC:H/MVC:N/MSI:S",
        "MSA:S/E:P",
        "CR:L/IR:L/AR:L/MVI:L",
        "S:P/AU:Y/R:I/V:C/RE:H/U:Red",
    ] {
        for v in space.iter().step_by(997) {
            sample.push(format!("CVSS:4.0/{v}/{extra}"));
        }
    }
    compare("v4.0 sample", &sample);
}
