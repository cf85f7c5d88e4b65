//! Ledger benchmark: append 100,000 small evidence entries in batches, verify the whole log,
//! and check one inclusion proof. Figures go to docs/benchmarks.md.
//!
//! Run: `cargo bench -p assay-ledger --bench ledger`

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use assay_core::EvidenceKind;
use assay_ledger::{EvidenceInput, Ledger, Silent, merkle};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const ENTRIES: u64 = 100_000;
const BATCH: u64 = 10_000;

fn items(start: u64, n: u64) -> Vec<EvidenceInput> {
    (start..start + n)
        .map(|i| EvidenceInput {
            kind: EvidenceKind::EvalRun,
            subject: format!("model-{}", i % 50),
            file_name: format!("run-{i}.json"),
            bytes: format!("{{\"run\":{i},\"score\":{}}}", i % 97).into_bytes(),
            meta: BTreeMap::from([("suite".to_string(), "ctf".to_string())]),
        })
        .collect()
}

fn fill(ledger: &Ledger) {
    let mut start = 0;
    while start < ENTRIES {
        ledger
            .add(&items(start, BATCH), assay_ledger::DEFAULT_KEY)
            .unwrap();
        start += BATCH;
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("ledger");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(ENTRIES));

    group.bench_function("append_100k_batched", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let dir = tempfile::tempdir().unwrap();
                let ledger = Ledger::init(&dir.path().join("ws")).unwrap();
                let t = Instant::now();
                fill(&ledger);
                total += t.elapsed();
            }
            total
        })
    });

    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::init(&dir.path().join("ws")).unwrap();
    fill(&ledger);
    group.bench_function("verify_100k", |b| {
        b.iter(|| {
            let report = ledger.verify(&Silent).unwrap();
            assert!(report.is_intact());
            black_box(report)
        })
    });
    group.finish();

    let proof = ledger.prove(ENTRIES / 3).unwrap();
    let mut group = c.benchmark_group("ledger");
    group.bench_function("inclusion_proof_check_100k_tree", |b| {
        b.iter(|| {
            assert!(merkle::verify_inclusion(
                black_box(proof.index),
                proof.tree_size,
                &proof.leaf_hash,
                &proof.hashes,
                &proof.root
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
