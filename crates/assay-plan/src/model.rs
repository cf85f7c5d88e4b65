//! The plan's input: a start date, and per market the gaps (unmet obligations) with the steps
//! that close them. Everything here is plain serde data so the lead can build it in code or
//! read it from JSON (`PlanInput::from_json`).

use assay_core::Day;
use serde::{Deserialize, Serialize};

use crate::error::PlanError;

/// Everything the planner needs. Dates are `YYYY-MM-DD`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// Day 0 of the plan: no step starts earlier (`assay assess --start`, default today).
    pub start: Day,
    /// The markets to serve, each with its gaps. A market with no gaps can be served on `start`.
    pub markets: Vec<MarketInput>,
}

/// One market (country code) and what stands between the subject and it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketInput {
    pub market: String,
    /// The promised delivery (or release) date, when there is one: the plan says whether it is
    /// met and by how many days it is missed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Day>,
    #[serde(default)]
    pub gaps: Vec<Gap>,
}

/// One unmet obligation in one market and the steps that close it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gap {
    pub obligation_id: String,
    pub pack_id: String,
    /// Optional echo of the enclosing market; when given it must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<String>,
    /// Steps defined by this gap. A step with the same id in another gap (in any market) is the
    /// same step, counted once: its definitions must then be identical.
    #[serde(default)]
    pub steps: Vec<Step>,
    /// Ids of steps defined in other gaps that this gap also needs (one lab campaign serving
    /// two markets, one export filing covering every destination).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uses: Vec<String>,
    /// A voluntary, advice-only gap: its steps are planned and shown, but the market's
    /// earliest date never waits for them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub advice: bool,
}

/// A unit of work with a duration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Unique within the plan; shared steps reuse the id.
    pub id: String,
    pub title: String,
    pub kind: StepKind,
    pub duration: Duration,
    /// Steps that must finish before this one starts (finish-to-start), by id, in any gap.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// No earlier than this day (a booked lab slot, a submission window opening).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest_start: Option<Day>,
    /// A hard constraint on the finish ("at least 30 days before release", "before export").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub must_end: Option<EndConstraint>,
}

impl Step {
    /// A step with no dependencies or constraints; chain the `with_*` helpers for the rest.
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        kind: StepKind,
        duration: Duration,
    ) -> Step {
        Step {
            id: id.into(),
            title: title.into(),
            kind,
            duration,
            depends_on: Vec::new(),
            earliest_start: None,
            must_end: None,
        }
    }

    pub fn after(mut self, ids: &[&str]) -> Step {
        self.depends_on
            .extend(ids.iter().map(|id| (*id).to_owned()));
        self
    }

    pub fn not_before(mut self, day: Day) -> Step {
        self.earliest_start = Some(day);
        self
    }

    pub fn must_end(mut self, constraint: EndConstraint) -> Step {
        self.must_end = Some(constraint);
        self
    }
}

/// What sort of work a step is; drives nothing in the arithmetic, only grouping and colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    LabScheduling,
    LabTesting,
    Retest,
    ReportWriting,
    FilingPreparation,
    FilingReview,
    PreReleaseWindow,
    Remediation,
    Other,
}

impl StepKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::LabScheduling => "lab-scheduling",
            StepKind::LabTesting => "lab-testing",
            StepKind::Retest => "retest",
            StepKind::ReportWriting => "report-writing",
            StepKind::FilingPreparation => "filing-preparation",
            StepKind::FilingReview => "filing-review",
            StepKind::PreReleaseWindow => "pre-release-window",
            StepKind::Remediation => "remediation",
            StepKind::Other => "other",
        }
    }
}

/// How long a step takes and how we know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Duration {
    /// Whole days, zero or more (zero = a milestone).
    pub days: i64,
    /// Calendar days unless the step says `working` (Monday to Friday; no holiday calendar).
    #[serde(default)]
    pub unit: DayUnit,
    /// `estimate` unless a source states the duration; the sources state almost none.
    #[serde(default)]
    pub basis: Basis,
    /// The source the duration rests on; required when `basis = sourced` or `booked`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// One line on where the number comes from (the rationale of an estimate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Duration {
    /// An estimate in calendar days, with its one-line rationale.
    pub fn estimate(days: i64, rationale: impl Into<String>) -> Duration {
        Duration {
            days,
            unit: DayUnit::Calendar,
            basis: Basis::Estimate,
            source: None,
            note: Some(rationale.into()),
        }
    }

    /// A duration a source states, in calendar days.
    pub fn sourced(days: i64, source: impl Into<String>) -> Duration {
        Duration {
            days,
            unit: DayUnit::Calendar,
            basis: Basis::Sourced,
            source: Some(source.into()),
            note: None,
        }
    }

    /// Days a lab booking fixes (`source` names the booking), in calendar days.
    pub fn booked(days: i64, source: impl Into<String>) -> Duration {
        Duration {
            days,
            unit: DayUnit::Calendar,
            basis: Basis::Booked,
            source: Some(source.into()),
            note: None,
        }
    }

    pub fn working(mut self) -> Duration {
        self.unit = DayUnit::Working;
        self
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DayUnit {
    #[default]
    Calendar,
    /// Monday to Friday. Work never starts on a weekend; no public holidays are known.
    Working,
}

/// Where a number comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// A source states it (`source` names which).
    Sourced,
    /// Our estimate: no source states it. The default, and labelled as such in every output.
    #[default]
    Estimate,
    /// Dates a lab confirmed in a booking (`lab-booking` evidence; `source` names it): not an
    /// estimate, not a source's statement either.
    Booked,
}

/// "Must end at least `days_before` days before `before`." The `days_before` days are also a
/// minimum gap between the step's finish and the markets it serves: a submission that must be
/// in 30 days before release cannot let the release happen sooner than 30 days after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndConstraint {
    #[serde(default)]
    pub days_before: i64,
    pub before: Before,
    /// The source of the constraint (e.g. `news-003` for the 30-day pre-release window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The date an [`EndConstraint`] counts back from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Before {
    /// The target date of every market the step serves (the first export there).
    Export,
    /// A fixed day (a planned release, a KEV due date).
    Date(Day),
}

impl PlanInput {
    /// Reads a plan input from JSON; `origin` (a file name) is named in errors with the line
    /// and column serde reports.
    pub fn from_json(text: &str, origin: &str) -> Result<PlanInput, PlanError> {
        serde_json::from_str(text).map_err(|e| PlanError::Parse {
            origin: origin.to_owned(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    }
}
