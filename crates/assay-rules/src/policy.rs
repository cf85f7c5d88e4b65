//! The user's own policy: which rules that no source states (constraints of basis
//! `assay-policy` or `interpretation`) the user makes mandatory for their products.
//!
//! By default such a rule never blocks on its own: an obligation that is unmet or failing only
//! because of it is shown `at risk` with basis `policy` or `interpretation`. A policy file
//! lists the obligations whose unsourced rules the user adopts, by `pack-id/obligation-id`:
//!
//! ```toml
//! # my-policy.toml
//! enforce = ["us-cisa-kev-remediation/kev-remediated-by-due-date"]
//! ```
//!
//! Given to `assay rules check --enforce` or `assay assess --enforce`, those obligations block
//! like sourced ones (marked `enforced`). Entries are checked against the packs loaded: an
//! entry naming no obligation, or an obligation with no unsourced rule, is an error (a typo
//! would otherwise silently enforce nothing).

use std::path::Path;

use serde::Deserialize;

use crate::engine::{Applicability, Evaluation, Status, tally};
use crate::error::{RulesError, display_path, parse_toml, read_file};
use crate::pack::RulePack;
use crate::vocab::Force;

/// Most entries a policy file may list.
const MAX_ENTRIES: usize = 1000;

/// A user policy file (TOML).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPolicy {
    /// `pack-id/obligation-id` of each obligation whose unsourced rules the user makes
    /// mandatory.
    #[serde(default)]
    pub enforce: Vec<String>,
}

impl UserPolicy {
    /// Reads and parses a policy file (check it against the packs with [`UserPolicy::check`]).
    pub fn from_path(path: &Path) -> Result<UserPolicy, RulesError> {
        let text = read_file(path)?;
        UserPolicy::from_toml(&text, &display_path(path))
    }

    /// Parses policy text; `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<UserPolicy, RulesError> {
        let policy: UserPolicy =
            parse_toml(text, file, "policy file", "the format is in docs/rules.md")?;
        if policy.enforce.len() > MAX_ENTRIES {
            return Err(RulesError::invalid(
                file,
                "enforce",
                format!("{} entries, at most {MAX_ENTRIES}", policy.enforce.len()),
                "list only the obligations whose unsourced rules you adopt",
            ));
        }
        Ok(policy)
    }

    /// Checks every entry against `packs`: it must name `pack-id/obligation-id` of an
    /// obligation that holds a rule no source states. `file` and `text` locate the error.
    pub fn check(&self, packs: &[RulePack], file: &str, text: &str) -> Result<(), RulesError> {
        for entry in &self.enforce {
            let found = entry.split_once('/').and_then(|(p, o)| {
                packs
                    .iter()
                    .find(|pack| pack.id == p)
                    .and_then(|pack| pack.obligations.iter().find(|ob| &*ob.id == o))
            });
            let err = |message: String, hint: &str| {
                RulesError::invalid(file, "enforce", message, hint).at_value(text, entry)
            };
            match found {
                None => {
                    return Err(err(
                        format!(
                            "{} names no obligation of the packs loaded",
                            assay_core::quote(entry, 120)
                        ),
                        "write `pack-id/obligation-id` as `assay rules packs` lists them",
                    ));
                }
                Some(ob) if !ob.evidence.iter().any(crate::engine::has_unsourced_rule) => {
                    return Err(err(
                        format!(
                            "{} holds no assay-policy or interpretation rule to enforce",
                            assay_core::quote(entry, 120)
                        ),
                        "remove the entry: its sourced rules already block",
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    fn enforces(&self, pack_id: &str, obligation_id: &str) -> bool {
        self.enforce.iter().any(|e| {
            e.split_once('/')
                .is_some_and(|(p, o)| p == pack_id && o == obligation_id)
        })
    }
}

/// Applies the user's policy to an evaluation: a mandatory obligation that applies and is
/// unmet or failing only by an unsourced rule blocks when the policy enforces it (marked
/// `enforced`); the summary is counted again.
pub fn enforce(evaluation: &mut Evaluation, policy: &UserPolicy) {
    if policy.enforce.is_empty() {
        return;
    }
    let mut summary = crate::engine::Summary::default();
    for r in &mut evaluation.results {
        for o in &mut r.obligations {
            if !o.blocking
                && policy.enforces(&r.pack_id, &o.id)
                && o.force == Force::Mandatory
                && o.applicability == Applicability::Applies
                && matches!(o.status, Status::Unmet | Status::Failing)
            {
                o.blocking = true;
                o.enforced = true;
            }
            tally(&mut summary, o);
        }
    }
    evaluation.summary = summary;
}
