//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in `assay-eval`. Messages name the file, line and field and say
/// what to do next; input is quoted through [`assay_core::quote`].
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A suite, replay script or log line that does not parse or violates a limit.
    #[error("{file}:{line}: {field}: {message}")]
    Invalid {
        file: String,
        line: usize,
        field: String,
        message: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The sandbox could not be set up or a command could not be started in it.
    #[error("sandbox: {0}")]
    Sandbox(String),
    /// A model provider failed for good (after its retries).
    #[error("provider: {0}")]
    Provider(String),
    /// An option that does not fit the data (e.g. `--k` larger than a task's epochs).
    #[error("{0}")]
    Usage(String),
    /// `resume`: the suite file changed since the run started.
    #[error(
        "{path}: the suite changed since the run began (sha256 {found}, the run record says {expected}); \
         resuming would mix two versions of the tasks. Restore that suite or start a new log"
    )]
    SuiteChanged {
        path: PathBuf,
        expected: String,
        found: String,
    },
    /// An importer met data it cannot use.
    #[error("import: {0}")]
    Import(String),
}

impl EvalError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        EvalError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid(
        file: impl std::fmt::Display,
        line: usize,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        EvalError::Invalid {
            file: file.to_string(),
            line,
            field: field.into(),
            message: message.into(),
        }
    }
}

pub type Result<T, E = EvalError> = std::result::Result<T, E>;

/// 1-based line of byte offset `at` in `text`.
pub(crate) fn line_of(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    text.as_bytes()[..at]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Reads a whole file, refusing files over `limit` bytes (limits on every reader).
pub(crate) fn read_bounded(path: &std::path::Path, limit: u64) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(|e| EvalError::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| EvalError::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(EvalError::invalid(
            path.display(),
            0,
            "(file)",
            format!("larger than the limit of {limit} bytes; split it into smaller files"),
        ));
    }
    Ok(bytes)
}
