//! Issue #14 end to end on `examples/face-terminal-retest`: the manufacturer's failing
//! pre-test, units handed to a lab, the lab's signed report on those units (hardware rev C),
//! a retest booked for rev D (what ships), a prior validation typed in by hand, and the
//! customer statement before and after. Also the named errors for bad retest records and the
//! scan of every example's customer statement for claims the evidence does not back.
//!
//! The lab's bundles in the example (`evidence/lab-report/`, `evidence/lab-ack/`) were made by
//! `regenerate_lab_bundles` below (ignored: run it with `cargo test -p assay-assess --test
//! retest_example -- --ignored` after changing the lab's campaign or the sample record).

use std::path::{Path, PathBuf};

use assay_assess::{AssessOptions, Assessed, CaseInputs, Overrides};
use assay_core::{EvidenceInput, EvidenceKind, IssuerRole, Silent};
use assay_ledger::Ledger;
use assay_report::InputStatus;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example() -> PathBuf {
    repo().join("examples/face-terminal-retest")
}

const LAB: &str = "example-biometrics-test-lab";

/// A fresh workspace that trusts the lab's key (as the README tells the reader to do).
fn workspace(tmp: &Path) -> Ledger {
    let ledger = Ledger::init(&tmp.join("ws")).unwrap();
    let key = std::fs::read_to_string(example().join("evidence/lab-report/lab-key.pub")).unwrap();
    ledger.trust(LAB, key.trim(), IssuerRole::Lab).unwrap();
    ledger
}

fn run(case_dir: &Path, ledger: &Ledger, date: &str) -> Assessed {
    let case = CaseInputs::discover(case_dir).unwrap();
    let overrides = Overrides {
        date: assay_core::Day::parse(date),
        ..Default::default()
    };
    let options =
        AssessOptions::resolve(&overrides, &case, assay_core::Day::parse(date).unwrap()).unwrap();
    assay_assess::assess(&case, &options, ledger, &Silent).unwrap()
}

fn text(p: &assay_assess::Package, name: &str) -> String {
    String::from_utf8(p.get(name).unwrap().to_vec()).unwrap()
}

/// Copies the files of the example named by `keep` (relative paths) into `dir`.
fn copy_some(dir: &Path, keep: &[&str]) {
    for rel in keep {
        let to = dir.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(example().join(rel), &to).unwrap();
    }
}

#[test]
fn the_whole_retest_story() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = workspace(tmp.path());

    // Before: the manufacturer's failing pre-test and the units handed over, nothing from the lab.
    let before_dir = tmp.path().join("before");
    copy_some(
        &before_dir,
        &[
            "subject.toml",
            "case.toml",
            "pad/pretest.csv",
            "pad/pretest.toml",
            "evidence/test-sample/units-rev-c.toml",
        ],
    );
    let before = run(&before_dir, &ledger, "2026-08-31");
    let pkg = assay_assess::build_package(&before, &ledger).unwrap();
    assert!(assay_assess::check(&pkg).unwrap().is_valid());
    let md = text(&pkg, "customer-statement.md");
    // The statement before the lab's work, kept for review beside the one after.
    insta::assert_snapshot!("customer_statement_before", md);
    assert!(md.contains("## US"), "{md}");
    assert!(
        md.contains("manufacturer's own test") && md.contains("failed ibeta-l2"),
        "{md}"
    );
    assert!(md.contains("No retest booked."), "{md}");
    let r = before.assessment.retest.as_ref().unwrap();
    assert_eq!(r.samples.len(), 1);
    assert_eq!(r.samples[0].acknowledged_by, None);
    assert!(
        r.samples[0]
            .differences
            .contains(&"tested on hardware rev C; rev D ships".to_string()),
        "{:?}",
        r.samples[0].differences
    );

    // After: the lab's acknowledgement and signed report, the booked retest of rev D, and the
    // prior validation; judged on 2026-11-22 like the other examples.
    let after = run(&example(), &ledger, "2026-11-22");
    let a = &after.assessment;
    for i in &a.inputs {
        assert_ne!(i.status, InputStatus::Failed, "{i:?}");
    }
    let r = a.retest.as_ref().unwrap();
    assert_eq!(r.samples.len(), 1);
    assert_eq!(r.samples[0].acknowledged_by.as_deref(), Some(LAB));
    let lab_report = r
        .lab_reports
        .iter()
        .find(|l| l.issuer == "third-party lab")
        .expect("the lab's report is among the evidence");
    assert!(
        lab_report.passed_schemes.contains("ibeta-l2"),
        "{lab_report:?}"
    );
    assert!(
        lab_report.covers.contains("hardware rev C"),
        "{lab_report:?}"
    );
    // Tested on rev C; rev D ships: the lab's report counts nowhere, and says why.
    assert!(lab_report.counts_in.is_empty(), "{lab_report:?}");
    assert!(
        lab_report
            .not_counting
            .as_deref()
            .unwrap_or("")
            .contains("tested on hardware rev C; rev D ships"),
        "{lab_report:?}"
    );
    assert!(r.prior[0].status.starts_with("declared, not verified"));
    assert_eq!(r.bookings.len(), 1);
    assert_eq!(r.bookings[0].passed, None);

    // The booking feeds the plan: US rests on the booked dates, not on estimates.
    let us = a.markets.iter().find(|m| m.market == "US").unwrap();
    let plan = serde_json::to_string(&a.plan.as_ref().unwrap().plan).unwrap();
    assert!(plan.contains("EBTL-Q-2027-014"), "{plan}");
    assert!(
        plan.contains("Retest by Example Biometrics Test Lab under ibeta-l2"),
        "{plan}"
    );
    assert!(
        us.earliest_date.unwrap() >= assay_core::Day::parse("2027-02-19").unwrap(),
        "{us:?}"
    );

    let pkg = assay_assess::build_package(&after, &ledger).unwrap();
    assert!(assay_assess::check(&pkg).unwrap().is_valid());
    let dossier = text(&pkg, "dossier.html");
    assert!(
        dossier.contains("retest booked with Example Biometrics Test Lab for 2027-01-18"),
        "dossier"
    );
    assert!(dossier.contains("declared, not verified"));
    let md = text(&pkg, "customer-statement.md");
    insta::assert_snapshot!("customer_statement_after", md);
    assert!(
        md.contains("Retest booked with Example Biometrics Test Lab under ibeta-l2 for 2027-01-18"),
        "{md}"
    );
    assert!(md.contains("tested on hardware rev C; rev D ships"), "{md}");
    assert!(md.contains("declared, not verified"), "{md}");
    assert!(
        md.contains("### Requirements confirmed by a primary source"),
        "{md}"
    );
    assert!(
        md.contains("### Requirements expected (secondary sources only)"),
        "{md}"
    );
    // RETEST_DUMP=dir writes the after package there for review.
    if let Some(d) = std::env::var_os("RETEST_DUMP") {
        pkg.write_into(Path::new(&d)).unwrap();
    }
    let html = text(&pkg, "customer-statement.html");
    assert!(html.contains("Retest booked with"), "{html}");
}

#[test]
fn a_booking_in_the_past_and_a_sample_without_units_are_named_failed_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = workspace(tmp.path());
    let dir = tmp.path().join("case");
    copy_some(
        &dir,
        &[
            "subject.toml",
            "evidence/lab-booking/retest-rev-d.toml",
            "evidence/test-sample/units-rev-c.toml",
        ],
    );
    std::fs::write(
        dir.join("evidence/test-sample/empty.toml"),
        "lab = \"Example Biometrics Test Lab\"\nhanded_over = 2026-08-24\n",
    )
    .unwrap();
    // The samples were due 2027-01-11.
    let a = run(&dir, &ledger, "2027-01-12").assessment;
    let row = |path: &str| a.inputs.iter().find(|i| i.path == path).unwrap().clone();
    let booking = row("evidence/lab-booking/retest-rev-d.toml");
    assert_eq!(booking.status, InputStatus::Failed);
    let problem = booking.problem.unwrap();
    assert!(
        problem.contains("`sample_due`") && problem.contains("in the past"),
        "{problem}"
    );
    let empty = row("evidence/test-sample/empty.toml");
    assert_eq!(empty.status, InputStatus::Failed);
    let problem = empty.problem.unwrap();
    assert!(
        problem.contains("evidence/test-sample/empty.toml") && problem.contains("field `unit`"),
        "{problem}"
    );
    // Neither was recorded; the good sample record was.
    let kinds: Vec<EvidenceKind> = a.evidence.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EvidenceKind::TestSample]);
    // No booking, so nothing is planned on booked dates.
    if let Some(p) = &a.plan {
        assert!(!serde_json::to_string(&p.plan).unwrap().contains("booked"));
    }
}

/// No customer statement of any example says "compliant", "certified" or "approved": none of
/// them has a met obligation confirmed by a primary source behind such a sentence.
#[test]
fn no_example_statement_claims_more_than_its_evidence() {
    let mut examples: Vec<PathBuf> = std::fs::read_dir(repo().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("subject.toml").is_file())
        .collect();
    examples.sort();
    assert!(examples.len() >= 5, "{examples:?}");
    for dir in examples {
        let tmp = tempfile::tempdir().unwrap();
        let ledger = workspace(tmp.path());
        let assessed = run(&dir, &ledger, "2026-11-22");
        // Scan what a met primary-source obligation could back, too: none in the examples.
        let backed = assessed.assessment.evaluation.results.iter().any(|r| {
            r.obligations.iter().any(|o| {
                o.status == assay_rules::Status::Met
                    && o.confidence == assay_rules::SourceStatus::Primary
            })
        });
        for text in [
            assay_report::customer_statement_md(&assessed.assessment),
            assay_report::customer_statement_html(&assessed.assessment),
        ] {
            let claims = assay_report::retest::unbacked_claims(&text);
            assert!(
                claims.is_empty() || backed,
                "{}: {claims:?}\n{text}",
                dir.display()
            );
            assert!(claims.is_empty(), "{}: {claims:?}", dir.display());
        }
    }
}

/// Makes the lab's side of the example: a lab workspace signs the report of its campaign on
/// the units it received and the sample record itself (its acknowledgement), and exports both
/// as bundles with its public key. Run by hand; it overwrites the bundle files of the example
/// (nothing else).
#[test]
#[ignore]
fn regenerate_lab_bundles() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = Ledger::init(&tmp.path().join("lab")).unwrap();
    let dir = example().join("evidence/lab-report");
    let csv = std::fs::read(dir.join("campaign.csv")).unwrap();
    let manifest = assay_pad::Manifest::parse(
        &std::fs::read_to_string(dir.join("campaign.toml")).unwrap(),
        "campaign.toml",
    )
    .unwrap();
    let campaign = assay_pad::read::read_bytes(&csv, "campaign.csv").unwrap();
    let digest = assay_core::Sha256Digest::of(&csv);
    let schemes = assay_pad::scheme::select(
        &assay_pad::Scheme::builtin(),
        &["ibeta-l2".into(), "ibeta-l1".into()],
    )
    .unwrap();
    let options = assay_pad::PadOptions {
        campaign_digest: Some(digest.to_hex()),
        ..Default::default()
    };
    let report =
        assay_pad::pad_report(&campaign, Some(&manifest), &schemes, &options, &Silent).unwrap();
    let subject = "EBTL sample FG3D-300 rev C";
    let [_, pad_report] = assay_assess::pad_evidence(
        subject,
        "campaign.csv",
        csv.clone(),
        &digest,
        &report,
        Some(&manifest),
    );
    assert!(
        pad_report.meta["passed_schemes"].contains("ibeta-l2"),
        "{:?}",
        pad_report.meta
    );
    let sample_bytes =
        std::fs::read(example().join("evidence/test-sample/units-rev-c.toml")).unwrap();
    let sample = assay_core::TestSample::from_toml(
        std::str::from_utf8(&sample_bytes).unwrap(),
        "units-rev-c.toml",
    )
    .unwrap();
    let ack = EvidenceInput {
        kind: EvidenceKind::TestSample,
        subject: subject.into(),
        file_name: "units-rev-c.toml".into(),
        bytes: sample_bytes,
        meta: sample.meta(),
    };
    let added = lab
        .add(&[ack, pad_report], assay_ledger::DEFAULT_KEY)
        .unwrap();
    // Export overwrites the files it writes by name; nothing else is touched.
    let ack_dir = example().join("evidence/lab-ack");
    lab.export(added[0].index, &ack_dir).unwrap();
    lab.export(added[1].index, &dir).unwrap();
    std::fs::write(
        dir.join("lab-key.pub"),
        lab.export_key(assay_ledger::DEFAULT_KEY).unwrap() + "\n",
    )
    .unwrap();
}
