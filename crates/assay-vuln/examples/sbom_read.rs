//! Times component reading the way the peer-comparison script times its Python peers: read the
//! file and build the component list, in process, `--repeat` times; prints the median.
//!
//! `cargo run --release -p assay-vuln --example sbom_read -- [--generate N OUT] [--repeat R] FILE...`

#![allow(clippy::print_stdout, clippy::print_stderr)] // prints its results

use std::path::PathBuf;
use std::time::Instant;

#[path = "../benches/synthetic.rs"]
mod synthetic;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut repeat = 10usize;
    let mut files: Vec<PathBuf> = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--repeat" => repeat = args.next().ok_or("--repeat needs a number")?.parse()?,
            "--generate" => {
                let n: usize = args.next().ok_or("--generate needs N")?.parse()?;
                let out = PathBuf::from(args.next().ok_or("--generate needs an output path")?);
                std::fs::write(&out, synthetic::cyclonedx(n))?;
                println!("generated {} ({n} components)", out.display());
            }
            _ => files.push(PathBuf::from(arg)),
        }
    }
    for file in files {
        let mut times = Vec::with_capacity(repeat);
        let mut count = 0;
        for _ in 0..repeat.max(1) {
            let start = Instant::now();
            count = assay_vuln::sbom::read_components(&file)?.len();
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!("{}\t{count}\t{:.3}", file.display(), times[times.len() / 2]);
    }
    Ok(())
}
