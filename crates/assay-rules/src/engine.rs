//! The obligation engine: for one subject, each market and each pack, decides whether the pack
//! applies, and for every obligation whether the evidence meets it, with the chain of reasons.
//!
//! Pure: manifest, packs, evidence, descriptions report and "today" in; an [`Evaluation`] out.
//! Nothing here reads files, the clock or the ledger, so a verdict is reproducible from its
//! inputs (the pack digest in each result names the exact pack bytes).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use assay_core::{EvidenceKind, Sha256Digest};
use serde::Serialize;

use crate::consistency::ConsistencyReport;
use crate::evidence::{EvidenceIndex, EvidenceRecord};
use crate::manifest::{Market, SubjectManifest};
use crate::pack::{
    Condition, Deadline, EvidenceRequirement, LeadTime, MetaConstraint, Obligation, RulePack,
    Scope, Test,
};
use crate::vocab::{Basis, Force, SourceStatus};
use assay_core::Day;

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

/// Outcome of a scope test. `Unknown` when the manifest or the sources lack what the test
/// needs (a list whose members no source names, a missing country of origin).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Match {
    Matched,
    NotMatched,
    Unknown,
}

/// Whether a pack or an obligation applies to the subject in the market.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    Applies,
    /// Some scope test could not be decided; the obligation is shown as possibly applicable,
    /// with confidence `unverified`, and never blocks.
    Possibly,
    NotApplicable,
}

/// Where an obligation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
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
    fn severity(self) -> u8 {
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
#[derive(Clone, Debug, Serialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Debug, Serialize)]
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
#[derive(Clone, Debug, Serialize)]
pub struct DeadlineResult {
    pub kind: &'static str,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<Day>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
}

/// The verdict on one obligation for one subject, market and pack.
#[derive(Clone, Debug, Serialize)]
pub struct ObligationResult {
    pub id: Arc<str>,
    pub title: Arc<str>,
    pub force: Force,
    /// Voluntary: a recommendation that never fails a check.
    pub advice: bool,
    pub status: Status,
    pub applicability: Applicability,
    /// Mandatory, definitely applicable, and unmet or failing: makes `rules check` exit 1.
    pub blocking: bool,
    /// Lowest source status on the chain of reasons.
    pub confidence: SourceStatus,
    pub sources: Arc<[String]>,
    /// The obligation's own scope tests (the pack's are on the pack result).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<ConditionTrace>,
    pub reasons: Vec<Cow<'static, str>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<EvidenceTrace>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DeadlineResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_time: Option<LeadTime>,
}

/// One pack in one market for one subject.
#[derive(Clone, Debug, Serialize)]
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
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub met: usize,
    pub expiring: usize,
    pub unmet: usize,
    pub failing: usize,
    pub not_applicable: usize,
    /// Mandatory obligations that apply and are unmet or failing.
    pub blocking: usize,
    /// Voluntary obligations that apply (or may) and are not met: recommendations.
    pub open_advice: usize,
    /// Obligations that may apply but could not be decided.
    pub possibly_applicable: usize,
}

/// Everything the engine says about one subject.
#[derive(Clone, Debug, Serialize)]
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

fn tally(s: &mut Summary, r: &ObligationResult) {
    match r.status {
        Status::Met => s.met += 1,
        Status::Expiring => s.expiring += 1,
        Status::Unmet => s.unmet += 1,
        Status::Failing => s.failing += 1,
        Status::NotApplicable => s.not_applicable += 1,
    }
    if r.blocking {
        s.blocking += 1;
    }
    if r.advice && matches!(r.status, Status::Unmet | Status::Failing | Status::Expiring) {
        s.open_advice += 1;
    }
    if r.applicability == Applicability::Possibly {
        s.possibly_applicable += 1;
    }
}

fn applicability(m: Match) -> Applicability {
    match m {
        Match::Matched => Applicability::Applies,
        Match::Unknown => Applicability::Possibly,
        Match::NotMatched => Applicability::NotApplicable,
    }
}

fn and(a: Match, b: Match) -> Match {
    match (a, b) {
        (Match::NotMatched, _) | (_, Match::NotMatched) => Match::NotMatched,
        (Match::Unknown, _) | (_, Match::Unknown) => Match::Unknown,
        _ => Match::Matched,
    }
}

// ---------------------------------------------------------------------------------------
// Scope

/// Outcomes of the tests that look only at the subject (kind, category, functions, origin,
/// benchmark claims), computed once per subject instead of once per market. Keyed by the
/// condition's address: conditions live in the packs, which outlive the evaluation.
struct Memo {
    entries: Vec<(usize, Match, Arc<str>, Option<SourceStatus>)>,
    empty: Arc<str>,
}

fn eval_scope(
    scope: &Scope,
    subject: &SubjectManifest,
    market: &Market,
    pack: &RulePack,
    trace: &mut Vec<ConditionTrace>,
    memo: &mut Memo,
) -> Match {
    // Like a resolver explaining a conflict, stop at the first test that fails: it is the
    // reason the scope does not match, and skipping the rest keeps out-of-scope packs cheap
    // (they are most of the results at scale). Unknown tests do not stop the walk.
    let mut out = Match::Matched;
    for c in &scope.conditions {
        out = and(
            out,
            eval_condition(c, 0, subject, market, pack, trace, memo),
        );
        if out == Match::NotMatched {
            break;
        }
    }
    out
}

fn eval_condition(
    c: &Condition,
    depth: u8,
    subject: &SubjectManifest,
    market: &Market,
    pack: &RulePack,
    trace: &mut Vec<ConditionTrace>,
    memo: &mut Memo,
) -> Match {
    let slot = trace.len();
    trace.push(ConditionTrace {
        depth,
        test: c.description.clone(),
        outcome: Match::Unknown,
        actual: memo.empty.clone(),
        source: c.source.clone(),
        source_status: c.source_status,
    });
    let key = c as *const Condition as usize;
    let subject_only = matches!(
        c.test,
        Test::Kind(_)
            | Test::CategoryIn(_)
            | Test::Function(_)
            | Test::OriginIn(_)
            | Test::QualifiesByBenchmark
    );
    if subject_only
        && let Some((_, outcome, actual, status)) = memo.entries.iter().find(|e| e.0 == key)
    {
        let outcome = *outcome;
        if let Some(t) = trace.get_mut(slot) {
            t.outcome = outcome;
            t.actual = actual.clone();
            if let Some(s) = status {
                t.source_status = Some(t.source_status.map_or(*s, |x| x.min(*s)));
            }
        }
        return outcome;
    }
    let (outcome, actual, status_override) = match &c.test {
        Test::Kind(k) => (
            bool_match(subject.kind == *k),
            format!("kind = {}", subject.kind),
            None,
        ),
        Test::CategoryIn(cats) => (
            bool_match(cats.contains(&subject.category)),
            format!("category = {}", subject.category),
            None,
        ),
        Test::Function(f) => (
            bool_match(subject.has_function(*f)),
            format!("functions = [{}]", list(&subject.functions)),
            None,
        ),
        Test::OriginIn(codes) => match &subject.country_of_origin {
            Some(o) => (
                bool_match(codes.contains(o)),
                format!("country_of_origin = {o}"),
                None,
            ),
            None => (
                Match::Unknown,
                "the manifest gives no country_of_origin".to_string(),
                None,
            ),
        },
        Test::MarketIn(codes) => (
            bool_match(codes.contains(&market.country)),
            format!("market = {}", market.country),
            None,
        ),
        Test::MarketNotIn(codes) => (
            bool_match(!codes.contains(&market.country)),
            format!("market = {}", market.country),
            None,
        ),
        Test::Export => match &subject.country_of_origin {
            Some(o) => (
                bool_match(*o != market.country),
                format!("market = {}, country_of_origin = {o}", market.country),
                None,
            ),
            None => (
                Match::Unknown,
                "the manifest gives no country_of_origin".to_string(),
                None,
            ),
        },
        Test::UseAny(uses) => {
            if market.uses.is_empty() {
                (
                    Match::Unknown,
                    format!("no intended uses declared for market {}", market.country),
                    None,
                )
            } else {
                (
                    bool_match(market.uses.iter().any(|u| uses.contains(u))),
                    format!("uses in {} = [{}]", market.country, list(&market.uses)),
                    None,
                )
            }
        }
        Test::MarketInList(id) => match pack.market_list(id) {
            Some(l) => match l.entries.iter().find(|e| e.country == market.country) {
                Some(e) => (
                    Match::Matched,
                    format!(
                        "{} is on the list (entry status: {})",
                        market.country, e.status
                    ),
                    Some(e.status),
                ),
                None if l.entries.len() < l.declared_size => (
                    Match::Unknown,
                    format!(
                        "the sources say the list holds {} markets but name {} of them; {} may be on it",
                        l.declared_size,
                        l.entries.len(),
                        market.country
                    ),
                    Some(SourceStatus::Unverified),
                ),
                None => (
                    Match::NotMatched,
                    format!("{} is not on the list", market.country),
                    None,
                ),
            },
            // The pack checker rejects unknown lists; keep a defined answer anyway.
            None => (
                Match::Unknown,
                format!("market list `{id}` is not in the pack"),
                Some(SourceStatus::Unverified),
            ),
        },
        Test::QualifiesByBenchmark => qualifies(subject),
        Test::All(inner) => {
            let mut m = Match::Matched;
            for i in inner {
                m = and(
                    m,
                    eval_condition(i, depth + 1, subject, market, pack, trace, memo),
                );
            }
            (m, String::new(), None)
        }
        Test::Any(inner) => {
            let mut m = Match::NotMatched;
            for i in inner {
                m = match (
                    m,
                    eval_condition(i, depth + 1, subject, market, pack, trace, memo),
                ) {
                    (Match::Matched, _) | (_, Match::Matched) => Match::Matched,
                    (Match::Unknown, _) | (_, Match::Unknown) => Match::Unknown,
                    _ => Match::NotMatched,
                };
            }
            (m, String::new(), None)
        }
        Test::Not(inner) => {
            let m = match eval_condition(inner, depth + 1, subject, market, pack, trace, memo) {
                Match::Matched => Match::NotMatched,
                Match::NotMatched => Match::Matched,
                Match::Unknown => Match::Unknown,
            };
            (m, String::new(), None)
        }
    };
    let actual: Arc<str> = if actual.is_empty() {
        memo.empty.clone()
    } else {
        Arc::from(actual)
    };
    if subject_only {
        memo.entries
            .push((key, outcome, actual.clone(), status_override));
    }
    if let Some(t) = trace.get_mut(slot) {
        t.outcome = outcome;
        t.actual = actual;
        if let Some(s) = status_override {
            t.source_status = Some(t.source_status.map_or(s, |x| x.min(s)));
        }
    }
    outcome
}

fn qualifies(subject: &SubjectManifest) -> (Match, String, Option<SourceStatus>) {
    let claims = subject
        .model
        .as_ref()
        .map(|m| m.capability_claims.as_slice())
        .unwrap_or(&[]);
    if claims.is_empty() {
        return (
            Match::Unknown,
            "the manifest makes no capability claims".to_string(),
            Some(SourceStatus::Unverified),
        );
    }
    let mut shown = Vec::new();
    let mut any_unthresholded = false;
    for c in claims {
        match c.qualifying_threshold {
            Some(t) if c.score >= t => {
                return (
                    Match::Matched,
                    format!(
                        "{}: score {} >= qualifying threshold {}",
                        c.benchmark, c.score, t
                    ),
                    None,
                );
            }
            Some(t) => shown.push(format!(
                "{}: score {} < qualifying threshold {}",
                c.benchmark, c.score, t
            )),
            None => {
                any_unthresholded = true;
                shown.push(format!(
                    "{}: score {} (no published qualifying threshold)",
                    c.benchmark, c.score
                ));
            }
        }
    }
    if any_unthresholded {
        (
            Match::Unknown,
            shown.join("; "),
            Some(SourceStatus::Unverified),
        )
    } else {
        (Match::NotMatched, shown.join("; "), None)
    }
}

fn bool_match(b: bool) -> Match {
    if b { Match::Matched } else { Match::NotMatched }
}

fn list<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Lowest source status among the traces with the given outcomes.
fn trace_confidence(trace: &[ConditionTrace], outcomes: &[Match]) -> Option<SourceStatus> {
    trace
        .iter()
        .filter(|t| outcomes.contains(&t.outcome))
        .filter_map(|t| t.source_status)
        .min()
}

// ---------------------------------------------------------------------------------------
// Obligations

fn not_applicable(
    obligation: &Obligation,
    pack: &RulePack,
    pack_trace: &[ConditionTrace],
    own_trace: Vec<ConditionTrace>,
    pack_match: Match,
) -> ObligationResult {
    let (reason, confidence): (Cow<'static, str>, _) = if pack_match == Match::NotMatched {
        // The failed tests are in the pack result's scope trace; no need to repeat them per
        // obligation (this is the common case at scale).
        (
            Cow::Borrowed("the pack does not apply (see the pack's scope)"),
            trace_confidence(pack_trace, &[Match::NotMatched]),
        )
    } else {
        let failed: Vec<&str> = own_trace
            .iter()
            .filter(|t| t.outcome == Match::NotMatched && t.depth == 0)
            .map(|t| &*t.test)
            .collect();
        (
            Cow::Owned(format!(
                "the obligation's scope does not match: {}",
                failed.join("; ")
            )),
            trace_confidence(&own_trace, &[Match::NotMatched]),
        )
    };
    ObligationResult {
        id: obligation.id.clone(),
        title: obligation.title.clone(),
        force: obligation.force,
        advice: obligation.force == Force::Voluntary,
        status: Status::NotApplicable,
        applicability: Applicability::NotApplicable,
        blocking: false,
        confidence: confidence.unwrap_or_else(|| sources_confidence(pack, &obligation.sources)),
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
fn applicable(
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
        let unknown: Vec<&str> = pack_trace
            .iter()
            .chain(own_trace.iter())
            .filter(|t| t.outcome == Match::Unknown && !t.actual.is_empty())
            .map(|t| &*t.actual)
            .collect();
        reasons.push(Cow::Owned(format!(
            "possibly applicable, unverified: {}",
            unknown.join("; ")
        )));
    }
    if judged.rests_on_unsourced_rule {
        confidence = SourceStatus::Unverified;
    }
    reasons.extend(judged.reasons.iter().map(|r| Cow::Owned(r.clone())));
    let advice = obligation.force == Force::Voluntary;
    let blocking = !advice
        && applicability == Applicability::Applies
        && matches!(judged.status, Status::Unmet | Status::Failing);
    ObligationResult {
        id: obligation.id.clone(),
        title: obligation.title.clone(),
        force: obligation.force,
        advice,
        status: judged.status,
        applicability,
        blocking,
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

fn deadline(
    d: &Deadline,
    subject: &SubjectManifest,
    market: &Market,
    ctx: &EvalContext<'_>,
    deciding_meta: Option<&BTreeMap<String, String>>,
) -> DeadlineResult {
    let (kind, description, due) = match d {
        Deadline::BeforeExport { .. } => (
            "before-export",
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
                "before-release",
                match release {
                    Some(r) => format!("{days} days before the planned release on {r}"),
                    None => {
                        format!("{days} days before release (no planned_release in the manifest)")
                    }
                },
                release.map(|r| r.plus_days(-days)),
            )
        }
        Deadline::WithinDaysOfTrigger { days, trigger, .. } => (
            "within-days-of-trigger",
            format!("within {days} days of {trigger}"),
            None,
        ),
        Deadline::EvidenceDate { meta_key, .. } => {
            let due = deciding_meta
                .and_then(|m| m.get(meta_key))
                .and_then(|v| Day::parse(v));
            (
                "evidence-date",
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

/// The market-independent part of an obligation's verdict.
#[derive(Clone, Debug)]
struct Judged {
    status: Status,
    reasons: Vec<String>,
    evidence: Vec<EvidenceTrace>,
    deciding_meta: Option<BTreeMap<String, String>>,
    rests_on_unsourced_rule: bool,
}

fn judge_obligation(
    obligation: &Obligation,
    subject: &SubjectManifest,
    candidates: &[&EvidenceRecord],
    ctx: &EvalContext<'_>,
) -> Judged {
    let mut status = Status::Met;
    let mut reasons = Vec::new();
    let mut evidence = Vec::new();
    let mut deciding_meta = None;
    let mut unsourced = false;
    for (ri, req) in obligation.evidence.iter().enumerate() {
        let r = judge_requirement(ri, req, subject, candidates, ctx.today);
        if r.status.severity() > status.severity() {
            status = r.status;
        }
        reasons.push(format!(
            "requirement {}: {} -> {}",
            ri + 1,
            req.description,
            r.summary
        ));
        evidence.extend(r.traces);
        unsourced |= r.unsourced;
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
        reasons.push(format!("descriptions: {why}"));
    }
    if obligation.evidence.is_empty() && !obligation.consistent_descriptions {
        status = Status::Unmet;
        let how = obligation
            .manual_check
            .as_deref()
            .unwrap_or("check by hand");
        reasons.push(format!("no evidence kind records this yet; {how}"));
    }
    Judged {
        status,
        reasons,
        evidence,
        deciding_meta,
        rests_on_unsourced_rule: unsourced,
    }
}

struct RequirementResult {
    status: Status,
    summary: String,
    traces: Vec<EvidenceTrace>,
    deciding_meta: Option<BTreeMap<String, String>>,
    unsourced: bool,
}

fn basis_note(b: Option<Basis>) -> &'static str {
    match b.unwrap_or(Basis::Sourced) {
        Basis::Sourced => "",
        Basis::Interpretation => " (our interpretation, not stated by the source)",
        Basis::AssayPolicy => " (assay policy, not a sourced requirement)",
    }
}

fn is_unsourced(b: Option<Basis>) -> bool {
    !matches!(b.unwrap_or(Basis::Sourced), Basis::Sourced)
}

fn judge_requirement(
    ri: usize,
    req: &EvidenceRequirement,
    subject: &SubjectManifest,
    candidates: &[&EvidenceRecord],
    today: Day,
) -> RequirementResult {
    let mut other_kinds: BTreeMap<EvidenceKind, usize> = BTreeMap::new();
    // (record, trace, date) of eligible evidence within its age limit.
    let mut eligible: Vec<(usize, Day)> = Vec::new();
    let mut traces: Vec<EvidenceTrace> = Vec::new();
    // A verdict rests on every rule of the requirement, whether or not it rejected something.
    let mut unsourced = is_unsourced(req.not_before_basis)
        .then_some(())
        .and(req.not_before)
        .is_some()
        || (req.max_age_days.is_some() && is_unsourced(req.max_age_basis))
        || req.meta.iter().any(|m| is_unsourced(m.basis));
    let expected_digest = subject.artefact_digest().map(|d| d.to_hex());
    for rec in candidates {
        if rec.kind != req.kind {
            *other_kinds.entry(rec.kind).or_default() += 1;
            continue;
        }
        let mut why = Vec::new();
        let issuer = rec
            .signer_name
            .clone()
            .or_else(|| Some(format!("key {}", rec.signer_key_id)));
        match (rec.signer_role, rec.signer_is_own, req.issuer_role) {
            (None, false, _) => why.push(format!("signed by key {}, which is not a trusted issuer of this workspace", rec.signer_key_id)),
            (None, true, Some(want)) => why.push(format!("signed by this workspace's own key, which holds no issuer role; this requirement needs role {want}")),
            (Some(have), _, Some(want)) if have != want => why.push(format!("issuer role is {have}; this requirement needs role {want}")),
            _ => {}
        }
        if req.same_digest {
            match (&expected_digest, rec.meta.get("firmware_digest")) {
                (None, _) => why.push(
                    "the manifest declares no firmware/model digest to compare with".to_string(),
                ),
                (Some(_), None) => why.push(
                    "carries no firmware_digest, so it cannot be tied to the shipped artefact"
                        .to_string(),
                ),
                (Some(want), Some(have)) if !have.eq_ignore_ascii_case(want) => {
                    why.push(format!(
                        "is about firmware {}, the manifest ships {}",
                        short(have),
                        short(want)
                    ));
                }
                _ => {}
            }
        }
        let dated = req
            .dated_by
            .as_ref()
            .and_then(|k| rec.meta.get(k))
            .and_then(|v| Day::parse(v))
            .or_else(|| Day::parse(&rec.recorded_at));
        let Some(day) = dated else {
            why.push(format!(
                "has no readable date (`{}` nor recorded_at)",
                req.dated_by.as_deref().unwrap_or("recorded_at")
            ));
            traces.push(trace(ri, rec, issuer, None, EvidenceVerdict::Rejected, why));
            continue;
        };
        if let Some(nb) = req.not_before
            && day < nb
        {
            why.push(format!(
                "dated {day}, before {nb}{}",
                basis_note(req.not_before_basis)
            ));
            unsourced |= is_unsourced(req.not_before_basis);
        }
        if !why.is_empty() {
            traces.push(trace(
                ri,
                rec,
                issuer,
                Some(day),
                EvidenceVerdict::Rejected,
                why,
            ));
            continue;
        }
        let age = day.days_until(today);
        if let Some(max) = req.max_age_days
            && age > max
        {
            unsourced |= is_unsourced(req.max_age_basis);
            traces.push(trace(
                ri,
                rec,
                issuer,
                Some(day),
                EvidenceVerdict::Expired,
                vec![format!(
                    "dated {day}, {age} days old; at most {max} days allowed{}",
                    basis_note(req.max_age_basis)
                )],
            ));
            continue;
        }
        traces.push(trace(
            ri,
            rec,
            issuer,
            Some(day),
            EvidenceVerdict::Superseded,
            Vec::new(),
        ));
        eligible.push((traces.len() - 1, day));
    }

    let mut summary_parts = Vec::new();
    let status;
    let mut deciding_meta = None;
    // Latest word wins: the newest eligible evidence decides (ties: later ledger entry).
    let newest = eligible
        .iter()
        .max_by_key(|(t, day)| (*day, traces[*t].ledger_index))
        .copied();
    if let Some((t, day)) = newest {
        let rec = candidates
            .iter()
            .find(|r| r.index == traces[t].ledger_index && r.blob_digest == traces[t].blob_digest);
        let meta = rec.map(|r| &r.meta);
        let mut failures = Vec::new();
        let mut passes = Vec::new();
        for m in &req.meta {
            let value = meta.and_then(|mm| mm.get(&m.key)).map(String::as_str);
            match check_meta(m, value) {
                Ok(text) => passes.push(text),
                Err(text) => failures.push(text),
            }
            unsourced |= is_unsourced(m.basis);
        }
        let short_digest = traces[t].blob_digest.short();
        if failures.is_empty() {
            let age = day.days_until(today);
            let expiring = match (req.max_age_days, req.expiring_within_days) {
                (Some(max), Some(window)) => age > max - window,
                _ => false,
            };
            if req.max_age_days.is_some() {
                unsourced |= is_unsourced(req.max_age_basis);
            }
            let mut why = passes;
            if expiring {
                let left = req.max_age_days.unwrap_or(0) - age;
                why.push(format!(
                    "reaches its age limit in {left} days (dated {day})"
                ));
                traces[t].verdict = EvidenceVerdict::Expiring;
                status = Status::Expiring;
                summary_parts.push(format!(
                    "met by {short_digest}, which expires in {left} days"
                ));
            } else {
                traces[t].verdict = EvidenceVerdict::Counts;
                status = Status::Met;
                summary_parts.push(format!("met by {short_digest} (dated {day})"));
            }
            why.insert(0, "newest eligible evidence: it decides".to_string());
            traces[t].why = why;
        } else {
            traces[t].verdict = EvidenceVerdict::Fails;
            let mut why = vec!["newest eligible evidence: it decides".to_string()];
            summary_parts.push(format!("failing: {short_digest} {}", failures.join("; ")));
            why.extend(failures);
            // What did hold, too: the fix is then only the failing part.
            why.extend(passes.into_iter().map(|p| format!("ok: {p}")));
            traces[t].why = why;
            status = Status::Failing;
        }
        deciding_meta = meta.cloned();
        for (other, _) in &eligible {
            if *other != t {
                traces[*other]
                    .why
                    .push(format!("superseded by newer evidence {short_digest}"));
            }
        }
    } else {
        status = Status::Unmet;
        let rejected = traces
            .iter()
            .filter(|t| t.verdict == EvidenceVerdict::Rejected)
            .count();
        let expired = traces
            .iter()
            .filter(|t| t.verdict == EvidenceVerdict::Expired)
            .count();
        summary_parts.push(match (rejected, expired) {
            (0, 0) => format!("unmet: no {} evidence about this subject", req.kind),
            (r, 0) => format!("unmet: {r} {} evidence item(s), none that counts", req.kind),
            (0, e) => format!("unmet: only expired {} evidence ({e})", req.kind),
            (r, e) => format!(
                "unmet: {e} expired and {r} rejected {} evidence item(s)",
                req.kind
            ),
        });
    }
    if !other_kinds.is_empty() {
        let kinds: Vec<String> = other_kinds
            .iter()
            .map(|(k, n)| format!("{k}: {n}"))
            .collect();
        summary_parts.push(format!("ignored other kinds ({})", kinds.join(", ")));
    }
    RequirementResult {
        status,
        summary: summary_parts.join("; "),
        traces,
        deciding_meta,
        unsourced,
    }
}

fn trace(
    requirement: usize,
    rec: &EvidenceRecord,
    issuer: Option<String>,
    dated: Option<Day>,
    verdict: EvidenceVerdict,
    why: Vec<String>,
) -> EvidenceTrace {
    EvidenceTrace {
        requirement,
        blob_digest: rec.blob_digest,
        ledger_index: rec.index,
        kind: rec.kind,
        issuer,
        dated,
        verdict,
        why,
    }
}

fn short(hex: &str) -> &str {
    hex.get(..12).unwrap_or(hex)
}

/// Ok(explanation) when the value satisfies the constraint, Err(explanation) when not.
fn check_meta(m: &MetaConstraint, value: Option<&str>) -> Result<String, String> {
    let key = &m.key;
    let note = basis_note(m.basis);
    let Some(v) = value else {
        return Err(format!("carries no `{key}`{note}"));
    };
    let v = v.trim();
    if let Some(want) = &m.eq {
        return if v == want {
            Ok(format!("{key} = {v}"))
        } else {
            Err(format!("{key} = {v}, needs {want}{note}"))
        };
    }
    if let Some(set) = &m.one_of {
        return if set.iter().any(|s| s == v) {
            Ok(format!("{key} = {v}"))
        } else {
            Err(format!(
                "{key} = {v}, needs one of {}{note}",
                set.join(", ")
            ))
        };
    }
    if m.at_least.is_some() || m.at_most.is_some() {
        let Ok(n) = v.parse::<i64>() else {
            return Err(format!("{key} = `{v}` is not an integer"));
        };
        if let Some(min) = m.at_least
            && n < min
        {
            return Err(format!("{key} = {n}, needs >= {min}{note}"));
        }
        if let Some(max) = m.at_most
            && n > max
        {
            return Err(format!("{key} = {n}, needs <= {max}{note}"));
        }
        return Ok(format!("{key} = {n}"));
    }
    if let Some(all) = &m.contains_all {
        let have: Vec<&str> = v
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let missing: Vec<&str> = all
            .iter()
            .map(String::as_str)
            .filter(|w| !have.contains(w))
            .collect();
        return if missing.is_empty() {
            Ok(format!("{key} covers {}", all.join(", ")))
        } else {
            Err(format!("{key} = {v}, lacks {}{note}", missing.join(", ")))
        };
    }
    Err(format!("constraint on `{key}` has no operator"))
}
