//! Progress of long work, as one trait for every engine.
//!
//! Libraries never print: an engine that works for a while (sorting ten million scores,
//! importing an advisory database, verifying a log) tells a [`Reporter`] what it is doing, and
//! the caller decides what that looks like: a terminal bar in the CLI, a job log line in the
//! server, nothing in tests. `Send + Sync` so one reporter can be shared by worker threads and
//! handed to a server task.

/// Receives progress from long work. Every method has a do-nothing default.
pub trait Reporter: Send + Sync {
    /// A step begins: `what` names it ("sorting scores", "importing go advisories");
    /// `total` is the number of units the step will [`advance`](Reporter::advance) by, when known.
    fn start(&self, _what: &str, _total: Option<u64>) {}
    /// `n` more units of the current step are done.
    fn advance(&self, _n: u64) {}
    /// The current step is done.
    fn finish(&self) {}
    /// Something worth showing that is not progress: a retry after a 429, a skipped file.
    fn note(&self, _message: &str) {}
}

/// A [`Reporter`] that shows nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Reporter for Silent {}

impl<R: Reporter + ?Sized> Reporter for &R {
    fn start(&self, what: &str, total: Option<u64>) {
        (**self).start(what, total)
    }
    fn advance(&self, n: u64) {
        (**self).advance(n)
    }
    fn finish(&self) {
        (**self).finish()
    }
    fn note(&self, message: &str) {
        (**self).note(message)
    }
}
