//! Per-species DET curves: each species' attacks against the bona fide presentations, thinned
//! to a bounded number of points (the pooled curve is [`crate::metrics::ScoreMetrics::det`]).

use serde::{Deserialize, Serialize};

use crate::metrics::{DetPoint, ScoreSets};

/// One species' DET curve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpeciesDet {
    pub species: String,
    pub points: Vec<DetPoint>,
}

/// The DET curve of sorted attack scores `a` against sorted bona fide scores `b` (both in the
/// normalised "higher is bona fide" orientation), at most `max_points` points; thresholds are
/// given back in the file's own units (`sign`).
///
/// The candidate thresholds are evenly spaced order statistics of each class (half the points
/// from each); each point is two binary searches, so a curve costs O(points x log n) whatever
/// the campaign's size, and every species of a ten-million-row campaign gets one cheaply. At a
/// candidate score `v`, a score `<= v` is classified an attack (APCER = attacks above `v`,
/// BPCER = bona fide at or below `v`).
pub fn det_curve(a: &[f64], b: &[f64], sign: f64, max_points: usize) -> Vec<DetPoint> {
    let (na, nb) = (a.len(), b.len());
    if na == 0 || nb == 0 || max_points == 0 {
        return Vec::new();
    }
    let per_class = (max_points / 2).max(1);
    let mut candidates: Vec<f64> = Vec::with_capacity(2 * per_class);
    for class in [a, b] {
        let n = class.len();
        let k = per_class.min(n);
        for q in 0..k {
            // From the lowest to the highest score of the class, both ends included.
            let at = if k == 1 { n - 1 } else { q * (n - 1) / (k - 1) };
            candidates.push(class[at]);
        }
    }
    candidates.retain(|v| v.is_finite());
    candidates.sort_by(f64::total_cmp);
    candidates.dedup();
    candidates
        .into_iter()
        .map(|v| {
            let i = a.partition_point(|&x| x <= v);
            let j = b.partition_point(|&x| x <= v);
            DetPoint {
                threshold: v * sign,
                apcer: (na - i) as f64 / na as f64,
                bpcer: j as f64 / nb as f64,
            }
        })
        .collect()
}

/// One DET curve per species of `sets`, named by `species_names`.
pub fn species_det(
    sets: &ScoreSets,
    species_names: &[String],
    max_points: usize,
) -> Vec<SpeciesDet> {
    species_names
        .iter()
        .zip(&sets.attacks)
        .map(|(name, attacks)| SpeciesDet {
            species: name.clone(),
            points: det_curve(attacks, &sets.bona_fide, sets.sign, max_points),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_separable_species_reaches_zero_errors() {
        let a = [0.1, 0.2, 0.3];
        let b = [0.7, 0.8, 0.9];
        let det = det_curve(&a, &b, 1.0, 100);
        // Between the classes: every attack rejected, every bona fide accepted.
        assert!(
            det.iter().any(|p| p.apcer == 0.0 && p.bpcer == 0.0),
            "{det:?}"
        );
        // Rates move monotonically: APCER down, BPCER up.
        for w in det.windows(2) {
            assert!(w[1].apcer <= w[0].apcer && w[1].bpcer >= w[0].bpcer);
        }
    }

    #[test]
    fn points_match_a_direct_count() {
        let a = [0.1, 0.2, 0.2, 0.5, 0.9];
        let b = [0.3, 0.5, 0.8, 0.95];
        for p in det_curve(&a, &b, 1.0, 100) {
            let t = p.threshold;
            let apcer = a.iter().filter(|&&x| x > t).count() as f64 / 5.0;
            let bpcer = b.iter().filter(|&&x| x <= t).count() as f64 / 4.0;
            assert_eq!((p.apcer, p.bpcer), (apcer, bpcer), "at {t}");
        }
        // Lower is bona fide: thresholds come back in the file's units.
        let neg = det_curve(&a, &b, -1.0, 100);
        assert!(neg.iter().all(|p| p.threshold <= 0.0));
    }

    #[test]
    fn thinned_to_the_bound() {
        let a: Vec<f64> = (0..10_000).map(|i| i as f64).collect();
        let b: Vec<f64> = (0..10_000).map(|i| i as f64 + 0.5).collect();
        assert!(det_curve(&a, &b, 1.0, 50).len() <= 50);
        assert!(det_curve(&a, &[], 1.0, 50).is_empty());
    }
}
