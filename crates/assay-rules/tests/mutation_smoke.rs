//! Mutation smoke test (issue #9 point 8): rule packs, subject manifests and the description
//! consistency check get real seeds (the shipped packs, the examples' manifests and documents,
//! the test fixtures) and deterministic byte mutations of them, and must never panic, also when
//! what parsed is then evaluated. Bounded to a couple of seconds per family so it runs in the
//! normal suite; `scripts/fuzz.sh` fuzzes the same parsers for longer (docs/reliability.md).

#[path = "../../../fuzz/mutate.rs"]
mod mutate;

use std::path::{Path, PathBuf};
use std::time::Duration;

use assay_rules::consistency::{self, Document};
use assay_rules::{Day, EvalContext, EvidenceRecord, RulePack, SubjectManifest, evaluate, oscal};
use mutate::{Seed, smoke};

const BUDGET: Duration = Duration::from_millis(2500);
const RUNS: u64 = 20_000;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Files of a folder (not recursive) with the extension, sorted.
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.to_string_lossy().ends_with(ext))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn seeds(paths: &[PathBuf]) -> Vec<Seed> {
    paths
        .iter()
        .filter_map(|p| Seed::file(p, usize::MAX))
        .collect()
}

fn examples(file: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = files(&root().join("examples"), "")
        .into_iter()
        .map(|d| d.join(file))
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

fn ctx() -> EvalContext<'static> {
    EvalContext {
        today: Day::parse("2026-11-22").expect("date"),
        markets: Vec::new(),
        consistency: None,
    }
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Signed-evidence records for the fixture face terminal, so evaluation reaches the evidence
/// and threshold checks.
fn evidence() -> Vec<EvidenceRecord> {
    let text = std::fs::read_to_string(fixtures().join("evidence/face-terminal.json"))
        .expect("evidence fixture");
    serde_json::from_str(&text).expect("evidence fixture parses")
}

fn example_manifest() -> SubjectManifest {
    SubjectManifest::from_path(&root().join("examples/face-terminal-cn-us/subject.toml"))
        .expect("example manifest")
}

#[test]
fn rule_packs_survive_mutations() {
    let r = root();
    let mut paths = files(&r.join("crates/assay-rules/packs"), ".toml");
    paths.extend(files(
        &r.join("crates/assay-rules/tests/fixtures/packs"),
        ".toml",
    ));
    let manifest = SubjectManifest::from_path(&fixtures().join("manifests/face-terminal.toml"))
        .expect("fixture manifest");
    let evidence = evidence();
    smoke("rule pack", &seeds(&paths), RUNS, BUDGET, |b| {
        if let Ok(text) = std::str::from_utf8(b)
            && let Ok(pack) = RulePack::from_toml(text, "mutant.toml")
        {
            let packs = [pack];
            let _ = evaluate(&manifest, &packs, &evidence, &ctx());
            let _ = oscal::catalog(&packs[0], ctx().today);
        }
    });
}

#[test]
fn subject_manifests_survive_mutations() {
    let mut paths = examples("subject.toml");
    paths.extend(files(
        &root().join("crates/assay-rules/tests/fixtures/manifests"),
        ".toml",
    ));
    let packs = RulePack::shipped().expect("shipped packs");
    let evidence = evidence();
    smoke("subject manifest", &seeds(&paths), RUNS, BUDGET, |b| {
        if let Ok(text) = std::str::from_utf8(b)
            && let Ok(m) = SubjectManifest::from_toml(text, "subject.toml")
        {
            let _ = evaluate(&m, &packs, &evidence, &ctx());
            let _ = consistency::check(Some(&m), &[]);
        }
    });
}

#[test]
fn descriptions_survive_mutations() {
    let r = root();
    let mut paths: Vec<PathBuf> = files(&r.join("examples"), "")
        .into_iter()
        .flat_map(|d| files(&d.join("docs"), ".md"))
        .collect();
    paths.extend(files(&r.join("crates/assay-rules/tests/fixtures/docs"), ""));
    let manifest = example_manifest();
    smoke(
        "description consistency",
        &seeds(&paths),
        RUNS,
        BUDGET,
        |b| {
            let doc = Document {
                name: "description.md".into(),
                text: String::from_utf8_lossy(b).into_owned(),
            };
            let _ = consistency::check(Some(&manifest), &[doc]);
        },
    );
}
