//! A re-run of the same case reuses the PAD report and the vulnerability scan this workspace
//! signed before (same inputs digest), gives the same results as computing them, and
//! recomputes when an input changed, when asked to, or when the signed result no longer checks
//! out.

use std::path::Path;
use std::sync::Mutex;

use assay_assess::{AssessOptions, Assessed, CaseInputs, Overrides};
use assay_core::{EvidenceKind, Reporter};
use assay_ledger::Ledger;

/// Keeps the notes an assessment writes (the reuse notices among them).
#[derive(Default)]
struct Notes(Mutex<Vec<String>>);

impl Reporter for Notes {
    fn note(&self, message: &str) {
        self.0.lock().unwrap().push(message.to_string());
    }
}

impl Notes {
    fn reused(&self, what: &str) -> bool {
        self.0
            .lock()
            .unwrap()
            .iter()
            .any(|n| n.starts_with(what) && n.contains("reused"))
    }
}

fn assess(ledger: &Ledger, case: &CaseInputs, recompute: bool) -> (Assessed, Notes) {
    let overrides = Overrides {
        date: assay_core::Day::parse("2026-11-22"),
        recompute,
        ..Default::default()
    };
    let mut options = AssessOptions::resolve(
        &overrides,
        case,
        assay_core::Day::parse("2000-01-01").unwrap(),
    )
    .unwrap();
    let notes = Notes::default();
    options.advisories = assay_assess::import_advisories(case, ledger, &notes);
    let assessed = assay_assess::assess(case, &options, ledger, &notes).unwrap();
    (assessed, notes)
}

fn example() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/face-terminal-cn-us")
}

/// What reuse must not change: the sections, the verdicts, the plan.
fn results(a: &Assessed) -> serde_json::Value {
    let a = &a.assessment;
    serde_json::json!({
        "pad": a.pad,
        "vuln": a.vuln,
        "evaluation": a.evaluation,
        "markets": a.markets,
        "plan": a.plan,
    })
}

#[test]
fn a_rerun_reuses_the_signed_results_and_gives_the_same_answer() {
    let case = CaseInputs::discover(&example()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let ledger = Ledger::init(&tmp.path().join("ws")).unwrap();

    let (first, notes) = assess(&ledger, &case, false);
    assert!(!notes.reused("PAD") && !notes.reused("vulnerability"));
    assert!(
        !first.assessment.pad.is_empty(),
        "the example has a campaign"
    );
    assert!(first.assessment.vuln.is_some(), "the example has an SBOM");

    let (second, notes) = assess(&ledger, &case, false);
    assert!(notes.reused("PAD"), "{:?}", notes.0.lock().unwrap());
    assert!(
        notes.reused("vulnerability"),
        "{:?}",
        notes.0.lock().unwrap()
    );
    assert_eq!(results(&first), results(&second));
    assert_eq!(
        second.newly_recorded, 0,
        "a reused result is the same evidence"
    );

    let (third, notes) = assess(&ledger, &case, true);
    assert!(!notes.reused("PAD") && !notes.reused("vulnerability"));
    assert_eq!(results(&first), results(&third));
    assert_eq!(third.newly_recorded, 0, "recomputing gives the same bytes");
}

#[test]
fn a_changed_campaign_is_computed_again() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("case");
    copy_dir(&example(), &dir);
    let ledger = Ledger::init(&tmp.path().join("ws")).unwrap();
    assess(&ledger, &CaseInputs::discover(&dir).unwrap(), false);

    // One more bona fide row: a different campaign, so a different report.
    let csv = dir.join("pad/campaign.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let last = text.lines().last().unwrap().to_string();
    std::fs::write(&csv, format!("{text}{last}\n")).unwrap();
    let (_, notes) = assess(&ledger, &CaseInputs::discover(&dir).unwrap(), false);
    assert!(!notes.reused("PAD"), "{:?}", notes.0.lock().unwrap());
    assert!(notes.reused("vulnerability"), "the SBOM did not change");
}

#[test]
fn a_signed_result_whose_stored_bytes_were_changed_is_not_reused() {
    let case = CaseInputs::discover(&example()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let ledger = Ledger::init(&ws).unwrap();
    let (first, _) = assess(&ledger, &case, false);

    // Change the stored PAD report (a small blob: it lives in the database).
    let report = ledger
        .evidence_for_subject(&first.assessment.subject.id)
        .unwrap()
        .into_iter()
        .rfind(|s| s.kind == EvidenceKind::PadReport)
        .unwrap();
    let bytes = ledger.blob(&report.blob_digest).unwrap();
    let forged = String::from_utf8(bytes)
        .unwrap()
        .replacen("\"format\"", "\"format\" ", 1);
    let db = rusqlite::Connection::open(ws.join("assay.db")).unwrap();
    let changed = db
        .execute(
            "UPDATE blobs SET data = ?1 WHERE digest = ?2",
            rusqlite::params![forged.as_bytes(), &report.blob_digest.0[..]],
        )
        .unwrap();
    assert_eq!(changed, 1, "the report blob is stored inline");
    drop(db);

    let (second, notes) = assess(&ledger, &case, false);
    assert!(!notes.reused("PAD"), "a changed blob must not be reused");
    assert!(notes.reused("vulnerability"));
    assert_eq!(results(&first), results(&second));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The import beside the evaluators (what the command line does) gives what importing first
/// gives: same advisories imported, same scan, same verdicts.
#[test]
fn importing_beside_the_evaluators_gives_the_same_assessment_as_importing_first() {
    let case = CaseInputs::discover(&example()).unwrap();
    assert!(
        !case.file.advisories.is_empty(),
        "the example names advisory sources"
    );
    let tmp = tempfile::tempdir().unwrap();

    let first = Ledger::init(&tmp.path().join("first")).unwrap();
    let (sequential, _) = assess(&first, &case, true);
    let sequential_import = {
        // What `assess` above imported, counted again on a fresh index.
        let fresh = Ledger::init(&tmp.path().join("count")).unwrap();
        assay_assess::import_advisories(&case, &fresh, &assay_core::Silent)
    };

    let beside = Ledger::init(&tmp.path().join("beside")).unwrap();
    let overrides = Overrides {
        date: assay_core::Day::parse("2026-11-22"),
        recompute: true,
        ..Default::default()
    };
    let options = AssessOptions::resolve(
        &overrides,
        &case,
        assay_core::Day::parse("2000-01-01").unwrap(),
    )
    .unwrap();
    let (import, overlapped) =
        assay_assess::import_and_assess(&case, &options, &beside, &assay_core::Silent).unwrap();
    assert!(import.advisories > 0 && import.problems.is_empty());
    assert_eq!(import.advisories, sequential_import.advisories);
    assert_eq!(import.sources, sequential_import.sources);
    assert!(
        overlapped
            .assessment
            .vuln
            .as_ref()
            .is_some_and(|v| !v.result.findings.is_empty()),
        "the scan ran against the imported advisories"
    );
    assert_eq!(results(&sequential), results(&overlapped));
}
