//! Delivery plans: unmet obligations become steps with lead times and dependencies; the plan
//! gives the earliest date each market can be served, the critical path, and whether each
//! market's promised date holds.
//!
//! # Design
//!
//! * **Pure.** [`plan`] takes a [`PlanInput`] (a start date and, per market, the gaps: an
//!   obligation id, a pack id and the steps that close it) and returns a [`Plan`] or a
//!   [`PlanError`]. No clock (the caller passes the start date), no I/O, no printing. Planning
//!   is linear in steps plus dependencies, so there is no progress reporter: 10,000 subjects x
//!   30 markets plan in well under a second (docs/benchmarks/plan.md).
//! * **Critical path method** on whole days ([`engine`]): forward pass for earliest start and
//!   finish, backward pass for latest start and finish, slack counted against each market's own
//!   earliest date (a step is critical when its slip delays at least one market). Durations
//!   are calendar days unless a step says `working` (Monday to Friday, no holidays).
//! * **Steps are shared by id.** The same step listed by several gaps (in any market) is one
//!   step, done once and counted once: one lab campaign serving two markets, one export filing
//!   covering every destination. Its definitions must agree, or the input is rejected.
//! * **Estimates say so.** Every duration carries its basis: `sourced` (with the source) or
//!   `estimate` (the default: the sources give almost no lead times). Market dates that rest on
//!   an estimate are marked as such in the JSON and in the chart.
//! * **Constraints.** A step may have an earliest start (a lab slot) and a `must_end`
//!   constraint ("at least 30 days before release", "before export"); violations are reported
//!   with the days over, and `days_before` also holds the markets back that long after the step.
//! * **Templates as data** ([`template`]): typical steps for common obligations (PAD Level 2
//!   lab test with a retest, the CAC security assessment report and filing, the pre-release
//!   model submission, KEV remediation) in `templates/default.toml`, with a mapping from the
//!   shipped rule packs' obligations; [`PlanBuilder`] turns unmet obligations into an input.
//! * **Bad input never panics**: unknown dependencies, cycles (named step by step), negative
//!   or absurd durations, conflicting shared steps all come back as errors naming the step,
//!   its market and gap, and the field.
//! * [`render_svg`] draws the plan as a self-contained Gantt chart.

mod calendar;
pub mod engine;
mod error;
mod model;
mod svg;
pub mod template;

pub use engine::{
    ConstraintCheck, GapRef, MAX_STEP_DAYS, MarketPlan, ObligationRef, Plan, PlanSummary,
    PlannedStep, StartReason, plan,
};
pub use error::PlanError;
pub use model::{
    Basis, Before, DayUnit, Duration, EndConstraint, Gap, MarketInput, PlanInput, Step, StepKind,
};
pub use svg::{MAX_ROWS, render_svg};
pub use template::{
    BookedSlot, ObligationOptions, ObligationTemplate, PlanBuilder, StepOptions, Template,
    TemplateLibrary, TemplateScope, TemplateStep, last_step_ids, single_step_gap, steps_for,
};

impl Plan {
    /// The plan as pretty JSON (`plan.json`).
    pub fn to_json(&self) -> String {
        // Serialising plain structs with string keys cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
