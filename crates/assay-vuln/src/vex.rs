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

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::component::Component;
use crate::finding::{Finding, VexDecision, VexStatus};
use crate::sbom::purl::{Purl, percent_decode};
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
    #[error("cannot read {}: {source}; check that the path exists and is readable", crate::qp(path))]
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

/// Reads a VEX document, detecting its format from its content.
pub fn read_vex(path: &Path) -> Result<VexRead, VexError> {
    let bytes = std::fs::read(path).map_err(|source| VexError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_vex_bytes(path, &bytes)
}

/// Reads a VEX document from memory; `path` names it in messages and statement sources.
pub fn read_vex_bytes(path: &Path, bytes: &[u8]) -> Result<VexRead, VexError> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| VexError::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let mut reader = Reader {
        path,
        display: path.display().to_string(),
        statements: Vec::new(),
        warnings: Vec::new(),
    };
    let format = if doc
        .get("document")
        .and_then(|d| d.get("csaf_version"))
        .is_some()
    {
        reader.csaf(&doc)?;
        VexFormat::CsafVex
    } else if doc
        .get("@context")
        .and_then(Value::as_str)
        .is_some_and(|c| c.contains("openvex"))
    {
        reader.openvex(&doc)?;
        VexFormat::OpenVex
    } else if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        reader.cyclonedx(&doc)?;
        VexFormat::CycloneDxVex
    } else {
        return Err(VexError::UnknownFormat {
            path: path.to_path_buf(),
            reason: "no OpenVEX `@context`, CSAF `document.csaf_version` or CycloneDX `bomFormat`"
                .into(),
        });
    };
    Ok(VexRead {
        format,
        statements: reader.statements,
        warnings: reader.warnings,
    })
}

struct Reader<'a> {
    path: &'a Path,
    display: String,
    statements: Vec<VexStatement>,
    warnings: Vec<VexWarning>,
}

fn text<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

impl Reader<'_> {
    fn at(&self, pointer: &str) -> String {
        format!("{}#{pointer}", self.display)
    }

    fn warn(&mut self, pointer: &str, message: impl Into<String>) {
        self.warnings.push(VexWarning {
            location: self.at(pointer),
            message: message.into(),
        });
    }

    fn field_error(&self, pointer: impl Into<String>, message: impl Into<String>) -> VexError {
        VexError::Field {
            path: self.path.to_path_buf(),
            pointer: pointer.into(),
            message: message.into(),
        }
    }

    fn array<'v>(
        &self,
        value: &'v Value,
        key: &str,
        pointer: &str,
    ) -> Result<&'v [Value], VexError> {
        match value.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(self.field_error(
                format!("{pointer}/{key}"),
                format!("`{key}` must be an array"),
            )),
        }
    }

    /// A product identifier string: a purl becomes a purl matcher; anything else is reported.
    fn purl_matcher(&mut self, id: &str, pointer: &str) -> Option<ProductMatcher> {
        match Purl::parse(id) {
            Ok(purl) => Some(ProductMatcher::Purl(purl)),
            Err(e) if id.starts_with("pkg:") => {
                self.warn(pointer, format!("package URL `{id}` {e}: product ignored"));
                None
            }
            Err(_) => {
                self.warn(
                    pointer,
                    format!("product `{id}` is not a package URL and has no purl identifier; it cannot be matched to components: ignored"),
                );
                None
            }
        }
    }

    // ---- OpenVEX ----------------------------------------------------------------------

    fn openvex(&mut self, doc: &Value) -> Result<(), VexError> {
        let doc_timestamp = text(doc, "timestamp").map(str::to_string);
        let statements = self.array(doc, "statements", "")?;
        if statements.is_empty() {
            self.warn("/statements", "the OpenVEX document has no statements");
        }
        for (i, statement) in statements.iter().enumerate() {
            let here = format!("/statements/{i}");
            if !statement.is_object() {
                return Err(self.field_error(here, "a statement must be a JSON object"));
            }
            // 0.2.0: {"name", "@id", "aliases"}; 0.0.x: a plain string.
            let vulnerability = statement.get("vulnerability");
            let (id, aliases) = match vulnerability {
                Some(Value::String(s)) => (s.trim().to_string(), Vec::new()),
                Some(v @ Value::Object(_)) => {
                    let id = text(v, "name")
                        .or_else(|| text(v, "@id"))
                        .map(str::to_string);
                    let mut aliases: Vec<String> = self
                        .array(v, "aliases", &format!("{here}/vulnerability"))?
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect();
                    if let (Some(iri), Some(name)) = (text(v, "@id"), text(v, "name"))
                        && iri != name
                    {
                        aliases.push(iri.to_string());
                    }
                    match id {
                        Some(id) => (id, aliases),
                        None => {
                            return Err(self.field_error(
                                format!("{here}/vulnerability"),
                                "the vulnerability needs a `name` (e.g. a CVE id)",
                            ));
                        }
                    }
                }
                _ => {
                    return Err(self.field_error(
                        format!("{here}/vulnerability"),
                        "each statement needs a `vulnerability` (an object with `name`)",
                    ));
                }
            };
            let status_text = text(statement, "status").unwrap_or("");
            let Some(status) = parse_openvex_status(status_text) else {
                return Err(self.field_error(
                    format!("{here}/status"),
                    format!("`{status_text}` is not an OpenVEX status: use not_affected, affected, fixed or under_investigation"),
                ));
            };
            let mut products = Vec::new();
            for (j, product) in self.array(statement, "products", &here)?.iter().enumerate() {
                let pointer = format!("{here}/products/{j}");
                // Subcomponents are the packages inside the product: those are what an SBOM
                // scan finds, so they are the matchers when given.
                let subcomponents = self.array(product, "subcomponents", &pointer)?;
                if subcomponents.is_empty() {
                    products.extend(self.openvex_product(product, &pointer));
                } else {
                    for (k, sub) in subcomponents.iter().enumerate() {
                        products.extend(
                            self.openvex_product(sub, &format!("{pointer}/subcomponents/{k}")),
                        );
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
            let justification = text(statement, "justification").map(str::to_string);
            if status == VexStatus::NotAffected
                && justification.is_none()
                && text(statement, "impact_statement").is_none()
            {
                self.warn(&here, "a not_affected statement needs a justification or an impact_statement (OpenVEX 0.2.0); read anyway");
            }
            self.statements.push(VexStatement {
                vulnerability: id,
                aliases,
                products,
                status,
                justification,
                impact_statement: text(statement, "impact_statement").map(str::to_string),
                action_statement: text(statement, "action_statement").map(str::to_string),
                timestamp: text(statement, "timestamp")
                    .map(str::to_string)
                    .or_else(|| doc_timestamp.clone()),
                source: self.at(&here),
            });
        }
        Ok(())
    }

    fn openvex_product(&mut self, product: &Value, pointer: &str) -> Option<ProductMatcher> {
        let id = match product {
            Value::String(s) => Some(s.as_str()),
            _ => product
                .get("identifiers")
                .and_then(|ids| text(ids, "purl"))
                .or_else(|| text(product, "@id")),
        };
        match id {
            Some(id) => self.purl_matcher(id, pointer),
            None => {
                self.warn(
                    pointer,
                    "product has neither `@id` nor `identifiers.purl`: ignored",
                );
                None
            }
        }
    }

    // ---- CSAF VEX ----------------------------------------------------------------------

    fn csaf(&mut self, doc: &Value) -> Result<(), VexError> {
        let category = doc
            .get("document")
            .and_then(|d| text(d, "category"))
            .unwrap_or("");
        if category != "csaf_vex" {
            self.warn(
                "/document/category",
                format!("category `{category}` is not `csaf_vex`; reading its product_status as VEX statements"),
            );
        }
        let timestamp = doc
            .get("document")
            .and_then(|d| d.get("tracking"))
            .and_then(|t| text(t, "current_release_date"))
            .map(str::to_string);
        let products = self.csaf_products(doc)?;
        let groups = self.csaf_groups(doc)?;
        let expand = |ids: &Value, groups_key: Option<&Value>| -> Vec<String> {
            let mut out: Vec<String> = ids
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            if let Some(group_ids) = groups_key.and_then(Value::as_array) {
                for group in group_ids.iter().filter_map(Value::as_str) {
                    out.extend(groups.get(group).cloned().unwrap_or_default());
                }
            }
            out
        };
        let vulnerabilities = self.array(doc, "vulnerabilities", "")?;
        for (i, vuln) in vulnerabilities.iter().enumerate() {
            let here = format!("/vulnerabilities/{i}");
            let mut ids: Vec<String> = Vec::new();
            if let Some(cve) = text(vuln, "cve") {
                ids.push(cve.to_string());
            }
            for id in self.array(vuln, "ids", &here)? {
                if let Some(t) = text(id, "text") {
                    ids.push(t.to_string());
                }
            }
            if ids.is_empty() {
                self.warn(
                    &here,
                    "vulnerability has neither `cve` nor `ids`: it cannot be matched, skipped",
                );
                continue;
            }
            // Per-product details: justification flags, impact threats, remediations.
            let mut justification: HashMap<String, String> = HashMap::new();
            for flag in self.array(vuln, "flags", &here)? {
                if let Some(label) = text(flag, "label") {
                    for id in expand(
                        flag.get("product_ids").unwrap_or(&Value::Null),
                        flag.get("group_ids"),
                    ) {
                        justification.insert(id, label.to_string());
                    }
                }
            }
            let mut impact: HashMap<String, String> = HashMap::new();
            for threat in self.array(vuln, "threats", &here)? {
                if text(threat, "category") == Some("impact")
                    && let Some(details) = text(threat, "details")
                {
                    for id in expand(
                        threat.get("product_ids").unwrap_or(&Value::Null),
                        threat.get("group_ids"),
                    ) {
                        impact.insert(id, details.to_string());
                    }
                }
            }
            let mut action: HashMap<String, String> = HashMap::new();
            for remediation in self.array(vuln, "remediations", &here)? {
                if let Some(details) = text(remediation, "details") {
                    let category = text(remediation, "category").unwrap_or("remediation");
                    for id in expand(
                        remediation.get("product_ids").unwrap_or(&Value::Null),
                        remediation.get("group_ids"),
                    ) {
                        action.insert(id, format!("{category}: {details}"));
                    }
                }
            }
            let Some(status_map) = vuln.get("product_status") else {
                self.warn(
                    &here,
                    "vulnerability has no `product_status`: nothing to apply",
                );
                continue;
            };
            let Some(status_map) = status_map.as_object() else {
                return Err(self.field_error(
                    format!("{here}/product_status"),
                    "`product_status` must be an object",
                ));
            };
            for (key, list) in status_map {
                let status = match key.as_str() {
                    "known_not_affected" => VexStatus::NotAffected,
                    "known_affected" | "first_affected" | "last_affected" => VexStatus::Affected,
                    "fixed" | "first_fixed" => VexStatus::Fixed,
                    "under_investigation" => VexStatus::UnderInvestigation,
                    // `recommended` names the product versions to move to, not a status.
                    _ => continue,
                };
                let pointer = format!("{here}/product_status/{key}");
                let Some(list) = list.as_array() else {
                    return Err(self
                        .field_error(pointer, "a product status must be an array of product ids"));
                };
                for (j, product_id) in list.iter().enumerate() {
                    let Some(product_id) = product_id.as_str() else {
                        return Err(self.field_error(
                            format!("{pointer}/{j}"),
                            "a product id must be a string",
                        ));
                    };
                    let matchers = match products.get(product_id) {
                        Some(Ok(matchers)) => matchers.clone(),
                        Some(Err(why)) => {
                            self.warn(&format!("{pointer}/{j}"), format!("product `{product_id}` {why}; the statement cannot be matched: skipped"));
                            continue;
                        }
                        None => {
                            self.warn(&format!("{pointer}/{j}"), format!("product `{product_id}` is not defined in the product tree: skipped"));
                            continue;
                        }
                    };
                    if status == VexStatus::NotAffected
                        && !justification.contains_key(product_id)
                        && !impact.contains_key(product_id)
                    {
                        self.warn(
                            &format!("{pointer}/{j}"),
                            format!("known_not_affected `{product_id}` has neither a flag nor an impact threat (CSAF VEX requires one); read anyway"),
                        );
                    }
                    self.statements.push(VexStatement {
                        vulnerability: ids[0].clone(),
                        aliases: ids[1..].to_vec(),
                        products: matchers,
                        status,
                        justification: justification.get(product_id).cloned(),
                        impact_statement: impact.get(product_id).cloned(),
                        action_statement: action.get(product_id).cloned(),
                        timestamp: timestamp.clone(),
                        source: self.at(&format!("{pointer}/{j}")),
                    });
                }
            }
        }
        Ok(())
    }

    /// product_id -> matchers, or why it has none.
    #[allow(clippy::type_complexity)]
    fn csaf_products(
        &mut self,
        doc: &Value,
    ) -> Result<BTreeMap<String, Result<Vec<ProductMatcher>, String>>, VexError> {
        let mut products = BTreeMap::new();
        let Some(tree) = doc.get("product_tree") else {
            return Ok(products);
        };
        // CSAF 2.0 writes one `purl`; CSAF 2.1 a `purls` array (the first is taken).
        fn helper_purl(product: &Value) -> Option<Purl> {
            let helper = product.get("product_identification_helper")?;
            text(helper, "purl")
                .or_else(|| {
                    helper
                        .get("purls")
                        .and_then(Value::as_array)
                        .and_then(|p| p.first())
                        .and_then(Value::as_str)
                })
                .and_then(|p| Purl::parse(p).ok())
        }
        fn walk(
            branch: &Value,
            name: Option<&str>,
            out: &mut BTreeMap<String, Result<Vec<ProductMatcher>, String>>,
        ) {
            let category = text(branch, "category").unwrap_or("");
            let branch_name = text(branch, "name");
            let name = if category == "product_name" {
                branch_name
            } else {
                name
            };
            if let Some(product) = branch.get("product")
                && let Some(id) = text(product, "product_id")
            {
                let matcher = if let Some(purl) = helper_purl(product) {
                    Ok(vec![ProductMatcher::Purl(purl)])
                } else {
                    match (category, name, branch_name) {
                        (
                            // The most specific version-like branch names the version
                            // (Cisco nests `service_pack` under `product_version`).
                            "product_version" | "service_pack" | "patch_level",
                            Some(name),
                            Some(version),
                        ) => Ok(vec![ProductMatcher::Named {
                            name: name.to_string(),
                            version: Some(version.to_string()),
                        }]),
                        // A product (family) named without a version: every version of it.
                        ("product_name" | "product_family", _, Some(family)) => {
                            Ok(vec![ProductMatcher::Named {
                                name: family.to_string(),
                                version: None,
                            }])
                        }
                        ("product_version_range", Some(name), Some(range)) => {
                            match VersRange::parse(range) {
                                Some(range) => Ok(vec![ProductMatcher::NamedRange {
                                    name: name.to_string(),
                                    range,
                                }]),
                                None => Err(format!(
                                    "has a version range `{range}` that is neither `vers:` nor a constraint list"
                                )),
                            }
                        }
                        _ => Err("has neither a purl nor a product name and version".to_string()),
                    }
                };
                out.insert(id.to_string(), matcher);
            }
            if let Some(children) = branch.get("branches").and_then(Value::as_array) {
                for child in children {
                    walk(child, name, out);
                }
            }
        }
        if let Some(branches) = tree.get("branches").and_then(Value::as_array) {
            for branch in branches {
                walk(branch, None, &mut products);
            }
        }
        for product in self.array(tree, "full_product_names", "/product_tree")? {
            if let Some(id) = text(product, "product_id") {
                let matcher = match helper_purl(product) {
                    Some(purl) => Ok(vec![ProductMatcher::Purl(purl)]),
                    None => Err("has no purl in its product_identification_helper".to_string()),
                };
                products.insert(id.to_string(), matcher);
            }
        }
        // "component X installed on platform Y": the statement is about the component.
        for relationship in self.array(tree, "relationships", "/product_tree")? {
            let (Some(reference), Some(full)) = (
                text(relationship, "product_reference"),
                relationship
                    .get("full_product_name")
                    .and_then(|f| text(f, "product_id")),
            ) else {
                continue;
            };
            let matcher = match relationship.get("full_product_name").and_then(helper_purl) {
                Some(purl) => Ok(vec![ProductMatcher::Purl(purl)]),
                None => products.get(reference).cloned().unwrap_or_else(|| {
                    Err(format!("refers to `{reference}`, which is not defined"))
                }),
            };
            products.insert(full.to_string(), matcher);
        }
        Ok(products)
    }

    fn csaf_groups(&self, doc: &Value) -> Result<HashMap<String, Vec<String>>, VexError> {
        let mut groups = HashMap::new();
        if let Some(tree) = doc.get("product_tree") {
            for group in self.array(tree, "product_groups", "/product_tree")? {
                if let Some(id) = text(group, "group_id") {
                    let members = group
                        .get("product_ids")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default();
                    groups.insert(id.to_string(), members);
                }
            }
        }
        Ok(groups)
    }

    // ---- CycloneDX VEX ---------------------------------------------------------------

    fn cyclonedx(&mut self, doc: &Value) -> Result<(), VexError> {
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

fn parse_openvex_status(status: &str) -> Option<VexStatus> {
    match status {
        "not_affected" => Some(VexStatus::NotAffected),
        "affected" => Some(VexStatus::Affected),
        "fixed" => Some(VexStatus::Fixed),
        "under_investigation" => Some(VexStatus::UnderInvestigation),
        _ => None,
    }
}

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
