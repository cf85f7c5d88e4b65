//! Criterion benchmarks on the shared bob.pad.base score file (10,000 presentations):
//! reading, and the full report (all operating points, DET, 1,000-resample bootstrap).
//! The 10-million-row end-to-end comparison with a Python peer is scripts/bench-pad.sh.

use std::path::PathBuf;

use assay_pad::{PadOptions, Silent, pad_report, read::read_path};
use criterion::{Criterion, criterion_group, criterion_main};

fn data() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/pad/bob.pad.base/scores-dev.csv"
    ))
}

fn bench(c: &mut Criterion) {
    let path = data();
    c.bench_function("read bob.pad.base 10k", |b| {
        b.iter(|| read_path(&path).expect("shared data"))
    });
    let campaign = read_path(&path).expect("shared data");
    let options = PadOptions::default();
    c.bench_function("pad_report 10k (bootstrap 1000)", |b| {
        b.iter(|| pad_report(&campaign, None, &[], &options, &Silent).expect("report"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
