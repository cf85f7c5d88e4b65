//! Tested samples (issue #14 point 1): a lab's PAD report counts only for the configurations
//! the units it tested cover, and each difference with what ships is named. Built on the
//! face-terminal fixture, whose lab report (entry 1) meets the US PAD obligation on firmware
//! alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assay_core::{IssuerRole, Sha256Digest};
use assay_rules::{
    Day, EvalContext, Evaluation, EvidenceRecord, EvidenceVerdict, RulePack, Status,
    SubjectManifest, evaluate,
};

const FW: &str = "5b7143c45504d29f5ad18a864c89a2851f8e12b2cc8f8bbf46417b2d8f1cc979";
const PAD: &str = "us-federal-3dfr-pad-2026";

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn manifest(extra: &str) -> SubjectManifest {
    let text = std::fs::read_to_string(fixture("manifests/face-terminal.toml")).unwrap();
    // Top-level keys go before the first table.
    let text = text.replacen("[[market]]", &format!("{extra}\n[[market]]"), 1);
    SubjectManifest::from_toml(&text, "face-terminal.toml").unwrap()
}

/// The fixture's evidence: entry 1 is the lab's report on the shipped firmware.
fn base() -> Vec<EvidenceRecord> {
    let text = std::fs::read_to_string(fixture("evidence/face-terminal.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A test-sample entry with the meta `TestSample::meta` writes, signed by the lab's key
/// (`lab = true`, the acknowledgement) or by the manufacturer's.
fn sample(index: u64, revs: &str, fw: &str, lab: bool) -> EvidenceRecord {
    let text = format!(
        "lab = \"Shenzhen Biometric Test Lab\"\nhanded_over = 2026-08-20\n[[unit]]\nserial = \"S-{index}\"\nhardware_revision = \"{revs}\"\nfirmware_digest = \"{fw}\"\n"
    );
    let s = assay_core::TestSample::from_toml(&text, "samples.toml").unwrap();
    let meta: BTreeMap<String, String> = s.meta();
    EvidenceRecord {
        index,
        kind: assay_core::EvidenceKind::TestSample,
        subject: "facegate-3d-200".into(),
        blob_digest: Sha256Digest::of(text.as_bytes()),
        signer_name: Some(
            if lab {
                "Shenzhen Biometric Test Lab"
            } else {
                "FaceGate Ltd QA"
            }
            .into(),
        ),
        signer_key_id: if lab { "k-lab-01" } else { "k-mfr-01" }.into(),
        signer_role: Some(if lab {
            IssuerRole::Lab
        } else {
            IssuerRole::Manufacturer
        }),
        signer_is_own: false,
        recorded_at: "2026-08-21T08:00:00Z".into(),
        meta,
    }
}

fn run(m: &SubjectManifest, ev: &[EvidenceRecord]) -> Evaluation {
    let ctx = EvalContext {
        today: Day::parse("2026-11-22").unwrap(),
        markets: Vec::new(),
        consistency: None,
    };
    evaluate(m, &RulePack::shipped().unwrap(), ev, &ctx)
}

fn pad(e: &Evaluation) -> &assay_rules::ObligationResult {
    e.results
        .iter()
        .find(|r| &*r.market == "US" && &*r.pack_id == PAD)
        .and_then(|r| {
            r.obligations
                .iter()
                .find(|o| &*o.id == "pad-level2-print-mask-replay")
        })
        .unwrap()
}

fn why_of_lab_report(e: &Evaluation) -> Vec<String> {
    pad(e)
        .evidence
        .iter()
        .find(|t| t.ledger_index == 1)
        .unwrap()
        .why
        .clone()
}

#[test]
fn without_hardware_or_samples_the_firmware_binding_alone_decides_as_before() {
    let e = run(&manifest(""), &base());
    assert_eq!(pad(&e).status, Status::Met);
}

#[test]
fn declared_hardware_without_sample_records_is_a_named_gap() {
    let e = run(&manifest("hardware_revision = \"C\""), &base());
    assert_eq!(pad(&e).status, Status::Unmet);
    let why = why_of_lab_report(&e).join(" | ");
    assert!(why.contains("no test-sample record"), "{why}");
}

#[test]
fn acknowledged_samples_of_the_shipped_revision_keep_the_report_counting() {
    let mut ev = base();
    ev.push(sample(20, "C", FW, false));
    // The manufacturer's and the lab's record are the same file.
    ev.push(sample(21, "C", FW, true));
    let e = run(&manifest("hardware_revision = \"C\""), &ev);
    assert_eq!(pad(&e).status, Status::Met, "{:?}", why_of_lab_report(&e));
}

#[test]
fn samples_of_another_revision_name_the_difference() {
    let mut ev = base();
    ev.push(sample(20, "C", FW, true));
    let e = run(&manifest("hardware_revision = \"D\""), &ev);
    let r = pad(&e);
    assert_eq!(r.status, Status::Unmet);
    let t = r.evidence.iter().find(|t| t.ledger_index == 1).unwrap();
    assert_eq!(t.verdict, EvidenceVerdict::Rejected);
    let why = t.why.join(" | ");
    assert!(
        why.contains("tested on hardware rev C; rev D ships"),
        "{why}"
    );
}

#[test]
fn samples_not_acknowledged_by_the_reports_signer_do_not_count() {
    let mut ev = base();
    ev.push(sample(20, "C", FW, false));
    let e = run(&manifest("hardware_revision = \"C\""), &ev);
    assert_eq!(pad(&e).status, Status::Unmet);
    let why = why_of_lab_report(&e).join(" | ");
    assert!(why.contains("not acknowledged by its signer"), "{why}");
}

#[test]
fn samples_on_other_firmware_name_it_even_without_a_declared_revision() {
    let mut ev = base();
    let other = "1d7763466f8ec7a2e6de641384230cfea0140f1f6eb19ffc2cbe34b96de57523";
    ev.push(sample(20, "C", other, true));
    let e = run(&manifest(""), &ev);
    assert_eq!(pad(&e).status, Status::Unmet);
    let why = why_of_lab_report(&e).join(" | ");
    assert!(
        why.contains("the manifest declares no hardware_revision"),
        "{why}"
    );
    assert!(
        why.contains("firmware 1d7763466f8e; firmware 5b7143c45504 ships"),
        "{why}"
    );
}

#[test]
fn ai_model_with_hardware_revision_is_a_named_error() {
    let text = std::fs::read_to_string(fixture("manifests/frontier-model.toml")).unwrap();
    let text = format!("hardware_revision = \"C\"\n{text}");
    let err = SubjectManifest::from_toml(&text, "m.toml").unwrap_err();
    assert!(err.to_string().contains("hardware_revision"), "{err}");
}

/// A prior validation (facts typed in by hand) never meets a requirement that asks for a lab,
/// even when a trusted lab key signed the record.
#[test]
fn prior_validation_never_satisfies_a_lab_requirement() {
    let text = std::fs::read_to_string(fixture("packs/bad-kind.toml"))
        .unwrap()
        .replace(
            "kind = \"pad-reprot\"",
            "kind = \"prior-validation\"\nissuer_role = \"lab\"",
        );
    let pack = RulePack::from_toml(&text, "prior.toml").unwrap();
    let prior = assay_core::PriorValidation::from_toml(
        "lab = \"Old Lab\"\nscheme = \"iso30107-3-l2\"\nreport_date = 2026-05-01\nsource_file = \"old.pdf\"\nstated_outcome = \"pass\"\n",
        "prior.toml",
    )
    .unwrap();
    let rec = EvidenceRecord {
        index: 1,
        kind: assay_core::EvidenceKind::PriorValidation,
        subject: "facegate-3d-200".into(),
        blob_digest: Sha256Digest::of(b"prior"),
        signer_name: Some("Shenzhen Biometric Test Lab".into()),
        signer_key_id: "k-lab-01".into(),
        signer_role: Some(IssuerRole::Lab),
        signer_is_own: false,
        recorded_at: "2026-05-02T08:00:00Z".into(),
        meta: prior.meta(),
    };
    let ctx = EvalContext {
        today: Day::parse("2026-11-22").unwrap(),
        markets: Vec::new(),
        consistency: None,
    };
    let e = evaluate(&manifest(""), &[pack], &[rec], &ctx);
    let o = &e
        .results
        .iter()
        .find(|r| &*r.market == "US")
        .unwrap()
        .obligations[0];
    assert_eq!(o.status, Status::Unmet);
    let why = o.evidence[0].why.join(" | ");
    assert!(why.contains("declared, not verified"), "{why}");
}
