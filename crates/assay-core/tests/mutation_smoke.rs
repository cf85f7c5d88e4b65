//! Mutation smoke test for the retest record formats (docs/retest.md): the examples' sample
//! records, bookings and prior validations, mutated deterministically, must never panic any
//! of the three parsers nor what assess does with a record that parsed. Bounded so it runs in
//! the normal suite; `scripts/fuzz.sh` fuzzes the same function (`core_retest_records`)
//! for longer.

#[path = "../../../fuzz/mutate.rs"]
mod mutate;

use std::path::{Path, PathBuf};
use std::time::Duration;

use assay_core::{
    Day, LabBooking, PriorValidation, ShippedConfig, TestSample, TestedConfig, coverage_gaps,
};
use mutate::{Seed, smoke};

const BUDGET: Duration = Duration::from_millis(2500);
const RUNS: u64 = 20_000;

fn seeds() -> Vec<Seed> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut paths: Vec<PathBuf> = Vec::new();
    for example in std::fs::read_dir(&root).unwrap().flatten() {
        for kind in ["test-sample", "lab-booking", "prior-validation"] {
            if let Ok(rd) = std::fs::read_dir(example.path().join("evidence").join(kind)) {
                paths.extend(rd.flatten().map(|e| e.path()));
            }
        }
    }
    paths.sort();
    assert!(
        paths.len() >= 3,
        "the retest example's records are the seeds: {paths:?}"
    );
    paths
        .iter()
        .filter_map(|p| Seed::file(p, usize::MAX))
        .collect()
}

#[test]
fn retest_records_survive_mutations() {
    let shipped = ShippedConfig {
        hardware_revision: Some("D".into()),
        firmware_digest: Some(
            "5b7143c45504d29f5ad18a864c89a2851f8e12b2cc8f8bbf46417b2d8f1cc979".into(),
        ),
        components_digest: None,
    };
    let today = Day::parse("2026-11-22").unwrap();
    smoke("retest records", &seeds(), RUNS, BUDGET, |b| {
        let Ok(t) = std::str::from_utf8(b) else {
            return;
        };
        if let Ok(s) = TestSample::from_toml(t, "sample.toml") {
            let tested = TestedConfig::from_meta(&s.meta());
            assert_eq!(tested, TestedConfig::from(&s));
            let _ = coverage_gaps(&tested, &shipped);
        }
        if let Ok(bk) = LabBooking::from_toml(t, "booking.toml") {
            let _ = bk.meta();
            assert!(bk.sample_due <= bk.test_start && bk.test_start <= bk.report_due);
            let _ = bk.past_as_of(today);
        }
        if let Ok(p) = PriorValidation::from_toml(t, "prior.toml") {
            assert!(!p.meta().contains_key("firmware_digest"));
        }
    });
}
