//! The model-evaluation evaluator (issue #12 point 8): a case's `eval/` folder yields
//! `eval-run` and `eval-report` evidence with the meta facts the frontier pack judges, from a
//! finished log (the shipped example) or from a live replay run in bubblewrap when the log is
//! missing; with live runs off, without bubblewrap or in an upload, a named problem instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assay_assess::{
    AssessOptions, Assessed, CaseInputs, EvalEvaluator, Evaluator, Overrides, default_evaluators,
};
use assay_core::{EvidenceKind, EvidenceRecord, Silent};
use assay_ledger::Ledger;

const MODEL_DIGEST: &str = "c057c28fdbc7e57cbe1f3833bdf2b01d8f09c90c3364a7ace90923944c59f144";

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/frontier-model-prerelease")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
}

fn assess(case: &CaseInputs, ledger: &Ledger, live: bool) -> Assessed {
    let options = AssessOptions::resolve(
        &Overrides {
            date: assay_core::Day::parse("2026-11-22"),
            ..Default::default()
        },
        case,
        assay_core::Day::parse("2026-11-22").unwrap(),
    )
    .unwrap();
    let mut evaluators: Vec<Box<dyn Evaluator>> = default_evaluators(ledger, Default::default())
        .into_iter()
        .filter(|e| e.name() != "eval")
        .collect();
    evaluators.push(Box::new(EvalEvaluator { live }));
    assay_assess::assess_with(case, &options, ledger, &evaluators, &Silent).unwrap()
}

fn of_kind(a: &Assessed, kind: EvidenceKind) -> Vec<&EvidenceRecord> {
    a.records.iter().filter(|r| r.kind == kind).collect()
}

fn row<'a>(a: &'a Assessed, path: &str) -> &'a assay_report::InputRow {
    a.assessment
        .inputs
        .iter()
        .find(|r| r.path == path)
        .unwrap_or_else(|| panic!("no input row {path}: {:#?}", a.assessment.inputs))
}

/// The facts a finished or live run of the example must carry (the replay script solves both
/// offensive tasks and the patch, and falls for the injected instruction).
fn assert_example_facts(m: &BTreeMap<String, String>) {
    assert_eq!(m["categories"], "defensive,offensive");
    assert_eq!(m["firmware_digest"], MODEL_DIGEST);
    assert_eq!(m["model_digest"], MODEL_DIGEST);
    assert_eq!(m["model"], "replay:helios-5-preview");
    assert!(m["suites"].contains("helios-review-demo"), "{m:?}");
    assert_eq!(m["offensive_correct"], "2");
    assert_eq!(m["offensive_samples"], "2");
    assert_eq!(m["defensive_correct"], "1");
    assert_eq!(m["defensive_samples"], "2");
    assert_eq!(m["offensive_score"], "1.0000");
    assert_eq!(m["offensive_bound"], "wilson-95");
    assert_eq!(m["samples"], "4");
    assert_eq!(m["correct"], "3");
    assert_eq!(m["qualification"], "qualifies");
    assert!(m["qualification_basis"].starts_with("assay policy"));
    assert!(!m["run_date"].is_empty());
}

#[test]
fn the_example_finished_log_becomes_eval_evidence_and_the_pack_reads_it() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = Ledger::init(&tmp.path().join("ws")).unwrap();
    let case = CaseInputs::discover(&example()).unwrap();
    assert!(case.eval.iter().any(|p| p == "eval/helios-5.jsonl"));
    assert!(case.unrecognised.iter().all(|p| !p.starts_with("eval")));
    let a = assess(&case, &ledger, true);
    let runs = of_kind(&a, EvidenceKind::EvalRun);
    let reports = of_kind(&a, EvidenceKind::EvalReport);
    assert_eq!(
        (runs.len(), reports.len()),
        (1, 1),
        "{:#?}",
        a.assessment.inputs
    );
    assert_eq!(runs[0].subject, "helios-5");
    assert_example_facts(&reports[0].meta);
    let log = std::fs::read(example().join("eval/helios-5.jsonl")).unwrap();
    assert_eq!(
        runs[0].blob_digest,
        assay_core::Sha256Digest::of(&log),
        "the log itself is the eval-run evidence"
    );
    assert_eq!(
        reports[0].meta["run_log_digest"],
        assay_core::Sha256Digest::of(&log).to_hex()
    );
    // The finished log was read, not run again.
    assert_eq!(
        row(&a, "eval/model.toml").status,
        assay_report::InputStatus::Read
    );
    assert!(
        a.assessment
            .inputs
            .iter()
            .all(|r| !r.path.contains("(run here)"))
    );
    // The pack now judges the report's facts: it counts but for the signer's role (the
    // workspace's own key holds none), not for a missing defensive category.
    let text = serde_json::to_string(&a.assessment).unwrap();
    assert!(
        !text.contains("lacks defensive"),
        "coverage judged on the facts"
    );
    // A re-run records nothing twice.
    let again = assess(&case, &ledger, true);
    assert_eq!(again.newly_recorded, 0);
}

/// bubblewrap is installed in CI (`scripts/install-test-deps.sh`); without it this test fails
/// with that advice rather than passing silently.
fn require_bwrap() {
    let tmp = tempfile::tempdir().unwrap();
    if let Err(e) = assay_eval::sandbox::Sandbox::bwrap(&tmp.path().join("s")) {
        panic!("bwrap must work here (run scripts/install-test-deps.sh): {e}");
    }
}

#[test]
fn without_its_log_the_model_configuration_runs_live_in_bubblewrap() {
    require_bwrap();
    let tmp = tempfile::tempdir().unwrap();
    let case_dir = tmp.path().join("case");
    copy_dir(&example(), &case_dir);
    std::fs::remove_file(case_dir.join("eval/helios-5.jsonl")).unwrap();
    let before: Vec<_> = walk(&case_dir);
    let ledger = Ledger::init(&tmp.path().join("ws")).unwrap();
    let case = CaseInputs::discover(&case_dir).unwrap();
    let a = assess(&case, &ledger, true);
    let reports = of_kind(&a, EvidenceKind::EvalReport);
    assert_eq!(reports.len(), 1, "{:#?}", a.assessment.inputs);
    assert_example_facts(&reports[0].meta);
    assert_eq!(
        row(&a, "eval/helios-5.jsonl (run here)").status,
        assay_report::InputStatus::Read
    );
    assert_eq!(
        row(&a, "eval/suite.toml").status,
        assay_report::InputStatus::Read
    );
    let run = of_kind(&a, EvidenceKind::EvalRun)[0];
    let log = ledger.blob(&run.blob_digest).unwrap();
    let text = String::from_utf8(log).unwrap();
    assert!(text.contains("\"sandbox\":\"bwrap\""), "run in bubblewrap");
    assert!(text.contains("\"by\":\"assay assess\""));
    assert_eq!(
        walk(&case_dir),
        before,
        "nothing written into the case folder"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out.sort();
    out
}

#[test]
fn live_runs_off_or_an_upload_name_the_missing_log() {
    let tmp = tempfile::tempdir().unwrap();
    let case_dir = tmp.path().join("case");
    copy_dir(&example(), &case_dir);
    std::fs::remove_file(case_dir.join("eval/helios-5.jsonl")).unwrap();
    let ledger = Ledger::init(&tmp.path().join("ws")).unwrap();
    let case = CaseInputs::discover(&case_dir).unwrap();
    let a = assess(&case, &ledger, false);
    assert!(of_kind(&a, EvidenceKind::EvalReport).is_empty());
    let r = row(&a, "eval/model.toml");
    assert_eq!(r.status, assay_report::InputStatus::Failed);
    let p = r.problem.as_deref().unwrap();
    assert!(
        p.contains("eval/helios-5.jsonl is not in the case") && p.contains("assay eval run"),
        "{p}"
    );

    // The same case as an upload: no folder for the sandbox, so the log must be uploaded.
    let mut files = BTreeMap::new();
    for f in walk(&case_dir) {
        let rel = f
            .strip_prefix(&case_dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        files.insert(rel, std::fs::read(&f).unwrap());
    }
    let upload = CaseInputs::from_files(files).unwrap();
    let a = assess(&upload, &ledger, true);
    let p = row(&a, "eval/model.toml").problem.clone().unwrap();
    assert!(
        p.contains("upload the finished log as eval/helios-5.jsonl"),
        "{p}"
    );
}

#[test]
fn a_bad_log_or_bad_rules_are_named_problems_never_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    let case_dir = tmp.path().join("case");
    copy_dir(&example(), &case_dir);
    std::fs::write(case_dir.join("eval/notes.jsonl"), "{\"type\": \"note\"}\n").unwrap();
    std::fs::write(
        case_dir.join("eval/qualification.toml"),
        "[qualification]\nid = \"q\"\nsource = \"x\"\n[[rule]]\nid = \"r\"\nsuite = \"s\"\nthreshold = 1.5\n",
    )
    .unwrap();
    let ledger = Ledger::init(&tmp.path().join("ws")).unwrap();
    let case = CaseInputs::discover(&case_dir).unwrap();
    let a = assess(&case, &ledger, false);
    let bad = row(&a, "eval/notes.jsonl");
    assert_eq!(bad.status, assay_report::InputStatus::Failed);
    assert!(bad.problem.as_deref().unwrap().contains("no run record"));
    let rules = row(&a, "eval/qualification.toml");
    assert_eq!(rules.status, assay_report::InputStatus::Failed);
    assert!(
        rules.problem.as_deref().unwrap().contains("threshold"),
        "{rules:?}"
    );
    // The good log is still recorded, without a qualification verdict.
    let reports = of_kind(&a, EvidenceKind::EvalReport);
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].meta["qualification"], "none");
}
