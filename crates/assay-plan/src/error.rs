//! Every way a plan input can be wrong, each message naming the step (and where it was
//! defined: market, pack, obligation) and the field, and saying what to do.

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("{origin}:{line}:{column}: cannot read the plan input: {message}")]
    Parse {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },

    #[error("{at}: `{field}` is empty; give every market, gap and step a non-empty id")]
    EmptyId { at: String, field: &'static str },

    #[error(
        "market `{market}` is listed twice; list each market once and put all its gaps under it"
    )]
    DuplicateMarket { market: String },

    #[error(
        "{at}: gap.market is `{gap_market}` but the gap sits under market `{market}`; move the gap or drop the field"
    )]
    MarketMismatch {
        at: String,
        gap_market: String,
        market: String,
    },

    #[error(
        "step `{id}` is defined twice with different contents ({first} and {second}); a step shared by several gaps must be identical everywhere, or list it once and name it in the other gaps' `uses`"
    )]
    ConflictingStep {
        id: String,
        first: String,
        second: String,
    },

    #[error(
        "{at}: step `{step}`.depends_on names `{dependency}`, which no gap defines; define it or remove the dependency"
    )]
    UnknownDependency {
        at: String,
        step: String,
        dependency: String,
    },

    #[error("{at}: gap.uses names step `{step}`, which no gap defines; define it in one gap first")]
    UnknownUse { at: String, step: String },

    #[error(
        "dependency cycle: {} (each must finish before the next starts); break the cycle by removing one of these dependencies",
        .steps.join(" -> ")
    )]
    Cycle {
        /// The ids on the cycle, in finish-before-start order, the first repeated at the end.
        steps: Vec<String>,
    },

    #[error("{at}: step `{step}`.duration.days is {days}; durations are zero or more whole days")]
    NegativeDuration { at: String, step: String, days: i64 },

    #[error(
        "{at}: step `{step}`.duration.days is {days}, more than the {max} days a plan can hold; check the unit (days, not hours)"
    )]
    DurationTooLong {
        at: String,
        step: String,
        days: i64,
        max: i64,
    },

    #[error("{at}: step `{step}`.must_end.days_before is {days}; use zero or more days")]
    NegativeDaysBefore { at: String, step: String, days: i64 },

    #[error(
        "{at}: step `{step}`.duration.basis is `sourced` but duration.source is missing; name the source, or mark the duration `estimate`"
    )]
    SourcedWithoutSource { at: String, step: String },

    #[error(
        "step `{step}` would end beyond the last date the calendar can represent; check its duration and dates"
    )]
    DateOutOfRange { step: String },

    #[error("unknown step template `{id}`; known templates: {known}")]
    UnknownTemplate { id: String, known: String },

    #[error("step template library {origin}: {message}")]
    Template { origin: String, message: String },
}
