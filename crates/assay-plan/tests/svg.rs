//! The Gantt chart: well-formed XML with no scripts or external references, the critical
//! path in its own colour, a marker per market date and target, a legend that names
//! estimates, and a snapshot of a small plan.

use assay_core::Day;
use assay_plan::{Duration, Gap, MarketInput, PlanInput, Step, StepKind, plan, render_svg};

fn day(text: &str) -> Day {
    Day::parse(text).expect("date")
}

fn small_plan() -> assay_plan::Plan {
    let lab = Step::new(
        "lab",
        "Third-party PAD lab test <Level 2> & report",
        StepKind::LabTesting,
        Duration::estimate(10, "assumed"),
    );
    let window = Step::new(
        "window",
        "Pre-release review window",
        StepKind::PreReleaseWindow,
        Duration::sourced(30, "news-002"),
    );
    let filing = Step::new(
        "filing",
        "CAC filing",
        StepKind::FilingReview,
        Duration::estimate(20, "assumed"),
    )
    .after(&["lab"]);
    plan(&PlanInput {
        start: day("2026-11-23"),
        markets: vec![
            MarketInput {
                market: "US".into(),
                target: Some(day("2026-12-15")),
                gaps: vec![Gap {
                    obligation_id: "pad".into(),
                    pack_id: "us-federal-3dfr-pad-2026".into(),
                    market: None,
                    steps: vec![lab, window],
                    uses: vec![],
                    advice: false,
                }],
            },
            MarketInput {
                market: "DE".into(),
                target: Some(day("2027-01-10")),
                gaps: vec![Gap {
                    obligation_id: "export-filing".into(),
                    pack_id: "cn-cac-intelligent-agents-2026".into(),
                    market: None,
                    steps: vec![filing],
                    uses: vec!["lab".into()],
                    advice: false,
                }],
            },
        ],
    })
    .expect("plan")
}

#[test]
fn svg_is_well_formed_self_contained_and_marks_what_matters() {
    let p = small_plan();
    let svg = render_svg(&p);
    let doc = roxmltree::Document::parse(&svg).expect("the SVG parses as XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    // Self-contained: no scripts, no links, no external references.
    for node in doc.descendants().filter(|n| n.is_element()) {
        assert_ne!(node.tag_name().name(), "script");
        assert_ne!(node.tag_name().name(), "image");
        for a in node.attributes() {
            assert!(
                !a.value().contains("http") || a.name() == "xmlns",
                "external reference in {}",
                a.name()
            );
            assert!(!a.name().starts_with("on"), "event handler {}", a.name());
        }
    }
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    let all = texts.join("\n");
    // The escaped title reads back intact.
    assert!(
        all.contains("Third-party PAD lab test <Level 2> & report · shared by 2 markets"),
        "{all}"
    );
    // US: window 0-30 -> 2026-12-23, target 12-15 missed by 8; DE: lab 0-10, filing 10-30.
    assert!(
        all.contains("US: earliest 2026-12-23 (estimate); target 2026-12-15 missed by 8 days"),
        "{all}"
    );
    assert!(
        all.contains("DE: earliest 2026-12-23 (estimate); target 2027-01-10 met"),
        "{all}"
    );
    assert!(all.contains("ESTIMATE (2 of 3 steps)"));
    assert!(all.contains("stated by a source (1 of 3 steps)"));
    // Critical steps are drawn in the critical colour: the window (US) and lab + filing (DE).
    let critical_bars = doc
        .descendants()
        .filter(|n| {
            n.tag_name().name() == "rect"
                && n.attribute("fill") == Some("#c0392b")
                && n.attribute("height") == Some("14")
        })
        .count();
    assert_eq!(critical_bars, 3);
    // One earliest-date circle per market (plus one in the legend) and one target diamond
    // per market (plus two in the legend).
    assert_eq!(
        doc.descendants()
            .filter(|n| n.tag_name().name() == "circle")
            .count(),
        3
    );
    assert_eq!(
        doc.descendants()
            .filter(|n| n.tag_name().name() == "path")
            .count(),
        4
    );
    // The estimate hatch is applied to the two estimated bars only.
    let hatched = doc
        .descendants()
        .filter(|n| n.attribute("fill") == Some("url(#estimate-hatch)"))
        .count();
    assert_eq!(hatched, 2 + 1, "two bars and the legend swatch");
}

#[test]
fn svg_snapshot_of_a_small_plan() {
    insta::assert_snapshot!(render_svg(&small_plan()));
}

#[test]
fn very_large_plans_draw_a_bounded_number_of_rows() {
    let steps: Vec<Step> = (0..1000)
        .map(|i| {
            Step::new(
                format!("s{i}"),
                format!("step {i}"),
                StepKind::Other,
                Duration::estimate(i % 7, "assumed"),
            )
        })
        .collect();
    let p = plan(&PlanInput {
        start: day("2026-11-23"),
        markets: vec![MarketInput {
            market: "US".into(),
            target: None,
            gaps: vec![Gap {
                obligation_id: "o".into(),
                pack_id: "p".into(),
                market: None,
                steps,
                uses: vec![],
                advice: false,
            }],
        }],
    })
    .expect("plan");
    let svg = render_svg(&p);
    roxmltree::Document::parse(&svg).expect("parses");
    assert!(svg.contains(&format!(
        "{} more steps not drawn",
        1000 - assay_plan::MAX_ROWS
    )));
}

#[test]
fn a_missed_must_end_date_is_marked_on_its_bar() {
    let submit = Step::new(
        "submit",
        "Submit the model",
        StepKind::FilingPreparation,
        Duration::estimate(20, "assumed"),
    )
    .must_end(assay_plan::EndConstraint {
        days_before: 30,
        before: assay_plan::Before::Date(day("2027-01-10")),
        source: Some("news-003".into()),
    });
    let p = plan(&PlanInput {
        start: day("2026-11-23"),
        markets: vec![MarketInput {
            market: "US".into(),
            target: Some(day("2027-01-10")),
            gaps: vec![Gap {
                obligation_id: "o".into(),
                pack_id: "p".into(),
                market: None,
                steps: vec![submit],
                uses: vec![],
                advice: false,
            }],
        }],
    })
    .expect("plan");
    let svg = render_svg(&p);
    let doc = roxmltree::Document::parse(&svg).expect("parses");
    let ticks: Vec<_> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "line" && n.attribute("stroke") == Some("#c62828"))
        .collect();
    // One on the bar (with its explanation), one in the legend.
    assert_eq!(ticks.len(), 2);
    let title = ticks[0].children().find_map(|c| c.text()).unwrap_or("");
    assert_eq!(title, "must end by 2026-12-11: 2 days late");
}
