//! Writes a synthetic scored PAD campaign for the benchmark (scripts/bench-pad.sh):
//! `cargo run --release -p assay-pad --example generate_campaign -- OUT.csv [ROWS] [SUBJECTS] [SPECIES]`
//! Defaults: 10,000,000 rows, 50,000 subjects, 20 species. Deterministic (fixed seed).

#![allow(clippy::print_stdout, clippy::print_stderr)] // prints its results

use std::io::{BufWriter, Write};

use assay_pad::confidence::SplitMix64;

const SPECIES: [&str; 20] = [
    "print-photo-a4",
    "print-photo-glossy",
    "print-cutout-eyes",
    "print-curved",
    "paper-mask",
    "paper-mask-3d-fold",
    "video-replay-phone",
    "video-replay-tablet",
    "video-replay-monitor",
    "screen-photo-phone",
    "latex-mask",
    "silicone-mask",
    "resin-mask",
    "rigid-mask-3d",
    "hyper-realistic-mask",
    "fabric-mask",
    "plaster-mask",
    "makeup-disguise",
    "mannequin-head",
    "3d-print-head",
];

fn normal(rng: &mut SplitMix64) -> f64 {
    // Box-Muller.
    let u1 = ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let u2 = ((rng.next_u64() >> 11) as f64) / (1u64 << 53) as f64;
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let Some(out) = args.get(1) else {
        eprintln!("usage: generate_campaign OUT.csv [ROWS] [SUBJECTS] [SPECIES]");
        std::process::exit(2);
    };
    let rows: u64 = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
    let subjects: u32 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(50_000);
    let species: usize = args
        .get(4)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20)
        .min(SPECIES.len());
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(out)?);
    writeln!(
        w,
        "presentation_id,subject,session,kind,species,attack_potential,instrument,decision,score"
    )?;
    let mut rng = SplitMix64::new(0x00C0_FFEE);
    for i in 0..rows {
        let subject = rng.below(subjects);
        let session = 1 + rng.below(3);
        // One in five presentations is bona fide.
        if rng.below(5) == 0 {
            let score = 2.5 + normal(&mut rng);
            writeln!(
                w,
                "p{i:08},s{subject:05},{session},bona_fide,,,,,{score:.6}"
            )?;
        } else {
            let s = rng.below(species as u32) as usize;
            let level = 1 + s % 3;
            // Harder species score closer to bona fide; a per-subject offset makes attempts
            // of one subject correlated, which is what the clustered bootstrap is for.
            let offset = f64::from(subject % 7) * 0.05;
            let score = -1.5 + 0.12 * s as f64 + offset + normal(&mut rng);
            writeln!(
                w,
                "p{i:08},s{subject:05},{session},attack,{},L{level},inst-{},,{score:.6}",
                SPECIES[s],
                s % 4
            )?;
        }
    }
    w.flush()
}
