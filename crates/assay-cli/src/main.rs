//! The `assay` command line.
//!
//! Only this crate knows the terminal: it parses arguments (clap derive), opens the workspace,
//! calls the library crates, and renders their results as text or JSON. Libraries never print;
//! long-running steps report through their reporter traits and this crate draws the bars.
//!
//! Exit codes: 0 ok; 1 a verdict or a verification failed; 2 usage or input error.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cmd;
mod context;
mod output;
mod progress;
mod record;

use std::process::ExitCode;

use clap::Parser;

use crate::context::{Cli, Outcome};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ctx = match cli.global.context() {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    match cmd::run(&ctx, cli.command) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
