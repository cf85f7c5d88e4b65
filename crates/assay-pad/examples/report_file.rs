//! Times the engine's steps on one campaign file (profiling aid for the benchmark):
//! `cargo run --release -p assay-pad --example report_file -- CAMPAIGN.csv`

#![allow(clippy::print_stdout, clippy::print_stderr)] // prints its results

use std::time::Instant;

use assay_pad::{PadOptions, Reporter, pad_report, read};

struct Timer(std::sync::Mutex<(Instant, String)>);

impl Reporter for Timer {
    fn start(&self, what: &str, _total: Option<u64>) {
        if let Ok(mut last) = self.0.lock() {
            *last = (Instant::now(), what.to_string());
        }
    }
    fn finish(&self) {
        if let Ok(last) = self.0.lock() {
            eprintln!("  {:<20} {:>8.3} s", last.1, last.0.elapsed().as_secs_f64());
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: report_file CAMPAIGN")?;
    let start = Instant::now();
    let campaign = read::read_path(path.as_ref())?;
    eprintln!(
        "  {:<20} {:>8.3} s ({} rows)",
        "read",
        start.elapsed().as_secs_f64(),
        campaign.len()
    );
    let t = Instant::now();
    let digest = read::file_digest(path.as_ref())?;
    eprintln!("  {:<20} {:>8.3} s", "digest", t.elapsed().as_secs_f64());
    let timer = Timer(std::sync::Mutex::new((Instant::now(), "start".into())));
    let options = PadOptions {
        campaign_digest: Some(digest),
        ..PadOptions::default()
    };
    let report = pad_report(&campaign, None, &[], &options, &timer)?;
    let t = Instant::now();
    let json = serde_json::to_string(&report)?;
    eprintln!(
        "  {:<20} {:>8.3} s ({} bytes)",
        "json",
        t.elapsed().as_secs_f64(),
        json.len()
    );
    eprintln!("total {:.3} s", start.elapsed().as_secs_f64());
    Ok(())
}
