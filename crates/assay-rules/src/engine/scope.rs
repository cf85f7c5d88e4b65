//! Scope: whether a pack or an obligation applies to the subject in a market. Three-valued
//! (a test the manifest or the sources cannot decide is `unknown`); the walk stops at the
//! first top-level test that fails, which is the reason shown.

use std::sync::Arc;

use crate::manifest::{Market, SubjectManifest};
use crate::pack::{Condition, RulePack, Scope, Test};
use crate::vocab::SourceStatus;

use super::and;
use super::results::{ConditionTrace, Match};

/// Outcomes of the tests that look only at the subject (kind, category, functions, origin,
/// benchmark claims), computed once per subject instead of once per market. Keyed by the
/// condition's address: conditions live in the packs, which outlive the evaluation.
pub(super) struct Memo {
    pub(super) entries: Vec<(usize, Match, Arc<str>, Option<SourceStatus>)>,
    pub(super) empty: Arc<str>,
}

pub(super) fn eval_scope(
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
pub(super) fn trace_confidence(
    trace: &[ConditionTrace],
    outcomes: &[Match],
) -> Option<SourceStatus> {
    trace
        .iter()
        .filter(|t| outcomes.contains(&t.outcome))
        .filter_map(|t| t.source_status)
        .min()
}
