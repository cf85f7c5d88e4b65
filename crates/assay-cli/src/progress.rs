//! Progress bars: the terminal side of the libraries' reporter traits.

use indicatif::{ProgressBar, ProgressStyle};

use crate::context::Ctx;

/// Draws a bar on stderr when the context allows it, and nothing otherwise.
pub struct Bar {
    bar: Option<ProgressBar>,
}

impl Bar {
    pub fn new(ctx: &Ctx) -> Self {
        Self {
            bar: ctx.progress.then(ProgressBar::hidden),
        }
    }
}

impl assay_ledger::Progress for Bar {
    fn start(&self, total: u64, what: &str) {
        if let Some(bar) = &self.bar {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar.set_length(total);
            bar.set_style(
                ProgressStyle::with_template("{msg:>20} [{bar:30}] {pos}/{len} ({per_sec}, {eta})")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            bar.set_message(what.to_string());
        }
    }
    fn advance(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }
    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
