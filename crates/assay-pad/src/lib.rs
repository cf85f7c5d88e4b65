//! assay-pad: ISO/IEC 30107-3 presentation attack detection (PAD) conformance.
//!
//! A lab's or a device maker's campaign log goes in; metrics with confidence bounds, scheme
//! verdicts with their reasons, and a firmware binding come out, as one serialisable
//! [`PadReport`]. The crate is pure: it reads the inputs it is given, never prints, and reports
//! progress of long steps through [`Reporter`] (the workspace's one reporter trait,
//! `assay_core::Reporter`, re-exported).
//!
//! Design, in the order data flows:
//! - [`read`]: readers for the campaign CSV (the hot path: block-wise, parallel, byte-level),
//!   campaign JSON Lines, bob.pad.base score CSV and bob.measure `label score` files. Every
//!   error names the file, line and field. The result is a columnar [`Campaign`] with interned
//!   labels, so ten million rows fit in a few hundred megabytes.
//! - [`metrics`]: decision-based rates (APCER per species and per attack-potential level,
//!   APCER_AP, BPCER, non-response rates, IAPAR, RIAPAR) and score-based ones (thresholds by
//!   criterion with explicit polarity and tie rule, BPCER20/100, EER, DET). Scores are sorted
//!   once; every rate at a threshold is a binary search.
//! - [`confidence`]: Clopper-Pearson and Wilson intervals, plain statements, sample-size plans,
//!   and a seeded subject-clustered bootstrap on per-subject counts (not rows).
//! - [`scheme`]: lab schemes as TOML data, each figure with its source and status
//!   (primary / secondary / unverified). Shipped schemes are compiled in.
//! - [`report`]: [`pad_report`] ties it together and judges each scheme; [`covers`] checks a
//!   shipping SKU's firmware digest against the tested sample's.
//! - [`lab`]: the lab file (TOML) a test organisation supplies: accreditation, environment,
//!   procedure, deviations, signatory.
//! - [`testreport`]: the test report a lab signs (samples, species, metrics with the one
//!   confidence bound the verdict used, verdicts, deviations, signature block), as HTML.
//! - [`render`]: text and self-contained HTML (SVG DET curve) views of a report.
//!
//! ```no_run
//! use assay_pad::{PadOptions, Scheme, Silent, pad_report, read::read_path};
//! let campaign = read_path("campaign.csv".as_ref())?;
//! let schemes = assay_pad::scheme::select(&Scheme::builtin(), &["ibeta-l2".into()])?;
//! let report = pad_report(&campaign, None, &schemes, &PadOptions::default(), &Silent)?;
//! println!("{}", assay_pad::render::text(&report));
//! # Ok::<(), assay_pad::PadError>(())
//! ```

pub mod campaign;
pub mod confidence;
pub mod det;
pub mod error;
pub mod evidence;
pub mod lab;
pub mod manifest;
pub mod metrics;
pub mod read;
pub mod render;
pub mod report;
pub mod scheme;
pub mod testreport;

pub use campaign::{Campaign, Decision, Kind, Presentation};
pub use error::{PadError, Result};
pub use evidence::{campaign_meta, evidence_meta, report_meta};
pub use lab::LabInfo;
pub use manifest::Manifest;
pub use metrics::{Criterion, Polarity, Tie};
pub use report::{
    BootstrapOptions, Coverage, Outcome, PadOptions, PadReport, Reporter, Silent, covers,
    pad_report,
};
pub use scheme::Scheme;
