//! Deadlines made concrete: a pack's deadline rule plus the manifest's dates (planned export,
//! planned release) or the deciding evidence's own date give a due day, where one is known.

use std::collections::BTreeMap;

use assay_core::Day;

use crate::manifest::{Market, SubjectManifest};
use crate::pack::{Deadline, DeadlineKind};

use super::EvalContext;
use super::results::DeadlineResult;

pub(super) fn deadline(
    d: &Deadline,
    subject: &SubjectManifest,
    market: &Market,
    ctx: &EvalContext<'_>,
    deciding_meta: Option<&BTreeMap<String, String>>,
) -> DeadlineResult {
    let (kind, description, due) = match d {
        Deadline::BeforeExport { .. } => (
            DeadlineKind::BeforeExport,
            match market.planned_export {
                Some(day) => format!(
                    "before the first export to {} (planned {day})",
                    market.country
                ),
                None => format!(
                    "before the first export to {} (no planned_export date in the manifest)",
                    market.country
                ),
            },
            market.planned_export,
        ),
        Deadline::BeforeRelease { days, .. } => {
            let release = subject.model.as_ref().and_then(|m| m.planned_release);
            (
                DeadlineKind::BeforeRelease,
                match release {
                    Some(r) => before_release(*days, r, ctx.today),
                    None => {
                        format!("{days} days before release (no planned_release in the manifest)")
                    }
                },
                release.map(|r| r.plus_days(-days)),
            )
        }
        Deadline::WithinDaysOfTrigger { days, trigger, .. } => (
            DeadlineKind::WithinDaysOfTrigger,
            format!("within {days} days of {trigger}"),
            None,
        ),
        Deadline::EvidenceDate { meta_key, .. } => {
            let due = deciding_meta
                .and_then(|m| m.get(meta_key))
                .and_then(|v| Day::parse(v));
            (
                DeadlineKind::EvidenceDate,
                match due {
                    Some(day) => {
                        format!("by {day}, the `{meta_key}` the deciding evidence carries")
                    }
                    None => format!("by the `{meta_key}` the evidence carries (none given)"),
                },
                due,
            )
        }
    };
    DeadlineResult {
        kind,
        description,
        due,
        days_left: due.map(|d| ctx.today.days_until(d)),
    }
}

/// The before-release deadline in words; when the window no longer fits before the planned
/// release, says by how much ("release in 20 days: the 30-day window would have had to start
/// 10 days ago").
fn before_release(days: i64, release: Day, today: Day) -> String {
    let left = today.days_until(release);
    if left < 0 {
        format!(
            "{days} days before the planned release on {release}, which passed {} days ago",
            -left
        )
    } else if left < days {
        format!(
            "{days} days before the planned release on {release}, which no longer fits: release is in {left} days, the {days}-day window would have had to start {} days ago",
            days - left
        )
    } else {
        format!("{days} days before the planned release on {release}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Point 7: release in 20 days, a 30-day window: the reason says it no longer fits and by
    /// how much.
    #[test]
    fn a_window_that_no_longer_fits_says_so() {
        let today = Day::parse("2026-11-22").unwrap();
        let release = today.plus_days(20);
        let text = before_release(30, release, today);
        assert!(
            text.contains("no longer fits: release is in 20 days, the 30-day window would have had to start 10 days ago"),
            "{text}"
        );
        assert_eq!(
            before_release(30, today.plus_days(45), today),
            format!(
                "30 days before the planned release on {}",
                today.plus_days(45)
            )
        );
        assert!(before_release(30, today.plus_days(-3), today).contains("passed 3 days ago"));
    }
}
