//! Every value of ../shared/data/pad/REFERENCE.md, reproduced from the shared score files.

use std::path::PathBuf;

use assay_pad::metrics::{Criterion, Polarity, ScoreSets, Tie, operating_point, threshold_for};
use assay_pad::read::read_path;

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/pad/"
    ))
    .join(rel)
}

fn close(actual: f64, expected: f64, tol: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tol,
        "{what}: got {actual}, reference {expected}"
    );
}

/// (criterion, threshold, APCER x0..x4, APCER max, BPCER) from REFERENCE.md.
const BOB_PAD: [(&str, f64, [f64; 5], f64, f64); 4] = [
    (
        "bpcer20",
        6.86079,
        [0.037267, 0.049395, 0.045833, 0.047389, 0.048664],
        0.049395,
        0.3816,
    ),
    (
        "far:0.1",
        2.664757,
        [0.100414, 0.104839, 0.093750, 0.106383, 0.094466],
        0.106383,
        0.2322,
    ),
    (
        "eer",
        -0.148136,
        [0.168737, 0.162298, 0.151042, 0.153772, 0.140267],
        0.168737,
        0.155,
    ),
    (
        "min-hter",
        -0.3386535,
        [0.175983, 0.165323, 0.158333, 0.158607, 0.142176],
        0.175983,
        0.149,
    ),
];

#[test]
fn bob_pad_base_thresholds_and_per_species_apcer() {
    let campaign = read_path(&shared("bob.pad.base/scores-dev.csv")).unwrap();
    assert_eq!(campaign.len(), 10_000);
    let sets = ScoreSets::new(
        &campaign,
        Polarity::HigherIsBonaFide,
        Tie::BonaFideAtThreshold,
    );
    for (name, threshold, apcers, apcer_max, bpcer) in BOB_PAD {
        let criterion: Criterion = name.parse().unwrap();
        let t = threshold_for(&sets, criterion).unwrap();
        // Thresholds are printed with 7 significant digits in the reference.
        close(
            t,
            threshold,
            1e-6 * threshold.abs().max(1.0),
            &format!("{name} threshold"),
        );
        let point = operating_point(&campaign, &sets, name, t, 0.95);
        for (i, expected) in apcers.iter().enumerate() {
            let species = format!("x{i}");
            let rate = point.species.iter().find(|s| s.name == species).unwrap();
            close(
                rate.apcer.value.unwrap(),
                *expected,
                1e-6,
                &format!("{name} APCER {species}"),
            );
        }
        close(
            point.apcer_ap.as_ref().unwrap().value,
            apcer_max,
            1e-6,
            &format!("{name} APCER max"),
        );
        close(
            point.bpcer.value.unwrap(),
            bpcer,
            1e-6,
            &format!("{name} BPCER"),
        );
    }
}

#[test]
fn bob_measure_rates_at_dev_eer_threshold() {
    let dev = read_path(&shared("bob.measure/dev-1.txt")).unwrap();
    let test = read_path(&shared("bob.measure/test-1.txt")).unwrap();
    let dev_sets = ScoreSets::new(&dev, Polarity::HigherIsBonaFide, Tie::BonaFideAtThreshold);
    let t = threshold_for(&dev_sets, Criterion::Eer).unwrap();
    close(t, -8.025286e-03, 1e-9, "dev-1 EER threshold");
    let d = operating_point(&dev, &dev_sets, "eer", t, 0.95);
    assert_eq!((d.apcer_pooled.count, d.apcer_pooled.total), (31, 495));
    assert_eq!((d.bpcer.count, d.bpcer.total), (28, 451));
    close(d.apcer_pooled.value.unwrap(), 0.06263, 1e-5, "dev FMR");
    close(d.bpcer.value.unwrap(), 0.06208, 1e-5, "dev FNMR");
    close(d.far_with_fta, 0.05924, 1e-5, "dev FAR");
    close(d.frr_with_fta, 0.11273, 1e-5, "dev FRR");
    close(d.hter_with_fta, 0.08599, 1e-5, "dev HTER");
    let test_sets = ScoreSets::new(&test, Polarity::HigherIsBonaFide, Tie::BonaFideAtThreshold);
    let e = operating_point(&test, &test_sets, "eer-from-dev", t, 0.95);
    close(e.apcer_pooled.value.unwrap(), 0.05637, 1e-5, "test FMR");
    close(e.bpcer.value.unwrap(), 0.06131, 1e-5, "test FNMR");
    close(e.far_with_fta, 0.05366, 1e-5, "test FAR");
    close(e.frr_with_fta, 0.10637, 1e-5, "test FRR");
    close(e.hter_with_fta, 0.08001, 1e-5, "test HTER");
}
