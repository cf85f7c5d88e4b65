//! The one error type of the crate. Every message names the file and, where it applies, the
//! line and field, and says what to do about it.

use std::path::PathBuf;

/// Everything that can go wrong reading PAD inputs or computing a report.
#[derive(Debug, thiserror::Error)]
pub enum PadError {
    /// The file could not be opened or read.
    #[error("cannot read {}: {source}", assay_core::quote(&path.display().to_string(), 400))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A row of an input file is malformed.
    #[error("{file}:{line}: field `{field}`: {message}")]
    Row {
        file: String,
        line: u64,
        field: String,
        message: String,
    },
    /// The header line of a CSV file is unusable.
    #[error("{file}:1: header: {message}")]
    Header { file: String, message: String },
    /// A presentation_id appears twice.
    #[error(
        "{file}:{line}: field `presentation_id`: `{id}` is already used at line {first_line}; every presentation needs its own id"
    )]
    DuplicateId {
        file: String,
        line: u64,
        first_line: u64,
        id: String,
    },
    /// A line is far longer than any row; reading on would hold it all in memory.
    #[error(
        "{file}: the line starting at byte {offset} is longer than {} MiB; campaign files hold one short row per line (is this the right file?)",
        limit >> 20
    )]
    LineTooLong {
        file: String,
        offset: u64,
        limit: usize,
    },
    /// The campaign manifest (TOML) is invalid.
    #[error("{file}: manifest: {message}")]
    Manifest { file: String, message: String },
    /// The lab file (TOML) of a test report is invalid.
    #[error("{file}: lab file: {message}")]
    Lab { file: String, message: String },
    /// A scheme file (TOML) is invalid.
    #[error("{file}: scheme: {message}")]
    Scheme { file: String, message: String },
    /// A scheme name was asked for that is neither shipped nor loaded (`name` is quoted).
    #[error("unknown scheme `{name}`; known schemes: {known} (see `assay pad schemes`)")]
    UnknownScheme { name: String, known: String },
    /// A threshold criterion could not be parsed.
    #[error(
        "unknown criterion `{0}`; use bpcerN (e.g. bpcer20, bpcer100), far or far:RATE, eer, min-hter, or fixed:THRESHOLD"
    )]
    Criterion(String),
    /// An option is out of its domain.
    #[error("invalid option {name}: {message}")]
    Option { name: String, message: String },
    /// The campaign holds nothing to compute on.
    #[error("{file}: {message}")]
    Empty { file: String, message: String },
}

/// Result alias for this crate.
pub type Result<T, E = PadError> = std::result::Result<T, E>;

/// A TOML parse error as one bounded line: `line L, column C: MESSAGE`. The toml crate's own
/// rendering repeats the offending source line whole, which may be megabytes of hostile text;
/// this names the place and quotes only the (bounded, escaped) message.
pub(crate) fn toml_message(error: &toml::de::Error, text: &str) -> String {
    let message = assay_core::quote(error.message().trim(), 300);
    match error.span() {
        Some(span) => {
            let before = &text.as_bytes()[..span.start.min(text.len())];
            let line = memchr::memchr_iter(b'\n', before).count() + 1;
            let line_start = memchr::memrchr(b'\n', before).map_or(0, |p| p + 1);
            let column = String::from_utf8_lossy(&before[line_start..])
                .chars()
                .count()
                + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}
