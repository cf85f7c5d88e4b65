//! The evaluator seam: one more evaluator plugs in beside the shipped ones without touching
//! them, its evidence is recorded by the one recording function, and a re-run records nothing
//! twice.

use std::collections::BTreeMap;
use std::path::Path;

use assay_assess::{
    AssessOptions, CaseInputs, EvalCtx, Evaluator, EvaluatorOutput, Overrides, default_evaluators,
};
use assay_core::{EvidenceInput, EvidenceKind, Reporter, Silent};
use assay_ledger::Ledger;

/// What a model-evaluation harness would be: a report about the subject, from elsewhere.
struct Harness;

impl Evaluator for Harness {
    fn name(&self) -> &str {
        "harness"
    }
    fn evaluate(
        &self,
        _inputs: &CaseInputs,
        ctx: &EvalCtx<'_>,
        _reporter: &dyn Reporter,
    ) -> EvaluatorOutput {
        EvaluatorOutput {
            evidence: vec![EvidenceInput {
                kind: EvidenceKind::EvalReport,
                subject: ctx.manifest.id.clone(),
                file_name: "harness-report.json".into(),
                bytes: br#"{"harness": "red-team", "passed": 41, "failed": 0}"#.to_vec(),
                meta: BTreeMap::from([("suite".to_string(), "red-team".to_string())]),
            }],
            section: None,
            inputs: Vec::new(),
        }
    }
}

#[test]
fn a_new_evaluator_plugs_in_and_is_recorded_once() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let tmp = tempfile::tempdir().unwrap();
    let ledger = Ledger::init(&tmp.path().join("ws")).unwrap();
    let case = CaseInputs::discover(&repo.join("examples/iris-lock-non-autonomous")).unwrap();
    let options = AssessOptions::resolve(
        &Overrides::default(),
        &case,
        assay_core::Day::parse("2026-11-22").unwrap(),
    )
    .unwrap();
    let mut evaluators = default_evaluators(&ledger, Default::default());
    evaluators.push(Box::new(Harness));

    let first = assay_assess::assess_with(&case, &options, &ledger, &evaluators, &Silent).unwrap();
    let harness: Vec<_> = first
        .assessment
        .evidence
        .iter()
        .filter(|e| e.file_name == "harness-report.json")
        .collect();
    assert_eq!(harness.len(), 1, "the harness's evidence is shown");
    assert_eq!(harness[0].kind.as_str(), "eval-report");
    assert!(
        first.newly_recorded >= 2,
        "technical file and harness report"
    );
    let entries = ledger.len().unwrap();

    let second = assay_assess::assess_with(&case, &options, &ledger, &evaluators, &Silent).unwrap();
    assert_eq!(second.newly_recorded, 0);
    assert_eq!(ledger.len().unwrap(), entries, "nothing recorded twice");
    assert_eq!(
        serde_json::to_value(&first.assessment).unwrap(),
        serde_json::to_value(&second.assessment).unwrap(),
        "same inputs, same assessment"
    );
}

#[test]
fn errors_map_to_http_statuses() {
    let e = CaseInputs::discover(Path::new("/nonexistent/case")).unwrap_err();
    assert!(matches!(e, assay_assess::AssessError::InvalidCase { .. }));
    assert_eq!(e.http_status(), 422);
}
