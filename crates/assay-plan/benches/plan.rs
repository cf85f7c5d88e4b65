//! Planning cost: one subject (30 markets, ~120 steps), and 10,000 subjects planned one by one
//! (the `assay assess` shape, ~1.2 million steps in all). Inputs are generated outside the
//! timed loop. Figures in docs/benchmarks/plan.md.

#![allow(clippy::print_stdout, clippy::print_stderr)] // prints its results

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

mod synthetic;

fn bench(c: &mut Criterion) {
    let one = synthetic::subject(0, 30, false);
    c.bench_function("plan one subject x 30 markets", |b| {
        b.iter(|| assay_plan::plan(black_box(&one)).expect("plan"))
    });

    let many: Vec<_> = (0..10_000)
        .map(|s| synthetic::subject(s, 30, false))
        .collect();
    let steps: usize = many
        .iter()
        .map(|input| assay_plan::plan(input).expect("plan").summary.steps)
        .sum();
    eprintln!("10,000 subjects x 30 markets: {steps} steps");
    let mut group = c.benchmark_group("plan 10k subjects");
    group.sample_size(10);
    group.bench_function("10,000 subjects x 30 markets", |b| {
        b.iter(|| {
            for input in &many {
                black_box(assay_plan::plan(input).expect("plan"));
            }
        })
    });
    group.finish();

    let svg_plan = assay_plan::plan(&one).expect("plan");
    c.bench_function("render_svg one subject", |b| {
        b.iter(|| assay_plan::render_svg(black_box(&svg_plan)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
