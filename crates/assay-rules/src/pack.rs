//! Rule packs: one instrument (an order, a directive, a catalog) as data, with its sources and
//! their status, scope conditions over the manifest, and obligations with the evidence that
//! satisfies them. See docs/rules.md for the format.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use assay_core::{EvidenceKind, IssuerRole, Sha256Digest};
use serde::{Deserialize, Serialize};

use crate::country;
use crate::error::{RulesError, display_path, parse_toml, read_file};
use crate::vocab::{Basis, Category, Force, Function, SourceStatus, SubjectKind, Use};
use assay_core::Day;

/// A parsed, checked rule pack plus the digest of the exact bytes it came from, so every
/// verdict can name the pack version that produced it.
#[derive(Clone, Debug, Serialize)]
pub struct RulePack {
    pub id: String,
    pub title: String,
    pub jurisdiction: String,
    pub authority: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued: Option<Day>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective: Option<Day>,
    pub summary: String,
    pub sources: Vec<Source>,
    pub market_lists: Vec<MarketList>,
    pub scope: Scope,
    pub obligations: Vec<Obligation>,
    /// SHA-256 of the pack file's bytes.
    pub digest: Sha256Digest,
    /// Where the pack came from: `shipped:<id>` or the path it was read from.
    pub origin: String,
    /// `id` and `title` shared by every result that names the pack.
    #[serde(skip)]
    pub(crate) shared_id: Arc<str>,
    #[serde(skip)]
    pub(crate) shared_title: Arc<str>,
}

/// A document a pack rests on.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub id: String,
    pub title: String,
    pub publisher: String,
    /// As precise as the source gives it: `2026-06-07` or `2026-06`.
    pub date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    pub status: SourceStatus,
}

/// A list of markets a source refers to, with as many entries as sources name. When fewer are
/// named than the list declares, a market not named may still be on it: the engine says
/// "possibly in scope" instead of guessing.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketList {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<Day>,
    /// How many markets the source says the list holds.
    pub declared_size: usize,
    pub sources: Vec<String>,
    #[serde(default)]
    pub entries: Vec<MarketListEntry>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketListEntry {
    pub country: String,
    pub status: SourceStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Scope of a pack or an obligation: all of the conditions must hold.
#[derive(Clone, Debug, Serialize, Default)]
pub struct Scope {
    pub conditions: Vec<Condition>,
}

/// One scope test over the manifest and the market, with the source it rests on.
#[derive(Clone, Debug, Serialize)]
pub struct Condition {
    pub test: Test,
    /// Human description, built once at load time (shared by every trace that cites it).
    pub description: Arc<str>,
    /// Id of the pack source this condition rests on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Arc<str>>,
    #[serde(skip)]
    pub(crate) source_status: Option<SourceStatus>,
}

/// The predicate of a condition.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Test {
    Kind(SubjectKind),
    CategoryIn(Vec<Category>),
    Function(Function),
    OriginIn(Vec<String>),
    MarketIn(Vec<String>),
    MarketNotIn(Vec<String>),
    /// The market is not the country of origin: the subject is exported there.
    Export,
    UseAny(Vec<Use>),
    MarketInList(String),
    QualifiesByBenchmark,
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
}

/// What a subject must do (or, for voluntary obligations, is advised to do).
#[derive(Clone, Debug, Serialize)]
pub struct Obligation {
    // Shared (Arc) because every verdict on the obligation repeats them.
    pub id: Arc<str>,
    pub title: Arc<str>,
    pub text: String,
    pub force: Force,
    pub sources: Arc<[String]>,
    pub scope: Scope,
    pub evidence: Vec<EvidenceRequirement>,
    /// Satisfied by product descriptions that agree with each other and the manifest.
    pub consistent_descriptions: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Deadline>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_time: Option<LeadTime>,
    /// What to do when the obligation has no evidence kind that can show it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manual_check: Option<String>,
}

/// Evidence that satisfies (part of) an obligation.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRequirement {
    pub kind: EvidenceKind,
    pub description: String,
    /// Required role of the issuer; any issuer the workspace trusts when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_role: Option<IssuerRole>,
    /// The evidence's `firmware_digest` meta must equal the manifest's firmware/model digest.
    #[serde(default)]
    pub same_digest: bool,
    /// The evidence counts only for configurations its tested samples cover: a `test-sample`
    /// record acknowledged by the evidence's own signer (the lab) must cover the manifest's
    /// shipped hardware revision, firmware and component list (docs/retest.md).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tested_samples: bool,
    /// Meta key holding the evidence's own date (`test_date`, `scan_date`); the ledger's
    /// `recorded_at` when absent or missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dated_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_basis: Option<Basis>,
    /// With `max_age_days`: evidence this close to its age limit makes the obligation `expiring`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiring_within_days: Option<i64>,
    /// Evidence dated before this day does not count (e.g. a retest required after an order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<Day>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before_basis: Option<Basis>,
    #[serde(default)]
    pub meta: Vec<MetaConstraint>,
    /// Which items of the kind are about what this requirement asks (a filing receipt that
    /// acknowledges the report's submission, not another one): an item failing one of these
    /// is rejected (it is not failing evidence, it is other evidence), so it never hides an
    /// older item that is about the right thing. Same operators as `meta`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub select: Vec<MetaConstraint>,
}

/// A test on one meta value of the evidence. Exactly one of the operators is set.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaConstraint {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eq: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<i64>,
    /// The value is a comma-separated list holding all of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains_all: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<Basis>,
}

/// When an obligation is due.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "kebab-case")]
pub enum Deadline {
    /// Before the first export to the market (manifest `planned_export`).
    BeforeExport {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
    /// `days` before the planned release (manifest `model.planned_release`).
    BeforeRelease {
        days: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
    /// Within `days` of a trigger event the manifest cannot date (a finding, an order).
    WithinDaysOfTrigger {
        days: i64,
        trigger: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
    /// The date carried in a meta value of the deciding evidence (a KEV `dueDate`).
    EvidenceDate {
        meta_key: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
}

/// Which kind of deadline a [`Deadline`] (and its [`DeadlineResult`](crate::DeadlineResult))
/// is; serialised as the pack format writes it (`before-export`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeadlineKind {
    BeforeExport,
    BeforeRelease,
    WithinDaysOfTrigger,
    EvidenceDate,
}

impl DeadlineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineKind::BeforeExport => "before-export",
            DeadlineKind::BeforeRelease => "before-release",
            DeadlineKind::WithinDaysOfTrigger => "within-days-of-trigger",
            DeadlineKind::EvidenceDate => "evidence-date",
        }
    }
}

impl std::fmt::Display for DeadlineKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Deadline {
    pub fn kind(&self) -> DeadlineKind {
        match self {
            Deadline::BeforeExport { .. } => DeadlineKind::BeforeExport,
            Deadline::BeforeRelease { .. } => DeadlineKind::BeforeRelease,
            Deadline::WithinDaysOfTrigger { .. } => DeadlineKind::WithinDaysOfTrigger,
            Deadline::EvidenceDate { .. } => DeadlineKind::EvidenceDate,
        }
    }

    /// The pack source the deadline rests on, if it cites one.
    pub fn source(&self) -> Option<&str> {
        match self {
            Deadline::BeforeExport { source }
            | Deadline::BeforeRelease { source, .. }
            | Deadline::WithinDaysOfTrigger { source, .. }
            | Deadline::EvidenceDate { source, .. } => source.as_deref(),
        }
    }
}

/// How long meeting an obligation takes, for the delivery plan. Always an estimate unless a
/// source states it; `basis` says which.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadTime {
    pub min_days: i64,
    pub max_days: i64,
    pub basis: LeadTimeBasis,
    pub note: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeadTimeBasis {
    /// Stated by a source.
    Sourced,
    /// Our estimate; no source states it.
    Estimate,
}

// ---------------------------------------------------------------------------------------
// The file format. Kept apart from the checked types above so the file can be forgiving in
// shape (inline conditions with one key each) while the engine gets closed enums.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    id: String,
    title: String,
    jurisdiction: String,
    authority: String,
    #[serde(default)]
    issued: Option<Day>,
    #[serde(default)]
    effective: Option<Day>,
    summary: String,
    #[serde(rename = "source")]
    sources: Vec<Source>,
    #[serde(default, rename = "market_list")]
    market_lists: Vec<MarketList>,
    scope: ScopeFile,
    #[serde(rename = "obligation")]
    obligations: Vec<ObligationFile>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ScopeFile {
    /// Source for conditions that cite none.
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    all: Vec<ConditionFile>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct ConditionFile {
    kind: Option<SubjectKind>,
    category_in: Option<Vec<Category>>,
    function: Option<Function>,
    origin_in: Option<Vec<String>>,
    market_in: Option<Vec<String>>,
    market_not_in: Option<Vec<String>>,
    export: Option<bool>,
    use_any: Option<Vec<Use>>,
    market_in_list: Option<String>,
    qualifies_by_benchmark: Option<bool>,
    all: Option<Vec<ConditionFile>>,
    any: Option<Vec<ConditionFile>>,
    not: Option<Box<ConditionFile>>,
    source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObligationFile {
    id: String,
    title: String,
    text: String,
    force: Force,
    sources: Vec<String>,
    #[serde(default)]
    scope: Option<ScopeFile>,
    #[serde(default)]
    evidence: Vec<EvidenceRequirement>,
    #[serde(default)]
    consistent_descriptions: bool,
    #[serde(default)]
    deadline: Option<Deadline>,
    #[serde(default)]
    lead_time: Option<LeadTime>,
    #[serde(default)]
    manual_check: Option<String>,
}

/// The packs shipped with assay, embedded at build time: (id, file name, bytes).
const SHIPPED: &[(&str, &str)] = &[
    (
        "us-eo-frontier-ai-cyber-2026.toml",
        include_str!("../packs/us-eo-frontier-ai-cyber-2026.toml"),
    ),
    (
        "us-federal-3dfr-pad-2026.toml",
        include_str!("../packs/us-federal-3dfr-pad-2026.toml"),
    ),
    (
        "cn-cac-intelligent-agents-2026.toml",
        include_str!("../packs/cn-cac-intelligent-agents-2026.toml"),
    ),
    (
        "us-cisa-kev-remediation.toml",
        include_str!("../packs/us-cisa-kev-remediation.toml"),
    ),
];

impl RulePack {
    /// The packs shipped with assay.
    pub fn shipped() -> Result<Vec<RulePack>, RulesError> {
        SHIPPED
            .iter()
            .map(|(name, text)| RulePack::from_toml(text, &format!("shipped:{name}")))
            .collect()
    }

    /// Reads and checks a pack file.
    pub fn from_path(path: &Path) -> Result<RulePack, RulesError> {
        let text = read_file(path)?;
        RulePack::from_toml(&text, &display_path(path))
    }

    /// Parses and checks pack text; `origin` names it in errors and in results.
    pub fn from_toml(text: &str, origin: &str) -> Result<RulePack, RulesError> {
        let file: PackFile = parse_toml(
            text,
            origin,
            "rule pack",
            "the pack format is in docs/rules.md",
        )?;
        let digest = Sha256Digest::of(text.as_bytes());
        build(file, origin, digest, text)
    }

    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }

    pub fn market_list(&self, id: &str) -> Option<&MarketList> {
        self.market_lists.iter().find(|l| l.id == id)
    }
}

/// Shipped packs plus packs read from `extra` paths. A pack read from a path replaces a
/// shipped pack with the same id, so a newer pack file can be tried without a rebuild.
pub fn load_packs(include_shipped: bool, extra: &[&Path]) -> Result<Vec<RulePack>, RulesError> {
    let mut packs = if include_shipped {
        RulePack::shipped()?
    } else {
        Vec::new()
    };
    for path in extra {
        let pack = RulePack::from_path(path)?;
        packs.retain(|p| p.id != pack.id);
        packs.push(pack);
    }
    Ok(packs)
}

fn build(
    file: PackFile,
    origin: &str,
    digest: Sha256Digest,
    text: &str,
) -> Result<RulePack, RulesError> {
    let statuses: BTreeMap<String, SourceStatus> = file
        .sources
        .iter()
        .map(|s| (s.id.clone(), s.status))
        .collect();
    let checker = Checker {
        origin,
        text,
        statuses: &statuses,
        lists: &file.market_lists,
    };
    if file.id.trim().is_empty() || file.id.contains(char::is_whitespace) {
        return Err(checker
            .err(
                "id",
                format!("`{}` is not a valid pack id", q(&file.id)),
                "use a kebab-case id",
            )
            .at_value(text, &file.id));
    }
    for (i, s) in file.sources.iter().enumerate() {
        if file.sources[..i].iter().any(|p| p.id == s.id) {
            return Err(checker
                .err(
                    format!("source[{i}].id"),
                    format!("source `{}` is declared twice", q(&s.id)),
                    "give each source its own id",
                )
                .at_value(text, &s.id));
        }
    }
    for (i, list) in file.market_lists.iter().enumerate() {
        for s in &list.sources {
            checker.source_ref(&format!("market_list[{i}].sources"), s)?;
        }
        for (j, e) in list.entries.iter().enumerate() {
            if let Some((message, hint)) = country::problem(&e.country) {
                return Err(checker
                    .err(
                        format!("market_list[{i}].entries[{j}].country"),
                        message,
                        &hint,
                    )
                    .at_value(text, &e.country));
            }
            if let Some(s) = &e.source {
                checker.source_ref(&format!("market_list[{i}].entries[{j}].source"), s)?;
            }
        }
        if list.entries.len() > list.declared_size {
            return Err(checker.err(
                format!("market_list[{i}].entries"),
                format!(
                    "{} entries but declared_size = {}",
                    list.entries.len(),
                    list.declared_size
                ),
                "fix declared_size or the entries",
            ));
        }
    }
    let scope = checker.scope("scope", &file.scope)?;
    let mut obligations = Vec::with_capacity(file.obligations.len());
    for (i, o) in file.obligations.into_iter().enumerate() {
        let field = format!("obligation[{i}] ({})", q(&o.id));
        if file_has_duplicate(&obligations, &o.id) {
            return Err(checker
                .err(
                    format!("{field}.id"),
                    format!("obligation `{}` is declared twice", q(&o.id)),
                    "give each obligation its own id",
                )
                .at_value(text, &o.id));
        }
        if o.sources.is_empty() {
            return Err(checker.err(
                format!("{field}.sources"),
                "is empty",
                "every obligation cites at least one source",
            ));
        }
        for s in &o.sources {
            checker.source_ref(&format!("{field}.sources"), s)?;
        }
        let scope = match &o.scope {
            Some(s) => checker.scope(&format!("{field}.scope"), s)?,
            None => Scope::default(),
        };
        for (j, e) in o.evidence.iter().enumerate() {
            checker.requirement(&format!("{field}.evidence[{j}]"), e)?;
        }
        if o.evidence.is_empty() && !o.consistent_descriptions && o.manual_check.is_none() {
            return Err(checker.err(
                format!("{field}.evidence"),
                "names no evidence, no description check and no manual_check",
                "say what shows the obligation is met",
            ));
        }
        if let Some(s) = o.deadline.as_ref().and_then(Deadline::source) {
            checker.source_ref(&format!("{field}.deadline.source"), s)?;
        }
        if let Some(l) = &o.lead_time {
            if l.min_days < 0 || l.max_days < l.min_days {
                return Err(checker.err(
                    format!("{field}.lead_time"),
                    format!(
                        "min_days {} / max_days {} is not a range",
                        l.min_days, l.max_days
                    ),
                    "use 0 <= min_days <= max_days",
                ));
            }
            if let Some(s) = &l.source {
                checker.source_ref(&format!("{field}.lead_time.source"), s)?;
            }
        }
        obligations.push(Obligation {
            id: o.id.into(),
            title: o.title.into(),
            text: o.text,
            force: o.force,
            sources: o.sources.into(),
            scope,
            evidence: o.evidence,
            consistent_descriptions: o.consistent_descriptions,
            deadline: o.deadline,
            lead_time: o.lead_time,
            manual_check: o.manual_check,
        });
    }
    if obligations.is_empty() {
        return Err(checker.err(
            "obligation",
            "the pack has no obligations",
            "add at least one [[obligation]]",
        ));
    }
    Ok(RulePack {
        shared_id: Arc::from(file.id.as_str()),
        shared_title: Arc::from(file.title.as_str()),
        id: file.id,
        title: file.title,
        jurisdiction: file.jurisdiction,
        authority: file.authority,
        issued: file.issued,
        effective: file.effective,
        summary: file.summary,
        sources: file.sources,
        market_lists: file.market_lists,
        scope,
        obligations,
        digest,
        origin: origin.to_string(),
    })
}

fn file_has_duplicate(done: &[Obligation], id: &str) -> bool {
    done.iter().any(|o| &*o.id == id)
}

struct Checker<'a> {
    origin: &'a str,
    /// The pack text, to find the line of a value an error names.
    text: &'a str,
    statuses: &'a BTreeMap<String, SourceStatus>,
    lists: &'a [MarketList],
}

impl Checker<'_> {
    fn err(&self, field: impl Into<String>, message: impl Into<String>, hint: &str) -> RulesError {
        RulesError::invalid(self.origin, field, message, hint)
    }

    fn source_ref(&self, field: &str, id: &str) -> Result<SourceStatus, RulesError> {
        self.statuses.get(id).copied().ok_or_else(|| {
            let known: Vec<&str> = self.statuses.keys().map(String::as_str).collect();
            self.err(
                field,
                format!("cites source `{}`, which the pack does not declare", q(id)),
                &format!(
                    "declare it as a [[source]] or cite one of: {}",
                    assay_core::quote(&known.join(", "), 400)
                ),
            )
            .at_value(self.text, id)
        })
    }

    fn scope(&self, field: &str, scope: &ScopeFile) -> Result<Scope, RulesError> {
        if let Some(s) = &scope.source {
            self.source_ref(&format!("{field}.source"), s)?;
        }
        let conditions = scope
            .all
            .iter()
            .enumerate()
            .map(|(i, c)| self.condition(&format!("{field}.all[{i}]"), c, scope.source.as_deref()))
            .collect::<Result<_, _>>()?;
        Ok(Scope { conditions })
    }

    fn condition(
        &self,
        field: &str,
        c: &ConditionFile,
        inherited: Option<&str>,
    ) -> Result<Condition, RulesError> {
        let source: Option<Arc<str>> = c.source.as_deref().or(inherited).map(Arc::from);
        let source_status = match &source {
            Some(s) => Some(self.source_ref(&format!("{field}.source"), s)?),
            None => None,
        };
        let mut tests = Vec::new();
        if let Some(k) = c.kind {
            tests.push((Test::Kind(k), format!("kind is {k}")));
        }
        if let Some(cats) = &c.category_in {
            tests.push((
                Test::CategoryIn(cats.clone()),
                format!("category is one of {}", join(cats)),
            ));
        }
        if let Some(f) = c.function {
            tests.push((Test::Function(f), format!("functions include {f}")));
        }
        for (value, name, make) in [
            (
                &c.origin_in,
                "origin_in",
                Test::OriginIn as fn(Vec<String>) -> Test,
            ),
            (&c.market_in, "market_in", Test::MarketIn),
            (&c.market_not_in, "market_not_in", Test::MarketNotIn),
        ] {
            if let Some(codes) = value {
                for code in codes {
                    if let Some((message, hint)) = country::problem(code) {
                        return Err(self
                            .err(format!("{field}.{name}"), message, &hint)
                            .at_value(self.text, code));
                    }
                }
                let desc = match name {
                    "origin_in" => format!("country of origin is one of {}", codes.join(", ")),
                    "market_in" => format!("market is one of {}", codes.join(", ")),
                    _ => format!("market is not {}", codes.join(", ")),
                };
                tests.push((make(codes.clone()), desc));
            }
        }
        match c.export {
            Some(true) => tests.push((
                Test::Export,
                "market is an export market (not the country of origin)".to_string(),
            )),
            Some(false) => {
                return Err(self.err(
                    format!("{field}.export"),
                    "`export = false` is not a test",
                    "write `not = { export = true }`",
                ));
            }
            None => {}
        }
        if let Some(uses) = &c.use_any {
            tests.push((
                Test::UseAny(uses.clone()),
                format!("intended uses in the market include any of {}", join(uses)),
            ));
        }
        if let Some(list) = &c.market_in_list {
            let Some(l) = self.lists.iter().find(|l| &l.id == list) else {
                return Err(self
                    .err(
                        format!("{field}.market_in_list"),
                        format!(
                            "names market list `{}`, which the pack does not declare",
                            q(list)
                        ),
                        "declare it as a [[market_list]]",
                    )
                    .at_value(self.text, list));
            };
            tests.push((
                Test::MarketInList(list.clone()),
                format!(
                    "market is on the {} ({} markets declared, {} named)",
                    l.title,
                    l.declared_size,
                    l.entries.len()
                ),
            ));
        }
        match c.qualifies_by_benchmark {
            Some(true) => tests.push((
                Test::QualifiesByBenchmark,
                "a capability claim reaches its benchmark's qualifying threshold".to_string(),
            )),
            Some(false) => {
                return Err(self.err(
                    format!("{field}.qualifies_by_benchmark"),
                    "`false` is not a test",
                    "write `not = { qualifies_by_benchmark = true }`",
                ));
            }
            None => {}
        }
        if let Some(all) = &c.all {
            let inner = all
                .iter()
                .enumerate()
                .map(|(i, x)| self.condition(&format!("{field}.all[{i}]"), x, source.as_deref()))
                .collect::<Result<Vec<_>, _>>()?;
            let desc = format!(
                "all of ({})",
                inner
                    .iter()
                    .map(|c| &*c.description)
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            tests.push((Test::All(inner), desc));
        }
        if let Some(any) = &c.any {
            let inner = any
                .iter()
                .enumerate()
                .map(|(i, x)| self.condition(&format!("{field}.any[{i}]"), x, source.as_deref()))
                .collect::<Result<Vec<_>, _>>()?;
            let desc = format!(
                "any of ({})",
                inner
                    .iter()
                    .map(|c| &*c.description)
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
            tests.push((Test::Any(inner), desc));
        }
        if let Some(not) = &c.not {
            let inner = self.condition(&format!("{field}.not"), not, source.as_deref())?;
            let desc = format!("not ({})", inner.description);
            tests.push((Test::Not(Box::new(inner)), desc));
        }
        if tests.len() != 1 {
            return Err(self.err(field, format!("a condition needs exactly one test, found {}", tests.len()), "write one of kind, category_in, function, origin_in, market_in, market_not_in, export, use_any, market_in_list, qualifies_by_benchmark, all, any, not"));
        }
        let (test, description) = tests.remove(0);
        Ok(Condition {
            test,
            description: description.into(),
            source,
            source_status,
        })
    }

    fn requirement(&self, field: &str, e: &EvidenceRequirement) -> Result<(), RulesError> {
        if let Some(days) = e.max_age_days
            && days <= 0
        {
            return Err(self.err(
                format!("{field}.max_age_days"),
                format!("{days} is not a positive number of days"),
                "use a positive number",
            ));
        }
        if e.expiring_within_days.is_some() && e.max_age_days.is_none() {
            return Err(self.err(
                format!("{field}.expiring_within_days"),
                "makes no sense without max_age_days",
                "add max_age_days or drop expiring_within_days",
            ));
        }
        let constraints = e
            .meta
            .iter()
            .enumerate()
            .map(|(j, m)| ("meta", j, m))
            .chain(e.select.iter().enumerate().map(|(j, m)| ("select", j, m)));
        for (list, j, m) in constraints {
            let ops = [
                m.eq.is_some(),
                m.one_of.is_some(),
                m.at_least.is_some(),
                m.at_most.is_some(),
                m.contains_all.is_some(),
            ];
            let count = ops.iter().filter(|x| **x).count();
            if count != 1 {
                return Err(self.err(
                    format!("{field}.{list}[{j}] ({})", q(&m.key)),
                    format!("needs exactly one operator, found {count}"),
                    "use one of eq, one_of, at_least, at_most, contains_all",
                ));
            }
        }
        Ok(())
    }
}

/// Input quoted in a message: bounded, control and bidi characters escaped.
fn q(input: &str) -> String {
    assay_core::text::quote_short(input)
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_packs_parse_and_cite_their_sources() {
        let packs = RulePack::shipped().unwrap();
        let ids: Vec<&str> = packs.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "us-eo-frontier-ai-cyber-2026",
                "us-federal-3dfr-pad-2026",
                "cn-cac-intelligent-agents-2026",
                "us-cisa-kev-remediation"
            ]
        );
        for p in &packs {
            // Every news source names the file it was read from under ../shared/sources.
            for s in &p.sources {
                if let Some(doc) = &s.document {
                    assert_eq!(
                        s.status,
                        SourceStatus::Secondary,
                        "{}: news is secondary",
                        p.id
                    );
                    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/sources/");
                    assert!(
                        Path::new(path).join(doc).exists(),
                        "{} cites missing {doc}",
                        p.id
                    );
                }
            }
            assert_eq!(
                p.digest,
                Sha256Digest::of(
                    SHIPPED
                        .iter()
                        .find(|(n, _)| n.starts_with(&p.id))
                        .unwrap()
                        .1
                        .as_bytes()
                )
            );
        }
        let cac = packs
            .iter()
            .find(|p| p.id == "cn-cac-intelligent-agents-2026")
            .unwrap();
        let list = cac.market_list("cac-first-list").unwrap();
        // The sources name no market of the 27: the list must hold no invented entries.
        assert_eq!((list.declared_size, list.entries.len()), (27, 0));
    }
}
