//! SARIF 2.1.0 for code-scanning tools (GitHub code scanning, Azure DevOps, IDE viewers).
//!
//! Mapping: one `reportingDescriptor` (rule) per advisory id, one `result` per finding.
//! `level` follows severity (critical/high: `error`, medium: `warning`, low/none: `note`;
//! unknown: `warning`, or `error` when the vulnerability is known exploited);
//! `properties.security-severity` carries the CVSS base score (or, for a stated rating without a
//! score, the band's midpoint) because that is what GitHub ranks by; it is absent when the
//! severity is unknown. `properties.severity` names the rating (`unknown` included) and
//! `properties.severity-source` where it came from. The location is the SBOM file (and line, when the component came from a
//! line-oriented file); the component's purl is a logical location. Findings a VEX statement
//! ruled out (`not_affected`, `fixed`) are kept with an `accepted` external suppression, so the
//! decision stays visible. `partialFingerprints["assay/finding/v1"]` is a digest of advisory id,
//! ecosystem, name and version: stable across runs and SBOM reorderings, for deduplication.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{component_ref, digest, split_source};
use crate::finding::{Finding, ScanResult, SeverityLevel, VexStatus};

pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(finding: &Finding) -> &'static str {
    match finding.severity.level {
        SeverityLevel::Critical | SeverityLevel::High => "error",
        SeverityLevel::Unknown if finding.kev => "error",
        SeverityLevel::Medium | SeverityLevel::Unknown => "warning",
        SeverityLevel::Low | SeverityLevel::None => "note",
    }
}

/// GitHub's `security-severity`: a CVSS-like score as a string.
fn security_severity(finding: &Finding) -> Option<String> {
    if let Some(score) = finding.severity.cvss_score {
        return Some(format!("{score:.1}"));
    }
    match finding.severity.level {
        SeverityLevel::Critical => Some("9.5".into()),
        SeverityLevel::High => Some("8.0".into()),
        SeverityLevel::Medium => Some("5.5".into()),
        SeverityLevel::Low => Some("2.0".into()),
        SeverityLevel::None | SeverityLevel::Unknown => None,
    }
}

/// A stable fingerprint of one finding.
pub fn fingerprint(finding: &Finding) -> String {
    let ecosystem = serde_json::to_value(&finding.component.ecosystem)
        .ok()
        .map(|v| v.to_string())
        .unwrap_or_default();
    digest(&[
        &finding.advisory_id,
        &ecosystem,
        &finding.component.name,
        &finding.component.version,
    ])
}

/// Writes `result` as a SARIF 2.1.0 log with one run.
pub fn to_sarif(result: &ScanResult) -> Value {
    // One rule per advisory id: the most severe finding describes it.
    let mut rules: BTreeMap<&str, &Finding> = BTreeMap::new();
    for finding in &result.findings {
        let entry = rules.entry(&finding.advisory_id).or_insert(finding);
        if finding.severity.level.rank() > entry.severity.level.rank() {
            *entry = finding;
        }
    }
    let rule_index: BTreeMap<&str, usize> =
        rules.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let rules_json: Vec<Value> = rules
        .values()
        .map(|finding| {
            let summary = if finding.summary.is_empty() {
                finding.advisory_id.clone()
            } else {
                finding.summary.clone()
            };
            let mut tags = vec!["security".to_string(), "vulnerability".to_string()];
            if finding.kev {
                tags.push("known-exploited".to_string());
            }
            let mut properties = json!({
                "tags": tags,
                "severity": finding.severity.level.as_str(),
                "severity-source": finding.severity.source.describe(),
            });
            if let Some(vector) = &finding.severity.cvss_vector {
                properties["cvss-vector"] = json!(vector);
            }
            if let Some(score) = security_severity(finding) {
                properties["security-severity"] = json!(score);
            }
            if !finding.aliases.is_empty() {
                properties["aliases"] = json!(finding.aliases);
            }
            let mut rule = json!({
                "id": finding.advisory_id,
                "name": finding.advisory_id.replace(['-', ':'], "_"),
                "shortDescription": { "text": summary },
                "fullDescription": { "text": format!("{} ({})", summary, std::iter::once(finding.advisory_id.as_str()).chain(finding.aliases.iter().map(String::as_str)).collect::<Vec<_>>().join(", ")) },
                "defaultConfiguration": { "level": level(finding) },
                "help": { "text": help_text(finding) },
                "properties": properties,
            });
            if let Some(uri) = finding.references.first() {
                rule["helpUri"] = json!(uri);
            }
            rule
        })
        .collect();
    let results: Vec<Value> = result
        .findings
        .iter()
        .map(|finding| {
            let component = &finding.component;
            let (file, line) = split_source(&component.source);
            let mut region = json!({ "startLine": line.unwrap_or(1) });
            if line.is_none() {
                // A JSON pointer has no line; say so rather than pretend line 1 is exact.
                region["properties"] = json!({ "pointer": component.source.split_once('#').map(|(_, p)| p).unwrap_or("") });
            }
            // A finding VEX ruled out is still reported (suppressed): say so in its text.
            let verb = match finding.vex.as_ref().map(|v| v.status) {
                Some(status @ (VexStatus::NotAffected | VexStatus::Fixed)) => {
                    format!("matches {} (VEX: {})", finding.advisory_id, status.as_str())
                }
                _ => format!("is affected by {}", finding.advisory_id),
            };
            let mut message = format!("{} {} {verb}", component.name, component.version);
            if !finding.summary.is_empty() {
                message.push_str(&format!(": {}", finding.summary));
            }
            if !finding.fixed_versions.is_empty() {
                message.push_str(&format!(". Fixed in {}", finding.fixed_versions.join(", ")));
            }
            if let Some(due) = &finding.due_date {
                message.push_str(&format!(". Due {due}{}", if finding.overdue { " (overdue)" } else { "" }));
            }
            let mut properties = json!({
                "component": {
                    "name": component.name,
                    "version": component.version,
                    "ecosystem": component.ecosystem,
                    "purl": component.purl,
                },
                "kev": finding.kev,
                "fixedVersions": finding.fixed_versions,
                "overdue": finding.overdue,
            });
            if let Some(due) = &finding.due_date {
                properties["dueDate"] = json!(due);
            }
            if let Some(vex) = &finding.vex {
                properties["vexStatus"] = json!(vex.status.as_str());
                if let Some(j) = &vex.justification {
                    properties["vexJustification"] = json!(j);
                }
            }
            let mut out = json!({
                "ruleId": finding.advisory_id,
                "ruleIndex": rule_index[finding.advisory_id.as_str()],
                "level": level(finding),
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": file_uri(file) },
                        "region": region,
                    },
                    "logicalLocations": [{
                        "fullyQualifiedName": component_ref(component),
                        "kind": "module",
                    }],
                }],
                "partialFingerprints": { "assay/finding/v1": fingerprint(finding) },
                "properties": properties,
            });
            if let Some(vex) = &finding.vex
                && matches!(vex.status, VexStatus::NotAffected | VexStatus::Fixed)
            {
                let justification = [vex.justification.as_deref(), vex.impact_statement.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(": ");
                out["suppressions"] = json!([{
                    "kind": "external",
                    "status": "accepted",
                    "justification": format!("VEX {} ({}){}", vex.status.as_str(), vex.source, if justification.is_empty() { String::new() } else { format!(": {justification}") }),
                }]);
            }
            out
        })
        .collect();
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "assay",
                    "informationUri": "https://example.invalid/assay",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules_json,
                }
            },
            "results": results,
            "properties": {
                "scanDate": result.scan_date,
                "components": result.summary.components,
                "openFindings": result.summary.findings,
            },
        }],
    })
}

fn help_text(finding: &Finding) -> String {
    let mut text = format!(
        "Severity: {} ({}). ",
        finding.severity.describe(),
        finding.severity.source.describe()
    );
    if finding.fixed_versions.is_empty() {
        text.push_str("No fixed version is known.");
    } else {
        text.push_str(&format!(
            "Upgrade to a fixed version: {}.",
            finding.fixed_versions.join(", ")
        ));
    }
    if let Some(kev) = &finding.kev_entry {
        text.push_str(&format!(" Listed in CISA KEV (due {}).", kev.due_date));
    }
    for reference in finding.references.iter().take(3) {
        text.push_str(&format!(" {reference}"));
    }
    text
}

/// SARIF artifact URIs use forward slashes; relative paths stay relative.
fn file_uri(file: &str) -> String {
    file.replace('\\', "/")
}
