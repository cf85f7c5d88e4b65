//! Confidence: exact (Clopper-Pearson) and Wilson intervals for error rates, plain-language
//! statements of what a count supports, sample-size planning, and a seeded subject-clustered
//! bootstrap.
//!
//! Clopper-Pearson bounds are beta quantiles; they are found by bisection on the regularized
//! incomplete beta function (statrs), which converges to the last bit whatever the counts,
//! rather than by an inverse whose accuracy would depend on the parameters.

use serde::{Deserialize, Serialize};
use statrs::function::beta::beta_reg;

/// Which side(s) an interval bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sided {
    /// Both bounds, each with (1 - confidence) / 2 outside.
    Two,
    /// Only an upper bound (the lower is 0).
    Upper,
    /// Only a lower bound (the upper is 1).
    Lower,
}

/// Interval method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    ClopperPearson,
    Wilson,
    /// Percentile bootstrap over subjects.
    Bootstrap,
}

/// A confidence interval for a proportion.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub lower: f64,
    pub upper: f64,
    pub confidence: f64,
    pub sided: Sided,
    pub method: Method,
}

/// Inverse of the regularized incomplete beta in `x`: the `p`-quantile of Beta(a, b).
fn beta_quantile(p: f64, a: f64, b: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    // 200 halvings reach adjacent floats long before the loop ends; stop there.
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if beta_reg(a, b, mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Clopper-Pearson ("exact") interval for `k` events in `n` trials.
///
/// Returns `[0, 1]` when `n == 0`: no trials support no claim.
pub fn clopper_pearson(k: u64, n: u64, confidence: f64, sided: Sided) -> Interval {
    let alpha = 1.0 - confidence;
    let tail = match sided {
        Sided::Two => alpha / 2.0,
        Sided::Upper | Sided::Lower => alpha,
    };
    let (kf, nf) = (k as f64, n as f64);
    let lower = if n == 0 || k == 0 || sided == Sided::Upper {
        0.0
    } else {
        beta_quantile(tail, kf, nf - kf + 1.0)
    };
    let upper = if n == 0 || k >= n || sided == Sided::Lower {
        1.0
    } else if k == 0 {
        // Closed form, exact to rounding: 1 - tail^(1/n).
        -(tail.ln() / nf).exp_m1()
    } else {
        beta_quantile(1.0 - tail, kf + 1.0, nf - kf)
    };
    Interval {
        lower,
        upper,
        confidence,
        sided,
        method: Method::ClopperPearson,
    }
}

/// Standard normal quantile.
pub fn normal_quantile(p: f64) -> f64 {
    -std::f64::consts::SQRT_2 * statrs::function::erf::erfc_inv(2.0 * p)
}

/// Wilson score interval for `k` events in `n` trials.
pub fn wilson(k: u64, n: u64, confidence: f64, sided: Sided) -> Interval {
    let alpha = 1.0 - confidence;
    if n == 0 {
        return Interval {
            lower: 0.0,
            upper: 1.0,
            confidence,
            sided,
            method: Method::Wilson,
        };
    }
    let z = match sided {
        Sided::Two => normal_quantile(1.0 - alpha / 2.0),
        _ => normal_quantile(1.0 - alpha),
    };
    let nf = n as f64;
    let p = k as f64 / nf;
    let z2 = z * z;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = z / denom * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    let (mut lower, mut upper) = ((centre - half).max(0.0), (centre + half).min(1.0));
    match sided {
        Sided::Upper => lower = 0.0,
        Sided::Lower => upper = 1.0,
        Sided::Two => {}
    }
    Interval {
        lower,
        upper,
        confidence,
        sided,
        method: Method::Wilson,
    }
}

/// Formats a proportion as a percentage with enough digits to be honest about small rates.
pub fn percent(x: f64) -> String {
    let p = x * 100.0;
    if p == 0.0 {
        "0%".into()
    } else if p < 0.1 {
        format!("{p:.4}%")
    } else {
        format!("{p:.2}%")
    }
}

/// A plain statement of what `k` of `n` supports, e.g.
/// "0 of 150 accepted: APCER <= 1.98% at 95% (one-sided Clopper-Pearson)".
pub fn statement(metric: &str, event: &str, k: u64, n: u64, confidence: f64) -> String {
    let conf = format!("{}%", trim_float(confidence * 100.0));
    if n == 0 {
        return format!("no presentations: nothing can be said about {metric}");
    }
    let upper = clopper_pearson(k, n, confidence, Sided::Upper).upper;
    if k == 0 {
        format!(
            "0 of {n} {event}: {metric} <= {} at {conf} (one-sided Clopper-Pearson)",
            percent(upper)
        )
    } else {
        let two = clopper_pearson(k, n, confidence, Sided::Two);
        format!(
            "{k} of {n} {event}: {metric} {} ({conf} two-sided Clopper-Pearson {} to {}; one-sided upper bound {})",
            percent(k as f64 / n as f64),
            percent(two.lower),
            percent(two.upper),
            percent(upper)
        )
    }
}

/// A limit as written in a scheme: "1%", "15%", "0.5%" (no padding zeros).
pub fn percent_limit(x: f64) -> String {
    let s = format!("{:.4}", x * 100.0);
    format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
}

fn trim_float(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// How many presentations are needed so that `allowed_errors` errors still support
/// "rate <= target" at `confidence` (one-sided Clopper-Pearson).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanRow {
    pub allowed_errors: u64,
    pub presentations: u64,
}

/// Sample-size plan: for 0..=max_errors errors, the smallest N whose one-sided
/// Clopper-Pearson upper bound is at most `target`.
pub fn plan(target: f64, confidence: f64, max_errors: u64) -> crate::Result<Vec<PlanRow>> {
    if !(target > 0.0 && target < 1.0) {
        return Err(crate::PadError::Option {
            name: "--target".into(),
            message: format!("{target} is not a rate strictly between 0 and 1 (e.g. 0.01)"),
        });
    }
    check_confidence(confidence)?;
    let mut rows = Vec::new();
    for k in 0..=max_errors {
        let fits = |n: u64| clopper_pearson(k, n, confidence, Sided::Upper).upper <= target;
        // The bound falls as n grows: double, then bisect.
        let mut hi = (k + 1).max(1);
        while !fits(hi) {
            hi = hi.saturating_mul(2);
            if hi > 1 << 40 {
                break;
            }
        }
        let mut lo = k; // never fits: k errors in k trials
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if fits(mid) { hi = mid } else { lo = mid }
        }
        rows.push(PlanRow {
            allowed_errors: k,
            presentations: hi,
        });
    }
    Ok(rows)
}

pub(crate) fn check_confidence(confidence: f64) -> crate::Result<()> {
    if confidence > 0.0 && confidence < 1.0 {
        Ok(())
    } else {
        Err(crate::PadError::Option {
            name: "--confidence".into(),
            message: format!("{confidence} is not strictly between 0 and 1 (e.g. 0.95)"),
        })
    }
}

/// A small, fast, seedable generator (SplitMix64). Used only for bootstrap resampling, where
/// reproducibility from a seed matters and cryptographic strength does not.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the bias is below 2^-32 for our n).
    pub fn below(&mut self, n: u32) -> u32 {
        (((self.next_u64() >> 32) * n as u64) >> 32) as u32
    }
}

/// Per-cluster (subject) counts: for each of `width` rates, a numerator and a denominator.
/// Stored flat: cluster `c`, rate `r` at `[c * width + r]`.
#[derive(Clone, Debug, Default)]
pub struct ClusterCounts {
    pub width: usize,
    pub numerators: Vec<u32>,
    pub denominators: Vec<u32>,
}

impl ClusterCounts {
    pub fn clusters(&self) -> usize {
        self.numerators.len().checked_div(self.width).unwrap_or(0)
    }
}

/// Bootstrap percentile intervals of each rate (and of their maximum over `max_of`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BootstrapIntervals {
    pub resamples: u32,
    pub seed: u64,
    pub clusters: usize,
    /// One interval per rate, `None` when the rate had no denominator in too many resamples.
    pub rates: Vec<Option<Interval>>,
    /// Interval of the maximum of the rates listed in `max_of`.
    pub max: Option<Interval>,
}

/// Subject-clustered percentile bootstrap: each resample draws clusters with replacement and
/// sums their counts, so the attempts of one subject stay together. Resample `r` uses its own
/// generator seeded from `(seed, r)`, so results do not depend on the number of threads.
///
/// Resamples are computed in blocks: a block draws the multiplicity of every cluster for each
/// of its resamples, then streams the count matrix once, adding each cluster's row times its
/// multiplicity. Visiting clusters in order instead of drawing rows at random keeps the matrix
/// walk sequential, which matters once it outgrows the caches (50,000 subjects x 21 rates).
pub fn cluster_bootstrap(
    counts: &ClusterCounts,
    max_of: &[usize],
    resamples: u32,
    seed: u64,
    confidence: f64,
) -> BootstrapIntervals {
    use rayon::prelude::*;
    let clusters = counts.clusters();
    let width = counts.width;
    // Rows padded to a multiple of 8 lanes so the inner add loop has no scalar tail.
    let row_len = (2 * width).div_ceil(8) * 8;
    let mut rows = Vec::with_capacity(clusters * row_len);
    for c in 0..clusters {
        rows.extend_from_slice(&counts.numerators[c * width..(c + 1) * width]);
        rows.extend_from_slice(&counts.denominators[c * width..(c + 1) * width]);
        rows.resize((c + 1) * row_len, 0);
    }
    // Sums fit in u32 when every cluster drawn every time could not overflow.
    let max_row = rows.iter().copied().max().unwrap_or(0) as u64;
    let narrow = (clusters as u64).saturating_mul(max_row) < u64::from(u32::MAX);
    const BLOCK: u32 = 16;
    let starts: Vec<u32> = (0..resamples).step_by(BLOCK as usize).collect();
    let stats: Vec<Vec<f64>> = starts
        .par_iter()
        .flat_map_iter(|&start| {
            let block = BLOCK.min(resamples - start) as usize;
            // weights[r * clusters + c]: how often resample r drew cluster c. One resample's
            // weights are contiguous so the random increments stay within a small array.
            let mut weights = vec![0u32; clusters * block];
            for (r, w) in weights.chunks_exact_mut(clusters.max(1)).enumerate() {
                let mut rng = SplitMix64::new(
                    seed ^ (u64::from(start) + r as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F),
                );
                for _ in 0..clusters {
                    w[rng.below(clusters as u32) as usize] += 1;
                }
            }
            let sums: Vec<Vec<f64>> = if narrow {
                accumulate::<u32>(&rows, &weights, row_len, block, f64::from)
            } else {
                accumulate::<u64>(&rows, &weights, row_len, block, |x| x as f64)
            };
            sums.into_iter()
                .map(|sum| {
                    let mut out: Vec<f64> = (0..width)
                        .map(|i| {
                            let (num, den) = (sum[i], sum[width + i]);
                            if den == 0.0 { f64::NAN } else { num / den }
                        })
                        .collect();
                    let max = max_of
                        .iter()
                        .map(|&i| out[i])
                        .filter(|v| v.is_finite())
                        .fold(f64::NAN, f64::max);
                    out.push(max);
                    out
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let alpha = 1.0 - confidence;
    let interval_of = |column: usize| -> Option<Interval> {
        let mut v: Vec<f64> = stats
            .iter()
            .map(|s| s[column])
            .filter(|x| x.is_finite())
            .collect();
        // A rate undefined in more than 5% of resamples has no meaningful percentile.
        if v.is_empty() || (v.len() as f64) < 0.95 * resamples as f64 {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let q = |p: f64| {
            let pos = p * (v.len() - 1) as f64;
            let (i, frac) = (pos.floor() as usize, pos - pos.floor());
            let j = (i + 1).min(v.len() - 1);
            v[i] + (v[j] - v[i]) * frac
        };
        Some(Interval {
            lower: q(alpha / 2.0),
            upper: q(1.0 - alpha / 2.0),
            confidence,
            sided: Sided::Two,
            method: Method::Bootstrap,
        })
    };
    BootstrapIntervals {
        resamples,
        seed,
        clusters,
        rates: (0..width).map(interval_of).collect(),
        max: if max_of.is_empty() {
            None
        } else {
            interval_of(width)
        },
    }
}

/// For each resample of a block, the sum over clusters of `weight x row`.
fn accumulate<A>(
    rows: &[u32],
    weights: &[u32],
    row_len: usize,
    block: usize,
    to_f64: impl Fn(A) -> f64,
) -> Vec<Vec<f64>>
where
    A: Copy + Default + From<u32> + std::ops::AddAssign,
{
    let mut acc = vec![A::default(); block * row_len];
    let clusters = rows.len() / row_len.max(1);
    for (c, row) in rows.chunks_exact(row_len).enumerate() {
        for r in 0..block {
            let wr = weights[r * clusters + c];
            let sum = &mut acc[r * row_len..(r + 1) * row_len];
            // Multiplicities are mostly 1 or 2: repeated vector adds beat a multiply that
            // baseline x86-64 has no instruction for on 32-bit lanes.
            for _ in 0..wr {
                for (a, &v) in sum.iter_mut().zip(row) {
                    *a += A::from(v);
                }
            }
        }
    }
    acc.chunks_exact(row_len)
        .map(|sum| sum.iter().map(|&x| to_f64(x)).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_error_upper_bounds_match_closed_form() {
        for (n, expected) in [(150, 0.019773), (300, 0.009936), (750, 0.003986)] {
            let upper = clopper_pearson(0, n, 0.95, Sided::Upper).upper;
            assert!((upper - expected).abs() < 1e-6, "n={n}: {upper}");
            // The bisection path agrees with the closed form.
            let bisected = beta_quantile(0.95, 1.0, n as f64);
            assert!((bisected - upper).abs() < 1e-12);
        }
    }

    #[test]
    fn two_sided_seven_of_fifty() {
        let i = clopper_pearson(7, 50, 0.95, Sided::Two);
        assert!((i.lower - 0.0581917).abs() < 1e-6, "{}", i.lower);
        assert!((i.upper - 0.2673960).abs() < 1e-6, "{}", i.upper);
    }

    #[test]
    fn wilson_known_value() {
        // 7/50 at 95% two-sided: p=0.14, z=1.959964; hand-computed from the formula.
        let i = wilson(7, 50, 0.95, Sided::Two);
        let z: f64 = 1.959963984540054;
        let n = 50.0;
        let p = 0.14;
        let c = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
        let h = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
        assert!((i.lower - (c - h)).abs() < 1e-12 && (i.upper - (c + h)).abs() < 1e-12);
        assert!((i.lower - 0.0695).abs() < 1e-3 && (i.upper - 0.2614).abs() < 1e-3);
    }

    #[test]
    fn plan_matches_closed_form_for_zero_errors() {
        let rows = plan(0.01, 0.95, 2).unwrap();
        // ln(0.05)/ln(0.99) = 298.07 -> 299.
        assert_eq!(rows[0].presentations, 299);
        assert!(rows[1].presentations > 299 && rows[2].presentations > rows[1].presentations);
        let k1 = rows[1].presentations;
        assert!(clopper_pearson(1, k1, 0.95, Sided::Upper).upper <= 0.01);
        assert!(clopper_pearson(1, k1 - 1, 0.95, Sided::Upper).upper > 0.01);
    }

    #[test]
    fn blocked_bootstrap_equals_naive_resampling() {
        // 37 clusters, 3 rates; counts from a fixed generator.
        let (clusters, width) = (37usize, 3usize);
        let mut g = SplitMix64::new(99);
        let mut counts = ClusterCounts {
            width,
            ..Default::default()
        };
        for _ in 0..clusters * width {
            let den = g.below(9);
            counts.denominators.push(den);
            counts
                .numerators
                .push(if den == 0 { 0 } else { g.below(den + 1) });
        }
        let (resamples, seed) = (40u32, 5u64);
        let got = cluster_bootstrap(&counts, &[0, 1], resamples, seed, 0.9);
        // Naive: draw clusters one by one with the same per-resample generators.
        let mut stats: Vec<Vec<f64>> = Vec::new();
        for r in 0..resamples {
            let mut rng =
                SplitMix64::new(seed ^ (u64::from(r) + 1).wrapping_mul(0xA076_1D64_78BD_642F));
            let (mut num, mut den) = (vec![0u64; width], vec![0u64; width]);
            for _ in 0..clusters {
                let c = rng.below(clusters as u32) as usize;
                for i in 0..width {
                    num[i] += u64::from(counts.numerators[c * width + i]);
                    den[i] += u64::from(counts.denominators[c * width + i]);
                }
            }
            stats.push((0..width).map(|i| num[i] as f64 / den[i] as f64).collect());
        }
        for i in 0..width {
            let mut v: Vec<f64> = stats.iter().map(|s| s[i]).collect();
            v.sort_by(f64::total_cmp);
            let q = |p: f64| {
                let pos = p * (v.len() - 1) as f64;
                let (k, f) = (pos.floor() as usize, pos - pos.floor());
                v[k] + (v[(k + 1).min(v.len() - 1)] - v[k]) * f
            };
            let interval = got.rates[i].unwrap();
            assert!((interval.lower - q(0.05)).abs() < 1e-12);
            assert!((interval.upper - q(0.95)).abs() < 1e-12);
        }
    }

    #[test]
    fn statement_reads_plainly() {
        let s = statement("APCER", "accepted", 0, 150, 0.95);
        assert_eq!(
            s,
            "0 of 150 accepted: APCER <= 1.98% at 95% (one-sided Clopper-Pearson)"
        );
    }
}
