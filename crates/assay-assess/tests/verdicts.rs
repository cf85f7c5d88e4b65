//! Verdict semantics (issue #11, points 1-7): verdicts that do not overclaim. One case folder
//! per point under `tests/cases/`, assessed in process on a fresh workspace; each test asserts
//! the typed results (market status and basis, the blockers listed, the wording of the
//! reason) that the old verdicts got wrong.

use std::path::{Path, PathBuf};

use assay_assess::{AssessOptions, Assessed, CaseInputs, Overrides};
use assay_core::{Day, Silent};
use assay_ledger::Ledger;
use assay_report::{MarketStatus, MarketSummary};
use assay_rules::{Applicability, SourceStatus, Status, VerdictBasis};

fn case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases")
        .join(name)
}

fn assess_on(ledger: &Ledger, folder: &Path, date: &str) -> Assessed {
    let inputs = CaseInputs::discover(folder).unwrap();
    let overrides = Overrides {
        date: Day::parse(date),
        ..Default::default()
    };
    let mut options =
        AssessOptions::resolve(&overrides, &inputs, Day::parse("2000-01-01").unwrap()).unwrap();
    options.advisories = assay_assess::import_advisories(&inputs, ledger, &Silent);
    let assessed = assay_assess::assess(&inputs, &options, ledger, &Silent).unwrap();
    // What assess writes checks, so the verdicts follow from the package's inputs.
    let package = assay_assess::build_package(&assessed, ledger).unwrap();
    let report = assay_assess::check(&package).unwrap();
    assert!(report.is_valid(), "{:?}", report.checks);
    assessed
}

fn assess(name: &str) -> Assessed {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = Ledger::init(&tmp.path().join("ws")).unwrap();
    assess_on(&ledger, &case(name), "2026-11-22")
}

fn market<'a>(a: &'a Assessed, code: &str) -> &'a MarketSummary {
    a.assessment
        .markets
        .iter()
        .find(|m| m.market == code)
        .unwrap_or_else(|| panic!("no market {code}"))
}

fn blocking(a: &Assessed) -> bool {
    a.assessment.evaluation.has_blocking()
}

/// Point 1: the card says what the verdict rests on, and the wording follows the basis.
#[test]
fn p1_verdict_wording_follows_its_basis() {
    let a = assess("p1-basis-wording");
    let jp = market(&a, "JP");
    assert_eq!(jp.status, MarketStatus::CannotShip);
    assert_eq!(jp.basis, Some(VerdictBasis::Confirmed));
    assert!(
        jp.headline().starts_with(
            "cannot ship: required by a primary source: Hold the JP registration receipt"
        ),
        "{}",
        jp.headline()
    );
    // DE: every blocker rests on news reports (the CAC pack): at risk, not "cannot ship".
    let de = market(&a, "DE");
    assert_eq!(de.status, MarketStatus::AtRisk);
    assert_eq!(de.basis, Some(VerdictBasis::Reported));
    assert!(
        de.headline()
            .starts_with("at risk: reported requirement unmet (secondary sources only): "),
        "{}",
        de.headline()
    );
    assert!(
        de.blockers
            .iter()
            .all(|b| b.basis == VerdictBasis::Reported)
    );
    // Each gap row carries its basis too.
    let gap = a
        .assessment
        .gaps
        .iter()
        .find(|g| g.obligation_id == "jp-receipt")
        .unwrap();
    assert_eq!((gap.basis, gap.blocking), (VerdictBasis::Confirmed, true));
    // The legend is on the first screen of the dossier, before the market cards.
    let html = assay_report::dossier_html(&a.assessment);
    let legend = html.find("What each verdict rests on").unwrap();
    assert!(legend < html.find("<div class=\"cards\">").unwrap());
    assert!(blocking(&a));
}

/// Point 2: a clean scan older than the KEV pack's 30-day freshness limit (assay policy, no
/// source states it) no longer makes US "cannot ship" with exit 1.
#[test]
fn p2_policy_rule_never_blocks_on_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = Ledger::init(&tmp.path().join("ws")).unwrap();
    let first = assess_on(
        &ledger,
        &case("p2-policy-never-blocks/earlier-scan"),
        "2026-10-01",
    );
    assert_eq!(market(&first, "US").status, MarketStatus::CanShip);
    let a = assess_on(&ledger, &case("p2-policy-never-blocks/now"), "2026-11-22");
    let us = market(&a, "US");
    assert_eq!(us.status, MarketStatus::AtRisk, "{}", us.headline());
    assert_eq!(us.basis, Some(VerdictBasis::Policy));
    assert!(us.blockers.is_empty());
    assert!(
        us.why
            .starts_with("assay policy, not a sourced requirement: No known-exploited finding"),
        "{}",
        us.why
    );
    assert!(!blocking(&a), "assess would exit 1");
    assert_eq!(a.assessment.evaluation.summary.unsourced_open, 1);
    let gap = &a.assessment.gaps[0];
    assert_eq!(gap.obligation_id, "kev-remediated-by-due-date");
    assert_eq!((gap.basis, gap.blocking), (VerdictBasis::Policy, false));
    assert!(
        gap.action.ends_with(
            "(an assay policy, not a sourced requirement: advice unless your policy file enforces it)"
        ),
        "{}",
        gap.action
    );
}

/// Point 3: every blocker is on the card (the old card showed only the first), each with its
/// one-line reason and basis.
#[test]
fn p3_every_blocker_is_listed() {
    let a = assess("p3-every-blocker");
    let us = market(&a, "US");
    let ids: Vec<&str> = us
        .blockers
        .iter()
        .map(|b| b.obligation_id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "security-assessment-report",
            "export-filing",
            "kev-remediated-by-due-date"
        ]
    );
    assert!(
        us.why.ends_with("(and 2 more reported blockers)"),
        "{}",
        us.why
    );
    let kev = &us.blockers[2];
    assert_eq!(kev.basis, VerdictBasis::Reported);
    assert_eq!(
        kev.reason,
        "unmet: no vuln-scan evidence about this subject"
    );
    assert_eq!(
        us.blockers[1].reason,
        "unmet: no filing-receipt evidence about this subject"
    );
    assert!(blocking(&a));
}

/// Point 4: a possibly applicable obligation is apart, with its own badge and a sentence.
#[test]
fn p4_possibly_applicable_is_apart_and_reads_as_a_sentence() {
    let a = assess("p4-possibly-applicable");
    let fr = market(&a, "FR");
    assert!(fr.blockers.is_empty());
    assert_eq!(fr.possibly.len(), 1);
    assert_eq!(fr.possibly[0].obligation_id, "first-list-market-access");
    assert!(
        !fr.risks
            .iter()
            .any(|r| r.obligation_id == "first-list-market-access")
    );
    let gap = a
        .assessment
        .gaps
        .iter()
        .find(|g| g.obligation_id == "first-list-market-access")
        .unwrap();
    assert_eq!(gap.applicability, Applicability::Possibly);
    assert!(!gap.blocking);
    assert_eq!(
        gap.action,
        "Check whether this applies (the sources say the list holds 27 markets but name 0 of them; FR may be on it); if it does, look the destination up in the official first list and record its requirements."
    );
    let html = assay_report::dossier_html(&a.assessment);
    assert!(html.contains("<span class=\"badge possibly-applicable\">possibly applicable</span>"));
    assert!(!blocking(&a));
}

/// Point 5: no applicable rule is not a green "can ship".
#[test]
fn p5_no_applicable_rule_is_no_known_requirements() {
    let a = assess("p5-no-known-requirements");
    for code in ["DE", "JP"] {
        let m = market(&a, code);
        assert_eq!(m.status, MarketStatus::NoKnownRequirements);
        assert_eq!(m.met, 0);
        assert!(m.not_applicable > 0);
        assert!(m.why.contains("this is not a clearance"), "{}", m.why);
    }
    let json = serde_json::to_value(&a.assessment.markets[0]).unwrap();
    assert_eq!(json["status"], "no-known-requirements");
    assert!(!blocking(&a));
}

/// Point 6: with no evidence at all, the unused policy rule does not make the advice
/// "unverified".
#[test]
fn p6_confidence_only_from_rules_used() {
    let a = assess("p6-no-evidence-no-noise");
    let o = a
        .assessment
        .evaluation
        .results
        .iter()
        .flat_map(|r| r.obligations.iter())
        .find(|o| &*o.id == "kev-remediated-advice")
        .unwrap();
    assert_eq!(o.status, Status::Unmet);
    assert_eq!(o.confidence, SourceStatus::Secondary);
    assert_eq!(o.basis, VerdictBasis::Reported);
}

/// Point 7: the window that no longer fits is said in the reason, and voluntary steps do not
/// move the earliest date (the old plan put US at 2026-12-24+, waiting for advice).
#[test]
fn p7_prerelease_window_and_advice_dates() {
    let a = assess("p7-prerelease-window");
    let us = market(&a, "US");
    let submission = us
        .risks
        .iter()
        .chain(us.possibly.iter())
        .find(|i| i.obligation_id == "pre-release-submission")
        .unwrap();
    assert!(
        submission.reason.contains(
            "release is in 20 days, the 30-day window would have had to start 10 days ago"
        ),
        "{}",
        submission.reason
    );
    assert_eq!(
        us.earliest_date.map(|d| d.to_string()).as_deref(),
        Some("2026-11-22")
    );
    assert!(!blocking(&a));
}
