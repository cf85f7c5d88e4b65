//! CycloneDX 1.5 VEX (JSON): the scan as a BOM with `vulnerabilities`.
//!
//! Mapping: every component that has a finding is listed once in `components` with its purl as
//! `bom-ref`; every (advisory id, VEX decision) pair is one `vulnerabilities[]` entry whose
//! `affects[].ref` point at those components, so components with different decisions for the
//! same advisory get separate entries. `analysis` is written only when a VEX decision exists
//! (state: not_affected, exploitable, resolved, in_triage; OpenVEX/CSAF justification labels are
//! mapped onto CycloneDX's). Ratings carry the CVSS vector and score; KEV data and due dates are
//! `properties` in the `assay:` namespace.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{component_ref, digest, severity_name};
use crate::finding::{Finding, ScanResult, SeveritySource, VexDecision, VexStatus};

/// CycloneDX analysis state for a VEX status.
pub fn analysis_state(status: VexStatus) -> &'static str {
    match status {
        VexStatus::NotAffected => "not_affected",
        VexStatus::Affected => "exploitable",
        VexStatus::Fixed => "resolved",
        VexStatus::UnderInvestigation => "in_triage",
    }
}

/// CycloneDX `analysis.justification` for a justification label from any VEX format, when one
/// corresponds.
pub fn cyclonedx_justification(label: &str) -> Option<&'static str> {
    Some(match label {
        "code_not_present" | "component_not_present" | "vulnerable_code_not_present" => {
            "code_not_present"
        }
        "code_not_reachable" | "vulnerable_code_not_in_execute_path" => "code_not_reachable",
        "requires_configuration" => "requires_configuration",
        "requires_dependency" => "requires_dependency",
        "requires_environment" => "requires_environment",
        "protected_by_compiler" => "protected_by_compiler",
        "protected_at_runtime" => "protected_at_runtime",
        "protected_at_perimeter" => "protected_at_perimeter",
        "protected_by_mitigating_control" | "inline_mitigations_already_exist" => {
            "protected_by_mitigating_control"
        }
        _ => return None,
    })
}

/// Writes `result` as a CycloneDX 1.5 BOM carrying VEX.
pub fn to_cyclonedx_vex(result: &ScanResult) -> Value {
    let mut components: BTreeMap<String, Value> = BTreeMap::new();
    // (advisory id, decision key) -> findings
    let mut groups: BTreeMap<(String, String), Vec<&Finding>> = BTreeMap::new();
    for finding in &result.findings {
        let reference = component_ref(&finding.component);
        components.entry(reference.clone()).or_insert_with(|| {
            let c = &finding.component;
            let mut value = json!({
                "type": "library",
                "bom-ref": reference,
                "name": c.name,
                "version": c.version,
            });
            if let Some(purl) = &c.purl {
                value["purl"] = json!(purl);
            }
            value
        });
        let decision_key = finding
            .vex
            .as_ref()
            .map(|v| serde_json::to_string(v).unwrap_or_default())
            .unwrap_or_default();
        groups
            .entry((finding.advisory_id.clone(), decision_key))
            .or_default()
            .push(finding);
    }
    let vulnerabilities: Vec<Value> = groups
        .values()
        .map(|findings| vulnerability(findings))
        .collect();
    let serial = digest(&[
        &serde_json::to_string(&vulnerabilities).unwrap_or_default(),
        &result.scan_date,
    ]);
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": format!("urn:uuid:{}", uuid_from_digest(&serial)),
        "version": 1,
        "metadata": {
            "timestamp": format!("{}T00:00:00Z", result.scan_date),
            "tools": { "components": [{ "type": "application", "name": "assay", "version": env!("CARGO_PKG_VERSION") }] },
        },
        "components": components.into_values().collect::<Vec<_>>(),
        "vulnerabilities": vulnerabilities,
    })
}

fn vulnerability(findings: &[&Finding]) -> Value {
    let first = findings[0];
    let mut value = json!({
        "bom-ref": format!("{}/{}", first.advisory_id, digest(&findings.iter().map(|f| component_ref(&f.component)).collect::<Vec<_>>().iter().map(String::as_str).collect::<Vec<_>>())[..12].to_string()),
        "id": first.advisory_id,
        "source": { "name": source_name(&first.advisory_id) },
    });
    if !first.aliases.is_empty() {
        value["references"] = json!(
            first
                .aliases
                .iter()
                .map(|alias| json!({ "id": alias, "source": { "name": source_name(alias) } }))
                .collect::<Vec<_>>()
        );
    }
    let mut rating = json!({ "severity": severity_name(first.severity.level) });
    match &first.severity.source {
        SeveritySource::Vector { advisory }
        | SeveritySource::StatedScore { advisory }
        | SeveritySource::StatedRating { advisory }
        | SeveritySource::Alias { advisory, .. } => {
            rating["source"] = json!({ "name": source_name(advisory) });
        }
        SeveritySource::Unknown => {}
    }
    if let Some(score) = first.severity.cvss_score {
        rating["score"] = json!(score);
    }
    if let Some(vector) = &first.severity.cvss_vector {
        rating["vector"] = json!(vector);
        rating["method"] = json!(if vector.starts_with("CVSS:4") {
            "CVSSv4"
        } else if vector.starts_with("CVSS:3.1") {
            "CVSSv31"
        } else if vector.starts_with("CVSS:3") {
            "CVSSv3"
        } else {
            "CVSSv2"
        });
    }
    value["ratings"] = json!([rating]);
    if !first.summary.is_empty() {
        value["description"] = json!(first.summary);
    }
    let mut fixed: Vec<&str> = findings
        .iter()
        .flat_map(|f| f.fixed_versions.iter().map(String::as_str))
        .collect();
    fixed.sort_unstable();
    fixed.dedup();
    if !fixed.is_empty() {
        value["recommendation"] =
            json!(format!("Upgrade to a fixed version: {}", fixed.join(", ")));
    }
    if let Some(decision) = &first.vex {
        value["analysis"] = analysis(decision);
    }
    value["affects"] = json!(findings
        .iter()
        .map(|f| {
            let status = match f.vex.as_ref().map(|v| v.status) {
                Some(VexStatus::NotAffected) | Some(VexStatus::Fixed) => "unaffected",
                Some(VexStatus::UnderInvestigation) => "unknown",
                _ => "affected",
            };
            json!({ "ref": component_ref(&f.component), "versions": [{ "version": f.component.version, "status": status }] })
        })
        .collect::<Vec<_>>());
    let mut properties = Vec::new();
    if let Some(kev) = &first.kev_entry {
        properties.push(json!({ "name": "assay:kev:dueDate", "value": kev.due_date }));
        properties.push(json!({ "name": "assay:kev:dateAdded", "value": kev.date_added }));
    }
    if let Some(due) = &first.due_date {
        properties.push(json!({ "name": "assay:dueDate", "value": due }));
    }
    if findings.iter().any(|f| f.overdue) {
        properties.push(json!({ "name": "assay:overdue", "value": "true" }));
    }
    if !properties.is_empty() {
        value["properties"] = json!(properties);
    }
    value
}

fn analysis(decision: &VexDecision) -> Value {
    let mut analysis = json!({ "state": analysis_state(decision.status) });
    let mut detail: Vec<String> = Vec::new();
    if let Some(label) = &decision.justification {
        match cyclonedx_justification(label) {
            Some(j) => analysis["justification"] = json!(j),
            // No CycloneDX equivalent: keep the label in the detail rather than lose it.
            None => detail.push(format!("justification: {label}")),
        }
    }
    if let Some(impact) = &decision.impact_statement {
        detail.push(impact.clone());
    }
    if let Some(action) = &decision.action_statement {
        detail.push(format!("action: {action}"));
    }
    detail.push(format!("source: {}", decision.source));
    analysis["detail"] = json!(detail.join("\n"));
    if decision.status == VexStatus::Fixed {
        analysis["response"] = json!(["update"]);
    }
    analysis
}

/// The database an id comes from, by its prefix.
fn source_name(id: &str) -> &'static str {
    match id.split('-').next().unwrap_or("") {
        "CVE" => "NVD",
        "GHSA" => "GitHub",
        "PYSEC" => "PyPA",
        "GO" => "Go Vulnerability Database",
        "RUSTSEC" => "RustSec",
        "OSV" => "OSV",
        _ => "OSV",
    }
}

/// Formats the first 128 bits of a hex digest as an RFC 9562 version-8 (custom) UUID.
fn uuid_from_digest(hex: &str) -> String {
    let mut chars: Vec<char> = hex.chars().take(32).collect();
    while chars.len() < 32 {
        chars.push('0');
    }
    chars[12] = '8';
    // Variant bits 10xx.
    let variant = chars[16].to_digit(16).unwrap_or(0);
    chars[16] = std::char::from_digit(8 | (variant & 0x3), 16).unwrap_or('8');
    let s: String = chars.into_iter().collect();
    format!(
        "{}-{}-{}-{}-{}",
        &s[0..8],
        &s[8..12],
        &s[12..16],
        &s[16..20],
        &s[20..32]
    )
}
