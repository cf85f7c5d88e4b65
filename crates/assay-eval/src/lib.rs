//! `assay-eval`: frontier-model cyber evaluations.
//!
//! Design, in the order a run goes through it:
//! - [`suite`]: task suites as data (TOML), validated with named errors and limits;
//!   [`intercode`] imports InterCode-CTF, leaving out (and listing) tasks that need the
//!   internet.
//! - [`sandbox`]: where commands run. bubblewrap by default, one fresh namespace set per
//!   command, a private work folder per sample, limits through cgroups where the machine
//!   allows; a `local` backend without isolation exists only for callers that ask for it
//!   explicitly.
//!
//! - [`provider`]: replay, OpenAI-compatible and Anthropic Messages models; [`agent`]: the
//!   loop; [`run`]: runs and `resume`, appending to crash-safe JSON-lines logs.
//! - [`view`] and [`stats`]: summaries in bounded memory, epoch reducers, Wilson and
//!   task-clustered bootstrap intervals, the paired comparison of two logs.
//! - [`report`]: the developer's feedback and the qualification verdict; [`evidence`]: runs
//!   and reports as `eval-run`/`eval-report` evidence with the meta facts rule packs judge.
//!
//! Libraries never print: long work reports through [`assay_core::Reporter`].

pub mod error;
pub mod evidence;
pub mod inspect;
pub mod inspect_cyber;
pub mod intercode;
pub mod model_config;
pub mod report;
pub mod rubric;
pub mod sandbox;
pub mod suite;

pub use error::{EvalError, Result};
pub mod agent;
pub mod provider;
pub mod run;
pub mod stats;
pub mod view;
