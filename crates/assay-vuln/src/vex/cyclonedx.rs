//! CycloneDX VEX: `vulnerabilities[].analysis` and `affects[]`.
use std::collections::HashMap;

use serde_json::Value;

use super::read::{Reader, text};
use super::{ProductMatcher, VexError, VexStatement};
use crate::finding::VexStatus;
use crate::sbom::purl::{Purl, percent_decode};

impl Reader<'_> {
    // ---- CycloneDX VEX ---------------------------------------------------------------

    pub(super) fn cyclonedx(&mut self, doc: &Value) -> Result<(), VexError> {
        // bom-ref -> purl, for `affects[].ref` that point into the document's components.
        let mut refs: HashMap<String, String> = HashMap::new();
        fn collect(list: &Value, refs: &mut HashMap<String, String>) {
            for component in list.as_array().map(Vec::as_slice).unwrap_or(&[]) {
                if let (Some(bom_ref), Some(purl)) =
                    (text(component, "bom-ref"), text(component, "purl"))
                {
                    refs.insert(bom_ref.to_string(), purl.to_string());
                }
                if let Some(nested) = component.get("components") {
                    collect(nested, refs);
                }
            }
        }
        if let Some(list) = doc.get("components") {
            collect(list, &mut refs);
        }
        if let Some(meta) = doc.get("metadata").and_then(|m| m.get("component")) {
            collect(&Value::Array(vec![meta.clone()]), &mut refs);
        }
        let timestamp = doc
            .get("metadata")
            .and_then(|m| text(m, "timestamp"))
            .map(str::to_string);
        let vulnerabilities = self.array(doc, "vulnerabilities", "")?;
        if vulnerabilities.is_empty() {
            self.warn(
                "/vulnerabilities",
                "the CycloneDX document has no vulnerabilities: no VEX statements",
            );
        }
        for (i, vuln) in vulnerabilities.iter().enumerate() {
            let here = format!("/vulnerabilities/{i}");
            let Some(id) = text(vuln, "id") else {
                self.warn(&here, "vulnerability has no `id`: skipped");
                continue;
            };
            let aliases: Vec<String> = self
                .array(vuln, "references", &here)?
                .iter()
                .filter_map(|r| text(r, "id"))
                .map(str::to_string)
                .collect();
            let Some(analysis) = vuln.get("analysis") else {
                self.warn(
                    &here,
                    format!("{id} has no `analysis`: it states nothing about VEX status, skipped"),
                );
                continue;
            };
            let state = text(analysis, "state").unwrap_or("");
            let status = match state {
                "not_affected" | "false_positive" => VexStatus::NotAffected,
                "exploitable" => VexStatus::Affected,
                "resolved" | "resolved_with_pedigree" => VexStatus::Fixed,
                "in_triage" => VexStatus::UnderInvestigation,
                other => {
                    return Err(self.field_error(
                        format!("{here}/analysis/state"),
                        format!("`{other}` is not a CycloneDX analysis state: use resolved, resolved_with_pedigree, exploitable, in_triage, false_positive or not_affected"),
                    ));
                }
            };
            let mut products = Vec::new();
            for (j, affects) in self.array(vuln, "affects", &here)?.iter().enumerate() {
                let pointer = format!("{here}/affects/{j}");
                let Some(reference) = text(affects, "ref") else {
                    self.warn(&pointer, "`affects` entry has no `ref`: ignored");
                    continue;
                };
                // A BOM-Link (`urn:cdx:SERIAL/VERSION#BOM-REF`) points into another BOM; most
                // generators use the purl as bom-ref, so the fragment is tried as one.
                let reference = match reference
                    .strip_prefix("urn:cdx:")
                    .and_then(|r| r.split_once('#'))
                {
                    Some((_, fragment)) => {
                        percent_decode(fragment).unwrap_or_else(|_| fragment.to_string())
                    }
                    None => reference.to_string(),
                };
                let purl_text = refs.get(&reference).cloned().unwrap_or(reference);
                let Some(ProductMatcher::Purl(purl)) = self.purl_matcher(&purl_text, &pointer)
                else {
                    continue;
                };
                // `versions` narrows a version-less ref to the listed versions.
                let versions = self.array(affects, "versions", &pointer)?;
                if versions.is_empty() || purl.version.is_some() {
                    products.push(ProductMatcher::Purl(purl));
                    continue;
                }
                for (k, version) in versions.iter().enumerate() {
                    match text(version, "version") {
                        Some(v) => products.push(ProductMatcher::Purl(Purl {
                            version: Some(v.to_string()),
                            ..purl.clone()
                        })),
                        None => self.warn(
                            &format!("{pointer}/versions/{k}"),
                            "version ranges are not evaluated for VEX: entry ignored",
                        ),
                    }
                }
            }
            if products.is_empty() {
                self.warn(
                    &here,
                    format!(
                        "statement on {id} names no product assay can match: it applies to nothing"
                    ),
                );
                continue;
            }
            let responses: Vec<&str> = self
                .array(analysis, "response", &format!("{here}/analysis"))?
                .iter()
                .filter_map(Value::as_str)
                .collect();
            self.statements.push(VexStatement {
                vulnerability: id.to_string(),
                aliases,
                products,
                status,
                justification: text(analysis, "justification").map(str::to_string),
                impact_statement: text(analysis, "detail").map(str::to_string),
                action_statement: (!responses.is_empty()).then(|| responses.join(", ")),
                timestamp: text(analysis, "lastUpdated")
                    .or_else(|| text(analysis, "firstIssued"))
                    .map(str::to_string)
                    .or_else(|| timestamp.clone()),
                source: self.at(&here),
            });
        }
        Ok(())
    }
}
