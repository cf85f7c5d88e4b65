//! VEX: statements that a vulnerability does or does not affect a product, read from OpenVEX
//! (0.2.0, and the 0.0.x string forms), CSAF 2.0 VEX (the `csaf_vex` profile) and CycloneDX VEX
//! (`vulnerabilities[].analysis`) into one [`VexStatement`] model, and applied to findings.
//!
//! Matching rules ([`apply_vex`]):
//! - a statement covers a finding when one of the statement's ids (vulnerability id or alias)
//!   equals one of the finding's ids (advisory id or alias), compared without case;
//! - and one of its products matches the finding's component. A purl product matches when
//!   type, namespace and name are equal; a purl **with** a version applies to that version only,
//!   one **without** a version to every version; qualifiers written in the statement must all
//!   be present with the same value in the component's purl (a statement for `arch=arm64`
//!   does not cover an `amd64` build), qualifiers it does not write are not constrained.
//!   A CSAF product without a purl matches by product name (case-insensitive) and exact
//!   version;
//! - when several statements cover the same finding, the latest by `timestamp` wins (OpenVEX
//!   semantics), and among equal or absent timestamps the one read last.
//!
//! A CSAF `product_version_range` (a `vers:` range such as `vers:generic/>=2.9|<=4.1`, or a bare
//! `<=1.14.0`) is evaluated with the vers containment algorithm under the component's own
//! version order. What cannot be resolved to a matcher (a product with neither purl nor name, a
//! CycloneDX `ref` to a bom-ref the document does not define, a CycloneDX version range) is
//! reported as a warning, never silently dropped.
//!
//! Code map: this file holds the model ([`VexStatement`], [`ProductMatcher`], [`VersRange`])
//! and the errors; `read` detects the format and holds the reader's shared helpers; one file
//! per format reads it (`openvex`, `csaf`, `cyclonedx`); `apply` applies statements to
//! findings. Writers (OpenVEX, CycloneDX VEX) live in [`crate::output`].

mod apply;
mod csaf;
mod cyclonedx;
mod openvex;
mod read;

pub use apply::apply_vex;
pub use read::{read_vex, read_vex_bytes};

use std::cmp::Ordering;
use std::fmt;
use std::path::PathBuf;

use crate::component::Component;
use crate::finding::VexStatus;
use crate::sbom::purl::Purl;
use crate::version::Scheme;

/// One VEX statement in the common model.
#[derive(Clone, Debug, PartialEq)]
pub struct VexStatement {
    /// The vulnerability id the statement is about (CVE, GHSA, OSV id, ...).
    pub vulnerability: String,
    /// Other ids of the same vulnerability the document gave.
    pub aliases: Vec<String>,
    /// What the statement covers; a finding must match one of them.
    pub products: Vec<ProductMatcher>,
    pub status: VexStatus,
    /// Justification label as written (OpenVEX label, CSAF flag label, CycloneDX justification).
    pub justification: Option<String>,
    pub impact_statement: Option<String>,
    pub action_statement: Option<String>,
    /// RFC 3339 timestamp of the statement (or of its document), when given.
    pub timestamp: Option<String>,
    /// `file#/json/pointer` of the statement.
    pub source: String,
}

/// How a statement names a product.
#[derive(Clone, Debug, PartialEq)]
pub enum ProductMatcher {
    /// A package URL; with a version it covers that version only.
    Purl(Purl),
    /// A product known only by name (CSAF product tree without purl), optionally at one version.
    Named {
        name: String,
        version: Option<String>,
    },
    /// A product known by name over a version range (CSAF `product_version_range`, written as a
    /// `vers:` range or a bare `<=1.2` list), compared under the component's ecosystem order.
    NamedRange { name: String, range: VersRange },
}

/// A version range in the `vers` notation (`vers:generic/>=2.9|<=4.1`), the form CSAF
/// recommends for `product_version_range`. A bare constraint list (`<=1.14.0`) is accepted too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersRange {
    /// As written, for messages.
    pub text: String,
    /// `(comparator, version)`; comparator one of `=`, `!=`, `<`, `<=`, `>`, `>=`.
    pub constraints: Vec<(String, String)>,
    /// `vers:*/*`: every version.
    pub all: bool,
}

impl VersRange {
    /// Parses a `vers:` range or a bare constraint list; `None` when it is neither.
    pub fn parse(text: &str) -> Option<VersRange> {
        let trimmed = text.trim();
        let body = match trimmed.strip_prefix("vers:") {
            Some(rest) => rest.split_once('/').map(|(_, constraints)| constraints)?,
            // Outside `vers:`, only a list that starts with a comparator is a range.
            None if trimmed.starts_with(['<', '>', '=', '!']) => trimmed,
            None => return None,
        };
        if body.trim() == "*" {
            return Some(VersRange {
                text: trimmed.to_string(),
                constraints: Vec::new(),
                all: true,
            });
        }
        let mut constraints = Vec::new();
        for part in body.split('|').map(str::trim).filter(|p| !p.is_empty()) {
            let op_len = part
                .find(|c: char| !matches!(c, '<' | '>' | '=' | '!'))
                .unwrap_or(part.len());
            let (op, version) = part.split_at(op_len);
            let op = if op.is_empty() { "=" } else { op };
            let version = version.trim();
            if !matches!(op, "=" | "!=" | "<" | "<=" | ">" | ">=")
                || version.is_empty()
                || version.contains(char::is_whitespace)
            {
                return None;
            }
            constraints.push((op.to_string(), version.trim().to_string()));
        }
        (!constraints.is_empty()).then(|| VersRange {
            text: trimmed.to_string(),
            constraints,
            all: false,
        })
    }

    /// The vers containment algorithm: equality constraints first, then the remaining
    /// constraints sorted by version and read as intervals. `None` when a version cannot be
    /// ordered under `scheme`.
    pub fn contains(&self, version: &str, scheme: Scheme) -> Option<bool> {
        if self.all {
            return Some(true);
        }
        let mut ranges: Vec<(&str, &str)> = Vec::new();
        for (op, bound) in &self.constraints {
            let ordering = scheme.compare(version, bound).ok()?;
            match op.as_str() {
                "=" if ordering == Ordering::Equal => return Some(true),
                "!=" if ordering == Ordering::Equal => return Some(false),
                "=" | "!=" => {}
                _ => ranges.push((op, bound)),
            }
        }
        let mut sorted: Vec<(&str, &str)> = ranges;
        let mut failed = false;
        sorted.sort_by(|a, b| {
            scheme.compare(a.1, b.1).unwrap_or_else(|_| {
                failed = true;
                Ordering::Equal
            })
        });
        if failed {
            return None;
        }
        let satisfies = |(op, bound): (&str, &str)| -> Option<bool> {
            let ordering = scheme.compare(version, bound).ok()?;
            Some(match op {
                "<" => ordering == Ordering::Less,
                "<=" => ordering != Ordering::Greater,
                ">" => ordering == Ordering::Greater,
                ">=" => ordering != Ordering::Less,
                _ => false,
            })
        };
        let is_lower = |op: &str| op.starts_with('>');
        for (i, &constraint) in sorted.iter().enumerate() {
            let first = i == 0;
            let last = i + 1 == sorted.len();
            if first && !is_lower(constraint.0) && satisfies(constraint)? {
                return Some(true);
            }
            if last && is_lower(constraint.0) && satisfies(constraint)? {
                return Some(true);
            }
            if let Some(&next) = sorted.get(i + 1)
                && is_lower(constraint.0)
                && !is_lower(next.0)
                && satisfies(constraint)?
                && satisfies(next)?
            {
                return Some(true);
            }
        }
        Some(false)
    }
}

impl ProductMatcher {
    /// Whether this matcher covers `component`.
    pub fn matches(&self, component: &Component, component_purl: Option<&Purl>) -> bool {
        match self {
            ProductMatcher::Purl(wanted) => {
                let Some(have) = component_purl else {
                    return false;
                };
                if !wanted.same_package(have) {
                    return false;
                }
                if let Some(version) = &wanted.version {
                    // The component's own version decides when its purl carries none.
                    let have_version = have.version.as_deref().unwrap_or(&component.version);
                    if version != have_version {
                        return false;
                    }
                }
                wanted
                    .qualifiers
                    .iter()
                    .all(|(key, value)| have.qualifiers.get(key) == Some(value))
            }
            ProductMatcher::Named { name, version } => {
                name.eq_ignore_ascii_case(&component.name)
                    && version.as_ref().is_none_or(|v| *v == component.version)
            }
            ProductMatcher::NamedRange { name, range } => {
                name.eq_ignore_ascii_case(&component.name)
                    && range
                        .contains(
                            &component.version,
                            Scheme::for_ecosystem(&component.ecosystem),
                        )
                        .unwrap_or(false)
            }
        }
    }
}

impl fmt::Display for ProductMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProductMatcher::Purl(purl) => write!(f, "{purl}"),
            ProductMatcher::Named {
                name,
                version: Some(v),
            } => write!(f, "{name} {v}"),
            ProductMatcher::Named {
                name,
                version: None,
            } => write!(f, "{name} (all versions)"),
            ProductMatcher::NamedRange { name, range } => write!(f, "{name} {}", range.text),
        }
    }
}

/// The VEX formats assay reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VexFormat {
    OpenVex,
    CsafVex,
    CycloneDxVex,
}

impl fmt::Display for VexFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VexFormat::OpenVex => "OpenVEX",
            VexFormat::CsafVex => "CSAF VEX",
            VexFormat::CycloneDxVex => "CycloneDX VEX",
        })
    }
}

/// A VEX document that cannot be read. Every variant names the file and where in it.
#[derive(Debug, thiserror::Error)]
pub enum VexError {
    #[error(
        "cannot read {}: {source}; check that the path exists and is readable",
        crate::qp(path)
    )]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{}:{line}:{column}: invalid JSON ({}); the VEX document is damaged or truncated",
        crate::qp(path),
        crate::qm(message)
    )]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{}: not a VEX document assay reads ({}); pass OpenVEX, CSAF 2.0 (csaf_vex profile) or CycloneDX JSON with `vulnerabilities`",
        crate::qp(path),
        crate::qm(reason)
    )]
    UnknownFormat { path: PathBuf, reason: String },
    #[error("{}: at {}: {}", crate::q(&path.to_string_lossy()), crate::q(pointer), crate::qm(message))]
    Field {
        path: PathBuf,
        pointer: String,
        message: String,
    },
}

/// A VEX entry that was skipped or only partly understood: a location (`file#/pointer`) and a
/// message, the same shape as the SBOM readers' warnings, so it is the same type.
pub type VexWarning = crate::sbom::SbomWarning;

/// Everything read from one VEX document.
#[derive(Clone, Debug)]
pub struct VexRead {
    pub format: VexFormat,
    pub statements: Vec<VexStatement>,
    pub warnings: Vec<VexWarning>,
}
