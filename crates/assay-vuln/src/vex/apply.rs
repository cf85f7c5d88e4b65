//! Applying statements to findings (the matching rules are in the module doc of `vex`).

use std::collections::HashMap;

use super::VexStatement;
use crate::component::Component;
use crate::finding::{Finding, VexDecision};
use crate::sbom::purl::Purl;

/// The purl a component is matched by: its own, or one derived from ecosystem, name, version.
fn component_purl(component: &Component) -> Option<Purl> {
    match &component.purl {
        Some(p) => Purl::parse(p).ok(),
        None => Some(Purl::for_package(
            &component.ecosystem,
            &component.name,
            &component.version,
        )),
    }
}

/// Sets [`Finding::vex`] on every finding a statement covers (see the module doc for the
/// rules). Returns how many findings received a decision. Findings no statement covers keep
/// whatever decision they had.
pub fn apply_vex(findings: &mut [Finding], statements: &[VexStatement]) -> usize {
    // Index statements by lower-cased id so that each finding looks only at its own.
    let mut by_id: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, statement) in statements.iter().enumerate() {
        for id in std::iter::once(&statement.vulnerability).chain(&statement.aliases) {
            let entry = by_id.entry(id.to_ascii_lowercase()).or_default();
            if entry.last() != Some(&index) {
                entry.push(index);
            }
        }
    }
    let mut applied = 0;
    for finding in findings.iter_mut() {
        let purl = component_purl(&finding.component);
        let mut best: Option<usize> = None;
        for id in finding.ids() {
            for &index in by_id
                .get(&id.to_ascii_lowercase())
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                let statement = &statements[index];
                if !statement
                    .products
                    .iter()
                    .any(|p| p.matches(&finding.component, purl.as_ref()))
                {
                    continue;
                }
                let later = match best {
                    None => true,
                    Some(current) => {
                        let current_ts = statements[current].timestamp.as_deref().unwrap_or("");
                        let ts = statement.timestamp.as_deref().unwrap_or("");
                        (ts, index) > (current_ts, current)
                    }
                };
                if later {
                    best = Some(index);
                }
            }
        }
        if let Some(index) = best {
            let statement = &statements[index];
            finding.vex = Some(VexDecision {
                status: statement.status,
                justification: statement.justification.clone(),
                impact_statement: statement.impact_statement.clone(),
                action_statement: statement.action_statement.clone(),
                source: statement.source.clone(),
            });
            applied += 1;
        }
    }
    applied
}
