//! The report: every metric with counts and bounds, the verdict of each requested scheme with
//! the reason for each failed criterion, and the firmware binding. [`PadReport`] is plain data
//! (serde) so `assay assess` and the HTML dossier can consume it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::campaign::{Campaign, InputFormat, Kind};
use crate::confidence::{
    BootstrapIntervals, ClusterCounts, check_confidence, cluster_bootstrap, percent, percent_limit,
    plan,
};
use crate::error::{PadError, Result};
use crate::manifest::{Manifest, infer_groups, normalise_digest};
use crate::metrics::{
    Criterion, DecisionMetrics, OperatingPoint, Polarity, Rate, ScoreMetrics, ScoreOptions,
    ScoreSets, Tie, decision_metrics, score_metrics,
};
use crate::scheme::{Compare, Measure, Scheme, Status};

/// Progress of the long steps goes through the workspace's one reporter trait: each step of
/// [`pad_report`] is a `start(step, None)` … `finish()` pair. Re-exported here (and at the crate
/// root) so `assay_pad::Reporter` and `assay_pad::Silent` keep naming them.
pub use assay_core::{Reporter, Silent};

/// Bootstrap settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BootstrapOptions {
    pub resamples: u32,
    pub seed: u64,
}

impl Default for BootstrapOptions {
    fn default() -> Self {
        Self {
            resamples: 1000,
            seed: 0x5EED_0000_3010_7003,
        }
    }
}

/// Options of [`pad_report`]. `Default` gives the REFERENCE.md conventions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PadOptions {
    /// Operating points computed for scored campaigns.
    pub criteria: Vec<Criterion>,
    /// The operating point verdicts use on scored campaigns (added to `criteria` if missing).
    /// `None`: the manifest's operating threshold or criterion, else bpcer20.
    pub verdict_criterion: Option<Criterion>,
    /// `None`: the manifest's, else higher is bona fide.
    pub polarity: Option<Polarity>,
    /// `None`: the manifest's, else a score at the threshold is bona fide.
    pub tie: Option<Tie>,
    pub confidence: f64,
    /// `None` skips the bootstrap.
    pub bootstrap: Option<BootstrapOptions>,
    /// Upper bound on DET points kept.
    pub det_points: usize,
    /// sha256 hex of the campaign file, bound into the report when the caller has it.
    pub campaign_digest: Option<String>,
}

impl Default for PadOptions {
    fn default() -> Self {
        Self {
            criteria: vec![
                Criterion::Bpcer(20),
                Criterion::Bpcer(100),
                Criterion::Far(0.1),
                Criterion::Eer,
                Criterion::MinHter,
            ],
            verdict_criterion: None,
            polarity: None,
            tie: None,
            confidence: 0.95,
            bootstrap: Some(BootstrapOptions::default()),
            det_points: 400,
            campaign_digest: None,
        }
    }
}

/// One species in the campaign summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpeciesSummary {
    pub name: String,
    pub groups: Vec<String>,
    /// Attack presentations, non-responses included.
    pub presentations: u64,
    /// The attack potential levels the campaign's rows give this species' presentations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<String>,
}

/// What was read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CampaignSummary {
    pub source: String,
    pub format: Option<InputFormat>,
    pub digest: Option<String>,
    pub presentations: u64,
    pub bona_fide: u64,
    pub attacks: u64,
    pub subjects: u64,
    pub species: Vec<SpeciesSummary>,
    pub levels: Vec<String>,
    /// Species groups covered (from the manifest, else inferred from species names).
    pub species_groups: Vec<String>,
    pub has_decisions: bool,
    pub has_scores: bool,
}

/// The settings the numbers were computed with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub confidence: f64,
    pub polarity: Polarity,
    pub tie: Tie,
    /// `decisions`, or the criterion of the operating point verdicts use.
    pub verdict_basis: String,
    pub bootstrap: Option<BootstrapOptions>,
}

/// Subject-clustered bootstrap intervals of the verdict basis rates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BootstrapReport {
    pub basis: String,
    /// Names of the rates, in the order of `intervals.rates`: each species' APCER, then BPCER.
    pub names: Vec<String>,
    /// `intervals.max` is APCER_AP's.
    pub intervals: BootstrapIntervals,
}

/// Outcome of a criterion or a scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Pass,
    Fail,
    /// The campaign cannot answer the criterion (e.g. IAPAR without decisions).
    Indeterminate,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Indeterminate => "indeterminate",
        }
    }
}

/// The judgement of one criterion.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CriterionResult {
    pub id: String,
    /// e.g. "APCER <= 1% for every species".
    pub requirement: String,
    pub outcome: Outcome,
    /// One line per failure, with the numbers ("species latex-mask: 2 of 150 accepted, APCER 1.33% > 1%").
    pub failures: Vec<String>,
    /// Passed on the point estimate, but the confidence bound does not support the claim.
    pub warnings: Vec<String>,
    pub source: String,
    pub source_title: String,
    pub status: Status,
}

/// The verdict of one scheme.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub scheme: String,
    pub name: String,
    pub level: Option<u32>,
    pub outcome: Outcome,
    pub basis: String,
    pub criteria: Vec<CriterionResult>,
    /// Scheme-level remarks: unverified figures, small campaign.
    pub warnings: Vec<String>,
    pub scheme_digest: String,
    pub scheme_origin: String,
}

/// The report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PadReport {
    /// `assay-pad-report/1`.
    pub format: String,
    pub generator: String,
    pub campaign: CampaignSummary,
    pub manifest: Option<Manifest>,
    /// The tested sample's firmware (from the manifest): what [`covers`] checks against.
    pub firmware_digest: Option<String>,
    pub settings: Settings,
    pub decisions: Option<DecisionMetrics>,
    pub scores: Option<ScoreMetrics>,
    pub bootstrap: Option<BootstrapReport>,
    pub verdicts: Vec<Verdict>,
    pub warnings: Vec<String>,
    /// The conventions behind the numbers, stated once.
    pub conventions: Vec<String>,
    /// Per-species DET curves of a scored campaign (each species against the bona fide).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub species_det: Vec<crate::det::SpeciesDet>,
    /// The test organisation's own declarations (`--lab lab.toml`): accreditation, test
    /// environment, procedure, deviations, signatory. Absent in a report computed without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab: Option<crate::lab::LabInfo>,
    /// The samples (units) tested, from the sample records handed to the lab.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<crate::testreport::TestedSample>,
    /// Who signs the report, with which key, on what date. The signature itself is the DSSE
    /// envelope of the recorded `pad-report` evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<crate::testreport::SignatureBlock>,
}

impl PadReport {
    /// Ids of schemes with the given outcome.
    pub fn schemes_with(&self, outcome: Outcome) -> Vec<String> {
        self.verdicts
            .iter()
            .filter(|v| v.outcome == outcome)
            .map(|v| v.scheme.clone())
            .collect()
    }

    /// Highest `level` among passed schemes that declare one; 0 if none.
    pub fn max_passed_level(&self) -> u32 {
        self.verdicts
            .iter()
            .filter(|v| v.outcome == Outcome::Pass)
            .filter_map(|v| v.level)
            .max()
            .unwrap_or(0)
    }
}

/// The per-species numbers a verdict judges, from decisions or from one operating point.
struct Basis<'a> {
    name: String,
    apcer: Vec<(&'a str, &'a Rate)>,
    iapar: Option<Vec<(&'a str, &'a Rate)>>,
    bpcer: Option<&'a Rate>,
}

/// Computes the report. Pure: no I/O, no printing.
pub fn pad_report(
    campaign: &Campaign,
    manifest: Option<&Manifest>,
    schemes: &[Scheme],
    options: &PadOptions,
    reporter: &dyn Reporter,
) -> Result<PadReport> {
    check_confidence(options.confidence)?;
    if campaign.is_empty() {
        return Err(PadError::Empty {
            file: campaign.source.clone(),
            message: "the campaign has no presentations".into(),
        });
    }
    let scoring = manifest.map(|m| m.scoring.clone()).unwrap_or_default();
    let polarity = options.polarity.or(scoring.polarity).unwrap_or_default();
    let tie = options.tie.or(scoring.tie).unwrap_or_default();
    let verdict_criterion = match options.verdict_criterion {
        Some(c) => c,
        None => match (scoring.operating_threshold, &scoring.criterion) {
            (Some(t), _) => Criterion::Fixed(t),
            (None, Some(c)) => c.parse()?,
            (None, None) => Criterion::Bpcer(20),
        },
    };
    let mut warnings = Vec::new();
    let summary = summarise(campaign, manifest, options, &mut warnings);

    reporter.start("decision metrics", None);
    let decisions = decision_metrics(campaign, options.confidence);
    reporter.finish();
    let mut scores = None;
    let mut species_det = Vec::new();
    if campaign.has_scores() {
        reporter.start("sorting scores", None);
        let sets = ScoreSets::new(campaign, polarity, tie);
        reporter.finish();
        let mut criteria = options.criteria.clone();
        if !criteria.contains(&verdict_criterion) {
            criteria.push(verdict_criterion);
        }
        species_det =
            crate::det::species_det(&sets, &campaign.species_names, options.det_points.min(200));
        reporter.start("score metrics", None);
        scores = score_metrics(
            campaign,
            &sets,
            &criteria,
            &ScoreOptions {
                polarity,
                tie,
                confidence: options.confidence,
                det_points: options.det_points,
            },
        );
        reporter.finish();
    }
    let verdict_point: Option<&OperatingPoint> = scores.as_ref().and_then(|s| {
        s.operating_points
            .iter()
            .find(|p| p.criterion == verdict_criterion.name())
    });
    let basis = if let Some(d) = &decisions {
        Basis {
            name: "decisions".into(),
            apcer: d
                .species
                .iter()
                .map(|s| (s.name.as_str(), &s.apcer))
                .collect(),
            iapar: Some(
                d.species
                    .iter()
                    .map(|s| (s.name.as_str(), &s.iapar))
                    .collect(),
            ),
            bpcer: Some(&d.bpcer),
        }
    } else if let Some(p) = verdict_point {
        Basis {
            name: format!("scores at {} (threshold {})", p.criterion, p.threshold),
            apcer: p
                .species
                .iter()
                .map(|s| (s.name.as_str(), &s.apcer))
                .collect(),
            iapar: None,
            bpcer: Some(&p.bpcer),
        }
    } else {
        Basis {
            name: "none (no decisions and no scores)".into(),
            apcer: Vec::new(),
            iapar: None,
            bpcer: None,
        }
    };

    let bootstrap = match options.bootstrap {
        Some(b) if b.resamples > 0 => {
            reporter.start("bootstrap", None);
            let intervals = bootstrap(
                campaign,
                verdict_point,
                polarity,
                tie,
                b,
                options.confidence,
                &basis.name,
                &mut warnings,
            );
            reporter.finish();
            intervals
        }
        _ => None,
    };

    reporter.start("verdicts", None);
    let verdicts = schemes
        .iter()
        .map(|s| judge(s, &summary, &basis, options.confidence))
        .collect();
    reporter.finish();
    if campaign.has_decisions() && campaign.has_scores() {
        warnings.push(
            "the campaign has both decisions and scores: verdicts use the device's decisions; score metrics are shown alongside".into(),
        );
    }
    let undecided =
        campaign.has_decisions() && campaign.decision.contains(&crate::campaign::Decision::None);
    if undecided {
        warnings.push("some rows have no decision: they are left out of the decision rates".into());
    }

    Ok(PadReport {
        format: "assay-pad-report/1".into(),
        generator: format!("assay-pad {}", env!("CARGO_PKG_VERSION")),
        firmware_digest: manifest.map(|m| m.device.firmware_digest.clone()),
        manifest: manifest.cloned(),
        campaign: summary,
        settings: Settings {
            confidence: options.confidence,
            polarity,
            tie,
            verdict_basis: basis.name.clone(),
            bootstrap: options.bootstrap,
        },
        decisions,
        scores,
        bootstrap,
        verdicts,
        warnings,
        conventions: conventions(polarity, tie),
        species_det,
        lab: None,
        samples: Vec::new(),
        signature: None,
    })
}

fn conventions(polarity: Polarity, tie: Tie) -> Vec<String> {
    vec![
        format!(
            "score polarity: {}; a score equal to the threshold is {}",
            match polarity {
                Polarity::HigherIsBonaFide => "higher = more bona fide",
                Polarity::LowerIsBonaFide => "lower = more bona fide",
            },
            match tie {
                Tie::BonaFideAtThreshold => "classified bona fide (an attack there is accepted)",
                Tie::AttackAtThreshold => "classified as an attack",
            }
        ),
        "APCER and BPCER are taken over presentations that got a response; non-responses are reported as APNRR/BPNRR".into(),
        "IAPAR = accepted attacks / attacks with any decision (a non-response is a failed attack)".into(),
        "APCER_AP = the worst species' APCER (ISO/IEC 30107-3 headline APCER)".into(),
        "bpcerN threshold: the lowest threshold at which every species' APCER <= 1/N (the real rate, not the nearest)".into(),
        "EER and min-HTER thresholds: midpoints between consecutive distinct scores, attacks pooled".into(),
        "ACER is shown for comparison only: it is not conformant to ISO/IEC 30107-3".into(),
        "RIAPAR = IAPAR / (1 - bona fide rejection rate): secondary definition, unverified against the 2023 text".into(),
        "confidence intervals: Clopper-Pearson (exact) unless marked Wilson or bootstrap".into(),
    ]
}

fn summarise(
    campaign: &Campaign,
    manifest: Option<&Manifest>,
    options: &PadOptions,
    warnings: &mut Vec<String>,
) -> CampaignSummary {
    let mut per_species = vec![0u64; campaign.species_names.len()];
    let mut species_levels = vec![BTreeSet::new(); campaign.species_names.len()];
    let mut bona_fide = 0u64;
    for row in 0..campaign.len() {
        match campaign.kind[row] {
            Kind::BonaFide => bona_fide += 1,
            Kind::Attack => {
                let species = campaign.species[row] as usize;
                if let Some(c) = per_species.get_mut(species) {
                    *c += 1;
                    if let Some(&level) = campaign.level.get(row)
                        && (level as usize) < campaign.level_names.len()
                    {
                        species_levels[species].insert(level);
                    }
                }
            }
        }
    }
    let mut groups_covered = BTreeSet::new();
    let species = campaign
        .species_names
        .iter()
        .zip(per_species)
        .zip(species_levels)
        .map(|((name, presentations), levels)| {
            let groups = manifest
                .and_then(|m| m.species.get(name))
                .map(|s| s.groups.clone())
                .unwrap_or_else(|| infer_groups(name));
            if groups.is_empty() {
                warnings.push(format!(
                    "species `{name}`: group unknown (print, replay, mask...); declare it in the manifest under [species.{name}] groups = [...]"
                ));
            }
            groups_covered.extend(groups.iter().cloned());
            SpeciesSummary {
                name: name.clone(),
                groups,
                presentations,
                levels: levels
                    .into_iter()
                    .map(|l| campaign.level_names[l as usize].clone())
                    .collect(),
            }
        })
        .collect();
    if let Some(m) = manifest {
        for name in m.species.keys() {
            if !campaign.species_names.contains(name) {
                warnings.push(format!(
                    "species `{name}` is declared in the manifest but has no presentation in the campaign"
                ));
            }
        }
    }
    CampaignSummary {
        source: campaign.source.clone(),
        format: campaign.format,
        digest: options
            .campaign_digest
            .as_deref()
            .and_then(normalise_digest),
        presentations: campaign.len() as u64,
        bona_fide,
        attacks: campaign.len() as u64 - bona_fide,
        subjects: campaign.subject_names.len() as u64,
        species,
        levels: campaign.level_names.clone(),
        species_groups: groups_covered.into_iter().collect(),
        has_decisions: campaign.has_decisions(),
        has_scores: campaign.has_scores(),
    }
}

/// Per-subject counts of each species' APCER and of BPCER, then the clustered bootstrap.
#[allow(clippy::too_many_arguments)]
fn bootstrap(
    campaign: &Campaign,
    point: Option<&OperatingPoint>,
    polarity: Polarity,
    tie: Tie,
    options: BootstrapOptions,
    confidence: f64,
    basis: &str,
    warnings: &mut Vec<String>,
) -> Option<BootstrapReport> {
    use crate::campaign::{Decision, NONE};
    let use_decisions = campaign.has_decisions();
    if !use_decisions && point.is_none() {
        return None;
    }
    let sign = if polarity == Polarity::HigherIsBonaFide {
        1.0
    } else {
        -1.0
    };
    let t = point.map(|p| p.threshold * sign).unwrap_or(0.0);
    let species_count = campaign.species_names.len();
    let width = species_count + 1;
    let subjectless = campaign.subject.iter().filter(|&&s| s == NONE).count();
    let clusters = campaign.subject_names.len() + subjectless;
    if clusters.saturating_mul(width) > 200_000_000 {
        warnings.push(format!(
            "bootstrap skipped: {clusters} clusters x {width} rates is too large; give rows a subject"
        ));
        return None;
    }
    let mut counts = ClusterCounts {
        width,
        numerators: vec![0; clusters * width],
        denominators: vec![0; clusters * width],
    };
    let mut next_single = campaign.subject_names.len();
    for row in 0..campaign.len() {
        let cluster = if campaign.subject[row] == NONE {
            next_single += 1;
            next_single - 1
        } else {
            campaign.subject[row] as usize
        };
        // (responded, classified bona fide)
        let outcome = if use_decisions {
            match campaign.decision[row] {
                Decision::Accept => Some(true),
                Decision::Reject => Some(false),
                _ => None,
            }
        } else if campaign.is_non_response(row) || !campaign.score[row].is_finite() {
            None
        } else {
            let s = campaign.score[row] * sign;
            Some(match tie {
                Tie::BonaFideAtThreshold => s >= t,
                Tie::AttackAtThreshold => s > t,
            })
        };
        let Some(accepted) = outcome else { continue };
        let (slot, error) = match campaign.kind[row] {
            Kind::Attack if (campaign.species[row] as usize) < species_count => {
                (campaign.species[row] as usize, accepted)
            }
            Kind::BonaFide => (species_count, !accepted),
            _ => continue,
        };
        let i = cluster * width + slot;
        counts.denominators[i] += 1;
        counts.numerators[i] += u32::from(error);
    }
    if clusters < 30 {
        warnings.push(format!(
            "the bootstrap resamples only {clusters} subjects: its intervals are unreliable below about 30; prefer the Clopper-Pearson bounds"
        ));
    }
    let max_of: Vec<usize> = (0..species_count).collect();
    let intervals = cluster_bootstrap(
        &counts,
        &max_of,
        options.resamples,
        options.seed,
        confidence,
    );
    let mut names: Vec<String> = campaign
        .species_names
        .iter()
        .map(|s| format!("APCER {s}"))
        .collect();
    names.push("BPCER".into());
    Some(BootstrapReport {
        basis: basis.to_string(),
        names,
        intervals,
    })
}

fn rate_requirement(measure: &str, c: &crate::scheme::SchemeCriterion) -> String {
    format!(
        "{measure} {} {} for every species",
        c.compare.symbol(),
        percent_limit(c.value)
    )
}

fn judge(
    scheme: &Scheme,
    summary: &CampaignSummary,
    basis: &Basis<'_>,
    confidence: f64,
) -> Verdict {
    let conf = format!("{}%", (confidence * 100.0).round());
    // A scheme that states its own volumes (attacks per species, bona fide presentations)
    // judges rates on its own terms at those volumes: a campaign that meets them is not "too
    // small" for the scheme's claim, even where the confidence bound is wider than the limit
    // (150 error-free attacks support APCER <= 1.98% at 95%, not <= 1%). The bound is still
    // reported with the metrics; the warning is kept for campaigns below the scheme's volume
    // and for schemes that state none.
    let volume_met = |measure: Measure, counts: &[u64]| {
        let mut stated = false;
        for c in scheme.criteria.iter().filter(|c| c.measure == measure) {
            stated = true;
            if !counts.iter().all(|&n| c.compare.holds(n as f64, c.value)) {
                return false;
            }
        }
        stated && !counts.is_empty()
    };
    let attack_counts: Vec<u64> = summary.species.iter().map(|s| s.presentations).collect();
    let attacks_volume_met = volume_met(Measure::AttacksPerSpecies, &attack_counts);
    let bona_fide_volume_met = volume_met(Measure::BonaFideCount, &[summary.bona_fide]);
    let mut criteria = Vec::new();
    for c in &scheme.criteria {
        let source_title = scheme
            .sources
            .iter()
            .find(|s| s.id == c.source)
            .map(|s| s.title.clone())
            .unwrap_or_default();
        let mut failures = Vec::new();
        let mut warnings = Vec::new();
        let mut outcome = Outcome::Pass;
        let requirement;
        match c.measure {
            Measure::Apcer | Measure::Iapar => {
                let (label, rates) = if c.measure == Measure::Apcer {
                    ("APCER", Some(&basis.apcer))
                } else {
                    ("IAPAR", basis.iapar.as_ref())
                };
                requirement = rate_requirement(label, c);
                match rates {
                    None => {
                        outcome = Outcome::Indeterminate;
                        failures.push(format!(
                            "{label} needs the device's accept/reject decisions (a full-system campaign); this campaign has scores only"
                        ));
                    }
                    Some(rates) if rates.is_empty() => {
                        outcome = Outcome::Indeterminate;
                        failures.push("the campaign has no attack presentations".into());
                    }
                    Some(rates) => {
                        for (species, rate) in rates.iter() {
                            judge_rate(
                                label,
                                &format!("species {species}"),
                                "accepted",
                                rate,
                                c,
                                &conf,
                                &mut outcome,
                                &mut failures,
                                (!attacks_volume_met).then_some(&mut warnings),
                            );
                        }
                    }
                }
            }
            Measure::Bpcer => {
                requirement = format!("BPCER {} {}", c.compare.symbol(), percent_limit(c.value));
                match basis.bpcer {
                    Some(rate) => judge_rate(
                        "BPCER",
                        "bona fide",
                        "rejected",
                        rate,
                        c,
                        &conf,
                        &mut outcome,
                        &mut failures,
                        (!bona_fide_volume_met).then_some(&mut warnings),
                    ),
                    None => {
                        outcome = Outcome::Indeterminate;
                        failures.push("no bona fide decisions or scores".into());
                    }
                }
            }
            Measure::AttacksPerSpecies => {
                requirement = format!("at least {} attack presentations per species", c.value);
                for s in &summary.species {
                    if !c.compare.holds(s.presentations as f64, c.value) {
                        outcome = Outcome::Fail;
                        failures.push(format!(
                            "species {}: {} attack presentations {} {} required",
                            s.name,
                            s.presentations,
                            c.compare.violated(),
                            c.value
                        ));
                    }
                }
            }
            Measure::SpeciesCount => {
                requirement = format!("at least {} PAI species", c.value);
                let n = summary
                    .species
                    .iter()
                    .filter(|s| s.presentations > 0)
                    .count();
                if !c.compare.holds(n as f64, c.value) {
                    outcome = Outcome::Fail;
                    failures.push(format!(
                        "{n} species tested {} {} required",
                        c.compare.violated(),
                        c.value
                    ));
                }
            }
            Measure::BonaFideCount => {
                requirement = format!("at least {} bona fide presentations", c.value);
                if !c.compare.holds(summary.bona_fide as f64, c.value) {
                    outcome = Outcome::Fail;
                    failures.push(format!(
                        "{} bona fide presentations {} {} required",
                        summary.bona_fide,
                        c.compare.violated(),
                        c.value
                    ));
                }
            }
            Measure::SpeciesGroups => {
                requirement = format!("species covering the groups: {}", c.groups.join(", "));
                for g in &c.groups {
                    if !summary.species_groups.contains(g) {
                        outcome = Outcome::Fail;
                        failures.push(format!(
                            "no species of group `{g}` in the campaign (groups covered: {})",
                            if summary.species_groups.is_empty() {
                                "none".to_string()
                            } else {
                                summary.species_groups.join(", ")
                            }
                        ));
                    }
                }
            }
        }
        criteria.push(CriterionResult {
            id: c.id.clone(),
            requirement,
            outcome,
            failures,
            warnings,
            source: c.source.clone(),
            source_title,
            status: c.status,
        });
    }
    let outcome = if criteria.iter().any(|c| c.outcome == Outcome::Fail) {
        Outcome::Fail
    } else if criteria.iter().any(|c| c.outcome == Outcome::Indeterminate) {
        Outcome::Indeterminate
    } else {
        Outcome::Pass
    };
    let mut warnings = Vec::new();
    let unverified: Vec<&str> = scheme
        .criteria
        .iter()
        .filter(|c| c.status == Status::Unverified)
        .map(|c| c.id.as_str())
        .collect();
    if !unverified.is_empty() {
        warnings.push(format!(
            "criteria {} rest on figures not found in the sources held (unverified)",
            unverified.join(", ")
        ));
    }
    let secondary: Vec<&str> = scheme
        .criteria
        .iter()
        .filter(|c| c.status == Status::Secondary)
        .map(|c| c.id.as_str())
        .collect();
    if !secondary.is_empty() {
        warnings.push(format!(
            "criteria {} come from secondary sources (not the issuing body)",
            secondary.join(", ")
        ));
    }
    if criteria.iter().any(|c| !c.warnings.is_empty()) {
        warnings.push(format!(
            "the campaign is too small for the claim at {conf} confidence: see the criterion warnings"
        ));
    }
    Verdict {
        scheme: scheme.id.clone(),
        name: scheme.name.clone(),
        level: scheme.level,
        outcome,
        basis: basis.name.clone(),
        criteria,
        warnings,
        scheme_digest: scheme.digest.clone(),
        scheme_origin: scheme.origin.clone(),
    }
}

#[allow(clippy::too_many_arguments)]
fn judge_rate(
    label: &str,
    who: &str,
    event: &str,
    rate: &Rate,
    c: &crate::scheme::SchemeCriterion,
    conf: &str,
    outcome: &mut Outcome,
    failures: &mut Vec<String>,
    warnings: Option<&mut Vec<String>>,
) {
    let Some(value) = rate.value else {
        if *outcome == Outcome::Pass {
            *outcome = Outcome::Indeterminate;
        }
        failures.push(format!(
            "{who}: no presentation with a response, {label} undefined"
        ));
        return;
    };
    let counts = format!("{} of {} {event}", rate.count, rate.total);
    if !c.compare.holds(value, c.value) {
        *outcome = Outcome::Fail;
        failures.push(format!(
            "{who}: {counts}, {label} {} {} {}",
            percent(value),
            c.compare.violated(),
            percent_limit(c.value)
        ));
    } else if let Some(warnings) = warnings
        // A zero limit ("no attack accepted") is a rule on the observed count: no finite
        // campaign can bound a rate at 0, so "too small" would be said of every campaign.
        && c.value > 0.0
        && matches!(c.compare, Compare::AtMost | Compare::Below)
        && !c.compare.holds(rate.upper_bound, c.value)
    {
        let needed = if c.value > 0.0 {
            plan(c.value, rate.exact.confidence, 0)
                .ok()
                .and_then(|rows| rows.first().map(|r| r.presentations))
        } else {
            None
        };
        warnings.push(format!(
            "{who}: {counts} supports only {label} <= {} at {conf}, not {} {}{}",
            percent(rate.upper_bound),
            c.compare.symbol(),
            percent_limit(c.value),
            match needed {
                Some(n) if c.value > 0.0 =>
                    format!("; {n} presentations with no error would support it"),
                _ => String::new(),
            }
        ));
    }
}

/// Whether a report covers a shipping SKU's firmware.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    pub covered: bool,
    pub tested: Option<String>,
    pub shipped: String,
    pub explanation: String,
}

/// Checks a shipping SKU's firmware digest against the report's tested sample.
pub fn covers(report: &PadReport, shipped_digest: &str) -> Result<Coverage> {
    let shipped = normalise_digest(shipped_digest).ok_or_else(|| PadError::Option {
        name: "--firmware-digest".into(),
        message: format!(
            "`{}` is not a sha256 digest (64 hex digits)",
            assay_core::text::quote_short(shipped_digest)
        ),
    })?;
    let tested = report.firmware_digest.clone();
    let (covered, explanation) = match &tested {
        None => (
            false,
            "the report binds no firmware digest (it was computed without a manifest), so it covers no SKU".to_string(),
        ),
        Some(t) if *t == shipped => (
            true,
            format!("the shipping firmware {shipped} is the tested sample's firmware"),
        ),
        Some(t) => (
            false,
            format!(
                "the shipping firmware {shipped} differs from the tested sample's {t}: the report does not cover this SKU; retest or obtain a delta assessment"
            ),
        ),
    };
    Ok(Coverage {
        covered,
        tested,
        shipped,
        explanation,
    })
}
