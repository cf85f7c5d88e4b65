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

/// The one reporter trait of the workspace (`assay_core::Reporter`): a counted bar when the
/// step has a total, a spinner naming the step when it has none, notes printed above the bar.
impl assay_core::Reporter for Bar {
    fn start(&self, what: &str, total: Option<u64>) {
        if let Some(bar) = &self.bar {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            // A bar finished by the previous step draws nothing until it is reset.
            bar.reset();
            match total {
                Some(total) => {
                    bar.set_length(total);
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{msg:>20} [{bar:30}] {pos}/{len} ({per_sec}, {eta})",
                        )
                        .expect("valid template")
                        .progress_chars("=> "),
                    );
                }
                None => {
                    // A step after a finished one: the bar draws again only once reset.
                    bar.reset();
                    bar.set_style(ProgressStyle::default_spinner());
                    bar.enable_steady_tick(std::time::Duration::from_millis(120));
                }
            }
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
    fn note(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.println(assay_core::quote(message, 400));
        }
    }
}
