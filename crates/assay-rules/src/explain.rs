//! The readable text form of an [`Evaluation`], returned as a string (this crate never prints).
//!
//! Modelled on uv's resolver explanations: lead with the verdict, then "because" and the chain
//! of facts that led there, each with the value it looked at and where that fact comes from.
//! Packs that do not apply take one line (the failed scope test) unless `verbose`.

use std::fmt::Write as _;

use crate::consistency::ConsistencyReport;
use crate::engine::{
    Applicability, ConditionTrace, Evaluation, EvidenceVerdict, Match, ObligationResult, Status,
};

/// Renders an evaluation; `verbose` also shows the scope of packs that do not apply and every
/// evidence item.
pub fn render_text(e: &Evaluation, verbose: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "subject {} ({}), evaluated on {}",
        e.subject, e.subject_name, e.date
    );
    if let Some(d) = e.artefact_digest {
        let _ = writeln!(out, "  shipped artefact sha256:{d}");
    }
    let _ = writeln!(
        out,
        "  {} evidence item(s) about this subject in the ledger",
        e.evidence_considered
    );
    for n in &e.notes {
        let _ = writeln!(out, "  note: {n}");
    }
    for r in &e.results {
        let _ = writeln!(out);
        let head = format!(
            "{} · {} (pack sha256:{})",
            r.market,
            r.pack_id,
            r.pack_digest.short()
        );
        match r.applicability {
            Applicability::NotApplicable => {
                let failed: Vec<String> = r
                    .scope
                    .iter()
                    .filter(|t| t.depth == 0 && t.outcome == Match::NotMatched)
                    .map(|t| format!("`{}` ({})", t.test, t.actual))
                    .collect();
                let _ = writeln!(out, "{head}: not applicable: fails {}", failed.join("; "));
                if verbose {
                    scope_lines(&mut out, &r.scope);
                }
                continue;
            }
            Applicability::Possibly => {
                let _ = writeln!(out, "{head}: POSSIBLY applies (unverified)");
            }
            Applicability::Applies => {
                let _ = writeln!(out, "{head}: applies");
            }
        }
        let _ = writeln!(out, "  {}", r.pack_title);
        scope_lines(&mut out, &r.scope);
        for o in &r.obligations {
            obligation(&mut out, o, verbose);
        }
    }
    if let Some(c) = &e.consistency {
        consistency(&mut out, c);
    }
    let s = &e.summary;
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "summary: {} met, {} expiring, {} unmet, {} failing, {} not applicable; {} blocking, {} not blocking (assay policy or interpretation), {} open advice, {} possibly applicable",
        s.met,
        s.expiring,
        s.unmet,
        s.failing,
        s.not_applicable,
        s.blocking,
        s.unsourced_open,
        s.open_advice,
        s.possibly_applicable
    );
    out
}

fn mark(m: Match) -> &'static str {
    match m {
        Match::Matched => "yes",
        Match::NotMatched => "no ",
        Match::Unknown => "?  ",
    }
}

fn scope_lines(out: &mut String, trace: &[ConditionTrace]) {
    let _ = writeln!(out, "  scope:");
    for t in trace {
        let indent = "  ".repeat(t.depth as usize);
        let src = match (&t.source, t.source_status) {
            (Some(s), Some(st)) => format!("  [{s}, {st}]"),
            _ => String::new(),
        };
        let actual = if t.actual.is_empty() {
            String::new()
        } else {
            format!(" ({})", t.actual)
        };
        let _ = writeln!(
            out,
            "    {indent}{} {}{actual}{src}",
            mark(t.outcome),
            t.test
        );
    }
}

fn label(o: &ObligationResult) -> String {
    let s = match o.status {
        Status::Met => "met".to_string(),
        Status::Expiring => "EXPIRING".to_string(),
        Status::Unmet => "UNMET".to_string(),
        Status::Failing => "FAILING".to_string(),
        Status::NotApplicable => "not applicable".to_string(),
    };
    if o.advice && o.is_open() {
        format!("advice, {}", s.to_lowercase())
    } else {
        s
    }
}

fn obligation(out: &mut String, o: &ObligationResult, verbose: bool) {
    let blocking = if o.enforced {
        ", blocking (enforced by your policy)".to_string()
    } else if o.blocking {
        ", blocking".to_string()
    } else if o.force == crate::vocab::Force::Mandatory
        && o.applicability == Applicability::Applies
        && matches!(o.status, Status::Unmet | Status::Failing)
    {
        format!(
            ", NOT blocking: {} (advice unless your policy file enforces it)",
            o.basis.describe()
        )
    } else {
        String::new()
    };
    let possibly = if o.applicability == Applicability::Possibly {
        ", possibly applicable"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "  [{}] {}: {} ({}{blocking}{possibly}; rests on {}; confidence {}; sources {})",
        label(o),
        o.id,
        o.title,
        o.force,
        o.basis,
        o.confidence,
        o.sources.join(", ")
    );
    if !o.scope.is_empty()
        && (verbose
            || o.status == Status::NotApplicable
            || o.applicability == Applicability::Possibly)
    {
        for t in &o.scope {
            let indent = "  ".repeat(t.depth as usize);
            let actual = if t.actual.is_empty() {
                String::new()
            } else {
                format!(" ({})", t.actual)
            };
            let _ = writeln!(
                out,
                "      scope {indent}{} {}{actual}",
                mark(t.outcome),
                t.test
            );
        }
    }
    if !o.reasons.is_empty() {
        let _ = writeln!(out, "      because:");
        for r in &o.reasons {
            let _ = writeln!(out, "        - {r}");
        }
    }
    for ev in &o.evidence {
        if !verbose && ev.verdict == EvidenceVerdict::Superseded {
            continue;
        }
        let verdict = match ev.verdict {
            EvidenceVerdict::Counts => "counts",
            EvidenceVerdict::Expiring => "counts, expiring",
            EvidenceVerdict::Fails => "fails",
            EvidenceVerdict::Superseded => "superseded",
            EvidenceVerdict::Expired => "expired",
            EvidenceVerdict::Rejected => "does not count",
        };
        let dated = ev.dated.map(|d| format!(", dated {d}")).unwrap_or_default();
        let issuer = ev.issuer.as_deref().unwrap_or("?");
        let _ = writeln!(
            out,
            "        evidence {} (#{} {}, by {issuer}{dated}): {verdict}",
            ev.blob_digest.short(),
            ev.ledger_index,
            ev.kind
        );
        for w in &ev.why {
            let _ = writeln!(out, "          {w}");
        }
    }
    if let Some(d) = &o.deadline {
        let left = match d.days_left {
            Some(n) if n < 0 => format!(" ({} days ago)", -n),
            Some(n) => format!(" ({n} days left)"),
            None => String::new(),
        };
        let _ = writeln!(out, "      deadline: {}{left}", d.description);
    }
    if let Some(l) = &o.lead_time
        && o.status != Status::Met
    {
        let basis = match l.basis {
            crate::pack::LeadTimeBasis::Sourced => "sourced",
            crate::pack::LeadTimeBasis::Estimate => "ESTIMATE",
        };
        let days = if l.min_days == l.max_days {
            l.min_days.to_string()
        } else {
            format!("{}-{}", l.min_days, l.max_days)
        };
        let _ = writeln!(out, "      lead time: {days} days ({basis}: {})", l.note);
    }
}

fn consistency(out: &mut String, c: &ConsistencyReport) {
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "product descriptions: {} document(s), {} claim(s), {} conflict(s)",
        c.documents.len(),
        c.claims.len(),
        c.conflicts.len()
    );
    for x in &c.conflicts {
        let _ = writeln!(
            out,
            "  conflict on {} ({}): {}",
            x.topic.as_str(),
            x.value,
            x.explanation
        );
        for claim in [&x.first, &x.second] {
            let place = if claim.line == 0 {
                claim.document.clone()
            } else {
                format!("{}:{}", claim.document, claim.line)
            };
            let _ = writeln!(out, "    {place}: \"{}\"", claim.sentence);
        }
    }
}
