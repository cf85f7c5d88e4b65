//! Component reading: the largest shared SBOM (keycloak, 2.2 MB, 903 components), the one with
//! most components (juice-shop flat, 1,115), and a synthetic 10,000-component CycloneDX 1.5
//! file, with the CycloneDX project's Rust library (cyclonedx-bom) on the same bytes as a peer.
//! Figures are recorded in docs/benchmarks/vuln-sbom.md.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

mod synthetic;

fn shared(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/sbom/cyclonedx")
        .join(name)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("sbom_read");
    for name in [
        "SBOM_keycloak-10.0.2_bom.json",
        "SBOM_juice-shop_via_npm_flat_bom.1.4.json",
    ] {
        let path = shared(name);
        let bytes = std::fs::read(&path).expect("shared SBOM present");
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                assay_vuln::sbom::read_bytes(&path, black_box(&bytes))
                    .expect("reads")
                    .components
                    .len()
            })
        });
    }
    let generated = synthetic::cyclonedx(10_000);
    let path = Path::new("synthetic-10k.cdx.json");
    assert_eq!(
        assay_vuln::sbom::read_bytes(path, generated.as_bytes())
            .expect("reads")
            .components
            .len(),
        10_000
    );
    group.throughput(Throughput::Bytes(generated.len() as u64));
    group.bench_function("synthetic_10k_components", |b| {
        b.iter(|| {
            assay_vuln::sbom::read_bytes(path, black_box(generated.as_bytes()))
                .expect("reads")
                .components
                .len()
        })
    });
    group.finish();

    // Peer in the same run: the CycloneDX project's Rust library (cyclonedx-bom) reading the
    // same bytes into its model (it reads 1.3-1.5, so the 1.4 and 1.5 inputs only).
    let mut peer = c.benchmark_group("sbom_read_peer_cyclonedx_bom");
    let juice = std::fs::read(shared("SBOM_juice-shop_via_npm_flat_bom.1.4.json"))
        .expect("shared SBOM present");
    for (name, bytes) in [
        (
            "SBOM_juice-shop_via_npm_flat_bom.1.4.json",
            juice.as_slice(),
        ),
        ("synthetic_10k_components", generated.as_bytes()),
    ] {
        peer.throughput(Throughput::Bytes(bytes.len() as u64));
        peer.bench_function(name, |b| {
            b.iter(|| {
                cyclonedx_bom::models::bom::Bom::parse_from_json(black_box(bytes))
                    .expect("reads")
                    .components
                    .map(|c| c.0.len())
            })
        });
    }
    peer.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
