//! The evidence the rules judge is loaded by subject (the ledger's index), and nothing the
//! rules matched before is lost: in a workspace shared by several products, evidence carrying
//! the subject's firmware digest under another subject name still counts, and another
//! product's evidence is not loaded.

use std::collections::BTreeMap;
use std::path::Path;

use assay_assess::{AssessOptions, Assessed, CaseInputs, Overrides};
use assay_core::{EvidenceInput, EvidenceKind, Silent};
use assay_ledger::Ledger;

fn assess(ledger: &Ledger, case: &CaseInputs) -> Assessed {
    let overrides = Overrides {
        date: assay_core::Day::parse("2026-11-22"),
        ..Default::default()
    };
    let mut options = AssessOptions::resolve(
        &overrides,
        case,
        assay_core::Day::parse("2000-01-01").unwrap(),
    )
    .unwrap();
    options.advisories = assay_assess::import_advisories(case, ledger, &Silent);
    assay_assess::assess(case, &options, ledger, &Silent).unwrap()
}

#[test]
fn evidence_about_the_firmware_under_another_name_counts_and_other_products_do_not_load() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = repo.join("examples/iris-lock-non-autonomous");
    let case = CaseInputs::discover(&dir).unwrap();
    let manifest = assay_rules::SubjectManifest::from_toml(
        &std::fs::read_to_string(dir.join("subject.toml")).unwrap(),
        "subject.toml",
    )
    .unwrap();
    let digest = manifest
        .artefact_digest()
        .expect("the example declares its firmware");

    let tmp = tempfile::tempdir().unwrap();
    let fresh = assess(&Ledger::init(&tmp.path().join("fresh")).unwrap(), &case);

    let ledger = Ledger::init(&tmp.path().join("shared")).unwrap();
    let item = |subject: &str, bytes: &[u8], meta: BTreeMap<String, String>| EvidenceInput {
        kind: EvidenceKind::EvalReport,
        subject: subject.into(),
        file_name: "report.json".into(),
        bytes: bytes.to_vec(),
        meta,
    };
    ledger
        .add(
            &[
                item("another-product", b"{\"other\": 1}", BTreeMap::new()),
                item(
                    "lab-batch-7",
                    b"{\"about\": \"this firmware\"}",
                    BTreeMap::from([("firmware_digest".to_string(), digest.to_hex())]),
                ),
            ],
            assay_ledger::DEFAULT_KEY,
        )
        .unwrap();
    let shared = assess(&ledger, &case);

    assert_eq!(
        shared.assessment.evaluation.evidence_considered,
        fresh.assessment.evaluation.evidence_considered + 1
    );
    assert!(shared.records.iter().any(|r| r.subject == "lab-batch-7"));
    assert!(
        !shared
            .records
            .iter()
            .any(|r| r.subject == "another-product")
    );
}
