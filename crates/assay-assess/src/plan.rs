//! The delivery plan of an assessment's gaps.

use assay_report::{MarketSummary, PlanSection};
use assay_rules::{Day, SubjectManifest};

use crate::{AssessError, AssessOptions};

fn day(d: &Day) -> Result<Day, AssessError> {
    Ok(*d)
}

/// Plans the gaps of an evaluation; sets each market's earliest date.
pub(crate) fn plan(
    manifest: &SubjectManifest,
    options: &AssessOptions,
    evaluation: &assay_rules::Evaluation,
    markets: &mut [MarketSummary],
    booked: &[(Vec<String>, assay_plan::BookedSlot)],
) -> Result<Option<PlanSection>, AssessError> {
    let mut builder = assay_plan::PlanBuilder::new(day(&options.start)?);
    for m in markets.iter() {
        // The promised date: case.toml's target, else the manifest's planned export to the
        // market, else the model's planned release (a model ships everywhere at release).
        let target = match options.targets.get(&m.market) {
            Some(t) => Some(day(t)?),
            None => manifest
                .markets
                .iter()
                .find(|mm| mm.country == m.market)
                .and_then(|mm| mm.planned_export)
                .or_else(|| manifest.model.as_ref().and_then(|mi| mi.planned_release))
                .and_then(|d| day(&d).ok()),
        };
        builder.market(&m.market, target);
    }
    let mut any = false;
    for r in &evaluation.results {
        for o in &r.obligations {
            if !o.is_open() {
                continue;
            }
            any = true;
            // "Before export" is checked per market against its target by the plan itself; a
            // dated deadline (release minus 30 days, a KEV due date) is a fixed end constraint.
            let must_end = o.deadline.as_ref().and_then(|d| match d.kind {
                assay_rules::DeadlineKind::BeforeExport => Some(assay_plan::EndConstraint {
                    days_before: 0,
                    before: assay_plan::Before::Export,
                    source: Some(format!("{} / {}", r.pack_id, o.id)),
                }),
                _ => d
                    .due
                    .and_then(|due| day(&due).ok())
                    .map(|due| assay_plan::EndConstraint {
                        days_before: 0,
                        before: assay_plan::Before::Date(due),
                        source: Some(format!("{} / {}", r.pack_id, o.id)),
                    }),
            });
            // Advice (voluntary) is planned and shown, but never moves the earliest date.
            let options = assay_plan::ObligationOptions {
                must_end,
                advice: o.advice,
                ..Default::default()
            };
            // A lab booking serving the market gives a lab campaign its booked dates instead
            // of the template's estimates (the first booking by report date).
            let slot = booked
                .iter()
                .find(|(ms, _)| ms.is_empty() || ms.iter().any(|m| **m == *r.market));
            if let Some((_, slot)) = slot
                && builder.booked_obligation(&r.market, &r.pack_id, &o.id, slot, &options)?
            {
                continue;
            }
            if !builder.obligation(&r.market, &r.pack_id, &o.id, &options)? {
                let days = o.lead_time.as_ref().map(|l| l.max_days).unwrap_or(30);
                let mut gap = assay_plan::single_step_gap(
                    &r.market,
                    &r.pack_id,
                    &o.id,
                    &o.title,
                    assay_plan::Duration::estimate(
                        days,
                        "lead time from the rule pack, or 30 days when it gives none",
                    ),
                );
                gap.advice = o.advice;
                builder.gap(&r.market, gap);
            }
        }
    }
    if !any {
        return Ok(None);
    }
    let input = builder.build();
    let plan = assay_plan::plan(&input)?;
    for m in markets.iter_mut() {
        if let Some(p) = plan.markets.iter().find(|p| p.market == m.market) {
            m.earliest_date = Some(p.earliest);
            m.delivery = Some(p.explanation.clone());
        }
    }
    Ok(Some(PlanSection {
        plan: serde_json::to_value(&plan).expect("plans serialise"),
        svg: assay_plan::render_svg(&plan),
    }))
}
