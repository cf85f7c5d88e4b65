//! ISO/IEC 30107-3 metrics: decision-based rates for device-level campaigns, and for scored
//! campaigns thresholds by criterion, rates at those thresholds, EER and DET points.
//!
//! Scores are normalised once so that "higher = more bona fide" (negated when the polarity is
//! the other way), sorted once per species and pooled, and every rate at a threshold is then a
//! binary search. Thresholds are reported back in the file's own units.

use std::str::FromStr;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::campaign::{Campaign, Decision, Kind, NONE};
use crate::confidence::{Interval, Sided, clopper_pearson, statement, wilson};

/// Which way scores point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Polarity {
    /// Higher scores are more bona fide (bob.pad.base, bob.measure).
    #[default]
    HigherIsBonaFide,
    /// Lower scores are more bona fide (e.g. an attack probability).
    LowerIsBonaFide,
}

/// What happens to a score exactly at the threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tie {
    /// A score equal to the threshold is classified bona fide (an attack there is accepted).
    #[default]
    BonaFideAtThreshold,
    /// A score equal to the threshold is classified as an attack.
    AttackAtThreshold,
}

/// How an operating threshold is chosen from scores.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum Criterion {
    /// `bpcerN`: the lowest threshold at which every species' APCER is at most 1/N
    /// (BPCER20 is the BPCER there for N = 20).
    Bpcer(u32),
    /// `far:RATE`: the lowest threshold at which the pooled APCER is at most RATE.
    Far(f64),
    /// Equal error rate of pooled attacks against bona fide.
    Eer,
    /// Minimum half total error rate, (APCER pooled + BPCER) / 2.
    MinHter,
    /// A threshold fixed by the caller (the device's operating threshold).
    Fixed(f64),
}

impl Criterion {
    /// The name used on the command line and in reports.
    pub fn name(&self) -> String {
        match self {
            Criterion::Bpcer(n) => format!("bpcer{n}"),
            Criterion::Far(r) => format!("far:{r}"),
            Criterion::Eer => "eer".into(),
            Criterion::MinHter => "min-hter".into(),
            Criterion::Fixed(t) => format!("fixed:{t}"),
        }
    }
}

impl FromStr for Criterion {
    type Err = crate::PadError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || crate::PadError::Criterion(assay_core::text::quote_short(s));
        let lower = s.trim().to_ascii_lowercase();
        if let Some(n) = lower.strip_prefix("bpcer") {
            let n: u32 = n.parse().map_err(|_| bad())?;
            return if n >= 1 {
                Ok(Criterion::Bpcer(n))
            } else {
                Err(bad())
            };
        }
        if lower == "far" {
            return Ok(Criterion::Far(0.1));
        }
        if let Some(r) = lower
            .strip_prefix("far:")
            .or_else(|| lower.strip_prefix("far@"))
        {
            let r: f64 = r.parse().map_err(|_| bad())?;
            return if (0.0..=1.0).contains(&r) {
                Ok(Criterion::Far(r))
            } else {
                Err(bad())
            };
        }
        if let Some(t) = lower.strip_prefix("fixed:") {
            let t: f64 = t.parse().map_err(|_| bad())?;
            return if t.is_finite() {
                Ok(Criterion::Fixed(t))
            } else {
                Err(bad())
            };
        }
        match lower.as_str() {
            "eer" => Ok(Criterion::Eer),
            "min-hter" | "minhter" | "min_hter" => Ok(Criterion::MinHter),
            _ => Err(bad()),
        }
    }
}

/// A rate with its counts and confidence bounds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    /// Errors (accepted attacks, rejected bona fide, non-responses...).
    pub count: u64,
    /// Presentations the rate is taken over.
    pub total: u64,
    /// `count / total`, absent when `total` is 0.
    pub value: Option<f64>,
    /// Two-sided Clopper-Pearson interval.
    pub exact: Interval,
    /// One-sided Clopper-Pearson upper bound.
    pub upper_bound: f64,
    /// Two-sided Wilson interval.
    pub wilson: Interval,
    /// What the counts support, in words.
    pub statement: String,
}

impl Rate {
    pub fn new(metric: &str, event: &str, count: u64, total: u64, confidence: f64) -> Self {
        Rate {
            count,
            total,
            value: (total > 0).then(|| count as f64 / total as f64),
            exact: clopper_pearson(count, total, confidence, Sided::Two),
            upper_bound: clopper_pearson(count, total, confidence, Sided::Upper).upper,
            wilson: wilson(count, total, confidence, Sided::Two),
            statement: statement(metric, event, count, total, confidence),
        }
    }
}

/// Decision counts of one group of presentations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionCounts {
    pub presentations: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub no_response: u64,
    /// Rows without a decision (scored only), left out of decision rates.
    pub undecided: u64,
}

impl DecisionCounts {
    fn add(&mut self, d: Decision) {
        self.presentations += 1;
        match d {
            Decision::Accept => self.accepted += 1,
            Decision::Reject => self.rejected += 1,
            Decision::NoResponse => self.no_response += 1,
            Decision::None => self.undecided += 1,
        }
    }

    /// Presentations that got an accept or reject.
    pub fn responses(&self) -> u64 {
        self.accepted + self.rejected
    }

    /// Presentations with any decision, non-responses included.
    pub fn decided(&self) -> u64 {
        self.accepted + self.rejected + self.no_response
    }
}

/// Decision-based metrics of one attack group (a species or an attack-potential level).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttackDecisionMetrics {
    pub name: String,
    pub counts: DecisionCounts,
    /// Accepted / (accepted + rejected): non-responses are not classifications.
    pub apcer: Rate,
    /// Attack presentation non-response rate: no_response / decided.
    pub apnrr: Rate,
    /// Accepted / decided: what an impostor achieves at the full system, where a non-response
    /// is a failed attempt (ISO/IEC 30107-3:2023 IAPAR, formerly IAPMR).
    pub iapar: Rate,
}

/// Metrics from the device's own decisions (a black-box, full-system campaign).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecisionMetrics {
    pub species: Vec<AttackDecisionMetrics>,
    pub levels: Vec<AttackDecisionMetrics>,
    /// The worst species' APCER (the headline APCER of ISO/IEC 30107-3).
    pub apcer_ap: Option<Worst>,
    /// The worst species' IAPAR.
    pub iapar_max: Option<Worst>,
    pub bona_fide: DecisionCounts,
    /// Rejected / (accepted + rejected) of bona fide presentations.
    pub bpcer: Rate,
    /// Bona fide non-response rate.
    pub bpnrr: Rate,
    /// Bona fide presentations not accepted (rejected or no response) / decided: the
    /// full-system false rejection the RIAPAR below is relative to.
    pub bona_fide_rejection: Rate,
    /// Per species IAPAR / (1 - bona fide rejection). The 2023 edition's exact formula is not in
    /// the sources held; this is the relative form described by secondary sources (unverified).
    pub riapar: Vec<NamedValue>,
    /// (APCER_AP + BPCER) / 2, shown for comparison only: ISO/IEC 30107-3 deprecates ACER.
    pub acer_non_conformant: Option<f64>,
}

/// A species (or level) and a value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NamedValue {
    pub name: String,
    pub value: Option<f64>,
}

/// Which group is worst, and its value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Worst {
    pub name: String,
    pub value: f64,
}

fn worst<'a>(items: impl Iterator<Item = (&'a str, Option<f64>)>) -> Option<Worst> {
    let mut best: Option<Worst> = None;
    for (name, value) in items {
        if let Some(v) = value
            && best.as_ref().is_none_or(|b| v > b.value)
        {
            best = Some(Worst {
                name: name.to_string(),
                value: v,
            });
        }
    }
    best
}

fn attack_metrics(name: &str, c: DecisionCounts, confidence: f64) -> AttackDecisionMetrics {
    AttackDecisionMetrics {
        name: name.to_string(),
        counts: c,
        apcer: Rate::new("APCER", "accepted", c.accepted, c.responses(), confidence),
        apnrr: Rate::new(
            "APNRR",
            "without response",
            c.no_response,
            c.decided(),
            confidence,
        ),
        iapar: Rate::new("IAPAR", "accepted", c.accepted, c.decided(), confidence),
    }
}

/// Decision metrics, or `None` when no row carries an accept or reject.
pub fn decision_metrics(campaign: &Campaign, confidence: f64) -> Option<DecisionMetrics> {
    if !campaign.has_decisions() {
        return None;
    }
    let mut species = vec![DecisionCounts::default(); campaign.species_names.len()];
    let mut levels = vec![DecisionCounts::default(); campaign.level_names.len()];
    let mut bona_fide = DecisionCounts::default();
    for row in 0..campaign.len() {
        let d = campaign.decision[row];
        match campaign.kind[row] {
            Kind::BonaFide => bona_fide.add(d),
            Kind::Attack => {
                if let Some(c) = species.get_mut(campaign.species[row] as usize) {
                    c.add(d);
                }
                if campaign.level[row] != NONE
                    && let Some(c) = levels.get_mut(campaign.level[row] as usize)
                {
                    c.add(d);
                }
            }
        }
    }
    let species: Vec<_> = campaign
        .species_names
        .iter()
        .zip(species)
        .map(|(n, c)| attack_metrics(n, c, confidence))
        .collect();
    let levels: Vec<_> = campaign
        .level_names
        .iter()
        .zip(levels)
        .map(|(n, c)| attack_metrics(n, c, confidence))
        .collect();
    let bpcer = Rate::new(
        "BPCER",
        "rejected",
        bona_fide.rejected,
        bona_fide.responses(),
        confidence,
    );
    let rejection = Rate::new(
        "bona fide rejection",
        "not accepted",
        bona_fide.rejected + bona_fide.no_response,
        bona_fide.decided(),
        confidence,
    );
    let apcer_ap = worst(species.iter().map(|s| (s.name.as_str(), s.apcer.value)));
    let iapar_max = worst(species.iter().map(|s| (s.name.as_str(), s.iapar.value)));
    let riapar = species
        .iter()
        .map(|s| NamedValue {
            name: s.name.clone(),
            value: match (s.iapar.value, rejection.value) {
                (Some(i), Some(r)) if r < 1.0 => Some(i / (1.0 - r)),
                _ => None,
            },
        })
        .collect();
    let acer = match (&apcer_ap, bpcer.value) {
        (Some(a), Some(b)) => Some((a.value + b) / 2.0),
        _ => None,
    };
    Some(DecisionMetrics {
        species,
        levels,
        apcer_ap,
        iapar_max,
        bona_fide,
        bpnrr: Rate::new(
            "BPNRR",
            "without response",
            bona_fide.no_response,
            bona_fide.decided(),
            confidence,
        ),
        bpcer,
        bona_fide_rejection: rejection,
        riapar,
        acer_non_conformant: acer,
    })
}

/// Scores split by class, normalised (higher = bona fide) and sorted ascending.
/// Non-responses are counted, not stored.
#[derive(Clone, Debug, Default)]
pub struct ScoreSets {
    pub sign: f64,
    pub tie: Tie,
    /// Per species, sorted.
    pub attacks: Vec<Vec<f64>>,
    /// Per attack-potential level, sorted (empty when the campaign has no levels).
    pub levels: Vec<Vec<f64>>,
    /// All attacks, sorted.
    pub pooled: Vec<f64>,
    pub bona_fide: Vec<f64>,
    /// Per species non-responses.
    pub attack_non_responses: Vec<u64>,
    pub bona_fide_non_responses: u64,
}

impl ScoreSets {
    /// Splits and sorts the campaign's scores (the one sort of the whole computation).
    pub fn new(campaign: &Campaign, polarity: Polarity, tie: Tie) -> Self {
        let sign = match polarity {
            Polarity::HigherIsBonaFide => 1.0,
            Polarity::LowerIsBonaFide => -1.0,
        };
        let species_count = campaign.species_names.len();
        // Count first so every vector is allocated once at its final size.
        let mut sizes = vec![0usize; species_count];
        let mut level_sizes = vec![0usize; campaign.level_names.len()];
        let mut bona_fide_size = 0usize;
        for row in 0..campaign.len() {
            if campaign.kind[row] == Kind::BonaFide {
                bona_fide_size += 1;
            } else {
                if let Some(n) = sizes.get_mut(campaign.species[row] as usize) {
                    *n += 1;
                }
                if let Some(n) = level_sizes.get_mut(campaign.level[row] as usize) {
                    *n += 1;
                }
            }
        }
        let mut attacks: Vec<Vec<f64>> = sizes.iter().map(|&n| Vec::with_capacity(n)).collect();
        let mut levels: Vec<Vec<f64>> =
            level_sizes.iter().map(|&n| Vec::with_capacity(n)).collect();
        let mut bona_fide = Vec::with_capacity(bona_fide_size);
        let mut attack_non_responses = vec![0u64; species_count];
        let mut bona_fide_non_responses = 0;
        for row in 0..campaign.len() {
            let score = campaign.score[row];
            let responded = !campaign.is_non_response(row) && score.is_finite();
            match campaign.kind[row] {
                Kind::BonaFide => {
                    if responded {
                        bona_fide.push(score * sign);
                    } else if campaign.is_non_response(row) {
                        bona_fide_non_responses += 1;
                    }
                }
                Kind::Attack => {
                    let s = campaign.species[row] as usize;
                    if responded && let Some(l) = levels.get_mut(campaign.level[row] as usize) {
                        l.push(score * sign);
                    }
                    if s < species_count {
                        if responded {
                            attacks[s].push(score * sign);
                        } else if campaign.is_non_response(row) {
                            attack_non_responses[s] += 1;
                        }
                    }
                }
            }
        }
        attacks
            .par_iter_mut()
            .chain(levels.par_iter_mut())
            .for_each(|v| v.sort_unstable_by(f64::total_cmp));
        bona_fide.par_sort_unstable_by(f64::total_cmp);
        // Concatenated sorted runs: the stable sort merges runs instead of sorting afresh.
        let mut pooled: Vec<f64> = Vec::with_capacity(attacks.iter().map(Vec::len).sum());
        for a in &attacks {
            pooled.extend_from_slice(a);
        }
        pooled.par_sort_by(f64::total_cmp);
        ScoreSets {
            sign,
            tie,
            attacks,
            levels,
            pooled,
            bona_fide,
            attack_non_responses,
            bona_fide_non_responses,
        }
    }

    /// Number of scores in `sorted` classified bona fide at normalised threshold `t`.
    pub fn accepted(&self, sorted: &[f64], t: f64) -> u64 {
        let below = match self.tie {
            Tie::BonaFideAtThreshold => sorted.partition_point(|&x| x < t),
            Tie::AttackAtThreshold => sorted.partition_point(|&x| x <= t),
        };
        (sorted.len() - below) as u64
    }

    /// The lowest normalised threshold at which at most `rate` of `sorted` is accepted.
    pub fn rate_threshold(&self, sorted: &[f64], rate: f64) -> Option<f64> {
        let n = sorted.len();
        if n == 0 {
            return None;
        }
        let k = max_errors(rate, n as u64) as usize;
        Some(match self.tie {
            Tie::BonaFideAtThreshold => {
                if k == 0 {
                    next_up(sorted[n - 1])
                } else {
                    let idx = n - k.min(n);
                    let v = sorted[idx];
                    if idx > 0 && sorted[idx - 1] == v {
                        // Ties straddle the cut: the threshold must rise above the tied value.
                        let above = sorted.partition_point(|&x| x <= v);
                        if above == n {
                            next_up(sorted[n - 1])
                        } else {
                            sorted[above]
                        }
                    } else {
                        v
                    }
                }
            }
            Tie::AttackAtThreshold => {
                if k >= n {
                    next_down(sorted[0])
                } else {
                    sorted[n - k - 1]
                }
            }
        })
    }

    fn threshold(&self, criterion: Criterion) -> Option<f64> {
        match criterion {
            Criterion::Bpcer(n) => {
                let rate = 1.0 / f64::from(n);
                self.attacks
                    .iter()
                    .filter_map(|a| self.rate_threshold(a, rate))
                    .fold(None, |acc: Option<f64>, t| {
                        Some(acc.map_or(t, |a| a.max(t)))
                    })
            }
            Criterion::Far(rate) => self.rate_threshold(&self.pooled, rate),
            Criterion::Eer => self.sweep(None).eer.map(|e| e.0),
            Criterion::MinHter => self.sweep(None).min_hter.map(|e| e.0),
            Criterion::Fixed(t) => Some(t * self.sign),
        }
    }

    /// One pass over the merged sorted scores: EER and min-HTER thresholds (midpoints between
    /// consecutive distinct scores; the first, i.e. lowest, wins ties) and thinned DET points.
    pub fn sweep(&self, det_points: Option<usize>) -> Sweep {
        let (a, b) = (&self.pooled, &self.bona_fide);
        let (na, nb) = (a.len(), b.len());
        let mut out = Sweep::default();
        if na == 0 || nb == 0 {
            return out;
        }
        let total = na + nb;
        let step = det_points.map(|p| (total / p.max(1)).max(1));
        let mut next_det = 0usize;
        let (mut i, mut j) = (0usize, 0usize);
        let mut best_eer = f64::INFINITY;
        let mut best_hter = f64::INFINITY;
        while i < na || j < nb {
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
            let next = match (a.get(i), b.get(j)) {
                (Some(&x), Some(&y)) => x.min(y),
                (Some(&x), None) => x,
                (None, Some(&y)) => y,
                (None, None) => break,
            };
            let t = 0.5 * (v + next);
            let apcer = (na - i) as f64 / na as f64;
            let bpcer = j as f64 / nb as f64;
            let diff = (apcer - bpcer).abs();
            if diff < best_eer {
                best_eer = diff;
                out.eer = Some((t, apcer, bpcer));
            }
            let hter = 0.5 * (apcer + bpcer);
            if hter < best_hter {
                best_hter = hter;
                out.min_hter = Some((t, apcer, bpcer));
            }
            if let Some(step) = step
                && i + j >= next_det
            {
                out.det.push(DetPoint {
                    threshold: t * self.sign,
                    apcer,
                    bpcer,
                });
                next_det = i + j + step;
            }
        }
        out
    }
}

/// Result of [`ScoreSets::sweep`]: `(normalised threshold, APCER pooled, BPCER)`.
#[derive(Clone, Debug, Default)]
pub struct Sweep {
    pub eer: Option<(f64, f64, f64)>,
    pub min_hter: Option<(f64, f64, f64)>,
    pub det: Vec<DetPoint>,
}

/// One point of a DET curve (pooled attacks against bona fide).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetPoint {
    pub threshold: f64,
    pub apcer: f64,
    pub bpcer: f64,
}

/// The largest error count `k` with `k / n <= rate`, robust to rounding of `rate * n`.
pub fn max_errors(rate: f64, n: u64) -> u64 {
    let nf = n as f64;
    let mut k = (rate * nf).floor().max(0.0) as u64;
    if k < n && (k + 1) as f64 / nf <= rate {
        k += 1;
    }
    while k > 0 && k as f64 / nf > rate {
        k -= 1;
    }
    k.min(n)
}

/// The next representable float above `x` (own version: `f64::next_up` is newer than our MSRV).
pub fn next_up(x: f64) -> f64 {
    if x.is_nan() || x == f64::INFINITY {
        return x;
    }
    if x == 0.0 {
        return f64::from_bits(1);
    }
    let bits = x.to_bits();
    f64::from_bits(if x > 0.0 { bits + 1 } else { bits - 1 })
}

/// The next representable float below `x`.
pub fn next_down(x: f64) -> f64 {
    -next_up(-x)
}

/// Rates of one attack group at an operating threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupRate {
    pub name: String,
    pub apcer: Rate,
}

/// All rates at one threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OperatingPoint {
    pub criterion: String,
    /// In the file's own score units.
    pub threshold: f64,
    pub species: Vec<GroupRate>,
    pub levels: Vec<GroupRate>,
    pub apcer_ap: Option<Worst>,
    pub apcer_pooled: Rate,
    pub bpcer: Rate,
    /// bob.measure's convention: failures to acquire pooled over all presentations.
    pub fta: f64,
    /// APCER pooled × (1 − FTA).
    pub far_with_fta: f64,
    /// FTA + BPCER × (1 − FTA).
    pub frr_with_fta: f64,
    /// (FAR + FRR) / 2 with FTA.
    pub hter_with_fta: f64,
    /// (APCER_AP + BPCER) / 2: not conformant to ISO/IEC 30107-3, shown for comparison.
    pub acer_non_conformant: Option<f64>,
}

/// Score-based metrics of a subsystem campaign.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreMetrics {
    pub polarity: Polarity,
    pub tie: Tie,
    pub bona_fide_scored: u64,
    pub attacks_scored: u64,
    /// Non-response rates (attack per species and pooled, bona fide).
    pub apnrr: Vec<GroupRate>,
    pub apnrr_pooled: Rate,
    pub bpnrr: Rate,
    pub operating_points: Vec<OperatingPoint>,
    /// BPCER at the bpcer20 threshold (every species' APCER <= 5%).
    pub bpcer20: Option<f64>,
    /// BPCER at the bpcer100 threshold (every species' APCER <= 1%).
    pub bpcer100: Option<f64>,
    /// Equal error rate (mean of APCER pooled and BPCER at the EER threshold).
    pub eer: Option<f64>,
    pub eer_threshold: Option<f64>,
    /// Thinned DET curve, pooled attacks.
    pub det: Vec<DetPoint>,
}

/// Everything needed to compute scored metrics.
#[derive(Clone, Copy, Debug)]
pub struct ScoreOptions {
    pub polarity: Polarity,
    pub tie: Tie,
    pub confidence: f64,
    pub det_points: usize,
}

/// Rates at a normalised threshold.
pub fn operating_point(
    campaign: &Campaign,
    sets: &ScoreSets,
    criterion: &str,
    t: f64,
    confidence: f64,
) -> OperatingPoint {
    let species: Vec<GroupRate> = campaign
        .species_names
        .iter()
        .zip(&sets.attacks)
        .map(|(name, a)| GroupRate {
            name: name.clone(),
            apcer: Rate::new(
                "APCER",
                "accepted",
                sets.accepted(a, t),
                a.len() as u64,
                confidence,
            ),
        })
        .collect();
    let levels = level_rates(campaign, sets, t, confidence);
    let apcer_ap = worst(species.iter().map(|s| (s.name.as_str(), s.apcer.value)));
    let bf_accepted = sets.accepted(&sets.bona_fide, t);
    let nb = sets.bona_fide.len() as u64;
    let bpcer = Rate::new("BPCER", "rejected", nb - bf_accepted, nb, confidence);
    let apcer_pooled = Rate::new(
        "APCER (pooled)",
        "accepted",
        sets.accepted(&sets.pooled, t),
        sets.pooled.len() as u64,
        confidence,
    );
    let non_responses =
        sets.bona_fide_non_responses + sets.attack_non_responses.iter().sum::<u64>();
    let all = non_responses + nb + sets.pooled.len() as u64;
    let fta = if all == 0 {
        0.0
    } else {
        non_responses as f64 / all as f64
    };
    let fmr = apcer_pooled.value.unwrap_or(0.0);
    let fnmr = bpcer.value.unwrap_or(0.0);
    let far = fmr * (1.0 - fta);
    let frr = fta + fnmr * (1.0 - fta);
    OperatingPoint {
        criterion: criterion.to_string(),
        threshold: t * sets.sign,
        acer_non_conformant: match (&apcer_ap, bpcer.value) {
            (Some(a), Some(b)) => Some((a.value + b) / 2.0),
            _ => None,
        },
        species,
        levels,
        apcer_ap,
        apcer_pooled,
        bpcer,
        fta,
        far_with_fta: far,
        frr_with_fta: frr,
        hter_with_fta: (far + frr) / 2.0,
    }
}

fn level_rates(campaign: &Campaign, sets: &ScoreSets, t: f64, confidence: f64) -> Vec<GroupRate> {
    campaign
        .level_names
        .iter()
        .zip(&sets.levels)
        .map(|(name, scores)| GroupRate {
            name: name.clone(),
            apcer: Rate::new(
                "APCER",
                "accepted",
                sets.accepted(scores, t),
                scores.len() as u64,
                confidence,
            ),
        })
        .collect()
}

/// Normalised threshold for a criterion (public for tests and callers that need only that).
pub fn threshold_for(sets: &ScoreSets, criterion: Criterion) -> Option<f64> {
    sets.threshold(criterion)
}

/// Score metrics, or `None` when the campaign has no finite score.
pub fn score_metrics(
    campaign: &Campaign,
    sets: &ScoreSets,
    criteria: &[Criterion],
    options: &ScoreOptions,
) -> Option<ScoreMetrics> {
    if sets.pooled.is_empty() && sets.bona_fide.is_empty() {
        return None;
    }
    let conf = options.confidence;
    let sweep = sets.sweep(Some(options.det_points));
    let mut operating_points = Vec::new();
    for &c in criteria {
        let t = match c {
            Criterion::Eer => sweep.eer.map(|e| e.0),
            Criterion::MinHter => sweep.min_hter.map(|e| e.0),
            other => sets.threshold(other),
        };
        if let Some(t) = t {
            operating_points.push(operating_point(campaign, sets, &c.name(), t, conf));
        }
    }
    let bpcer_at = |n: u32| {
        sets.threshold(Criterion::Bpcer(n)).and_then(|t| {
            let nb = sets.bona_fide.len() as u64;
            (nb > 0).then(|| (nb - sets.accepted(&sets.bona_fide, t)) as f64 / nb as f64)
        })
    };
    let nr_total: u64 = sets.attack_non_responses.iter().sum();
    let apnrr = campaign
        .species_names
        .iter()
        .enumerate()
        .map(|(i, name)| GroupRate {
            name: name.clone(),
            apcer: Rate::new(
                "APNRR",
                "without response",
                sets.attack_non_responses[i],
                sets.attack_non_responses[i] + sets.attacks[i].len() as u64,
                conf,
            ),
        })
        .collect();
    Some(ScoreMetrics {
        polarity: if sets.sign > 0.0 {
            Polarity::HigherIsBonaFide
        } else {
            Polarity::LowerIsBonaFide
        },
        tie: sets.tie,
        bona_fide_scored: sets.bona_fide.len() as u64,
        attacks_scored: sets.pooled.len() as u64,
        apnrr,
        apnrr_pooled: Rate::new(
            "APNRR",
            "without response",
            nr_total,
            nr_total + sets.pooled.len() as u64,
            conf,
        ),
        bpnrr: Rate::new(
            "BPNRR",
            "without response",
            sets.bona_fide_non_responses,
            sets.bona_fide_non_responses + sets.bona_fide.len() as u64,
            conf,
        ),
        operating_points,
        bpcer20: bpcer_at(20),
        bpcer100: bpcer_at(100),
        eer: sweep.eer.map(|(_, a, b)| (a + b) / 2.0),
        eer_threshold: sweep.eer.map(|(t, _, _)| t * sets.sign),
        det: sweep.det,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_errors_is_exact_at_boundaries() {
        assert_eq!(max_errors(0.05, 100), 5);
        assert_eq!(max_errors(0.05, 99), 4);
        assert_eq!(max_errors(0.1, 10), 1);
        assert_eq!(max_errors(0.0, 10), 0);
        assert_eq!(max_errors(1.0, 10), 10);
    }

    #[test]
    fn criterion_names_round_trip() {
        for s in [
            "bpcer20",
            "bpcer100",
            "far:0.05",
            "eer",
            "min-hter",
            "fixed:0.5",
        ] {
            let c: Criterion = s.parse().unwrap();
            assert_eq!(c.name(), s);
        }
        assert!("bpcer0".parse::<Criterion>().is_err());
        assert!("median".parse::<Criterion>().is_err());
    }

    #[test]
    fn next_up_down() {
        assert!(next_up(1.0) > 1.0 && next_down(1.0) < 1.0);
        assert!(next_up(-1.0) > -1.0 && next_up(0.0) > 0.0);
    }
}
