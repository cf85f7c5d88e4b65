//! The obligation engine: for one subject, each market and each pack, decides whether the pack
//! applies, and for every obligation whether the evidence meets it, with the chain of reasons.
//!
//! Pure: manifest, packs, evidence, descriptions report and "today" in; an [`Evaluation`] out.
//! Nothing here reads files, the clock or the ledger, so a verdict is reproducible from its
//! inputs (the pack digest in each result names the exact pack bytes).
//!
//! The seams: [`scope`] walks a pack's and an obligation's scope tests (three-valued, first
//! failing test explains); [`requirement`] judges the evidence for one requirement (latest word
//! wins); [`obligation`] combines requirements into an obligation's verdict and reasons;
//! [`deadline`] makes a pack deadline concrete for the subject and market; [`results`] holds
//! the result types and the summary. This file drives them over markets x packs.

mod deadline;
mod obligation;
mod requirement;
mod results;
mod scope;

use std::sync::Arc;

use crate::consistency::ConsistencyReport;
use crate::evidence::{EvidenceIndex, EvidenceRecord};
use crate::manifest::{Market, SubjectManifest};
use crate::pack::RulePack;
use assay_core::Day;

pub use results::{
    Applicability, ConditionTrace, DeadlineResult, Evaluation, EvidenceTrace, EvidenceVerdict,
    Match, ObligationResult, PackResult, Reason, ReasonTopic, Status, Summary,
};

use obligation::{Judged, applicable, judge_obligation, not_applicable};
pub(crate) use requirement::has_unsourced_rule;
use scope::{Memo, eval_scope};

/// What the engine needs besides the subject, packs and evidence.
#[derive(Clone, Debug)]
pub struct EvalContext<'a> {
    /// The day ages and deadlines are counted from.
    pub today: Day,
    /// Markets to evaluate; empty means the manifest's markets. A market the manifest does
    /// not declare is evaluated with no declared uses.
    pub markets: Vec<String>,
    /// Result of the description-consistency check, when documents were given.
    pub consistency: Option<&'a ConsistencyReport>,
}

/// Evaluates `subject` against `packs` with evidence from a plain slice (builds the index).
pub fn evaluate(
    subject: &SubjectManifest,
    packs: &[RulePack],
    evidence: &[EvidenceRecord],
    ctx: &EvalContext<'_>,
) -> Evaluation {
    let index = EvidenceIndex::new(evidence);
    evaluate_indexed(subject, packs, &index, ctx)
}

/// Evaluates many subjects in parallel (rayon) against one evidence index, handing each
/// [`Evaluation`] to `map` as soon as it is made, so a caller that keeps only a summary never
/// holds every evaluation at once. Results come back in subject order.
pub fn evaluate_batch<T, F>(
    subjects: &[SubjectManifest],
    packs: &[RulePack],
    index: &EvidenceIndex<'_>,
    ctx: &EvalContext<'_>,
    map: F,
) -> Vec<T>
where
    T: Send,
    F: Fn(Evaluation) -> T + Sync + Send,
{
    use rayon::prelude::*;
    subjects
        .par_iter()
        .map(|s| map(evaluate_indexed(s, packs, index, ctx)))
        .collect()
}

/// Evaluates `subject` against `packs` with an index built once for many subjects.
pub fn evaluate_indexed(
    subject: &SubjectManifest,
    packs: &[RulePack],
    index: &EvidenceIndex<'_>,
    ctx: &EvalContext<'_>,
) -> Evaluation {
    let candidates = index.for_subject(subject);
    let mut notes = Vec::new();
    let markets: Vec<Market> = if ctx.markets.is_empty() {
        subject.markets.clone()
    } else {
        ctx.markets
            .iter()
            .map(|code| match subject.market(code) {
                Some(m) => m.clone(),
                None => {
                    notes.push(format!("market {code} is not in the manifest: evaluated with no declared uses and no planned export date"));
                    Market { country: code.clone(), uses: Vec::new(), planned_export: None }
                }
            })
            .collect()
    };
    if markets.is_empty() {
        notes.push(
            "the manifest declares no [[market]] and none was asked for: nothing to evaluate"
                .to_string(),
        );
    }
    if subject.artefact_digest().is_none() {
        notes.push("the manifest declares no firmware/model digest: evidence that must match the shipped artefact cannot count".to_string());
    }

    // Evidence judgments do not depend on the market: judge each obligation once per subject.
    let mut judged: Vec<Vec<Option<Judged>>> = packs
        .iter()
        .map(|p| vec![None; p.obligations.len()])
        .collect();
    let mut results = Vec::with_capacity(markets.len() * packs.len());
    let mut summary = Summary::default();
    let mut memo = Memo {
        entries: Vec::new(),
        empty: Arc::from(""),
    };
    for market in &markets {
        let country: Arc<str> = Arc::from(market.country.as_str());
        for (pi, pack) in packs.iter().enumerate() {
            let mut scope_trace = Vec::new();
            let pack_match = eval_scope(
                &pack.scope,
                subject,
                market,
                pack,
                &mut scope_trace,
                &mut memo,
            );
            let mut obligations = Vec::with_capacity(pack.obligations.len());
            for (oi, obligation) in pack.obligations.iter().enumerate() {
                let mut own_trace = Vec::new();
                let own = if pack_match == Match::NotMatched {
                    Match::NotMatched
                } else {
                    eval_scope(
                        &obligation.scope,
                        subject,
                        market,
                        pack,
                        &mut own_trace,
                        &mut memo,
                    )
                };
                let combined = and(pack_match, own);
                let result = if combined == Match::NotMatched {
                    not_applicable(obligation, pack, &scope_trace, own_trace, pack_match)
                } else {
                    let j = judged[pi][oi].get_or_insert_with(|| {
                        judge_obligation(obligation, subject, &candidates, ctx)
                    });
                    applicable(
                        obligation,
                        pack,
                        subject,
                        market,
                        ctx,
                        &scope_trace,
                        own_trace,
                        combined,
                        j,
                    )
                };
                tally(&mut summary, &result);
                obligations.push(result);
            }
            results.push(PackResult {
                market: country.clone(),
                pack_id: pack.shared_id.clone(),
                pack_title: pack.shared_title.clone(),
                pack_digest: pack.digest,
                applicability: applicability(pack_match),
                scope: scope_trace,
                obligations,
            });
        }
    }
    Evaluation {
        subject: subject.id.clone(),
        subject_name: subject.name.clone(),
        date: ctx.today,
        artefact_digest: subject.artefact_digest(),
        evidence_considered: candidates.len(),
        results,
        summary,
        consistency: ctx.consistency.cloned(),
        notes,
    }
}

pub(crate) fn tally(s: &mut Summary, r: &ObligationResult) {
    match r.status {
        Status::Met => s.met += 1,
        Status::Expiring => s.expiring += 1,
        Status::Unmet => s.unmet += 1,
        Status::Failing => s.failing += 1,
        Status::NotApplicable => s.not_applicable += 1,
    }
    if r.blocking {
        s.blocking += 1;
    } else if r.force == crate::vocab::Force::Mandatory
        && r.applicability == Applicability::Applies
        && matches!(r.status, Status::Unmet | Status::Failing)
    {
        s.unsourced_open += 1;
    }
    if r.advice && matches!(r.status, Status::Unmet | Status::Failing | Status::Expiring) {
        s.open_advice += 1;
    }
    if r.applicability == Applicability::Possibly {
        s.possibly_applicable += 1;
    }
}

pub(super) fn applicability(m: Match) -> Applicability {
    match m {
        Match::Matched => Applicability::Applies,
        Match::Unknown => Applicability::Possibly,
        Match::NotMatched => Applicability::NotApplicable,
    }
}

pub(super) fn and(a: Match, b: Match) -> Match {
    match (a, b) {
        (Match::NotMatched, _) | (_, Match::NotMatched) => Match::NotMatched,
        (Match::Unknown, _) | (_, Match::Unknown) => Match::Unknown,
        _ => Match::Matched,
    }
}
