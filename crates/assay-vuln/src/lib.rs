//! Vulnerability engine: which advisories affect which components of a product, which of
//! those are ruled out or confirmed by VEX statements, which are known exploited, what fixes
//! exist, and by when each must be fixed.
//!
//! Data flow (each step pure; only the index touches the disk, in its own file):
//!
//! ```text
//! advisory files ──import──> Advisory (OSV model) ──Index (SQLite, incremental)──┐
//! SBOM / lockfile ──sbom::read_components──> Component ─────────────────────────┴─> scan
//!   scan: lookup by (ecosystem, package) -> matching (OSV algorithm, per-ecosystem version
//!   order) -> merge by alias -> KEV + deadline policy -> ScanResult
//!   -> vex::apply_vex -> output writers (JSON, SARIF, CycloneDX VEX, OpenVEX)
//! ```
//!
//! Design choices worth knowing:
//! - version order is per ecosystem ([`version`]), never a single "semver-ish" compare;
//!   each scheme is tested against its reference tool (packaging, npm semver, dpkg, Maven);
//! - matching follows the OSV schema's evaluation algorithm literally ([`matching`]);
//! - advisories from all sources are read into one OSV-shaped model ([`advisory`]); RustSec's
//!   "not in patched/unaffected" rule is kept as its own range form rather than converted;
//! - a finding is one vulnerability per component: advisories sharing an id or alias are
//!   merged ([`scan`]), so a CVE reported by PyPA and GitHub is one finding;
//! - KEV due dates are stored as written; other deadlines come from a policy file ([`policy`]);
//! - readers never panic on bad input: problems are warnings naming file and field.

pub mod advisory;
pub mod component;
pub mod cvss;
pub mod evidence;
pub mod finding;
pub mod import;
pub mod index;
pub mod matching;
pub mod output;
pub mod policy;
pub mod sbom;
pub mod scan;
pub mod version;
pub mod vex;

pub use component::{Component, Ecosystem};
pub use finding::{
    AffectedRange, DueDateSource, Finding, KevEntry, ScanResult, ScanSummary, Severity,
    SeverityLevel, SeveritySource, VexDecision, VexStatus,
};
pub use import::{ImportLimits, LimitError};
pub use index::{ImportOptions, Index, IndexError, Reporter, Shrink, Silent};
pub use policy::DeadlinePolicy;
pub use scan::{ScanOptions, scan};

pub use evidence::evidence_meta;

/// Input quoted in a message: a name, location or value from a file (bounded, escaped).
pub(crate) fn q(input: &str) -> String {
    assay_core::quote(input, 240)
}

/// A message that may embed input (a parser's error, a field's value): bounded, escaped.
pub(crate) fn qm(message: &str) -> String {
    assay_core::quote(message, 400)
}

/// A path in a message.
pub(crate) fn qp(path: &std::path::Path) -> String {
    q(&path.to_string_lossy())
}
