//! Lab schemes as data: what a scheme requires, with the source of every figure and whether
//! that source is primary (the issuing body), secondary (others quoting it) or unverified.
//!
//! Shipped schemes live in `schemes/*.toml` and are compiled into the binary; users load their
//! own with [`Scheme::parse`]. A scheme's digest (sha256 of its TOML text) goes into every
//! verdict so a verdict can be traced to the exact scheme text it was judged against.

use assay_core::text::quote_short;
use serde::{Deserialize, Serialize};

use crate::error::{PadError, Result};

/// How sure we are of a figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Read from the issuing body.
    Primary,
    /// Reported by others (news, vendors, labs quoting the scheme).
    Secondary,
    /// Not found in the sources held: an assumption, to be confirmed.
    Unverified,
    /// Follows from mathematics.
    Mathematics,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Primary => "primary",
            Status::Secondary => "secondary",
            Status::Unverified => "unverified",
            Status::Mathematics => "mathematics",
        }
    }
}

/// A source a scheme cites.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub status: Status,
}

/// A descriptive fact (not checked against data), e.g. the attack preparation time of a level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fact {
    pub text: String,
    pub source: String,
    pub status: Status,
}

/// What a criterion measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Measure {
    /// APCER of every species.
    Apcer,
    /// IAPAR of every species (needs device decisions).
    Iapar,
    /// BPCER.
    Bpcer,
    /// Attack presentations of every species.
    AttacksPerSpecies,
    /// Number of attack species in the campaign.
    SpeciesCount,
    /// Bona fide presentations.
    BonaFideCount,
    /// The listed species groups must each be covered.
    SpeciesGroups,
}

/// Comparison of a measured value against the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Compare {
    #[serde(rename = "<=")]
    AtMost,
    #[serde(rename = "<")]
    Below,
    #[serde(rename = ">=")]
    AtLeast,
}

impl Compare {
    pub fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Compare::AtMost => value <= limit,
            Compare::Below => value < limit,
            Compare::AtLeast => value >= limit,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Compare::AtMost => "<=",
            Compare::Below => "<",
            Compare::AtLeast => ">=",
        }
    }

    /// The symbol of the violated relation, for messages ("1.33% > 1%").
    pub fn violated(self) -> &'static str {
        match self {
            Compare::AtMost => ">",
            Compare::Below => ">=",
            Compare::AtLeast => "<",
        }
    }
}

/// One pass criterion.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemeCriterion {
    pub id: String,
    pub measure: Measure,
    #[serde(default = "default_compare")]
    pub compare: Compare,
    /// The limit (a rate for rates, a count for counts; unused for species groups).
    #[serde(default)]
    pub value: f64,
    /// For `species-groups`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Id of a `[[sources]]` entry.
    pub source: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn default_compare() -> Compare {
    Compare::AtMost
}

/// A scheme.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scheme {
    pub id: String,
    pub name: String,
    /// Level for "Level N or above" questions, when the scheme has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u32>,
    pub summary: String,
    pub sources: Vec<Source>,
    #[serde(default)]
    pub facts: Vec<Fact>,
    pub criteria: Vec<SchemeCriterion>,
    /// sha256 of the TOML text (filled on load).
    #[serde(default)]
    pub digest: String,
    /// Where the scheme came from: `builtin` or a file path (filled on load).
    #[serde(default)]
    pub origin: String,
}

/// The TOML text of the shipped schemes.
pub const BUILTIN: [(&str, &str); 8] = [
    ("ibeta-l1", include_str!("../schemes/ibeta-l1.toml")),
    ("ibeta-l2", include_str!("../schemes/ibeta-l2.toml")),
    ("ibeta-l3", include_str!("../schemes/ibeta-l3.toml")),
    ("fido-iapar-7", include_str!("../schemes/fido-iapar-7.toml")),
    (
        "fido-iapar-15",
        include_str!("../schemes/fido-iapar-15.toml"),
    ),
    (
        "cc-bio-pad-l1",
        include_str!("../schemes/cc-bio-pad-l1.toml"),
    ),
    (
        "cc-bio-pad-l2",
        include_str!("../schemes/cc-bio-pad-l2.toml"),
    ),
    (
        "nist-sp-800-63-4",
        include_str!("../schemes/nist-sp-800-63-4.toml"),
    ),
];

impl Scheme {
    /// Parses and checks a scheme; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        let err = |message: String| PadError::Scheme {
            file: assay_core::quote(origin, 400),
            message,
        };
        let mut scheme: Scheme =
            toml::from_str(text).map_err(|e| err(crate::error::toml_message(&e, text)))?;
        if scheme.id.is_empty() || scheme.criteria.is_empty() {
            return Err(err(
                "a scheme needs an `id` and at least one [[criteria]]".into()
            ));
        }
        for c in &scheme.criteria {
            if !scheme.sources.iter().any(|s| s.id == c.source) {
                return Err(err(format!(
                    "criterion `{}` cites source `{}`, which is not in [[sources]]",
                    quote_short(&c.id),
                    quote_short(&c.source)
                )));
            }
            if c.measure == Measure::SpeciesGroups && c.groups.is_empty() {
                return Err(err(format!(
                    "criterion `{}`: species-groups needs `groups`",
                    quote_short(&c.id)
                )));
            }
            let is_rate = matches!(c.measure, Measure::Apcer | Measure::Iapar | Measure::Bpcer);
            if is_rate && !(0.0..=1.0).contains(&c.value) {
                return Err(err(format!(
                    "criterion `{}`: {} is not a rate; write 0.01 for 1%",
                    quote_short(&c.id),
                    c.value
                )));
            }
        }
        for f in &scheme.facts {
            if !scheme.sources.iter().any(|s| s.id == f.source) {
                return Err(err(format!(
                    "a fact cites source `{}`, which is not in [[sources]]",
                    quote_short(&f.source)
                )));
            }
        }
        scheme.digest = assay_core::Sha256Digest::of(text.as_bytes()).to_hex();
        scheme.origin = origin.to_string();
        Ok(scheme)
    }

    /// The shipped schemes.
    pub fn builtin() -> Vec<Scheme> {
        BUILTIN
            .iter()
            .filter_map(|(name, text)| Scheme::parse(text, &format!("builtin:{name}")).ok())
            .collect()
    }

    /// True when at least one criterion rests on an unverified figure.
    pub fn has_unverified(&self) -> bool {
        self.criteria.iter().any(|c| c.status == Status::Unverified)
    }
}

/// Finds schemes by id among `available`, naming the unknown one.
pub fn select(available: &[Scheme], names: &[String]) -> Result<Vec<Scheme>> {
    names
        .iter()
        .map(|name| {
            available
                .iter()
                .find(|s| s.id.eq_ignore_ascii_case(name))
                .cloned()
                .ok_or_else(|| PadError::UnknownScheme {
                    name: quote_short(name),
                    known: assay_core::quote(
                        &available
                            .iter()
                            .map(|s| s.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        600,
                    ),
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_scheme_parses() {
        for (name, text) in BUILTIN {
            let s = Scheme::parse(text, name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(s.id, name);
        }
        assert_eq!(Scheme::builtin().len(), BUILTIN.len());
    }

    #[test]
    fn unknown_source_is_rejected() {
        let text = BUILTIN[1]
            .1
            .replace("source = \"ibeta-news\"", "source = \"nowhere\"");
        let e = Scheme::parse(&text, "x.toml").unwrap_err().to_string();
        assert!(e.contains("nowhere"), "{e}");
    }
}
