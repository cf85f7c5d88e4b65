//! Mutation smoke test (issue #9 point 8): the DSSE envelope and in-toto statement decoders,
//! signed checkpoints, inclusion and consistency proofs, public key text and whole evidence
//! bundles get real seeds (exported by `assay`, committed under `fuzz/seeds/`) and
//! deterministic byte mutations of them, and must never panic. Bounded to a couple of seconds
//! so it runs in the normal suite; `scripts/fuzz.sh` fuzzes the same decoders for longer.

#[path = "../../../fuzz/mutate.rs"]
mod mutate;

use std::path::{Path, PathBuf};
use std::time::Duration;

use assay_ledger::dsse::{Envelope, Statement, pae};
use assay_ledger::keys::{PublicKeyText, parse_public_key};
use assay_ledger::note::{open_checkpoint, signer_names};
use assay_ledger::{ConsistencyProof, InclusionProof, verify_bundle, verify_bundle_all};
use mutate::{Seed, smoke};

const BUDGET: Duration = Duration::from_millis(600);
const RUNS: u64 = 20_000;

fn seed_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(target)
}

fn seeds(target: &str) -> Vec<Seed> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(seed_dir(target))
        .unwrap_or_else(|e| panic!("fuzz/seeds/{target}: {e}"))
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    paths
        .iter()
        .filter_map(|p| Seed::file(p, usize::MAX))
        .collect()
}

/// The key that signed the committed seeds.
fn seed_key() -> PublicKeyText {
    let text = std::fs::read_to_string(seed_dir("ledger_public_key").join("verifier-key.txt"))
        .expect("seed key");
    parse_public_key(&text).expect("seed key parses")
}

#[test]
fn the_committed_seeds_verify() {
    // Guards the seeds themselves: mutating a valid bundle explores much more than mutating a
    // broken one.
    let dir = tempfile::tempdir().expect("temporary folder");
    write_bundle(dir.path(), &seeds("ledger_bundle")[0].bytes);
    let report = verify_bundle(dir.path(), &[seed_key()]).expect("bundle reads");
    assert!(report.is_valid(), "{:?}", report.checks);
    // The same bundle described in the several-entries format (`v2`, one entry) is valid too.
    let v2 = seeds("ledger_bundle")
        .into_iter()
        .find(|s| {
            s.bytes
                .starts_with(b"{\n  \"format\": \"assay-evidence-bundle/v2\"")
        })
        .expect("a v2 seed");
    write_bundle(dir.path(), &v2.bytes);
    let reports = verify_bundle_all(dir.path(), &[seed_key()]).expect("v2 bundle reads");
    assert!(reports.len() == 1 && reports[0].is_valid(), "{reports:?}");
}

#[test]
fn envelopes_and_statements_survive_mutations() {
    smoke("dsse envelope", &seeds("ledger_dsse"), RUNS, BUDGET, |b| {
        if let Ok(env) = serde_json::from_slice::<Envelope>(b) {
            let _ = env.first_signature();
            if let Ok(payload) = env.payload_bytes() {
                let _ = pae(&env.payload_type, &payload);
                if let Ok(st) = serde_json::from_slice::<Statement>(&payload) {
                    let _ = st.subject_and_digest();
                }
            }
        }
    });
}

#[test]
fn checkpoints_proofs_and_keys_survive_mutations() {
    let key = seed_key();
    smoke(
        "checkpoint",
        &seeds("ledger_checkpoint"),
        RUNS,
        BUDGET,
        |b| {
            if let Ok(text) = std::str::from_utf8(b) {
                let _ = signer_names(text);
                let _ = open_checkpoint(text, "default", &key.key);
            }
        },
    );
    smoke(
        "inclusion proof",
        &seeds("ledger_inclusion_proof"),
        RUNS,
        BUDGET,
        |b| {
            if let Ok(p) = serde_json::from_slice::<InclusionProof>(b) {
                let _ = p.verify();
            }
        },
    );
    smoke(
        "consistency proof",
        &seeds("ledger_consistency_proof"),
        RUNS,
        BUDGET,
        |b| {
            if let Ok(p) = serde_json::from_slice::<ConsistencyProof>(b) {
                let _ = p.verify();
            }
        },
    );
    smoke(
        "public key",
        &seeds("ledger_public_key"),
        RUNS,
        BUDGET,
        |b| {
            if let Ok(text) = std::str::from_utf8(b) {
                let _ = parse_public_key(text);
            }
        },
    );
}

const PART: &[u8] = b"\n--assay-fuzz-part--\n";
const FILES: [&str; 5] = [
    "bundle.json",
    // The evidence file under its signed name (export names it so; bundle.json must agree).
    "f3.txt",
    "envelope.dsse.json",
    "inclusion-proof.json",
    "checkpoint.txt",
];

/// Writes a bundle seed (its five files joined by [`PART`], as the fuzz target reads it).
fn write_bundle(dir: &Path, bytes: &[u8]) {
    let mut rest = bytes;
    for (i, name) in FILES.iter().enumerate() {
        let part = if i + 1 == FILES.len() {
            std::mem::take(&mut rest)
        } else {
            match rest.windows(PART.len()).position(|w| w == PART) {
                Some(at) => {
                    let part = &rest[..at];
                    rest = &rest[at + PART.len()..];
                    part
                }
                None => std::mem::take(&mut rest),
            }
        };
        std::fs::write(dir.join(name), part).expect("write bundle file");
    }
}

#[test]
fn bundles_survive_mutations() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let keys = [seed_key()];
    smoke(
        "evidence bundle",
        &seeds("ledger_bundle"),
        RUNS,
        BUDGET * 2,
        |b| {
            write_bundle(dir.path(), b);
            if let Ok(reports) = verify_bundle_all(dir.path(), &keys) {
                let _ = reports.iter().all(|r| r.is_valid());
            }
        },
    );
}
