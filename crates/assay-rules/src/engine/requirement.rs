//! Evidence matching for one requirement: which evidence is eligible (trusted issuer with the
//! right role, same artefact, dated, not too old), which one decides (the newest: latest word
//! wins), and whether it meets the meta constraints.

use std::collections::BTreeMap;

use assay_core::{Day, EvidenceKind};

use crate::evidence::EvidenceRecord;
use crate::manifest::SubjectManifest;
use crate::pack::{EvidenceRequirement, MetaConstraint};
use crate::vocab::{Basis, VerdictBasis};

use super::results::{EvidenceTrace, EvidenceVerdict, Status};

pub(super) struct RequirementResult {
    pub(super) status: Status,
    /// What was found, in one clause.
    pub(super) verdict: String,
    /// Further clauses (more failed constraints, other kinds ignored).
    pub(super) detail: Vec<String>,
    pub(super) traces: Vec<EvidenceTrace>,
    pub(super) deciding_meta: Option<BTreeMap<String, String>>,
    /// The weakest basis among the unsourced rules (assay policy, interpretation) that
    /// rejected, expired or failed evidence, or made it expiring: the rules this verdict used.
    pub(super) fired: Option<VerdictBasis>,
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

/// True when the requirement holds a rule no source states (a constraint of basis
/// `interpretation` or `assay-policy`): only then is a relaxed judgement worth making.
pub(crate) fn has_unsourced_rule(req: &EvidenceRequirement) -> bool {
    (req.not_before.is_some() && is_unsourced(req.not_before_basis))
        || (req.max_age_days.is_some() && is_unsourced(req.max_age_basis))
        || req.meta.iter().any(|m| is_unsourced(m.basis))
}

/// Records that an unsourced rule of basis `b` was used; keeps the weakest.
fn fire(fired: &mut Option<VerdictBasis>, b: Option<Basis>) {
    if let Some(v) = VerdictBasis::of_rule(b.unwrap_or(Basis::Sourced)) {
        *fired = Some(fired.map_or(v, |f| f.min(v)));
    }
}

/// Judges one requirement. With `relax`, the rules no source states (constraints of basis
/// `interpretation` or `assay-policy`) are left out: comparing the two judgements tells
/// whether a verdict rests on such a rule alone.
pub(super) fn judge_requirement(
    ri: usize,
    req: &EvidenceRequirement,
    subject: &SubjectManifest,
    candidates: &[&EvidenceRecord],
    today: Day,
    relax: bool,
) -> RequirementResult {
    let mut other_kinds: BTreeMap<EvidenceKind, usize> = BTreeMap::new();
    // (record, trace, date) of eligible evidence within its age limit.
    let mut eligible: Vec<(usize, Day)> = Vec::new();
    let mut traces: Vec<EvidenceTrace> = Vec::new();
    // A verdict rests on the unsourced rules it used: those that rejected, expired or failed
    // evidence (a rule that judged nothing is not shown as lowering the confidence).
    let mut fired: Option<VerdictBasis> = None;
    let keep = |b: Option<Basis>| !(relax && is_unsourced(b));
    let not_before = req.not_before.filter(|_| keep(req.not_before_basis));
    let max_age_days = req.max_age_days.filter(|_| keep(req.max_age_basis));
    let expected_digest = subject.artefact_digest().map(|d| d.to_hex());
    // Tested samples are compared when the pack asks for it, and for a lab's evidence about
    // the shipped artefact whenever the subject records its hardware revision or has sample
    // records: a lab report then counts only for the configurations its samples cover.
    let samples_apply = req.tested_samples
        || (req.same_digest
            && req.issuer_role == Some(assay_core::IssuerRole::Lab)
            && (subject.hardware_revision.is_some()
                || candidates
                    .iter()
                    .any(|c| c.kind == EvidenceKind::TestSample)));
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
            // A key is never its own third party, whatever role it was given.
            (_, true, Some(want)) if want.is_third_party() => why.push(format!("signed by this workspace's own key; this requirement needs a third-party {want}, and a key is never its own third party")),
            (None, false, _) => why.push(format!("signed by key {}, which is not a trusted issuer of this workspace", rec.signer_key_id)),
            (None, true, Some(want)) => why.push(format!("signed by this workspace's own key, which holds no issuer role; this requirement needs role {want}; a workspace declares its own role with `assay key role`")),
            (Some(have), _, Some(want)) if have != want => why.push(format!("issuer role is {have}; this requirement needs role {want}")),
            _ => {}
        }
        for m in &req.select {
            if let Err(e) = check_meta(m, rec.meta.get(&m.key).map(String::as_str)) {
                why.push(format!("not what this requirement asks for: {e}"));
            }
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
                    // "for firmware 2.0.0 (1a2b3c4d5e6f); the manifest ships 2.1.0 (5b7143c45504)"
                    let theirs = match rec.meta.get("firmware_version") {
                        Some(v) => format!("{} ({})", v.trim(), short(have)),
                        None => short(have).to_string(),
                    };
                    let ours = match subject.versions.as_slice() {
                        [v] => format!("{} ({})", v.trim(), short(want)),
                        _ => short(want).to_string(),
                    };
                    why.push(format!(
                        "is for firmware {theirs}; the manifest ships {ours}"
                    ));
                }
                _ => {}
            }
        }
        if rec.kind == EvidenceKind::PriorValidation && req.issuer_role.is_some() {
            why.push(
                "is a prior validation record: declared, not verified (its facts were typed in by hand from a report assay never saw); a requirement that names an issuer role needs that issuer's own signed evidence"
                    .to_string(),
            );
        }
        if samples_apply
            && why.is_empty()
            && let Some(problem) = samples_problem(rec, subject, candidates)
        {
            why.push(problem);
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
        if let Some(nb) = not_before
            && day < nb
        {
            why.push(format!(
                "dated {day}, before {nb}{}",
                basis_note(req.not_before_basis)
            ));
            fire(&mut fired, req.not_before_basis);
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
        if let Some(max) = max_age_days
            && age > max
        {
            fire(&mut fired, req.max_age_basis);
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

    let verdict: String;
    let mut detail = Vec::new();
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
        for m in req.meta.iter().filter(|m| keep(m.basis)) {
            let value = meta.and_then(|mm| mm.get(&m.key)).map(String::as_str);
            match check_meta(m, value) {
                Ok(text) => passes.push(text),
                Err(text) => {
                    failures.push(text);
                    fire(&mut fired, m.basis);
                }
            }
        }
        let short_digest = traces[t].blob_digest.short();
        if failures.is_empty() {
            let age = day.days_until(today);
            let expiring = match (max_age_days, req.expiring_within_days) {
                (Some(max), Some(window)) => age > max - window,
                _ => false,
            };
            if expiring {
                fire(&mut fired, req.max_age_basis);
            }
            let mut why = passes;
            if expiring {
                let left = max_age_days.unwrap_or(0) - age;
                why.push(format!(
                    "reaches its age limit in {left} days (dated {day})"
                ));
                traces[t].verdict = EvidenceVerdict::Expiring;
                status = Status::Expiring;
                verdict = format!("met by {short_digest}, which expires in {left} days");
            } else {
                traces[t].verdict = EvidenceVerdict::Counts;
                status = Status::Met;
                verdict = format!("met by {short_digest} (dated {day})");
            }
            why.insert(0, "newest eligible evidence: it decides".to_string());
            traces[t].why = why;
        } else {
            traces[t].verdict = EvidenceVerdict::Fails;
            let mut why = vec!["newest eligible evidence: it decides".to_string()];
            // The first failed constraint is the verdict; the others are further clauses.
            verdict = format!("failing: {short_digest} {}", failures[0]);
            detail.extend(failures[1..].iter().cloned());
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
        // Why the newest rejected item does not count, so the card says it (a lab report on
        // other firmware reads as such, not as "no evidence").
        let newest_rejection = traces
            .iter()
            .filter(|t| t.verdict == EvidenceVerdict::Rejected)
            .max_by_key(|t| (t.dated, t.ledger_index))
            .and_then(|t| t.why.first());
        verdict = match (rejected, expired) {
            (0, 0) => format!("unmet: no {} evidence about this subject", req.kind),
            (r, 0) => match newest_rejection {
                Some(why) => format!(
                    "unmet: {r} {} evidence item(s), none that counts (newest: {why})",
                    req.kind
                ),
                None => format!("unmet: {r} {} evidence item(s), none that counts", req.kind),
            },
            (0, e) => format!("unmet: only expired {} evidence ({e})", req.kind),
            (r, e) => format!(
                "unmet: {e} expired and {r} rejected {} evidence item(s)",
                req.kind
            ),
        };
    }
    if !other_kinds.is_empty() {
        let kinds: Vec<String> = other_kinds
            .iter()
            .map(|(k, n)| format!("{k}: {n}"))
            .collect();
        detail.push(format!("ignored other kinds ({})", kinds.join(", ")));
    }
    RequirementResult {
        status,
        verdict,
        detail,
        traces,
        deciding_meta,
        fired,
    }
}

/// Why evidence does not count under `tested_samples`, or `None` when a `test-sample` record
/// acknowledged by the evidence's own signer covers the shipped configuration on every
/// dimension it records. When the evidence names its sample record (`test_sample_digest`
/// meta), only that record is considered.
fn samples_problem(
    rec: &EvidenceRecord,
    subject: &SubjectManifest,
    candidates: &[&EvidenceRecord],
) -> Option<String> {
    let named = rec
        .meta
        .get("test_sample_digest")
        .map(|d| d.trim().trim_start_matches("sha256:").to_ascii_lowercase());
    let samples: Vec<&EvidenceRecord> = candidates
        .iter()
        .copied()
        .filter(|c| c.kind == EvidenceKind::TestSample)
        .filter(|c| named.as_ref().is_none_or(|d| c.blob_digest.to_hex() == *d))
        .collect();
    if samples.is_empty() {
        return Some(match named {
            Some(d) => format!(
                "names tested-sample record {}, which is not in this subject's evidence",
                short(&d)
            ),
            None => "no test-sample record shows which units were tested, so it covers no shipped configuration (record the units handed to the lab as test-sample evidence)".to_string(),
        });
    }
    let mut acked: Vec<&EvidenceRecord> = samples
        .iter()
        .copied()
        .filter(|s| {
            s.signer_role == Some(assay_core::IssuerRole::Lab)
                && !s.signer_is_own
                && s.signer_key_id == rec.signer_key_id
        })
        .collect();
    if acked.is_empty() {
        let handed: Vec<String> = samples
            .iter()
            .map(|s| {
                format!(
                    "{} to {}",
                    s.meta.get("handed_over").map(String::as_str).unwrap_or("?"),
                    assay_core::text::quote_short(
                        s.meta.get("lab").map(String::as_str).unwrap_or("?")
                    )
                )
            })
            .collect();
        return Some(format!(
            "the samples handed over ({}) are not acknowledged by its signer: nothing shows the lab that signed it received them",
            handed.join(", ")
        ));
    }
    // Newest first: the gaps of the newest acknowledged record are named.
    acked.sort_by_key(|s| std::cmp::Reverse(s.index));
    let shipped = subject.shipped_config();
    let mut first_gaps = None;
    for s in acked {
        let gaps =
            assay_core::coverage_gaps(&assay_core::TestedConfig::from_meta(&s.meta), &shipped);
        if gaps.is_empty() {
            return None;
        }
        first_gaps.get_or_insert(gaps);
    }
    Some(format!(
        "its tested samples do not cover what ships: {}",
        first_gaps.unwrap_or_default().join("; ")
    ))
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
