//! The crate's error type and the named reasons an entry is not read.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::shown;

/// Everything that can go wrong; every message names the path and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    /// An operating-system error.
    #[error("cannot {action} {}: {source}; check that it exists and that you may access it", shown(.path))]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A path that must exist does not.
    #[error("{} does not exist; check the path", shown(.path))]
    NotFound { path: PathBuf },
    /// A path that must be a folder is not.
    #[error("{} is not a folder; give a folder", shown(.path))]
    NotADirectory { path: PathBuf },
    /// A relative path that is not plain (absolute, `..`, empty where a file is needed).
    #[error("{}: {why}; name a plain relative path inside the folder", shown(.path))]
    BadPath { path: PathBuf, why: &'static str },
    /// An entry that is deliberately not read (symbolic link, FIFO, device, ...).
    #[error("{0}; use a regular file inside the folder instead")]
    Refused(Refused),
    /// A file larger than the reader's limit.
    #[error("{} is larger than the limit of {max} bytes; remove it or split it", shown(.path))]
    TooLarge { path: PathBuf, max: u64 },
    /// A folder tree with more entries than the walker's limit.
    #[error("{} holds more than {max} entries; move what is not an input out of it", shown(.path))]
    TooManyEntries { path: PathBuf, max: usize },
    /// An output folder that assay will not write.
    #[error("refusing to write output into {}: {reason}; choose an empty or new folder", shown(.path))]
    OutputRefused { path: PathBuf, reason: String },
}

impl FsError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| FsError::Io {
            action,
            path,
            source,
        }
    }

    pub(crate) fn refused(path: impl Into<PathBuf>, why: impl Into<String>) -> Self {
        FsError::OutputRefused {
            path: path.into(),
            reason: why.into(),
        }
    }
}

/// An entry that was not read, with the reason. Its `Display` is one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// Relative to the input root.
    pub path: PathBuf,
    pub why: RefusedKind,
}

/// Why an entry was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefusedKind {
    /// A symbolic link (never followed, wherever it points).
    Symlink {
        target: PathBuf,
    },
    Fifo,
    Socket,
    BlockDevice,
    CharDevice,
    /// Some other kind of non-regular file.
    NotRegular,
    /// A folder that could not be listed.
    Unreadable {
        error: String,
    },
    /// Nested deeper than [`crate::MAX_DEPTH`] folders.
    TooDeep {
        max: usize,
    },
    /// The file's resolved path lies outside the root.
    Outside {
        resolved: PathBuf,
    },
    /// The file changed (was swapped) while it was being opened.
    Changed,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", shown(&self.path), self.why)
    }
}

impl fmt::Display for RefusedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefusedKind::Symlink { target } => {
                write!(f, "symbolic link to {}: not followed", shown(target))
            }
            RefusedKind::Fifo => f.write_str("named pipe (FIFO): not read"),
            RefusedKind::Socket => f.write_str("socket: not read"),
            RefusedKind::BlockDevice => f.write_str("block device: not read"),
            RefusedKind::CharDevice => f.write_str("character device: not read"),
            RefusedKind::NotRegular => f.write_str("not a regular file: not read"),
            RefusedKind::Unreadable { error } => {
                write!(
                    f,
                    "folder cannot be listed ({}): skipped",
                    assay_core::quote(error, 120)
                )
            }
            RefusedKind::TooDeep { max } => {
                write!(f, "folder nested deeper than {max} levels: skipped")
            }
            RefusedKind::Outside { resolved } => {
                write!(
                    f,
                    "resolves to {} outside the folder: not read",
                    shown(resolved)
                )
            }
            RefusedKind::Changed => f.write_str("changed while being opened: not read"),
        }
    }
}

impl RefusedKind {
    /// The reason for a non-regular, non-directory, non-symlink file type.
    pub(crate) fn of(ft: std::fs::FileType) -> RefusedKind {
        use std::os::unix::fs::FileTypeExt as _;
        if ft.is_fifo() {
            RefusedKind::Fifo
        } else if ft.is_socket() {
            RefusedKind::Socket
        } else if ft.is_block_device() {
            RefusedKind::BlockDevice
        } else if ft.is_char_device() {
            RefusedKind::CharDevice
        } else {
            RefusedKind::NotRegular
        }
    }
}
