//! Scale run for docs/benchmarks/rules.md: N subjects x 30 markets x the shipped packs against
//! N x 10 evidence records. Prints wall time of indexing and evaluation, the number of
//! obligation verdicts, and peak resident memory (VmHWM from /proc/self/status).
//!
//! `cargo run --release -p assay-rules --example rules_scale -- [SUBJECTS] [--naive]`
//! `--serial` evaluates on one thread (default: rayon over subjects).
//! `--naive` (one thread) replaces the index with a scan of the whole evidence list per subject (the
//! quadratic baseline the index exists to avoid).

#![allow(clippy::print_stdout, clippy::print_stderr)] // prints its results

use std::time::Instant;

use assay_rules::{
    Day, EvalContext, EvidenceIndex, RulePack, evaluate, evaluate_batch, evaluate_indexed,
};

#[path = "../benches/synth.rs"]
mod synth;

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(10_000);
    let naive = args.iter().any(|a| a == "--naive");
    let serial = args.iter().any(|a| a == "--serial");
    let t = Instant::now();
    let packs = RulePack::shipped().expect("shipped packs parse");
    let subjects = synth::subjects(n);
    let evidence = synth::evidence(n, 10);
    println!(
        "generated {} subjects, {} evidence records in {:.2?}",
        subjects.len(),
        evidence.len(),
        t.elapsed()
    );
    let ctx = EvalContext {
        today: Day::parse("2026-11-22").expect("date"),
        markets: Vec::new(),
        consistency: None,
    };

    let start = Instant::now();
    let index = EvidenceIndex::new(&evidence);
    let indexed_in = start.elapsed();
    let (mut verdicts, mut blocking, mut results) = (0usize, 0usize, 0usize);
    let tally = |e: assay_rules::Evaluation| {
        (
            e.results.len(),
            e.results.iter().map(|r| r.obligations.len()).sum::<usize>(),
            e.summary.blocking,
        )
    };
    let counts: Vec<(usize, usize, usize)> = if naive {
        // Baseline: no index; every subject scans the full evidence list.
        subjects
            .iter()
            .map(|s| {
                let mine: Vec<_> = evidence
                    .iter()
                    .filter(|r| r.subject == s.id)
                    .cloned()
                    .collect();
                tally(evaluate(s, &packs, &mine, &ctx))
            })
            .collect()
    } else if serial {
        subjects
            .iter()
            .map(|s| tally(evaluate_indexed(s, &packs, &index, &ctx)))
            .collect()
    } else {
        evaluate_batch(&subjects, &packs, &index, &ctx, tally)
    };
    for (r, v, b) in counts {
        results += r;
        verdicts += v;
        blocking += b;
    }
    let total = start.elapsed();
    println!(
        "{}: index {:.2?}, index + evaluate {:.2?}: {results} subject x market x pack results, {verdicts} obligation verdicts, {blocking} blocking",
        if naive {
            "naive scan, 1 thread"
        } else if serial {
            "indexed, 1 thread"
        } else {
            "indexed, rayon"
        },
        indexed_in,
        total
    );
    if let Some(kib) = peak_rss_kib() {
        println!(
            "peak RSS {:.1} MiB (whole process, incl. generated input)",
            kib as f64 / 1024.0
        );
    }
}
