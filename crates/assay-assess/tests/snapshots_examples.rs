//! `assessment.json` of every shipped example, in process through the library (beside the CLI's
//! end-to-end tests). What depends on the run rather than the case is redacted: the time each
//! entry was recorded and the workspace's own paths and key ids. The date is an input
//! (2026-11-22), so verdicts, deadlines and plans are compared as they are.

use std::path::Path;

use assay_assess::{AssessOptions, CaseInputs, Overrides};
use assay_core::Silent;
use assay_ledger::Ledger;
use serde_json::Value;

fn redact(v: &mut Value, ws: &str, key_id: &str) {
    // Evidence without a date of its own is dated by when it was recorded: today, the day
    // the test runs (the examples' own dates all lie in the past).
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    redact_with(v, ws, key_id, &today);
}

fn redact_with(v: &mut Value, ws: &str, key_id: &str, today: &str) {
    match v {
        Value::Object(map) => {
            // An eval-report is dated by its log's run date (the pack's `dated_by =
            // "run_date"`), a fact of the example's log, never by when it was recorded.
            let own_date = map.get("kind").and_then(Value::as_str) == Some("eval-report");
            for (k, x) in map.iter_mut() {
                if k == "recorded_at" || k == "recordedAt" {
                    *x = Value::String("[recorded-at]".into());
                } else if k == "dated" && !own_date && x.as_str() == Some(today) {
                    *x = Value::String("[recording-date]".into());
                } else {
                    redact_with(x, ws, key_id, today);
                }
            }
        }
        Value::Array(xs) => xs
            .iter_mut()
            .for_each(|x| redact_with(x, ws, key_id, today)),
        Value::String(s) if s.contains(ws) || (!key_id.is_empty() && s.contains(key_id)) => {
            *s = s.replace(ws, "[workspace]");
            if !key_id.is_empty() {
                *s = s.replace(key_id, "[key-id]");
            }
        }
        _ => {}
    }
}

fn assessment_of(example: &str) -> Value {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let tmp = tempfile::tempdir().unwrap();
    let ledger = Ledger::init(&tmp.path().join("ws")).unwrap();
    // A lab's key shipped with its bundle is trusted first, as the example's README says.
    let lab_key = repo
        .join("examples")
        .join(example)
        .join("evidence/lab-report/lab-key.pub");
    if let Ok(key) = std::fs::read_to_string(&lab_key) {
        ledger
            .trust(
                "example-biometrics-test-lab",
                key.trim(),
                assay_core::IssuerRole::Lab,
            )
            .unwrap();
    }
    let case = CaseInputs::discover(&repo.join("examples").join(example)).unwrap();
    let overrides = Overrides {
        date: assay_core::Day::parse("2026-11-22"),
        ..Default::default()
    };
    let mut options = AssessOptions::resolve(
        &overrides,
        &case,
        assay_core::Day::parse("2000-01-01").unwrap(),
    )
    .unwrap();
    options.advisories = assay_assess::import_advisories(&case, &ledger, &Silent);
    let assessed = assay_assess::assess(&case, &options, &ledger, &Silent).unwrap();
    // The package builds and checks in process too.
    let package = assay_assess::build_package(&assessed, &ledger).unwrap();
    let report = assay_assess::check(&package).unwrap();
    assert!(report.is_valid(), "{example}: {:?}", report.checks);

    let key_id = ledger
        .keys()
        .unwrap()
        .into_iter()
        .next()
        .map(|k| k.key_id.clone())
        .unwrap_or_default();
    let mut v = serde_json::to_value(&assessed.assessment).unwrap();
    redact(&mut v, &ledger.dir().to_string_lossy(), &key_id);
    v
}

#[test]
fn face_terminal_cn_us() {
    insta::assert_json_snapshot!(assessment_of("face-terminal-cn-us"));
}

#[test]
fn frontier_model_prerelease() {
    insta::assert_json_snapshot!(assessment_of("frontier-model-prerelease"));
}

#[test]
fn intelligent_respirator() {
    insta::assert_json_snapshot!(assessment_of("intelligent-respirator"));
}

#[test]
fn iris_lock_non_autonomous() {
    insta::assert_json_snapshot!(assessment_of("iris-lock-non-autonomous"));
}

#[test]
fn face_terminal_retest() {
    insta::assert_json_snapshot!(assessment_of("face-terminal-retest"));
}
