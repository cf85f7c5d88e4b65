//! The assessment model and its renderings.
//!
//! [`Assessment`] is everything `assay assess` concluded about one case: the rules engine's
//! evaluation, the evaluators' reports, the evidence they rest on, and what could not be read.
//! It is written as `assessment.json` and rendered here, without I/O:
//!
//! * [`dossier_html`]: one self-contained page (inline CSS and SVG, no scripts, no network) for
//!   buyers, labs and reviewers: per-market summary first, then obligations with reasons and
//!   confidence, evidence, PAD results, vulnerabilities, conflicts, gaps and sources;
//! * [`filing_report_html`]: the security assessment report that goes into the CAC filing
//!   package, generated from the same evidence.
//!
//! Renderers take the model by reference and return strings; they never invent a figure that
//! is not in the model, and they show every fact's source status as the rules engine gave it.

mod html;
mod model;
pub mod retest;
mod verdict;

pub use html::{dossier_html, escape, filing_report_html};
pub use model::{
    Assessment, EvidenceRow, InputRow, InputStatus, PackRef, PadSection, PadStanding, PlanSection,
    SubjectInfo, VulnSection,
};
pub use retest::{RetestSection, customer_statement_html, customer_statement_md};
pub use verdict::{
    Gap, MarketItem, MarketStatus, MarketSummary, gaps, market_summaries, recommended_action,
};

/// The flags every headless Chromium run over a dossier uses (the CLI's `--pdf`, the screenshot
/// test): no GPU, and nothing that reaches the network or keeps state (no QUIC, background
/// networking, component updates, sync or first-run pages), so rendering a dossier never
/// talks to anyone. `--no-sandbox` because it runs as root in containers and CI.
pub const HEADLESS_CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];
