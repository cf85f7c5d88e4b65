//! OSCAL 1.1 export: each pack as a catalog (obligations as controls, sources as back-matter
//! resources), an evaluation as assessment-results (one result per market x pack that applies,
//! one finding per obligation, one observation per evidence item) and a POA&M listing the gaps.
//!
//! UUIDs are derived from names (SHA-256, formatted as version-5 UUIDs), so exporting the same
//! inputs twice gives byte-identical files. Custom properties use the namespace [`NS`].
//! The output is validated against compliance-trestle's OSCAL models in
//! `crates/assay-cli/tests/rules_oscal.rs`; the unit tests here check the cross-references.

use serde_json::{Value, json};

use crate::engine::{Applicability, Evaluation, EvidenceVerdict, Status};
use crate::pack::{LeadTimeBasis, RulePack};
use assay_core::Day;

/// Namespace of assay's own OSCAL properties.
pub const NS: &str = "https://assay.dev/ns/oscal";
pub const OSCAL_VERSION: &str = "1.1.2";

/// A deterministic UUID (version-5 layout) for a list of names.
pub fn uuid_for(parts: &[&str]) -> String {
    let digest = assay_core::Sha256Digest::of(parts.join("\u{1f}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest.as_bytes()[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = |r: std::ops::Range<usize>| b[r].iter().map(|x| format!("{x:02x}")).collect::<String>();
    format!(
        "{}-{}-{}-{}-{}",
        h(0..4),
        h(4..6),
        h(6..8),
        h(8..10),
        h(10..16)
    )
}

fn prop(name: &str, value: impl Into<String>) -> Value {
    json!({ "name": name, "ns": NS, "value": value.into() })
}

fn timestamp(day: Day) -> String {
    format!("{day}T00:00:00Z")
}

/// A pack as an OSCAL catalog. `generated` dates the metadata.
pub fn catalog(pack: &RulePack, generated: Day) -> Value {
    let resources: Vec<Value> = pack
        .sources
        .iter()
        .map(|s| {
            let mut r = json!({
                "uuid": uuid_for(&[&pack.id, "source", &s.id]),
                "title": s.title,
                "description": format!("{} ({}); status: {}", s.publisher, s.date, s.status),
                "props": [prop("source-id", s.id.clone()), prop("source-status", s.status.as_str()), prop("source-date", s.date.clone())],
                "citation": { "text": format!("{}, {}, {}", s.publisher, s.title, s.date) },
            });
            if let Some(link) = &s.link {
                r["rlinks"] = json!([{ "href": link }]);
            }
            if let Some(doc) = &s.document {
                r["rlinks"] = json!([{ "href": format!("../shared/sources/{doc}") }]);
            }
            r
        })
        .collect();
    let controls: Vec<Value> = pack
        .obligations
        .iter()
        .map(|o| {
            let objective: Vec<String> = o.evidence.iter().map(|e| e.description.clone()).collect();
            let mut props = vec![prop("force", o.force.as_str()), prop("label", o.id.to_string())];
            if let Some(l) = &o.lead_time {
                let basis = if l.basis == LeadTimeBasis::Estimate { "estimate" } else { "sourced" };
                props.push(prop("lead-time-days", format!("{}-{}", l.min_days, l.max_days)));
                props.push(prop("lead-time-basis", basis));
            }
            json!({
                "id": o.id,
                "class": o.force.as_str(),
                "title": o.title,
                "props": props,
                "links": o.sources.iter().map(|s| json!({ "href": format!("#{}", uuid_for(&[&pack.id, "source", s])), "rel": "reference" })).collect::<Vec<_>>(),
                "parts": [
                    { "id": format!("{}_smt", o.id), "name": "statement", "prose": o.text.trim() },
                    { "id": format!("{}_obj", o.id), "name": "assessment-objective", "prose": if objective.is_empty() { o.manual_check.clone().unwrap_or_else(|| "consistent product descriptions".to_string()) } else { objective.join("; ") } },
                ],
            })
        })
        .collect();
    json!({
        "catalog": {
            "uuid": uuid_for(&[&pack.id, "catalog", &pack.digest.to_hex()]),
            "metadata": {
                "title": pack.title,
                "last-modified": timestamp(generated),
                "version": format!("sha256:{}", pack.digest),
                "oscal-version": OSCAL_VERSION,
                "props": [prop("pack-id", pack.id.clone()), prop("jurisdiction", pack.jurisdiction.clone()), prop("pack-digest", pack.digest.to_hex())],
                "remarks": pack.summary.trim(),
            },
            "groups": [{
                "id": "obligations",
                "title": format!("Obligations: {}", pack.authority),
                "controls": controls,
            }],
            "back-matter": { "resources": resources },
        }
    })
}

/// An evaluation as OSCAL assessment-results.
pub fn assessment_results(e: &Evaluation) -> Value {
    let mut results = Vec::new();
    for r in &e.results {
        if r.applicability == Applicability::NotApplicable {
            continue;
        }
        let mut observations = Vec::new();
        let mut findings = Vec::new();
        let mut controls = Vec::new();
        for o in r
            .obligations
            .iter()
            .filter(|o| o.status != Status::NotApplicable)
        {
            controls.push(json!({ "control-id": o.id }));
            let mut related = Vec::new();
            for ev in &o.evidence {
                let uuid = uuid_for(&[
                    &e.subject,
                    &r.market,
                    &r.pack_id,
                    &o.id,
                    &ev.blob_digest.to_hex(),
                    &ev.requirement.to_string(),
                ]);
                related.push(json!({ "observation-uuid": uuid }));
                let verdict = match ev.verdict {
                    EvidenceVerdict::Counts => "counts",
                    EvidenceVerdict::Expiring => "counts-expiring",
                    EvidenceVerdict::Fails => "fails",
                    EvidenceVerdict::Superseded => "superseded",
                    EvidenceVerdict::Expired => "expired",
                    EvidenceVerdict::Rejected => "rejected",
                };
                observations.push(json!({
                    "uuid": uuid,
                    "title": format!("{} {} for {}", ev.kind, ev.blob_digest.short(), o.id),
                    "description": if ev.why.is_empty() { verdict.to_string() } else { ev.why.join("; ") },
                    "props": [prop("verdict", verdict), prop("ledger-index", ev.ledger_index.to_string()), prop("blob-digest", ev.blob_digest.to_hex())],
                    "methods": ["EXAMINE"],
                    "collected": timestamp(ev.dated.unwrap_or(e.date)),
                }));
            }
            let satisfied = matches!(o.status, Status::Met | Status::Expiring);
            let mut finding = json!({
                "uuid": uuid_for(&[&e.subject, &r.market, &r.pack_id, &o.id, "finding"]),
                "title": format!("{}: {}", o.id, o.status.as_str()),
                "description": join_lines(&o.reasons),
                "props": [
                    prop("status", o.status.as_str()),
                    prop("force", o.force.as_str()),
                    prop("confidence", o.confidence.as_str()),
                    prop("applicability", match o.applicability { Applicability::Applies => "applies", Applicability::Possibly => "possibly", Applicability::NotApplicable => "not-applicable" }),
                    prop("blocking", o.blocking.to_string()),
                ],
                "target": {
                    "type": "objective-id",
                    "target-id": format!("{}_obj", o.id),
                    "status": { "state": if satisfied { "satisfied" } else { "not-satisfied" } },
                },
            });
            if !related.is_empty() {
                finding["related-observations"] = Value::Array(related);
            }
            findings.push(finding);
        }
        let mut result = json!({
            "uuid": uuid_for(&[&e.subject, &r.market, &r.pack_id, "result"]),
            "title": format!("{} in {} under {}", e.subject, r.market, r.pack_id),
            "description": r.pack_title,
            "start": timestamp(e.date),
            "props": [prop("market", r.market.to_string()), prop("pack-id", r.pack_id.to_string()), prop("pack-digest", r.pack_digest.to_hex())],
            "reviewed-controls": { "control-selections": [{ "include-controls": controls }] },
        });
        if !observations.is_empty() {
            result["observations"] = Value::Array(observations);
        }
        if !findings.is_empty() {
            result["findings"] = Value::Array(findings);
        }
        results.push(result);
    }
    json!({
        "assessment-results": {
            "uuid": uuid_for(&[&e.subject, "assessment-results", &e.date.to_string()]),
            "metadata": {
                "title": format!("Obligations of {} ({})", e.subject_name, e.subject),
                "last-modified": timestamp(e.date),
                "version": e.date.to_string(),
                "oscal-version": OSCAL_VERSION,
            },
            "import-ap": {
                "href": "urn:assay:assessment-plan:none",
                "remarks": "assay evaluates rule packs directly; no separate OSCAL assessment plan exists. The controls are in the packs' catalogs (pack-digest props).",
            },
            "results": results,
        }
    })
}

/// The gaps of an evaluation (applicable or possibly applicable obligations not met, and
/// those expiring) as an OSCAL plan of action and milestones.
pub fn poam(e: &Evaluation) -> Value {
    let mut items = Vec::new();
    for (r, o) in e.open_obligations() {
        let mut props = vec![
            prop("market", r.market.to_string()),
            prop("pack-id", r.pack_id.to_string()),
            prop("obligation-id", o.id.to_string()),
            prop("status", o.status.as_str()),
            prop("force", o.force.as_str()),
            prop("confidence", o.confidence.as_str()),
            prop("blocking", o.blocking.to_string()),
        ];
        if let Some(d) = &o.deadline {
            props.push(prop("deadline-kind", d.kind.as_str()));
            if let Some(due) = d.due {
                props.push(prop("deadline", due.to_string()));
            }
        }
        if let Some(l) = &o.lead_time {
            props.push(prop(
                "lead-time-days",
                format!("{}-{}", l.min_days, l.max_days),
            ));
            props.push(prop(
                "lead-time-basis",
                if l.basis == LeadTimeBasis::Estimate {
                    "estimate"
                } else {
                    "sourced"
                },
            ));
        }
        let mut item = json!({
            "uuid": uuid_for(&[&e.subject, &r.market, &r.pack_id, &o.id, "poam"]),
            "title": format!("{} ({}, {})", o.title, r.market, if o.advice { "advice" } else { "mandatory" }),
            "description": join_lines(&o.reasons),
            "props": props,
            "related-findings": [{ "finding-uuid": uuid_for(&[&e.subject, &r.market, &r.pack_id, &o.id, "finding"]) }],
        });
        if let Some(d) = &o.deadline {
            item["remarks"] = json!(format!("deadline: {}", d.description));
        }
        items.push(item);
    }
    json!({
        "plan-of-action-and-milestones": {
            "uuid": uuid_for(&[&e.subject, "poam", &e.date.to_string()]),
            "metadata": {
                "title": format!("Plan of action for {} ({})", e.subject_name, e.subject),
                "last-modified": timestamp(e.date),
                "version": e.date.to_string(),
                "oscal-version": OSCAL_VERSION,
            },
            "system-id": { "identifier-type": "https://ietf.org/rfc/rfc4122", "id": uuid_for(&[&e.subject, "system"]) },
            "poam-items": items,
        }
    })
}

fn join_lines<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_v5_shaped_and_deterministic() {
        let a = uuid_for(&["x", "y"]);
        assert_eq!(a, uuid_for(&["x", "y"]));
        assert_ne!(a, uuid_for(&["xy"]));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "5");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn catalog_has_the_required_fields() {
        let packs = RulePack::shipped().unwrap();
        for p in &packs {
            let c = catalog(p, Day::parse("2026-11-22").unwrap());
            let cat = &c["catalog"];
            assert!(cat["uuid"].is_string());
            assert_eq!(cat["metadata"]["oscal-version"], OSCAL_VERSION);
            assert!(
                cat["metadata"]["title"].is_string()
                    && cat["metadata"]["last-modified"].is_string()
                    && cat["metadata"]["version"].is_string()
            );
            let controls = cat["groups"][0]["controls"].as_array().unwrap();
            assert_eq!(controls.len(), p.obligations.len());
            for ctl in controls {
                assert!(ctl["id"].is_string() && ctl["title"].is_string());
                // Every link points at a back-matter resource.
                for l in ctl["links"].as_array().unwrap() {
                    let href = l["href"].as_str().unwrap().trim_start_matches('#');
                    assert!(
                        cat["back-matter"]["resources"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|r| r["uuid"] == href)
                    );
                }
            }
        }
    }
}
