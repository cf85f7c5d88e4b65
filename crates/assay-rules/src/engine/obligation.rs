//! One obligation's verdict: its requirements judged (once per subject, market-independent),
//! combined with the scope outcome of a market into status, blocking, confidence and reasons.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::evidence::EvidenceRecord;
use crate::manifest::{Market, SubjectManifest};
use crate::pack::{Obligation, RulePack};
use crate::vocab::{Force, SourceStatus, VerdictBasis};

use super::EvalContext;
use super::applicability;
use super::deadline::deadline;
use super::requirement::{has_unsourced_rule, judge_requirement};
use super::results::{
    Applicability, ConditionTrace, EvidenceTrace, Match, ObligationResult, Reason, ReasonTopic,
    Status,
};
use super::scope::trace_confidence;

pub(super) fn not_applicable(
    obligation: &Obligation,
    pack: &RulePack,
    pack_trace: &[ConditionTrace],
    own_trace: Vec<ConditionTrace>,
    pack_match: Match,
) -> ObligationResult {
    let (reason, confidence) = if pack_match == Match::NotMatched {
        // The failed tests are in the pack result's scope trace; no need to repeat them per
        // obligation (this is the common case at scale).
        (
            Reason::pack_scope(),
            trace_confidence(pack_trace, &[Match::NotMatched]),
        )
    } else {
        let failed: Vec<String> = own_trace
            .iter()
            .filter(|t| t.outcome == Match::NotMatched && t.depth == 0)
            .map(|t| t.test.to_string())
            .collect();
        (
            Reason {
                topic: ReasonTopic::ObligationScope,
                requirement: None,
                verdict: Cow::Borrowed("the obligation's scope does not match"),
                detail: failed,
            },
            trace_confidence(&own_trace, &[Match::NotMatched]),
        )
    };
    let confidence = confidence.unwrap_or_else(|| sources_confidence(pack, &obligation.sources));
    ObligationResult {
        id: obligation.id.clone(),
        title: obligation.title.clone(),
        force: obligation.force,
        advice: obligation.force == Force::Voluntary,
        status: Status::NotApplicable,
        applicability: Applicability::NotApplicable,
        blocking: false,
        basis: VerdictBasis::of_sources(confidence),
        enforced: false,
        confidence,
        sources: obligation.sources.clone(),
        scope: own_trace,
        reasons: vec![reason],
        evidence: Vec::new(),
        deadline: None,
        lead_time: None,
    }
}

fn sources_confidence(pack: &RulePack, ids: &[String]) -> SourceStatus {
    ids.iter()
        .filter_map(|id| pack.source(id))
        .map(|s| s.status)
        .min()
        .unwrap_or(SourceStatus::Unverified)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn applicable(
    obligation: &Obligation,
    pack: &RulePack,
    subject: &SubjectManifest,
    market: &Market,
    ctx: &EvalContext<'_>,
    pack_trace: &[ConditionTrace],
    own_trace: Vec<ConditionTrace>,
    scope_match: Match,
    judged: &Judged,
) -> ObligationResult {
    let applicability = applicability(scope_match);
    let mut reasons = Vec::with_capacity(judged.reasons.len() + 1);
    let mut confidence = sources_confidence(pack, &obligation.sources);
    for c in [
        trace_confidence(pack_trace, &[Match::Matched, Match::Unknown]),
        trace_confidence(&own_trace, &[Match::Matched, Match::Unknown]),
    ]
    .into_iter()
    .flatten()
    {
        confidence = confidence.min(c);
    }
    if applicability == Applicability::Possibly {
        confidence = SourceStatus::Unverified;
        let unknown: Vec<String> = pack_trace
            .iter()
            .chain(own_trace.iter())
            .filter(|t| t.outcome == Match::Unknown && !t.actual.is_empty())
            .map(|t| t.actual.to_string())
            .collect();
        reasons.push(Reason {
            topic: ReasonTopic::PossiblyApplicable,
            requirement: None,
            verdict: Cow::Borrowed("possibly applicable, unverified"),
            detail: unknown,
        });
    }
    // What the verdict rests on: the unsourced rule it used alone, or else its sources (the
    // obligation's and the scope tests' that matched).
    let basis = judged
        .rests_on
        .unwrap_or_else(|| VerdictBasis::of_sources(confidence));
    if judged.rests_on.is_some() {
        confidence = SourceStatus::Unverified;
    }
    reasons.extend(judged.reasons.iter().cloned());
    let advice = obligation.force == Force::Voluntary;
    // A rule no source states never blocks on its own (the user's policy may enforce it:
    // `crate::enforce`).
    let blocking = !advice
        && applicability == Applicability::Applies
        && matches!(judged.status, Status::Unmet | Status::Failing)
        && basis.is_sourced();
    ObligationResult {
        id: obligation.id.clone(),
        title: obligation.title.clone(),
        force: obligation.force,
        advice,
        status: judged.status,
        applicability,
        blocking,
        basis,
        enforced: false,
        confidence,
        sources: obligation.sources.clone(),
        scope: own_trace,
        reasons,
        evidence: judged.evidence.clone(),
        deadline: obligation
            .deadline
            .as_ref()
            .map(|d| deadline(d, subject, market, ctx, judged.deciding_meta.as_ref())),
        lead_time: obligation.lead_time.clone(),
    }
}

/// The market-independent part of an obligation's verdict.
#[derive(Clone, Debug)]
pub(super) struct Judged {
    status: Status,
    reasons: Vec<Reason>,
    evidence: Vec<EvidenceTrace>,
    deciding_meta: Option<BTreeMap<String, String>>,
    /// Set when the status is worse than it would be without the rules no source states:
    /// the weakest basis among the rules that made the difference.
    rests_on: Option<VerdictBasis>,
}

pub(super) fn judge_obligation(
    obligation: &Obligation,
    subject: &SubjectManifest,
    candidates: &[&EvidenceRecord],
    ctx: &EvalContext<'_>,
) -> Judged {
    let mut status = Status::Met;
    let mut reasons = Vec::new();
    let mut evidence = Vec::new();
    let mut deciding_meta = None;
    // The status the obligation would have without its unsourced rules, and the rules that
    // made a requirement worse than that.
    let mut relaxed = Status::Met;
    let mut fired: Option<VerdictBasis> = None;
    for (ri, req) in obligation.evidence.iter().enumerate() {
        let r = judge_requirement(ri, req, subject, candidates, ctx.today, false);
        if r.status.severity() > status.severity() {
            status = r.status;
        }
        let relaxed_status = if has_unsourced_rule(req) {
            judge_requirement(ri, req, subject, candidates, ctx.today, true).status
        } else {
            r.status
        };
        if relaxed_status.severity() > relaxed.severity() {
            relaxed = relaxed_status;
        }
        if r.status.severity() > relaxed_status.severity()
            && let Some(f) = r.fired
        {
            fired = Some(fired.map_or(f, |x| x.min(f)));
        }
        reasons.push(Reason {
            topic: ReasonTopic::Requirement { index: ri },
            requirement: Some(Arc::from(req.description.as_str())),
            verdict: Cow::Owned(r.verdict),
            detail: r.detail,
        });
        evidence.extend(r.traces);
        if deciding_meta.is_none() {
            deciding_meta = r.deciding_meta;
        }
    }
    if obligation.consistent_descriptions {
        let (s, why) = match ctx.consistency {
            None => (
                Status::Unmet,
                "no product descriptions were checked (give them with --docs)".to_string(),
            ),
            Some(rep) if rep.conflicts.is_empty() => (
                Status::Met,
                format!(
                    "{} product description(s) agree with each other and the manifest",
                    rep.documents.len()
                ),
            ),
            Some(rep) => (
                Status::Failing,
                format!(
                    "{} conflicting claim(s) across the product descriptions",
                    rep.conflicts.len()
                ),
            ),
        };
        if s.severity() > status.severity() {
            status = s;
        }
        if s.severity() > relaxed.severity() {
            relaxed = s;
        }
        reasons.push(Reason {
            topic: ReasonTopic::Descriptions,
            requirement: Some(Arc::from(
                "product descriptions agree with each other and the manifest",
            )),
            verdict: Cow::Owned(why),
            detail: Vec::new(),
        });
    }
    if obligation.evidence.is_empty() && !obligation.consistent_descriptions {
        status = Status::Unmet;
        relaxed = Status::Unmet;
        let how = obligation
            .manual_check
            .as_deref()
            .unwrap_or("check by hand");
        reasons.push(Reason {
            topic: ReasonTopic::ManualCheck,
            requirement: Some(Arc::from(how)),
            verdict: Cow::Borrowed("no evidence kind records this yet"),
            detail: Vec::new(),
        });
    }
    Judged {
        status,
        reasons,
        evidence,
        deciding_meta,
        rests_on: if status.severity() > relaxed.severity() {
            fired
        } else {
            None
        },
    }
}
