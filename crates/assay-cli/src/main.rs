//! The `assay` command line.
//!
//! Only this crate knows the terminal: it parses arguments (clap derive), opens the workspace,
//! calls the library crates, and renders their results as text or JSON. Libraries never print;
//! long-running steps report through `assay_core::Reporter` and this crate draws the bars.
//!
//! Exit codes: 0 ok (also when stdout is closed early, as in `assay evidence list | head -1`);
//! 1 a verdict or a verification failed; 2 usage or input error.

#![allow(clippy::print_stdout, clippy::print_stderr)] // the binary is what prints

// First, so its `print!`/`println!`/`eprint!`/`eprintln!` (which never panic on a closed
// pipe) shadow std's in every module below.
#[macro_use]
mod output;

mod cmd;
mod context;
mod progress;
mod record;

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::process::ExitCode;

use clap::Parser;

use crate::context::{Cli, Outcome};
use crate::output::{StdoutClosed, StdoutFailed, error_message, is_broken_pipe};

fn main() -> ExitCode {
    // A write to a closed stdout unwinds to here with a `StdoutClosed` payload (see output.rs);
    // any other panic is a bug and keeps its message and exit code 101.
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(code) => code,
        Err(payload) if payload.is::<StdoutClosed>() => ExitCode::SUCCESS,
        Err(payload) => match payload.downcast::<StdoutFailed>() {
            Ok(failed) => {
                eprintln!("error: cannot write to stdout: {}", failed.0);
                ExitCode::from(2)
            }
            Err(payload) => resume_unwind(payload),
        },
    }
}

fn run() -> ExitCode {
    let cli = Cli::parse();
    let ctx = match cli.global.context() {
        Ok(ctx) => ctx,
        Err(e) => return fail(&e),
    };
    match cmd::run(&ctx, cli.command) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Err(e) => fail(&e),
    }
}

/// Exit 2 with the error, bounded and escaped; exit 0 quietly when the reader of stdout left.
fn fail(e: &anyhow::Error) -> ExitCode {
    if is_broken_pipe(e) {
        return ExitCode::SUCCESS;
    }
    eprintln!("error: {}", error_message(e));
    ExitCode::from(2)
}
