//! Step templates as data: the typical steps (and estimated durations) that close common
//! obligations, and which rule-pack obligation each template closes. The default library is
//! `templates/default.toml`, compiled in with `include_str!`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::OnceLock;

use assay_core::Day;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::PlanError;
use crate::model::{
    Basis, Before, DayUnit, Duration, EndConstraint, Gap, MarketInput, PlanInput, Step, StepKind,
};

const DEFAULT_LIBRARY: &str = include_str!("../templates/default.toml");
const DEFAULT_ORIGIN: &str = "templates/default.toml (built in)";

/// A named set of steps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub id: String,
    pub title: String,
    /// The step an obligation's deadline (`StepOptions::must_end`) applies to; the template's
    /// last steps when absent. The pre-release submission's deadline ("30 days before
    /// release") binds the submission, not the review window that follows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_step: Option<String>,
    #[serde(rename = "step")]
    pub steps: Vec<TemplateStep>,
}

/// One step of a template. `basis` has no default here: every number in the library says what
/// it rests on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateStep {
    pub id: String,
    pub title: String,
    pub kind: StepKind,
    pub days: i64,
    #[serde(default)]
    pub unit: DayUnit,
    pub basis: Basis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// One line: why this number.
    pub rationale: String,
    /// Ids of steps in the same template.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// The step must end before export to every market it serves (the CAC filing).
    #[serde(default)]
    pub before_export: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint_source: Option<String>,
}

/// Whether a template's steps are one set per subject (shared by every market) or per market.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TemplateScope {
    Subject,
    Market,
}

/// Which template closes which obligation of which pack.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObligationTemplate {
    pub pack: String,
    pub obligation: String,
    pub template: String,
    pub scope: TemplateScope,
    /// When this other template's steps are in the plan too, ours wait for its last steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_template: Option<String>,
    /// With `after_template`: wait for this step of it instead of its last ones (feedback on a
    /// pre-release submission starts once the model is submitted, not when the window ends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_step: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LibraryFile {
    #[serde(default, rename = "template")]
    templates: Vec<Template>,
    #[serde(default, rename = "obligation")]
    obligations: Vec<ObligationTemplate>,
}

/// Templates plus the obligation mapping.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateLibrary {
    templates: Vec<Template>,
    obligations: Vec<ObligationTemplate>,
}

/// Options for turning a template into steps.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepOptions {
    /// Prefix of the step ids (`prefix/step`); the template id when absent.
    pub prefix: Option<String>,
    /// Extra dependencies of the template's first steps (steps of another template).
    pub after: Vec<String>,
    /// Earliest start of the template's first steps (a booked lab slot).
    pub earliest_start: Option<Day>,
    /// A constraint on the template's deadline step, or its last steps when it names none (a
    /// KEV due date, a planned export date, "30 days before release" for the submission).
    pub must_end: Option<EndConstraint>,
}

impl TemplateLibrary {
    /// The library shipped with assay.
    pub fn builtin() -> &'static TemplateLibrary {
        static LIBRARY: OnceLock<TemplateLibrary> = OnceLock::new();
        LIBRARY.get_or_init(|| {
            // The built-in file is checked by the crate's tests; should it ever fail to load,
            // an empty library (every obligation unmapped) is safer than a panic.
            TemplateLibrary::from_toml(DEFAULT_LIBRARY, DEFAULT_ORIGIN).unwrap_or(TemplateLibrary {
                templates: Vec::new(),
                obligations: Vec::new(),
            })
        })
    }

    /// Reads and checks a library: unique ids, dependencies inside the template, no cycles,
    /// sourced numbers with a source, a rationale for every number, known templates in the
    /// obligation mapping.
    pub fn from_toml(text: &str, origin: &str) -> Result<TemplateLibrary, PlanError> {
        let err = |message: String| PlanError::Template {
            origin: origin.to_owned(),
            message,
        };
        let file: LibraryFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        let mut ids = HashSet::new();
        for t in &file.templates {
            if !ids.insert(t.id.as_str()) {
                return Err(err(format!("template `{}` is defined twice", t.id)));
            }
            let local: HashSet<&str> = t.steps.iter().map(|s| s.id.as_str()).collect();
            if local.len() != t.steps.len() {
                return Err(err(format!("template `{}` repeats a step id", t.id)));
            }
            for s in &t.steps {
                let at = format!("template `{}` step `{}`", t.id, s.id);
                if s.rationale.trim().is_empty() {
                    return Err(err(format!(
                        "{at}: rationale is empty; say why this number"
                    )));
                }
                if s.basis == Basis::Sourced && s.source.as_deref().is_none_or(str::is_empty) {
                    return Err(err(format!(
                        "{at}: basis is `sourced` but no source is named"
                    )));
                }
                if s.days < 0 {
                    return Err(err(format!("{at}: days is {}; use zero or more", s.days)));
                }
                for d in &s.depends_on {
                    if !local.contains(d.as_str()) {
                        return Err(err(format!(
                            "{at}: depends_on names `{d}`, not a step of this template"
                        )));
                    }
                }
            }
            if let Some(d) = &t.deadline_step
                && !local.contains(d.as_str())
            {
                return Err(err(format!(
                    "template `{}`: deadline_step `{d}` is not a step of this template",
                    t.id
                )));
            }
            // A cycle inside a template: plan the template alone and let the engine name it.
            let probe = PlanInput {
                start: Day(NaiveDate::MIN),
                markets: vec![MarketInput {
                    market: "probe".into(),
                    target: None,
                    gaps: vec![Gap {
                        obligation_id: t.id.clone(),
                        pack_id: "template".into(),
                        market: None,
                        steps: instantiate(t, &StepOptions::default()),
                        uses: Vec::new(),
                        advice: false,
                    }],
                }],
            };
            if let Err(PlanError::Cycle { steps }) = crate::engine::plan(&probe) {
                return Err(err(format!(
                    "template `{}` has a cycle: {}",
                    t.id,
                    steps.join(" -> ")
                )));
            }
        }
        for o in &file.obligations {
            for id in std::iter::once(&o.template).chain(o.after_template.iter()) {
                if !ids.contains(id.as_str()) {
                    return Err(err(format!(
                        "obligation {}/{} names unknown template `{id}`",
                        o.pack, o.obligation
                    )));
                }
            }
            if let Some(step) = &o.after_step {
                let known = o.after_template.as_deref().and_then(|t| {
                    file.templates
                        .iter()
                        .find(|x| x.id == t)
                        .map(|x| x.steps.iter().any(|s| &s.id == step))
                });
                if known != Some(true) {
                    return Err(err(format!(
                        "obligation {}/{}: after_step `{step}` is not a step of its after_template",
                        o.pack, o.obligation
                    )));
                }
            }
        }
        Ok(TemplateLibrary {
            templates: file.templates,
            obligations: file.obligations,
        })
    }

    pub fn templates(&self) -> &[Template] {
        &self.templates
    }

    pub fn obligations(&self) -> &[ObligationTemplate] {
        &self.obligations
    }

    pub fn get(&self, id: &str) -> Option<&Template> {
        self.templates.iter().find(|t| t.id == id)
    }

    /// The template that closes `obligation` of `pack`, if the library maps one.
    pub fn template_for(&self, pack: &str, obligation: &str) -> Option<&ObligationTemplate> {
        self.obligations
            .iter()
            .find(|o| o.pack == pack && o.obligation == obligation)
    }

    /// The template's steps with ids `prefix/step`, ready to put in a [`Gap`].
    pub fn steps_for(
        &self,
        template_id: &str,
        options: &StepOptions,
    ) -> Result<Vec<Step>, PlanError> {
        let template = self
            .get(template_id)
            .ok_or_else(|| PlanError::UnknownTemplate {
                id: template_id.to_owned(),
                known: self
                    .templates
                    .iter()
                    .map(|t| t.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        Ok(instantiate(template, options))
    }
}

/// [`TemplateLibrary::steps_for`] on the built-in library.
pub fn steps_for(template_id: &str, options: &StepOptions) -> Result<Vec<Step>, PlanError> {
    TemplateLibrary::builtin().steps_for(template_id, options)
}

fn instantiate(template: &Template, options: &StepOptions) -> Vec<Step> {
    let prefix = options.prefix.as_deref().unwrap_or(&template.id);
    let full = |local: &str| format!("{prefix}/{local}");
    let depended_on: HashSet<&str> = template
        .steps
        .iter()
        .flat_map(|s| s.depends_on.iter().map(String::as_str))
        .collect();
    template
        .steps
        .iter()
        .map(|s| {
            let first = s.depends_on.is_empty();
            let last = match &template.deadline_step {
                Some(d) => *d == s.id,
                None => !depended_on.contains(s.id.as_str()),
            };
            let mut depends_on: Vec<String> = s.depends_on.iter().map(|d| full(d)).collect();
            if first {
                depends_on.extend(options.after.iter().cloned());
            }
            let must_end = if last && options.must_end.is_some() {
                options.must_end.clone()
            } else if s.before_export {
                Some(EndConstraint {
                    days_before: 0,
                    before: Before::Export,
                    source: s.constraint_source.clone(),
                })
            } else {
                None
            };
            Step {
                id: full(&s.id),
                title: s.title.clone(),
                kind: s.kind,
                duration: Duration {
                    days: s.days,
                    unit: s.unit,
                    basis: s.basis,
                    source: s.source.clone(),
                    note: Some(s.rationale.clone()),
                },
                depends_on,
                earliest_start: if first { options.earliest_start } else { None },
                must_end,
            }
        })
        .collect()
}

/// Ids of the steps nothing else in `steps` depends on: where a following template hooks in.
pub fn last_step_ids(steps: &[Step]) -> Vec<String> {
    let depended_on: HashSet<&str> = steps
        .iter()
        .flat_map(|s| s.depends_on.iter().map(String::as_str))
        .collect();
    steps
        .iter()
        .filter(|s| !depended_on.contains(s.id.as_str()))
        .map(|s| s.id.clone())
        .collect()
}

/// Options when adding an unmet obligation to a [`PlanBuilder`]. They shape the steps when
/// the template's steps are first added; a later obligation mapped to the same subject-scoped
/// steps reuses them as they are (one campaign, one filing), whatever its options.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObligationOptions {
    pub earliest_start: Option<Day>,
    /// The obligation's deadline as a constraint on its last steps (a KEV due date, the
    /// planned release for the 30-day window).
    pub must_end: Option<EndConstraint>,
    /// Distinguishes several instances of one subject-scoped template (one KEV finding each).
    pub instance: Option<String>,
    /// A voluntary, advice-only obligation: planned and shown, never moving the market's
    /// earliest date.
    pub advice: bool,
}

/// A test slot booked with a lab (from `lab-booking` evidence), in the terms the plan needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookedSlot {
    pub lab: String,
    pub scheme: String,
    pub reference: Option<String>,
    pub sample_due: Day,
    pub test_start: Day,
    pub report_due: Day,
}

/// Assembles a [`PlanInput`] from unmet obligations: maps each to its template, shares
/// subject-scoped steps across markets and wires `after_template` links at the end.
#[derive(Clone, Debug)]
pub struct PlanBuilder<'a> {
    library: &'a TemplateLibrary,
    start: Day,
    markets: Vec<MarketInput>,
    /// Prefix of each template instance in the plan -> (its template id, the template it must
    /// follow, that template's instance prefix).
    links: BTreeMap<String, Link>,
}

impl PlanBuilder<'static> {
    /// A builder on the built-in template library.
    pub fn new(start: Day) -> PlanBuilder<'static> {
        PlanBuilder::with_library(start, TemplateLibrary::builtin())
    }
}

impl<'a> PlanBuilder<'a> {
    pub fn with_library(start: Day, library: &'a TemplateLibrary) -> PlanBuilder<'a> {
        PlanBuilder {
            library,
            start,
            markets: Vec::new(),
            links: BTreeMap::new(),
        }
    }

    fn market_mut(&mut self, market: &str) -> &mut MarketInput {
        let at = match self.markets.iter().position(|m| m.market == market) {
            Some(at) => at,
            None => {
                self.markets.push(MarketInput {
                    market: market.to_owned(),
                    target: None,
                    gaps: Vec::new(),
                });
                self.markets.len() - 1
            }
        };
        &mut self.markets[at]
    }

    /// Declares a market (so it appears even with no gaps) and its target date.
    pub fn market(&mut self, market: &str, target: Option<Day>) -> &mut Self {
        let m = self.market_mut(market);
        if target.is_some() {
            m.target = target;
        }
        self
    }

    /// Adds a gap built by hand.
    pub fn gap(&mut self, market: &str, gap: Gap) -> &mut Self {
        self.market_mut(market).gaps.push(gap);
        self
    }

    /// Adds the steps for an unmet obligation from the library's mapping. Returns `Ok(false)`
    /// when the library maps no template to it (add a gap by hand, e.g. with
    /// [`single_step_gap`]).
    pub fn obligation(
        &mut self,
        market: &str,
        pack_id: &str,
        obligation_id: &str,
        options: &ObligationOptions,
    ) -> Result<bool, PlanError> {
        let Some(mapping) = self.library.template_for(pack_id, obligation_id).cloned() else {
            return Ok(false);
        };
        let base = match mapping.scope {
            TemplateScope::Subject => mapping.template.clone(),
            TemplateScope::Market => format!("{market}/{}", mapping.template),
        };
        let prefix = match &options.instance {
            Some(instance) => format!("{base}/{instance}"),
            None => base,
        };
        let steps = self.library.steps_for(
            &mapping.template,
            &StepOptions {
                prefix: Some(prefix.clone()),
                after: Vec::new(),
                earliest_start: options.earliest_start,
                must_end: options.must_end.clone(),
            },
        )?;
        if let Some(after) = &mapping.after_template {
            let after_prefix = match mapping.scope {
                TemplateScope::Subject => after.clone(),
                TemplateScope::Market => format!("{market}/{after}"),
            };
            self.links.insert(
                prefix.clone(),
                Link {
                    template: mapping.template.clone(),
                    after_template: after.clone(),
                    after_prefix,
                    after_step: mapping.after_step.clone(),
                },
            );
        }
        // A subject-scoped template already planned for another market: reuse its steps.
        let defined: BTreeSet<&str> = self
            .markets
            .iter()
            .flat_map(|m| {
                m.gaps
                    .iter()
                    .flat_map(|g| g.steps.iter().map(|s| s.id.as_str()))
            })
            .collect();
        let (uses, steps): (Vec<Step>, Vec<Step>) = steps
            .into_iter()
            .partition(|s| defined.contains(s.id.as_str()));
        self.market_mut(market).gaps.push(Gap {
            obligation_id: obligation_id.to_owned(),
            pack_id: pack_id.to_owned(),
            market: Some(market.to_owned()),
            steps,
            uses: uses.into_iter().map(|s| s.id).collect(),
            advice: options.advice,
        });
        Ok(true)
    }

    /// Adds the steps for an unmet obligation from a lab booking instead of the template's
    /// estimates: the samples due at the lab on `sample_due`, then the lab's work from
    /// `test_start` to `report_due`, both `booked` (the booking is their source). Applies only
    /// to an obligation whose template holds a `lab-testing` step (a lab campaign); returns
    /// `Ok(false)` otherwise, and the caller plans the obligation as usual. Steps are shared
    /// like the template's (subject scope: one booking serves every market that needs it).
    pub fn booked_obligation(
        &mut self,
        market: &str,
        pack_id: &str,
        obligation_id: &str,
        booking: &BookedSlot,
        options: &ObligationOptions,
    ) -> Result<bool, PlanError> {
        let Some(mapping) = self.library.template_for(pack_id, obligation_id).cloned() else {
            return Ok(false);
        };
        let is_lab = self
            .library
            .get(&mapping.template)
            .is_some_and(|t| t.steps.iter().any(|s| s.kind == StepKind::LabTesting));
        if !is_lab {
            return Ok(false);
        }
        let prefix = match mapping.scope {
            TemplateScope::Subject => format!("{}/booked", mapping.template),
            TemplateScope::Market => format!("{market}/{}/booked", mapping.template),
        };
        let source = format!(
            "lab booking with {}{}",
            booking.lab,
            booking
                .reference
                .as_deref()
                .map(|r| format!(" (ref. {r})"))
                .unwrap_or_default()
        );
        let handover_id = format!("{prefix}/sample-handover");
        let handover = Step::new(
            handover_id.clone(),
            format!(
                "Samples due at {} (booked for {})",
                booking.lab, booking.sample_due
            ),
            StepKind::Other,
            Duration::booked(0, source.clone()),
        )
        .not_before(booking.sample_due);
        let mut testing = Step::new(
            format!("{prefix}/lab-testing"),
            format!(
                "Retest by {} under {} (booked: {} to report due {})",
                booking.lab, booking.scheme, booking.test_start, booking.report_due
            ),
            StepKind::Retest,
            Duration::booked(
                booking.test_start.days_until(booking.report_due).max(0),
                source,
            ),
        )
        .after(&[handover_id.as_str()])
        .not_before(booking.test_start);
        testing.must_end = options.must_end.clone();
        let defined: BTreeSet<&str> = self
            .markets
            .iter()
            .flat_map(|m| {
                m.gaps
                    .iter()
                    .flat_map(|g| g.steps.iter().map(|s| s.id.as_str()))
            })
            .collect();
        let (uses, steps): (Vec<Step>, Vec<Step>) = vec![handover, testing]
            .into_iter()
            .partition(|s| defined.contains(s.id.as_str()));
        self.market_mut(market).gaps.push(Gap {
            obligation_id: obligation_id.to_owned(),
            pack_id: pack_id.to_owned(),
            market: Some(market.to_owned()),
            steps,
            uses: uses.into_iter().map(|s| s.id).collect(),
            advice: options.advice,
        });
        Ok(true)
    }

    /// The plan input, with `after_template` links wired where both templates are present.
    pub fn build(mut self) -> PlanInput {
        let all: BTreeSet<String> = self
            .markets
            .iter()
            .flat_map(|m| {
                m.gaps
                    .iter()
                    .flat_map(|g| g.steps.iter().map(|s| s.id.clone()))
            })
            .collect();
        let mut hooks: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (prefix, link) in &self.links {
            let Some(before) = self.library.get(&link.after_template) else {
                continue;
            };
            let template_id = &link.template;
            let before_steps = instantiate(
                before,
                &StepOptions {
                    prefix: Some(link.after_prefix.clone()),
                    ..StepOptions::default()
                },
            );
            let waited_for = match &link.after_step {
                Some(step) => vec![format!("{}/{step}", link.after_prefix)],
                None => last_step_ids(&before_steps),
            };
            let lasts: Vec<String> = waited_for
                .into_iter()
                .filter(|id| all.contains(id))
                .collect();
            if lasts.is_empty() {
                continue;
            }
            if let Some(t) = self.library.get(template_id) {
                for s in t.steps.iter().filter(|s| s.depends_on.is_empty()) {
                    hooks.insert(format!("{prefix}/{}", s.id), lasts.clone());
                }
            }
        }
        for market in &mut self.markets {
            for gap in &mut market.gaps {
                for step in &mut gap.steps {
                    if let Some(lasts) = hooks.get(&step.id) {
                        for id in lasts {
                            if !step.depends_on.contains(id) {
                                step.depends_on.push(id.clone());
                            }
                        }
                    }
                }
            }
        }
        PlanInput {
            start: self.start,
            markets: self.markets,
        }
    }
}

/// An `after_template` link of one planned template (keyed by its step prefix).
#[derive(Clone, Debug)]
struct Link {
    template: String,
    after_template: String,
    after_prefix: String,
    after_step: Option<String>,
}

/// A one-step gap for an obligation no template covers, from the pack's own lead time (use
/// the upper bound of an estimate range: plans should not promise the optimistic case).
pub fn single_step_gap(
    market: &str,
    pack_id: &str,
    obligation_id: &str,
    title: &str,
    duration: Duration,
) -> Gap {
    Gap {
        obligation_id: obligation_id.to_owned(),
        pack_id: pack_id.to_owned(),
        market: Some(market.to_owned()),
        steps: vec![Step::new(
            format!("{market}/{pack_id}/{obligation_id}"),
            title,
            StepKind::Other,
            duration,
        )],
        uses: Vec::new(),
        advice: false,
    }
}
