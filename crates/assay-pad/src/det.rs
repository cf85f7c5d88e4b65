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
/// normalised "higher is bona fide" orientation), at most about `max_points` points; thresholds
/// are given back in the file's own units (`sign`).
pub fn det_curve(a: &[f64], b: &[f64], sign: f64, max_points: usize) -> Vec<DetPoint> {
    let (na, nb) = (a.len(), b.len());
    let mut out = Vec::new();
    if na == 0 || nb == 0 || max_points == 0 {
        return out;
    }
    let step = ((na + nb) / max_points).max(1);
    let mut next = 0usize;
    let (mut i, mut j) = (0usize, 0usize);
    loop {
        let v = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        while i < na && a[i] == v {
            i += 1;
        }
        while j < nb && b[j] == v {
            j += 1;
        }
        let after = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        if i + j >= next {
            out.push(DetPoint {
                threshold: 0.5 * (v + after) * sign,
                apcer: (na - i) as f64 / na as f64,
                bpcer: j as f64 / nb as f64,
            });
            next = i + j + step;
        }
    }
    out
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
    fn thinned_to_the_bound() {
        let a: Vec<f64> = (0..10_000).map(|i| i as f64).collect();
        let b: Vec<f64> = (0..10_000).map(|i| i as f64 + 0.5).collect();
        assert!(det_curve(&a, &b, 1.0, 50).len() <= 52);
        assert!(det_curve(&a, &[], 1.0, 50).is_empty());
    }
}
