//! Synthetic but realistic plan inputs for the benchmark (shared with examples/plan_bench.rs).
//!
//! One subject = a 3D face terminal made in China shipping to `markets` markets: the first
//! three markets need the PAD Level 2 lab campaign (one campaign, shared), every market needs
//! the CAC security assessment report and filing (shared by all), three KEV findings must be
//! remediated by their due dates, and each market has three local steps (translation, local
//! review after the CAC filing, certificate) whose durations vary per subject.

#![allow(dead_code)]

use assay_plan::{
    Before, DayUnit, Duration, EndConstraint, Gap, ObligationOptions, PlanBuilder, PlanInput, Step,
    StepKind,
};
use chrono::NaiveDate;

/// A tiny deterministic generator (xorshift64*): the same inputs on every run, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
}

pub fn start() -> assay_core::Day {
    assay_core::Day(NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"))
}

/// One subject's plan input.
pub fn subject(index: usize, markets: usize, calendar_only: bool) -> PlanInput {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1).wrapping_mul(0x1000_0000_01B3));
    let start = start();
    let mut b = PlanBuilder::new(start);
    let codes: Vec<String> = (0..markets).map(|m| format!("M{m:02}")).collect();
    for code in &codes {
        b.market(code, Some(start.plus_days(rng.range(40, 160))));
    }
    let none = ObligationOptions::default();
    for (mi, code) in codes.iter().enumerate() {
        if mi < 3 {
            for obligation in [
                "pad-level2-print-mask-replay",
                "advance-third-party-retest-cn",
            ] {
                b.obligation(code, "us-federal-3dfr-pad-2026", obligation, &none)
                    .expect("template");
            }
        }
        for obligation in ["security-assessment-report", "export-filing"] {
            b.obligation(code, "cn-cac-intelligent-agents-2026", obligation, &none)
                .expect("template");
        }
        if mi == 0 {
            for finding in 0..3 {
                let due = start.plus_days(rng.range(5, 30));
                b.obligation(
                    code,
                    "us-cisa-kev-remediation",
                    "kev-remediated-by-due-date",
                    &ObligationOptions {
                        instance: Some(format!("CVE-2026-{finding:04}")),
                        must_end: Some(EndConstraint {
                            days_before: 0,
                            before: Before::Date(due),
                            source: Some("kev-catalog".into()),
                        }),
                        ..ObligationOptions::default()
                    },
                )
                .expect("template");
            }
        }
        let local = |id: &str| format!("{code}/local/{id}");
        let est = |days: i64| Duration::estimate(days, "synthetic");
        b.gap(
            code,
            Gap {
                obligation_id: "first-list-market-access".into(),
                pack_id: "cn-cac-intelligent-agents-2026".into(),
                market: Some(code.clone()),
                steps: vec![
                    Step::new(
                        local("translation"),
                        "Translate the technical file",
                        StepKind::ReportWriting,
                        est(rng.range(3, 10)),
                    ),
                    Step::new(
                        local("review"),
                        "Local market-access review",
                        StepKind::FilingReview,
                        est(rng.range(10, 40)),
                    )
                    .after(&[&local("translation"), "cac-filing/authority-review"]),
                    Step::new(
                        local("certificate"),
                        "Local certificate issued",
                        StepKind::Other,
                        est(rng.range(1, 5)),
                    )
                    .after(&[&local("review")]),
                ],
                uses: Vec::new(),
                advice: false,
            },
        );
    }
    let mut input = b.build();
    if calendar_only {
        for m in &mut input.markets {
            for g in &mut m.gaps {
                for s in &mut g.steps {
                    s.duration.unit = DayUnit::Calendar;
                }
            }
        }
    }
    input
}

/// Many subjects as one plan: ids and market codes prefixed with the subject number.
pub fn merged(subjects: usize, markets: usize, calendar_only: bool) -> PlanInput {
    let mut all = PlanInput {
        start: start(),
        markets: Vec::with_capacity(subjects * markets),
    };
    for s in 0..subjects {
        let prefix = format!("S{s:05}/");
        let p = |id: &str| format!("{prefix}{id}");
        for mut m in subject(s, markets, calendar_only).markets {
            m.market = p(&m.market);
            for g in &mut m.gaps {
                g.market = g.market.as_deref().map(p);
                g.uses = g.uses.iter().map(|u| p(u)).collect();
                for step in &mut g.steps {
                    step.id = p(&step.id);
                    step.depends_on = step.depends_on.iter().map(|d| p(d)).collect();
                }
            }
            all.markets.push(m);
        }
    }
    all
}
