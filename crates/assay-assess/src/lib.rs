//! The main job as a library: one case in; signed evidence, verdicts, a dossier, a filing
//! package and a delivery plan out.
//!
//! It knows neither the terminal nor HTTP: no argument parsing, no progress drawing, no
//! printing. The CLI (`assay assess`) and a server call the same functions:
//!
//! 1. [`CaseInputs::discover`] finds a case's named files by role (inputs only from inside the
//!    case folder: see [`case`]); [`CaseInputs::from_files`] gives an upload held in memory the
//!    same roles.
//! 2. [`AssessOptions::resolve`] merges the caller's [`Overrides`] with `case.toml`.
//! 3. [`import_advisories`] imports the advisory sources the case names (its own step).
//! 4. [`assess`] runs every [`Evaluator`] (PAD, vulnerability scan, description consistency,
//!    model evaluations),
//!    [`record`]s what was read, evaluates the rule packs and plans the gaps.
//! 5. [`build_package`] makes the output as paths and bytes and records the signed dossier
//!    attestation; [`check`] re-verifies a package.
//!
//! Long work reports through [`assay_core::Reporter`]. Errors are a typed [`AssessError`]
//! (with the HTTP status a server answers with).

pub mod case;
mod check;
mod error;
pub mod evaluator;
mod package;
mod pad_standing;
mod plan;
mod retest;
pub mod reuse;
mod run;
pub mod sidecar;

pub use case::{Case, CaseFile, CaseInputs, KindedFile, PadInput, Refused, doc_role};
pub use check::{CheckItem, CheckReport, check};
pub use error::AssessError;
pub use evaluator::{
    AdvisoryImport, DescriptionEvaluator, EvalCtx, EvalEvaluator, Evaluator, EvaluatorOutput,
    PadEvaluator, Recorded, ScannedSbom, Section, VulnEvaluator, import_advisories, pad_evidence,
    record, sbom_evidence, scan_evidence,
};
pub use package::{Package, build_package};
pub use run::{
    AssessOptions, Assessed, Overrides, assess, assess_with, default_evaluators, import_and_assess,
};
