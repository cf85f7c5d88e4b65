//! Rule packs and the obligation engine: which rules apply to a product or model in a market,
//! what evidence satisfies them, and why.
//!
//! # Design
//!
//! * **Regulations as data.** A [`RulePack`] is one instrument (an executive order, a
//!   regulator's opinions, a catalog) written in TOML: its sources with their status
//!   (`primary`, `secondary`, `unverified`), scope conditions over the subject manifest and
//!   market, and obligations with the evidence that satisfies each (kind, issuer role, same
//!   firmware digest, age, meta constraints), deadlines and lead-time estimates. The shipped
//!   packs are embedded with `include_str!`; each pack carries the SHA-256 of its bytes so every
//!   verdict names the exact pack that produced it.
//! * **Subjects described once.** A [`SubjectManifest`] (TOML) declares the product or model:
//!   kind, category, functions, firmware/model digest, origin, and target markets with uses.
//! * **A pure engine.** [`evaluate`] takes the manifest, packs, evidence records (mirroring the
//!   ledger's summaries: the CLI maps them) and a context (today, markets, the description
//!   check) and returns an [`Evaluation`]: per market x pack, the scope trace, and per
//!   obligation a status (`met`, `expiring`, `unmet`, `failing`, `not-applicable`), the reasons,
//!   every evidence item considered (by blob digest) with why it counts or not, the confidence
//!   (lowest source status on the chain) and the deadline. No I/O, no clock, no printing.
//! * **Three-valued scope.** A scope test can be `unknown` (the 27-market list nobody names, a
//!   missing country of origin, a benchmark without a published threshold). Such obligations
//!   are *possibly applicable*, confidence `unverified`, and never block; we do not guess.
//! * **First failing test explains.** The top-level scope tests are walked in order and the
//!   walk stops at the first that fails: that test is the reason shown, and out-of-scope packs
//!   (most results at scale) stay cheap.
//! * **Latest word wins.** For each evidence requirement the newest eligible evidence (trusted
//!   issuer with the right role, same artefact, within its age) decides; older eligible items
//!   are shown as superseded.
//! * **Voluntary is advice.** Voluntary obligations are evaluated the same way but never count
//!   as blocking.
//!
//! Other modules: [`consistency`] (rule-based claim extraction over product descriptions),
//! [`oscal`] (OSCAL 1.1 catalog, assessment-results and POA&M), [`explain`] (the readable text
//! rendering, returned as a string).

pub mod consistency;
pub mod country;

mod engine;
mod error;
mod evidence;
pub mod explain;
mod manifest;
pub mod oscal;
mod pack;
mod policy;
mod vocab;

use std::path::Path;

pub use assay_core::Day;
pub use engine::{
    Applicability, ConditionTrace, DeadlineResult, EvalContext, Evaluation, EvidenceTrace,
    EvidenceVerdict, Match, ObligationResult, PackResult, Reason, ReasonTopic, Status, Summary,
    evaluate, evaluate_batch, evaluate_indexed,
};
pub use error::RulesError;
pub use evidence::{EvidenceIndex, EvidenceRecord};
pub use manifest::{CapabilityClaim, Market, ModelInfo, SubjectManifest};
pub use pack::{
    Condition, Deadline, DeadlineKind, EvidenceRequirement, LeadTime, LeadTimeBasis, MarketList,
    MarketListEntry, MetaConstraint, Obligation, RulePack, Scope, Source, Test, load_packs,
};
pub use policy::{UserPolicy, enforce};
pub use vocab::{Basis, Category, Force, Function, SourceStatus, SubjectKind, Use, VerdictBasis};

/// Reads a subject manifest (convenience for callers holding a path).
pub fn load_manifest(path: &Path) -> Result<SubjectManifest, RulesError> {
    SubjectManifest::from_path(path)
}

/// What a delivery planner needs from one obligation result: when it is due and how long
/// meeting it takes. Collected from an [`Evaluation`] by [`plan_items`].
#[derive(Clone, Debug, serde::Serialize)]
pub struct PlanItem {
    pub market: String,
    pub pack_id: String,
    pub obligation_id: String,
    pub title: String,
    pub status: Status,
    pub force: Force,
    pub applicability: Applicability,
    pub confidence: SourceStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DeadlineResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_time: Option<LeadTime>,
}

/// Obligations that apply (or may) and are not met yet, with their deadline and lead time,
/// for the future delivery plan.
pub fn plan_items(evaluation: &Evaluation) -> Vec<PlanItem> {
    evaluation
        .open_obligations()
        .map(|(r, o)| PlanItem {
            market: r.market.to_string(),
            pack_id: r.pack_id.to_string(),
            obligation_id: o.id.to_string(),
            title: o.title.to_string(),
            status: o.status,
            force: o.force,
            applicability: o.applicability,
            confidence: o.confidence,
            deadline: o.deadline.clone(),
            lead_time: o.lead_time.clone(),
        })
        .collect()
}
