//! What the engine returns: per market x pack, the scope trace and a verdict per obligation
//! with its reasons, evidence traces and deadline; counts over all of them.

use std::borrow::Cow;
use std::sync::Arc;

use assay_core::{Day, EvidenceKind, Sha256Digest};
use serde::{Deserialize, Serialize};

use crate::consistency::ConsistencyReport;
use crate::pack::{DeadlineKind, LeadTime};
use crate::vocab::{Force, SourceStatus, VerdictBasis};

/// Outcome of a scope test. `Unknown` when the manifest or the sources lack what the test
/// needs (a list whose members no source names, a missing country of origin).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Match {
    Matched,
    NotMatched,
    Unknown,
}

/// Whether a pack or an obligation applies to the subject in the market.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    Applies,
    /// Some scope test could not be decided; the obligation is shown as possibly applicable,
    /// with confidence `unverified`, and never blocks.
    Possibly,
    NotApplicable,
}

/// Where an obligation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Met,
    /// Met, but the deciding evidence reaches its age limit within the expiring window.
    Expiring,
    /// No evidence that counts (none, none trusted, other firmware, or only expired).
    Unmet,
    /// The deciding evidence counts as evidence but fails a constraint.
    Failing,
    NotApplicable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::Expiring => "expiring",
            Status::Unmet => "unmet",
            Status::Failing => "failing",
            Status::NotApplicable => "not-applicable",
        }
    }

    /// Severity for combining requirements: the worst one decides the obligation.
    pub(super) fn severity(self) -> u8 {
        match self {
            Status::NotApplicable => 0,
            Status::Met => 1,
            Status::Expiring => 2,
            Status::Unmet => 3,
            Status::Failing => 4,
        }
    }
}

/// One scope test as evaluated, with the manifest value it looked at.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConditionTrace {
    /// Nesting under all/any/not (0 = top level).
    pub depth: u8,
    pub test: Arc<str>,
    pub outcome: Match,
    pub actual: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_status: Option<SourceStatus>,
}

/// How a piece of evidence was judged against one requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceVerdict {
    /// Decides the requirement and satisfies it.
    Counts,
    /// Counts, but reaches its age limit soon.
    Expiring,
    /// Decides the requirement and fails a constraint.
    Fails,
    /// Would be eligible, but newer eligible evidence decides.
    Superseded,
    /// Older than the requirement allows.
    Expired,
    /// Does not count at all (untrusted issuer, wrong role, other firmware, undated...).
    Rejected,
}

/// One piece of evidence considered for one requirement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvidenceTrace {
    /// Index of the requirement in the obligation (0-based).
    pub requirement: usize,
    pub blob_digest: Sha256Digest,
    pub ledger_index: u64,
    pub kind: EvidenceKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dated: Option<Day>,
    pub verdict: EvidenceVerdict,
    pub why: Vec<String>,
}

/// A deadline made concrete for this subject and market, where the manifest dates it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeadlineResult {
    pub kind: DeadlineKind,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<Day>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
}

/// What a reason is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReasonTopic {
    /// The pack's scope does not match (its failed test is on the pack result).
    PackScope,
    /// The obligation's own scope does not match; `detail` names the failed top-level tests.
    ObligationScope,
    /// Some scope test could not be decided; `detail` says what is unknown.
    PossiblyApplicable,
    /// Evidence requirement `index` (0-based) of the obligation.
    Requirement { index: usize },
    /// The product-description consistency check.
    Descriptions,
    /// No evidence kind can show the obligation; `requirement` is the manual check.
    ManualCheck,
}

/// One link of the chain of reasons behind an obligation's verdict, with its parts as fields
/// so consumers pick what they need instead of parsing the rendered text. [`Display`]
/// renders the line shown in reports (and serialised in JSON):
/// `requirement 1: <requirement> -> <verdict>; <detail>; ...`.
///
/// [`Display`]: std::fmt::Display
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    pub topic: ReasonTopic,
    /// What was asked: a requirement's description, or the manual check to do.
    pub requirement: Option<Arc<str>>,
    /// What was found, in one clause: `met by <digest> (dated ...)`, `unmet: ...`,
    /// `failing: <digest> <first failed constraint>`, or the scope outcome.
    pub verdict: Cow<'static, str>,
    /// Further clauses: more failed constraints, other evidence kinds ignored, the scope tests
    /// that failed or could not be decided.
    pub detail: Vec<String>,
}

impl Reason {
    /// The pack's scope excludes the obligation (the common case at scale: no allocation).
    pub(crate) fn pack_scope() -> Reason {
        Reason {
            topic: ReasonTopic::PackScope,
            requirement: None,
            verdict: Cow::Borrowed("the pack does not apply (see the pack's scope)"),
            detail: Vec::new(),
        }
    }

    /// The gist for a one-line summary: what was found, without the further clauses (the
    /// whole chain stays in the dossier's obligation table).
    pub fn gist(&self) -> Cow<'_, str> {
        match self.topic {
            ReasonTopic::Descriptions => Cow::Owned(format!("descriptions: {}", self.verdict)),
            ReasonTopic::ObligationScope | ReasonTopic::PossiblyApplicable => {
                match self.detail.first() {
                    Some(first) => Cow::Owned(format!("{}: {first}", self.verdict)),
                    None => Cow::Borrowed(&self.verdict),
                }
            }
            _ => Cow::Borrowed(&self.verdict),
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let requirement = self.requirement.as_deref().unwrap_or("");
        match self.topic {
            ReasonTopic::PackScope => f.write_str(&self.verdict)?,
            ReasonTopic::ObligationScope | ReasonTopic::PossiblyApplicable => {
                return write!(f, "{}: {}", self.verdict, self.detail.join("; "));
            }
            ReasonTopic::Requirement { index } => write!(
                f,
                "requirement {}: {requirement} -> {}",
                index + 1,
                self.verdict
            )?,
            ReasonTopic::Descriptions => write!(f, "descriptions: {}", self.verdict)?,
            ReasonTopic::ManualCheck => write!(f, "{}; {requirement}", self.verdict)?,
        }
        for d in &self.detail {
            write!(f, "; {d}")?;
        }
        Ok(())
    }
}

/// JSON carries the rendered line, as before the type existed, so JSON consumers and stored
/// assessments read the same text.
impl Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Read back from the rendered line (an assessment.json read by `assess --check`): the parts
/// are not recoverable from the text, so the whole line becomes the verdict of a
/// [`ReasonTopic::PackScope`] reason, whose `Display` (and so its JSON) is that line again.
/// Compare a reason read back with one made by the engine through the same round trip.
impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Reason {
            topic: ReasonTopic::PackScope,
            requirement: None,
            verdict: Cow::Owned(String::deserialize(d)?),
            detail: Vec::new(),
        })
    }
}

/// The verdict on one obligation for one subject, market and pack.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObligationResult {
    pub id: Arc<str>,
    pub title: Arc<str>,
    pub force: Force,
    /// Voluntary: a recommendation that never fails a check.
    pub advice: bool,
    pub status: Status,
    pub applicability: Applicability,
    /// Mandatory, definitely applicable, unmet or failing, and resting on a source (basis
    /// `confirmed` or `reported`) or enforced by the user's policy: makes `rules check` exit 1.
    pub blocking: bool,
    /// What the verdict rests on: `confirmed` (primary source), `reported` (secondary),
    /// `interpretation` or `policy` (a rule no source states decided it: never blocks on its
    /// own).
    pub basis: VerdictBasis,
    /// True when the user's policy file made this obligation's unsourced rules mandatory.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub enforced: bool,
    /// Lowest source status on the chain of reasons.
    pub confidence: SourceStatus,
    pub sources: Arc<[String]>,
    /// The obligation's own scope tests (the pack's are on the pack result).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<ConditionTrace>,
    pub reasons: Vec<Reason>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<EvidenceTrace>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DeadlineResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_time: Option<LeadTime>,
}

/// One pack in one market for one subject.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PackResult {
    pub market: Arc<str>,
    pub pack_id: Arc<str>,
    pub pack_title: Arc<str>,
    pub pack_digest: Sha256Digest,
    pub applicability: Applicability,
    pub scope: Vec<ConditionTrace>,
    pub obligations: Vec<ObligationResult>,
}

/// Counts over every obligation result of an evaluation.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Summary {
    pub met: usize,
    pub expiring: usize,
    pub unmet: usize,
    pub failing: usize,
    pub not_applicable: usize,
    /// Mandatory obligations that apply and are unmet or failing on a sourced basis (or
    /// enforced by the user's policy).
    pub blocking: usize,
    /// Mandatory obligations that apply and are unmet or failing only by a rule no source
    /// states (assay policy or interpretation), not enforced: at risk, never blocking.
    pub unsourced_open: usize,
    /// Voluntary obligations that apply (or may) and are not met: recommendations.
    pub open_advice: usize,
    /// Obligations that may apply but could not be decided.
    pub possibly_applicable: usize,
}

/// Everything the engine says about one subject.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub subject: String,
    pub subject_name: String,
    pub date: Day,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artefact_digest: Option<Sha256Digest>,
    pub evidence_considered: usize,
    pub results: Vec<PackResult>,
    pub summary: Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consistency: Option<ConsistencyReport>,
    pub notes: Vec<String>,
}

impl Evaluation {
    /// True when some mandatory, applicable obligation is unmet or failing.
    pub fn has_blocking(&self) -> bool {
        self.summary.blocking > 0
    }

    /// Every obligation that applies (or may) and is not met: unmet, failing or expiring,
    /// mandatory or advice, with the pack result it belongs to, in result order. The one
    /// definition of "open" for gaps, plans, POA&Ms and market summaries.
    pub fn open_obligations(&self) -> impl Iterator<Item = (&PackResult, &ObligationResult)> {
        self.results
            .iter()
            .flat_map(|r| r.obligations.iter().map(move |o| (r, o)))
            .filter(|(_, o)| o.is_open())
    }
}

impl ObligationResult {
    /// Applies (or may) and is not met: unmet, failing or expiring.
    pub fn is_open(&self) -> bool {
        !matches!(self.status, Status::Met | Status::NotApplicable)
            && self.applicability != Applicability::NotApplicable
    }
}
