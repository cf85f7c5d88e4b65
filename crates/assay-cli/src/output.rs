//! Writing results: JSON and text to stdout, and what happens when stdout goes away.
//!
//! stdout may close before a command is done (`assay evidence list | head -1`). std's
//! `println!` panics then (exit 101 and a panic message). This module is the one mechanism
//! that makes the whole CLI exit quietly instead, as ripgrep does:
//! - the `print!`/`println!` macros below shadow std's for every module of this crate
//!   (`#[macro_use] mod output;` comes first in main.rs, so its textual scope covers `cmd`):
//!   they write through [`write_stdout`], which on a broken pipe unwinds with a
//!   [`StdoutClosed`] payload (no panic hook runs, so nothing is printed), and `main` turns
//!   that into exit 0. Any other stdout failure (a full disk) becomes an ordinary error.
//! - writers that return errors (`writeln!(out, …)?`, [`print_json`]) need nothing special:
//!   `main` recognises a broken pipe anywhere in the error chain ([`is_broken_pipe`]) and exits
//!   0 quietly too.
//! - `eprint!`/`eprintln!` never panic: if stderr itself is gone there is nowhere to report to.

use std::fmt;
use std::io::{self, Write as _};

use serde::Serialize;

/// Writes to stdout like std's `print!`, without panicking when stdout is closed.
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!($($arg)*))
    };
}

/// Writes a line to stdout like std's `println!`, without panicking when stdout is closed.
macro_rules! println {
    () => {
        $crate::output::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Writes to stderr like std's `eprint!`, ignoring a closed stderr.
#[allow(unused_macros)] // there so that a future `eprint!` cannot panic either
macro_rules! eprint {
    ($($arg:tt)*) => {
        $crate::output::write_stderr(format_args!($($arg)*))
    };
}

/// Writes a line to stderr like std's `eprintln!`, ignoring a closed stderr.
macro_rules! eprintln {
    () => {
        $crate::output::write_stderr(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write_stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// The unwind payload of a write to a closed stdout: `main` exits 0 quietly on it.
#[derive(Debug)]
pub struct StdoutClosed;

/// The unwind payload of any other failed write to stdout: `main` reports it as an error.
#[derive(Debug)]
pub struct StdoutFailed(pub io::Error);

/// What `print!`/`println!` call. Never returns normally when the write fails.
pub fn write_stdout(args: fmt::Arguments<'_>) {
    if let Err(e) = io::stdout().lock().write_fmt(args) {
        stdout_failed(e);
    }
}

/// What `eprint!`/`eprintln!` call: a closed or full stderr is ignored.
pub fn write_stderr(args: fmt::Arguments<'_>) {
    let _ = io::stderr().lock().write_fmt(args);
}

/// Leaves the command from the middle of a write: `resume_unwind` skips the panic hook, so no
/// message is printed, and destructors run on the way up to `main`.
fn stdout_failed(e: io::Error) -> ! {
    if e.kind() == io::ErrorKind::BrokenPipe {
        std::panic::resume_unwind(Box::new(StdoutClosed));
    }
    std::panic::resume_unwind(Box::new(StdoutFailed(e)));
}

/// True when `error` or one of its causes is a write to a closed pipe.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == Some(io::ErrorKind::BrokenPipe)
    })
}

/// The most an error message may take on the terminal: a last line of defence behind the
/// parsers, which quote input briefly themselves.
const ERROR_LIMIT: usize = 2_000;

/// `error: …` for the terminal: the anyhow chain as `{e:#}` joins it, at most
/// [`ERROR_LIMIT`] characters in all, each line's control characters escaped
/// (`assay_core::quote`; line breaks the messages hold on purpose are kept).
pub fn error_message(error: &anyhow::Error) -> String {
    bounded(&format!("{error:#}"), ERROR_LIMIT)
}

/// `text` with at most `limit` characters shown, a line break counting as one.
fn bounded(text: &str, limit: usize) -> String {
    let mut out = String::new();
    let mut budget = limit;
    let mut rest = text;
    loop {
        let end = rest.find('\n');
        let line = &rest[..end.unwrap_or(rest.len())];
        let chars = line.chars().take(budget + 1).count();
        if chars > budget {
            // `quote` cuts it and counts every byte left, later lines included.
            out.push_str(&assay_core::quote(rest, budget));
            break;
        }
        out.push_str(&assay_core::quote(line, budget));
        budget -= chars;
        let Some(end) = end else { break };
        if budget == 0 {
            out.push_str(&format!("… ({} more bytes)", rest.len() - end));
            break;
        }
        out.push('\n');
        budget -= 1;
        rest = &rest[end + 1..];
    }
    out
}

/// Prints `value` as pretty JSON on stdout, streamed (a broken pipe is an error `main` knows).
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    serde_json::to_writer_pretty(&mut out, value)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_are_bounded_and_escaped() {
        let huge = anyhow::anyhow!("bad line `{}`", "z".repeat(200 << 20))
            .context("\u{1b}]0;pwned\u{7}reading case.csv");
        let shown = error_message(&huge);
        assert!(shown.len() < 2_100, "{}", shown.len());
        assert!(
            shown.starts_with("\\u{1b}]0;pwned\\u{7}reading case.csv: bad line `zzz"),
            "{}",
            &shown[..100]
        );
        assert!(
            shown.ends_with(" more bytes)"),
            "{}",
            &shown[shown.len() - 60..]
        );
        // Deliberate line breaks stay; the limit counts every line.
        let lines = anyhow::anyhow!("first\nsecond\n{}", "w\n".repeat(5_000));
        let shown = error_message(&lines);
        assert!(shown.starts_with("first\nsecond\nw\nw\n"), "{shown}");
        assert!(shown.len() < 6_000, "{}", shown.len());
        assert!(shown.ends_with(" more bytes)"), "{shown}");
    }
}
