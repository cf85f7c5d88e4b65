//! Scan throughput: every Go and PyPI component version named by the shared databases
//! (a few thousand components) against an index of the shared PyPA, Go and RustSec data.
//! The end-to-end figures (10,000-component SBOM, 200,000 advisories, cargo-audit side by
//! side) come from scripts/bench-vuln.sh.

use std::path::Path;

use assay_vuln::component::{Component, Ecosystem};
use assay_vuln::index::{Index, Silent};
use assay_vuln::policy::DeadlinePolicy;
use assay_vuln::scan::{ScanOptions, scan};
use criterion::{Criterion, criterion_group, criterion_main};

fn data(rel: &str) -> std::path::PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel)
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut index = Index::open(&dir.path().join("index.sqlite")).expect("index");
    let sources = [
        data("advisories/pypa"),
        data("advisories/go"),
        data("advisories/rustsec"),
    ];
    index.import(&sources, &Silent).expect("import");
    // Components: the package of every Go advisory at each version its events name.
    let mut components = Vec::new();
    for entry in std::fs::read_dir(data("advisories/go"))
        .expect("go dir")
        .flatten()
    {
        let text = std::fs::read_to_string(entry.path()).expect("read");
        let value: serde_json::Value = serde_json::from_str(&text).expect("json");
        for affected in value["affected"].as_array().into_iter().flatten() {
            let name = affected["package"]["name"].as_str().unwrap_or_default();
            for range in affected["ranges"].as_array().into_iter().flatten() {
                for event in range["events"].as_array().into_iter().flatten() {
                    for version in event.as_object().into_iter().flat_map(|o| o.values()) {
                        if let Some(v) = version.as_str().filter(|v| *v != "0") {
                            components.push(Component {
                                name: name.to_string(),
                                version: format!("v{v}"),
                                ecosystem: Ecosystem::Go,
                                purl: None,
                                source: "bench".into(),
                            });
                        }
                    }
                }
            }
        }
    }
    let options = ScanOptions {
        scan_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).expect("date"),
        policy: DeadlinePolicy::default(),
    };
    let mut group = c.benchmark_group("scan");
    group.sample_size(10);
    group.bench_function(format!("{} Go components", components.len()), |b| {
        b.iter(|| scan(&index, &components, &options, &Silent).expect("scan"))
    });
    group.bench_function("re-import unchanged shared databases", |b| {
        b.iter(|| index.import(&sources, &Silent).expect("import"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
