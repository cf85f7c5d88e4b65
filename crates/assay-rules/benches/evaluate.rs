//! Criterion benchmark: evaluating subjects x 30 markets x the shipped packs against an
//! indexed evidence set. The full scale (10,000 subjects, 100,000 evidence records) and peak
//! memory are measured by `examples/rules_scale.rs` (see docs/benchmarks/rules.md).

use std::hint::black_box;

use assay_rules::{Day, EvalContext, EvidenceIndex, RulePack, evaluate_indexed};
use criterion::{Criterion, criterion_group, criterion_main};

mod synth;

fn bench(c: &mut Criterion) {
    let packs = RulePack::shipped().unwrap();
    let subjects = synth::subjects(1_000);
    let evidence = synth::evidence(1_000, 10);
    let ctx = EvalContext {
        today: Day::parse("2026-11-22").unwrap(),
        markets: Vec::new(),
        consistency: None,
    };
    let mut group = c.benchmark_group("rules");
    group.sample_size(10);
    group.bench_function("index 10k evidence", |b| {
        b.iter(|| black_box(EvidenceIndex::new(&evidence)))
    });
    let index = EvidenceIndex::new(&evidence);
    group.bench_function("evaluate 1k subjects x 30 markets x 4 packs", |b| {
        b.iter(|| {
            let mut blocking = 0;
            for s in &subjects {
                blocking += evaluate_indexed(s, &packs, &index, &ctx).summary.blocking;
            }
            black_box(blocking)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
