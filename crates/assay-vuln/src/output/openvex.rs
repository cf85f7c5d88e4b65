//! OpenVEX 0.2.0 for `assay vuln vex`: the decisions made, as a document others can apply.
//!
//! Only findings that carry a VEX decision are written (an undecided finding is not a
//! statement). Findings with the same vulnerability and the same decision become one statement
//! listing every affected component's purl as a product (the versioned purl, so the statement
//! covers exactly the versions scanned). Justification labels from CSAF flags are OpenVEX labels
//! already; CycloneDX justifications are mapped; one without an OpenVEX equivalent is kept in
//! the impact statement. `affected` statements get an action statement (OpenVEX requires one):
//! the decision's own, or the fixed versions the advisories name.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{component_ref, digest};
use crate::finding::{Finding, ScanResult, VexStatus};

pub const OPENVEX_CONTEXT: &str = "https://openvex.dev/ns/v0.2.0";

/// Document-level fields the caller chooses.
#[derive(Clone, Debug, Default)]
pub struct OpenVexOptions {
    /// `author` (required by OpenVEX); defaults to `assay`.
    pub author: Option<String>,
    /// RFC 3339 timestamp; defaults to the scan date at midnight UTC, so output is reproducible.
    pub timestamp: Option<String>,
    /// `@id` IRI; defaults to a `urn:assay:openvex:` id derived from the statements.
    pub id: Option<String>,
}

/// OpenVEX justification label for a label from any VEX format.
pub fn openvex_justification(label: &str) -> Option<&'static str> {
    Some(match label {
        "component_not_present" => "component_not_present",
        "vulnerable_code_not_present" | "code_not_present" => "vulnerable_code_not_present",
        "vulnerable_code_not_in_execute_path" | "code_not_reachable" => {
            "vulnerable_code_not_in_execute_path"
        }
        "vulnerable_code_cannot_be_controlled_by_adversary" => {
            "vulnerable_code_cannot_be_controlled_by_adversary"
        }
        "inline_mitigations_already_exist"
        | "protected_by_mitigating_control"
        | "protected_by_compiler"
        | "protected_at_runtime" => "inline_mitigations_already_exist",
        _ => return None,
    })
}

/// Writes the VEX decisions in `result` as an OpenVEX 0.2.0 document.
pub fn to_openvex(result: &ScanResult, options: &OpenVexOptions) -> Value {
    // (vulnerability, decision) -> findings, in a stable order.
    let mut groups: BTreeMap<(String, String), Vec<&Finding>> = BTreeMap::new();
    for finding in &result.findings {
        if let Some(vex) = &finding.vex {
            let key = serde_json::to_string(&(
                vex.status,
                &vex.justification,
                &vex.impact_statement,
                &vex.action_statement,
            ))
            .unwrap_or_default();
            groups
                .entry((finding.advisory_id.clone(), key))
                .or_default()
                .push(finding);
        }
    }
    let statements: Vec<Value> = groups
        .values()
        .map(|findings| statement(findings))
        .collect();
    let timestamp = options
        .timestamp
        .clone()
        .unwrap_or_else(|| format!("{}T00:00:00Z", result.scan_date));
    let id = options.id.clone().unwrap_or_else(|| {
        let content = serde_json::to_string(&statements).unwrap_or_default();
        format!(
            "urn:assay:openvex:{}",
            &digest(&[&content, &timestamp])[..32]
        )
    });
    json!({
        "@context": OPENVEX_CONTEXT,
        "@id": id,
        "author": options.author.clone().unwrap_or_else(|| "assay".to_string()),
        "timestamp": timestamp,
        "version": 1,
        "tooling": format!("assay {}", env!("CARGO_PKG_VERSION")),
        "statements": statements,
    })
}

fn statement(findings: &[&Finding]) -> Value {
    let first = findings[0];
    let Some(vex) = &first.vex else {
        return Value::Null; // unreachable: only decided findings are grouped
    };
    let mut products: Vec<String> = findings
        .iter()
        .map(|f| component_ref(&f.component))
        .collect();
    products.sort();
    products.dedup();
    let mut vulnerability = json!({ "name": first.advisory_id });
    if !first.aliases.is_empty() {
        vulnerability["aliases"] = json!(first.aliases);
    }
    let mut out = json!({
        "vulnerability": vulnerability,
        "products": products.iter().map(|p| json!({ "@id": p })).collect::<Vec<_>>(),
        "status": vex.status.as_str(),
    });
    let mut impact = vex.impact_statement.clone();
    if let Some(label) = &vex.justification {
        match openvex_justification(label) {
            Some(j) if vex.status == VexStatus::NotAffected => out["justification"] = json!(j),
            _ => {
                let kept = format!("justification as stated: {label}");
                impact = Some(match impact {
                    Some(text) => format!("{text} ({kept})"),
                    None => kept,
                });
            }
        }
    }
    if let Some(text) = impact {
        out["impact_statement"] = json!(text);
    }
    let action = vex.action_statement.clone().or_else(|| {
        (vex.status == VexStatus::Affected).then(|| {
            let mut fixed: Vec<&str> = findings
                .iter()
                .flat_map(|f| f.fixed_versions.iter().map(String::as_str))
                .collect();
            fixed.sort_unstable();
            fixed.dedup();
            if fixed.is_empty() {
                "No fixed version is known yet; follow the advisory.".to_string()
            } else {
                format!("Upgrade to a fixed version: {}", fixed.join(", "))
            }
        })
    });
    if let Some(action) = action {
        out["action_statement"] = json!(action);
    }
    out
}
