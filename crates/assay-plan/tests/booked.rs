//! A lab booking replaces the template's estimates for a lab campaign (issue #14 point 4).

use assay_core::Day;
use assay_plan::{Basis, BookedSlot, ObligationOptions, PlanBuilder, plan};

fn day(s: &str) -> Day {
    Day::parse(s).unwrap()
}

fn slot() -> BookedSlot {
    BookedSlot {
        lab: "Example Biometrics Lab".into(),
        scheme: "ibeta-l2".into(),
        reference: Some("EBL-2027-014".into()),
        sample_due: day("2027-01-11"),
        test_start: day("2027-01-18"),
        report_due: day("2027-02-26"),
    }
}

const PAD: &str = "us-federal-3dfr-pad-2026";

#[test]
fn booked_dates_set_the_market_date_instead_of_estimates() {
    let mut b = PlanBuilder::new(day("2026-11-29"));
    b.market("US", Some(day("2027-03-01")));
    b.market("DE", None);
    let options = ObligationOptions::default();
    for obligation in [
        "pad-level2-print-mask-replay",
        "advance-third-party-retest-cn",
    ] {
        assert!(
            b.booked_obligation("US", PAD, obligation, &slot(), &options)
                .unwrap()
        );
    }
    // An obligation with no lab campaign template is not booked.
    assert!(
        !b.booked_obligation(
            "DE",
            "cn-cac-intelligent-agents-2026",
            "security-assessment-report",
            &slot(),
            &options
        )
        .unwrap()
    );
    let p = plan(&b.build()).unwrap();
    let us = p.markets.iter().find(|m| m.market == "US").unwrap();
    assert_eq!(us.earliest, day("2027-02-26"));
    assert_eq!(us.basis, Basis::Booked);
    assert!(
        us.explanation.contains("rests on dates booked with a lab"),
        "{}",
        us.explanation
    );
    // Shared by both obligations: two steps, counted once.
    assert_eq!(p.summary.steps, 2);
    assert_eq!(p.summary.booked_steps, 2);
    assert_eq!(p.summary.estimated_steps, 0);
    let testing = p
        .steps
        .iter()
        .find(|s| s.id.ends_with("/lab-testing"))
        .unwrap();
    assert_eq!(testing.start, day("2027-01-18"));
    assert!(
        testing.title.contains("Example Biometrics Lab"),
        "{}",
        testing.title
    );
    let json = p.to_json();
    assert!(json.contains("\"booked\""), "{json}");
    assert!(json.contains("EBL-2027-014"), "{json}");
}

#[test]
fn the_template_plan_is_unchanged_without_a_booking() {
    let mut b = PlanBuilder::new(day("2026-11-29"));
    b.market("US", Some(day("2027-03-01")));
    assert!(
        b.obligation(
            "US",
            PAD,
            "pad-level2-print-mask-replay",
            &ObligationOptions::default()
        )
        .unwrap()
    );
    let p = plan(&b.build()).unwrap();
    assert_eq!(p.markets[0].basis, Basis::Estimate);
    assert_eq!(p.summary.booked_steps, 0);
    assert!(!p.to_json().contains("booked_steps"));
}
