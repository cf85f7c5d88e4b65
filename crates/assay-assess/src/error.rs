//! Typed errors of the main job.
//!
//! A problem with one input file is never an error: it becomes a named row of the dossier
//! (`InputRow` with status `failed`). An [`AssessError`] means the run could not produce an
//! assessment at all. A server maps the variants to HTTP statuses like this:
//!
//! | variant            | HTTP status | why                                                      |
//! |--------------------|-------------|----------------------------------------------------------|
//! | `InvalidCase`      | 422         | the upload or case folder is not a usable case           |
//! | `InvalidOption`    | 400         | a request option (date, market, pack path) is malformed  |
//! | `Rules`            | 422         | the subject manifest or a rule pack does not parse       |
//! | `Plan`             | 422         | the delivery plan inputs contradict each other           |
//! | `Ledger`           | 500         | the workspace could not record or read evidence          |
//! | `Io`               | 500         | a file of the workspace or output could not be read/written |
//! | `Package`          | 422         | a package given to `check` is not an assessment package  |

use std::path::PathBuf;

/// Why an assessment could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AssessError {
    /// The case folder (or upload) is not a case: no subject manifest, a bad case.toml, ...
    #[error("{}: {problem}", path.display())]
    InvalidCase { path: PathBuf, problem: String },
    /// An option given by the caller is not usable.
    #[error("{what}: {problem}")]
    InvalidOption { what: String, problem: String },
    /// The subject manifest or a rule pack could not be loaded.
    #[error(transparent)]
    Rules(#[from] assay_rules::RulesError),
    /// The delivery plan could not be made.
    #[error("the delivery plan could not be made: {0}")]
    Plan(#[from] assay_plan::PlanError),
    /// The evidence ledger failed.
    #[error(transparent)]
    Ledger(#[from] assay_ledger::LedgerError),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// What `check` was given is not an assessment package.
    #[error("{0}")]
    Package(String),
}

impl AssessError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// The HTTP status a server answers with (see the table in the module docs).
    pub fn http_status(&self) -> u16 {
        match self {
            Self::InvalidOption { .. } => 400,
            Self::InvalidCase { .. } | Self::Rules(_) | Self::Plan(_) | Self::Package(_) => 422,
            Self::Ledger(_) | Self::Io { .. } => 500,
        }
    }
}
