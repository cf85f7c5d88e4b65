//! The planner: validation, then the critical path method on day offsets from the plan start.
//!
//! * Forward pass (topological order): a step starts at the latest of the plan start, its
//!   earliest start and its dependencies' finishes (moved to a Monday when its duration is in
//!   working days and it would begin on a weekend); finish = start + duration.
//! * A market can be served on the latest `finish + must_end.days_before` over the steps of its
//!   gaps. Dependencies finish no later than their dependants start and durations are never
//!   negative, so this covers everything upstream too.
//! * Backward pass (reverse order): a step must finish by the earliest of its dependants'
//!   latest starts and, for each market whose gaps list it, that market's earliest date minus
//!   its `days_before`. Slack = latest start - earliest start. Slack is counted against each
//!   market's own earliest date, not the whole plan's end: a step is critical when slipping it
//!   by a day delays at least one market.
//! * The critical path of a market runs back from the step that sets its date through the
//!   dependency that set each start, as long as that dependency has no slack.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use assay_core::Day;
use chrono::Datelike;
use serde::{Deserialize, Serialize};

use crate::calendar::{add_working, next_working, sub_working};
use crate::error::PlanError;
use crate::model::{Basis, Before, DayUnit, Duration, PlanInput, Step, StepKind};

/// The longest single duration accepted (about 270 years): beyond it the input is surely wrong.
pub const MAX_STEP_DAYS: i64 = 100_000;
/// Day offsets beyond this cannot be turned into dates safely.
const MAX_OFFSET: i64 = 50_000_000;

/// The delivery plan: what to do when, and when each market can be served.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub start: Day,
    /// The latest market date: when every market in the plan can be served.
    pub end: Day,
    /// Every step once (shared steps too), ordered by start, finish, id.
    pub steps: Vec<PlannedStep>,
    /// In input order.
    pub markets: Vec<MarketPlan>,
    /// The critical path of the market served last (ties: the first listed), first step first.
    pub critical_path: Vec<String>,
    /// Every `must_end` constraint, checked (one per market for `before = export`).
    pub constraints: Vec<ConstraintCheck>,
    pub summary: PlanSummary,
    /// Plain-language caveats (estimates, markets without a target, unchecked constraints).
    pub notes: Vec<String>,
}

/// One step with its schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedStep {
    pub id: String,
    pub title: String,
    pub kind: StepKind,
    pub duration: Duration,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// Earliest start.
    pub start: Day,
    /// Earliest finish: the first day the result is available (last day of work + 1).
    pub finish: Day,
    pub latest_start: Day,
    pub latest_finish: Day,
    /// Calendar days the step can slip without delaying any market.
    pub slack_days: i64,
    pub critical: bool,
    /// Why it cannot start earlier.
    pub started_by: StartReason,
    /// Markets whose delivery waits for this step (directly or through dependants).
    pub markets: Vec<String>,
    /// Serves more than one market: done once, counted once.
    pub shared: bool,
    /// The obligations (pack, obligation) whose gaps list this step, directly or through
    /// `uses`, once each whatever the number of markets; `markets` says where.
    pub closes: Vec<ObligationRef>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum StartReason {
    PlanStart,
    EarliestStart,
    Dependency { step: String },
}

/// An obligation of a rule pack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObligationRef {
    pub pack_id: String,
    pub obligation_id: String,
}

/// One gap: an obligation in a market.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GapRef {
    pub market: String,
    pub pack_id: String,
    pub obligation_id: String,
}

/// When one market can be served, against its target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarketPlan {
    pub market: String,
    pub earliest: Day,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Day>,
    /// None without a target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_met: Option<bool>,
    /// Days the earliest date lies after the target (0 when met).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_late: Option<i64>,
    /// Days the earliest date lies before the target (0 when missed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_to_spare: Option<i64>,
    /// `estimate` when any step this market waits for has an estimated duration.
    pub basis: Basis,
    pub gaps: Vec<GapRef>,
    /// Steps this market waits for (its own and everything upstream).
    pub step_count: usize,
    pub critical_path: Vec<String>,
    /// One line for a summary table.
    pub explanation: String,
}

/// A `must_end` constraint against its reference date.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConstraintCheck {
    pub step: String,
    /// The market whose target is the reference (`before = export`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<String>,
    pub reference: Day,
    pub days_before: i64,
    /// reference - days_before.
    pub latest_finish: Day,
    pub finish: Day,
    pub met: bool,
    /// How many days too late the step finishes (0 when met).
    pub days_over: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSummary {
    pub steps: usize,
    pub shared_steps: usize,
    pub estimated_steps: usize,
    pub sourced_steps: usize,
    /// Steps whose dates a lab booking fixes (absent from the JSON when none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub booked_steps: usize,
    pub markets: usize,
    pub markets_missing_target: usize,
    pub constraints_violated: usize,
}

/// Variable-length lists of market indices, one per node, in one buffer.
struct Ranges {
    buf: Vec<u32>,
    spans: Vec<(usize, usize)>,
}

impl Ranges {
    fn with_capacity(n: usize) -> Ranges {
        Ranges {
            buf: Vec::with_capacity(n),
            spans: Vec::with_capacity(n),
        }
    }
    fn push(&mut self, items: &[u32]) {
        self.spans.push((self.buf.len(), items.len()));
        self.buf.extend_from_slice(items);
    }
    fn set(&mut self, at: usize, items: &[u32]) {
        self.spans[at] = (self.buf.len(), items.len());
        self.buf.extend_from_slice(items);
    }
    fn get(&self, at: usize) -> &[u32] {
        let (start, len) = self.spans[at];
        &self.buf[start..start + len]
    }
}

/// A step with where it was first defined, for error messages and gap references.
struct Node<'a> {
    step: &'a Step,
    /// (market index, gap index) of every gap listing the step, first definition first.
    gaps: Vec<(u32, u32)>,
}

struct Graph<'a> {
    nodes: Vec<Node<'a>>,
    pred_start: Vec<usize>,
    preds: Vec<u32>,
    succ_start: Vec<usize>,
    succs: Vec<u32>,
}

impl Graph<'_> {
    fn preds(&self, n: usize) -> &[u32] {
        &self.preds[self.pred_start[n]..self.pred_start[n + 1]]
    }
    fn succs(&self, n: usize) -> &[u32] {
        &self.succs[self.succ_start[n]..self.succ_start[n + 1]]
    }
}

fn location(input: &PlanInput, market: u32, gap: u32) -> String {
    let m = &input.markets[market as usize];
    match m.gaps.get(gap as usize) {
        Some(g) => format!("market {}, gap {}/{}", m.market, g.pack_id, g.obligation_id),
        None => format!("market {}", m.market),
    }
}

/// Checks the input and builds the dependency graph (steps deduplicated by id).
fn build(input: &PlanInput) -> Result<Graph<'_>, PlanError> {
    let mut seen_markets = HashSet::new();
    let mut index: HashMap<&str, u32> = HashMap::new();
    let mut nodes: Vec<Node<'_>> = Vec::new();

    for (mi, market) in input.markets.iter().enumerate() {
        let mi = mi as u32;
        if market.market.trim().is_empty() {
            return Err(PlanError::EmptyId {
                at: format!("markets[{mi}]"),
                field: "market",
            });
        }
        if !seen_markets.insert(market.market.as_str()) {
            return Err(PlanError::DuplicateMarket {
                market: market.market.clone(),
            });
        }
        for (gi, gap) in market.gaps.iter().enumerate() {
            let gi = gi as u32;
            let at = || location(input, mi, gi);
            if gap.obligation_id.trim().is_empty() {
                return Err(PlanError::EmptyId {
                    at: at(),
                    field: "obligation_id",
                });
            }
            if gap.pack_id.trim().is_empty() {
                return Err(PlanError::EmptyId {
                    at: at(),
                    field: "pack_id",
                });
            }
            if let Some(gm) = &gap.market
                && gm != &market.market
            {
                return Err(PlanError::MarketMismatch {
                    at: at(),
                    gap_market: gm.clone(),
                    market: market.market.clone(),
                });
            }
            for step in &gap.steps {
                validate_step(step, &at)?;
                match index.get(step.id.as_str()) {
                    Some(&n) => {
                        let node = &mut nodes[n as usize];
                        if node.step != step {
                            let (fm, fg) = node.gaps[0];
                            return Err(PlanError::ConflictingStep {
                                id: step.id.clone(),
                                first: location(input, fm, fg),
                                second: at(),
                            });
                        }
                        if !node.gaps.contains(&(mi, gi)) {
                            node.gaps.push((mi, gi));
                        }
                    }
                    None => {
                        index.insert(step.id.as_str(), nodes.len() as u32);
                        nodes.push(Node {
                            step,
                            gaps: vec![(mi, gi)],
                        });
                    }
                }
            }
        }
    }

    // `uses` may name steps defined in later gaps, so resolve after every definition is in.
    for (mi, market) in input.markets.iter().enumerate() {
        for (gi, gap) in market.gaps.iter().enumerate() {
            for used in &gap.uses {
                let Some(&n) = index.get(used.as_str()) else {
                    return Err(PlanError::UnknownUse {
                        at: location(input, mi as u32, gi as u32),
                        step: used.clone(),
                    });
                };
                let key = (mi as u32, gi as u32);
                let node = &mut nodes[n as usize];
                if !node.gaps.contains(&key) {
                    node.gaps.push(key);
                }
            }
        }
    }

    let mut pred_start = Vec::with_capacity(nodes.len() + 1);
    let mut preds = Vec::new();
    pred_start.push(0);
    for node in &nodes {
        for dep in &node.step.depends_on {
            let Some(&p) = index.get(dep.as_str()) else {
                let (fm, fg) = node.gaps[0];
                return Err(PlanError::UnknownDependency {
                    at: location(input, fm, fg),
                    step: node.step.id.clone(),
                    dependency: dep.clone(),
                });
            };
            preds.push(p);
        }
        pred_start.push(preds.len());
    }

    // Successor lists: the transpose of the predecessor lists (counting sort).
    let mut succ_count = vec![0usize; nodes.len() + 1];
    for &p in &preds {
        succ_count[p as usize + 1] += 1;
    }
    for i in 1..succ_count.len() {
        succ_count[i] += succ_count[i - 1];
    }
    let succ_start = succ_count.clone();
    let mut fill = succ_count;
    let mut succs = vec![0u32; preds.len()];
    for n in 0..nodes.len() {
        for &p in &preds[pred_start[n]..pred_start[n + 1]] {
            succs[fill[p as usize]] = n as u32;
            fill[p as usize] += 1;
        }
    }

    Ok(Graph {
        nodes,
        pred_start,
        preds,
        succ_start,
        succs,
    })
}

fn validate_step(step: &Step, at: &dyn Fn() -> String) -> Result<(), PlanError> {
    if step.id.trim().is_empty() {
        return Err(PlanError::EmptyId {
            at: at(),
            field: "step.id",
        });
    }
    let days = step.duration.days;
    if days < 0 {
        return Err(PlanError::NegativeDuration {
            at: at(),
            step: step.id.clone(),
            days,
        });
    }
    if days > MAX_STEP_DAYS {
        return Err(PlanError::DurationTooLong {
            at: at(),
            step: step.id.clone(),
            days,
            max: MAX_STEP_DAYS,
        });
    }
    if matches!(step.duration.basis, Basis::Sourced | Basis::Booked)
        && step
            .duration
            .source
            .as_deref()
            .is_none_or(|s| s.trim().is_empty())
    {
        return Err(PlanError::SourcedWithoutSource {
            at: at(),
            step: step.id.clone(),
        });
    }
    if let Some(c) = &step.must_end {
        if c.days_before < 0 {
            return Err(PlanError::NegativeDaysBefore {
                at: at(),
                step: step.id.clone(),
                days: c.days_before,
            });
        }
        if c.days_before > MAX_STEP_DAYS {
            return Err(PlanError::DurationTooLong {
                at: at(),
                step: step.id.clone(),
                days: c.days_before,
                max: MAX_STEP_DAYS,
            });
        }
    }
    Ok(())
}

/// Kahn's algorithm; on a cycle, names one.
fn topological_order(g: &Graph<'_>) -> Result<Vec<u32>, PlanError> {
    let n = g.nodes.len();
    let mut indegree: Vec<usize> = (0..n).map(|i| g.preds(i).len()).collect();
    let mut order: Vec<u32> = (0..n as u32)
        .filter(|&i| indegree[i as usize] == 0)
        .collect();
    let mut head = 0;
    while head < order.len() {
        let v = order[head] as usize;
        head += 1;
        for &s in g.succs(v) {
            let d = &mut indegree[s as usize];
            *d -= 1;
            if *d == 0 {
                order.push(s);
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // Every node left over still waits for a left-over predecessor, so walking predecessors
    // from any of them must come back to a node already visited: that loop is a cycle.
    let mut done = vec![false; n];
    for &v in &order {
        done[v as usize] = true;
    }
    let start = (0..n).find(|&i| !done[i]).unwrap_or(0);
    let mut position: HashMap<usize, usize> = HashMap::new();
    let mut walk: Vec<usize> = Vec::new();
    let mut current = start;
    let cycle_start = loop {
        if let Some(&at) = position.get(&current) {
            break at;
        }
        position.insert(current, walk.len());
        walk.push(current);
        match g.preds(current).iter().find(|&&p| !done[p as usize]) {
            Some(&p) => current = p as usize,
            // Unreachable by the argument above; report the walk rather than panic.
            None => break 0,
        }
    };
    // The walk runs against the dependencies; reverse it into finish-before-start order.
    let mut steps: Vec<String> = walk[cycle_start..]
        .iter()
        .rev()
        .map(|&i| g.nodes[i].step.id.clone())
        .collect();
    if let Some(first) = steps.first().cloned() {
        steps.push(first);
    }
    Err(PlanError::Cycle { steps })
}

fn offset_to_date(start: Day, offset: i64, step: &str) -> Result<Day, PlanError> {
    chrono::Duration::try_days(offset)
        .and_then(|d| start.0.checked_add_signed(d))
        .map(Day)
        .ok_or_else(|| PlanError::DateOutOfRange {
            step: step.to_owned(),
        })
}

fn date_to_offset(start: Day, day: Day) -> i64 {
    start.days_until(day)
}

/// Plans the input: earliest dates, slack, critical paths, market dates, constraint checks.
pub fn plan(input: &PlanInput) -> Result<Plan, PlanError> {
    let g = build(input)?;
    let order = topological_order(&g)?;
    let n = g.nodes.len();
    let m = input.markets.len();
    let start = input.start;
    let start_weekday = i64::from(start.0.weekday().num_days_from_monday());

    let lag = |i: usize| {
        g.nodes[i]
            .step
            .must_end
            .as_ref()
            .map_or(0, |c| c.days_before)
    };
    let working = |i: usize| g.nodes[i].step.duration.unit == DayUnit::Working;
    let days = |i: usize| g.nodes[i].step.duration.days;

    // Own markets per node: the markets whose gaps list it. Advice-only gaps are left out: a
    // voluntary step never moves a market's earliest date.
    // Flat lists with ranges, not a Vec per node: a million small allocations cost more than
    // the whole critical-path computation.
    let mut own = Ranges::with_capacity(n);
    let mut scratch: Vec<u32> = Vec::new();
    for node in &g.nodes {
        scratch.clear();
        scratch.extend(
            node.gaps
                .iter()
                .filter(|&&(mi, gi)| !input.markets[mi as usize].gaps[gi as usize].advice)
                .map(|&(mi, _)| mi),
        );
        scratch.sort_unstable();
        scratch.dedup();
        own.push(&scratch);
    }

    // Forward pass.
    let mut es = vec![0i64; n];
    let mut ef = vec![0i64; n];
    let mut driver: Vec<Option<u32>> = vec![None; n];
    let mut by_earliest = vec![false; n];
    for &v in &order {
        let v = v as usize;
        let step = g.nodes[v].step;
        let mut s = 0i64;
        if let Some(day) = step.earliest_start {
            let o = date_to_offset(start, day);
            if o > s {
                s = o;
                by_earliest[v] = true;
            }
        }
        let mut best: Option<u32> = None;
        for &p in g.preds(v) {
            if best.is_none_or(|b| ef[p as usize] > ef[b as usize]) {
                best = Some(p);
            }
        }
        if let Some(b) = best
            && ef[b as usize] >= s
        {
            s = ef[b as usize];
            driver[v] = Some(b);
            by_earliest[v] = false;
        }
        if working(v) && days(v) > 0 {
            s = next_working(start_weekday, s);
        }
        let f = if working(v) {
            add_working(start_weekday, s, days(v))
        } else {
            s + days(v)
        };
        if f > MAX_OFFSET {
            return Err(PlanError::DateOutOfRange {
                step: step.id.clone(),
            });
        }
        es[v] = s;
        ef[v] = f;
    }

    // Market dates and the step that sets each.
    let mut market_day = vec![0i64; m];
    let mut market_driver: Vec<Option<u32>> = vec![None; m];
    for (v, &finish) in ef.iter().enumerate() {
        let ready = finish + lag(v);
        for &mi in own.get(v) {
            let mi = mi as usize;
            // Ties keep the first step in input order, so the driver is deterministic.
            if market_driver[mi].is_none() || ready > market_day[mi] {
                market_day[mi] = ready;
                market_driver[mi] = Some(v as u32);
            }
        }
    }

    // Backward pass.
    let mut ls = vec![0i64; n];
    let mut lf = vec![0i64; n];
    for &v in order.iter().rev() {
        let v = v as usize;
        let mut f = i64::MAX;
        for &s in g.succs(v) {
            f = f.min(ls[s as usize]);
        }
        for &mi in own.get(v) {
            f = f.min(market_day[mi as usize] - lag(v));
        }
        if f == i64::MAX {
            f = ef[v];
        }
        lf[v] = f;
        ls[v] = if working(v) {
            sub_working(start_weekday, f, days(v))
        } else {
            f - days(v)
        };
    }

    // Markets served per step (sorted market indices): a step serves its own markets and every
    // market its dependants serve. Sparse lists, not bit sets: a merged plan of many subjects
    // has hundreds of thousands of markets, each step serving a handful.
    let mut served = Ranges::with_capacity(n);
    served.spans.resize(n, (0, 0));
    for &v in order.iter().rev() {
        let v = v as usize;
        scratch.clear();
        scratch.extend_from_slice(own.get(v));
        for &s in g.succs(v) {
            scratch.extend_from_slice(served.get(s as usize));
        }
        if !g.succs(v).is_empty() {
            scratch.sort_unstable();
            scratch.dedup();
        }
        served.set(v, &scratch);
    }

    // Per market: how many steps it waits for and whether any is an estimate.
    let mut step_count = vec![0usize; m];
    let mut estimated = vec![false; m];
    let mut booked = vec![false; m];
    for v in 0..n {
        let markets_of_v = served.get(v);
        let est = g.nodes[v].step.duration.basis == Basis::Estimate;
        let book = g.nodes[v].step.duration.basis == Basis::Booked;
        for &mi in markets_of_v {
            step_count[mi as usize] += 1;
            if est {
                estimated[mi as usize] = true;
            }
            if book {
                booked[mi as usize] = true;
            }
        }
    }

    // The whole chain of steps that set the market's date, back to the plan start: each step
    // started when its driver finished. A driver can show a day or two of slack only because
    // its dependant waited for a working day; it is still on the chain.
    let critical_path_of = |mi: usize| -> Vec<usize> {
        let mut path = Vec::new();
        let mut current = market_driver[mi].map(|d| d as usize);
        while let Some(v) = current {
            path.push(v);
            current = driver[v].map(|d| d as usize);
        }
        path.reverse();
        path
    };
    let mut on_a_critical_path = vec![false; n];

    let gap_ref = |mi: u32, gi: u32| {
        let market = &input.markets[mi as usize];
        let gap = &market.gaps[gi as usize];
        GapRef {
            market: market.market.clone(),
            pack_id: gap.pack_id.clone(),
            obligation_id: gap.obligation_id.clone(),
        }
    };

    let mut notes = Vec::new();
    let mut constraints = Vec::new();
    for (v, node) in g.nodes.iter().enumerate() {
        let step = node.step;
        let Some(c) = &step.must_end else { continue };
        let finish = offset_to_date(start, ef[v], &step.id)?;
        let mut check = |reference: Day, market: Option<String>| -> Result<(), PlanError> {
            let latest = date_to_offset(start, reference) - c.days_before;
            constraints.push(ConstraintCheck {
                step: step.id.clone(),
                market,
                reference,
                days_before: c.days_before,
                latest_finish: offset_to_date(start, latest, &step.id)?,
                finish,
                met: ef[v] <= latest,
                days_over: (ef[v] - latest).max(0),
                source: c.source.clone(),
            });
            Ok(())
        };
        match &c.before {
            Before::Date(day) => check(*day, None)?,
            Before::Export => {
                for &mi in served.get(v) {
                    let market = &input.markets[mi as usize];
                    match market.target {
                        Some(target) => check(target, Some(market.market.clone()))?,
                        None => notes.push(format!(
                            "step {} must end {} days before export to {}, but {} has no target date: not checked",
                            step.id, c.days_before, market.market, market.market
                        )),
                    }
                }
            }
        }
    }

    let mut markets = Vec::with_capacity(m);
    let mut missing_target = 0;
    for (mi, market) in input.markets.iter().enumerate() {
        let earliest = offset_to_date(start, market_day[mi], &market.market)?;
        let (target_met, days_late, days_to_spare) = match market.target {
            Some(t) => {
                let margin = date_to_offset(earliest, t);
                (
                    Some(margin >= 0),
                    Some((-margin).max(0)),
                    Some(margin.max(0)),
                )
            }
            None => {
                missing_target += 1;
                (None, None, None)
            }
        };
        let basis = if estimated[mi] {
            Basis::Estimate
        } else if booked[mi] {
            Basis::Booked
        } else {
            Basis::Sourced
        };
        let chain = critical_path_of(mi);
        for &v in &chain {
            on_a_critical_path[v] = true;
        }
        let critical_path: Vec<String> =
            chain.iter().map(|&v| g.nodes[v].step.id.clone()).collect();
        let gaps = (0..market.gaps.len() as u32)
            .map(|gi| gap_ref(mi as u32, gi))
            .collect();
        let mut explanation = String::new();
        let _ = write!(explanation, "{}: earliest {earliest}", market.market);
        if market.gaps.is_empty() {
            explanation.push_str(" (no open gaps)");
        } else if basis == Basis::Estimate {
            explanation.push_str(" (rests on estimated durations)");
        } else if basis == Basis::Booked {
            explanation.push_str(" (rests on dates booked with a lab)");
        }
        match (market.target, target_met) {
            (Some(t), Some(true)) => {
                let _ = write!(
                    explanation,
                    "; target {t} met with {} days to spare",
                    days_to_spare.unwrap_or(0)
                );
            }
            (Some(t), _) => {
                let _ = write!(
                    explanation,
                    "; target {t} MISSED by {} days",
                    days_late.unwrap_or(0)
                );
            }
            _ => explanation.push_str("; no target date"),
        }
        if let Some(last) = critical_path.last() {
            let _ = write!(explanation, "; set by {last}");
        }
        markets.push(MarketPlan {
            market: market.market.clone(),
            earliest,
            target: market.target,
            target_met,
            days_late,
            days_to_spare,
            basis,
            gaps,
            step_count: step_count[mi],
            critical_path,
            explanation,
        });
    }

    let mut last_market: Option<usize> = None;
    for mi in 0..m {
        if last_market.is_none_or(|l| market_day[mi] > market_day[l]) {
            last_market = Some(mi);
        }
    }
    let critical_path = last_market
        .map(|mi| markets[mi].critical_path.clone())
        .unwrap_or_default();
    let end_offset = market_day.iter().copied().max().unwrap_or(0);

    // Sort indices, not the large output structs.
    let mut by_start: Vec<u32> = (0..n as u32).collect();
    by_start.sort_unstable_by(|&a, &b| {
        let (a, b) = (a as usize, b as usize);
        (es[a], ef[a], &g.nodes[a].step.id).cmp(&(es[b], ef[b], &g.nodes[b].step.id))
    });
    let mut steps = Vec::with_capacity(n);
    let mut summary = PlanSummary {
        steps: n,
        markets: m,
        markets_missing_target: missing_target,
        constraints_violated: constraints.iter().filter(|c| !c.met).count(),
        ..PlanSummary::default()
    };
    for &v in &by_start {
        let v = v as usize;
        let node = &g.nodes[v];
        let step = node.step;
        let markets_served: Vec<String> = served
            .get(v)
            .iter()
            .map(|&mi| input.markets[mi as usize].market.clone())
            .collect();
        let shared = markets_served.len() > 1;
        if shared {
            summary.shared_steps += 1;
        }
        match step.duration.basis {
            Basis::Estimate => summary.estimated_steps += 1,
            Basis::Sourced => summary.sourced_steps += 1,
            Basis::Booked => summary.booked_steps += 1,
        }
        let started_by = match driver[v] {
            Some(d) => StartReason::Dependency {
                step: g.nodes[d as usize].step.id.clone(),
            },
            None if by_earliest[v] => StartReason::EarliestStart,
            None => StartReason::PlanStart,
        };
        let slack = ls[v] - es[v];
        steps.push(PlannedStep {
            id: step.id.clone(),
            title: step.title.clone(),
            kind: step.kind,
            duration: step.duration.clone(),
            depends_on: step.depends_on.clone(),
            start: offset_to_date(start, es[v], &step.id)?,
            finish: offset_to_date(start, ef[v], &step.id)?,
            latest_start: offset_to_date(start, ls[v], &step.id)?,
            latest_finish: offset_to_date(start, lf[v], &step.id)?,
            slack_days: slack,
            // A step no market waits for (advice only) is never critical; one on the chain that
            // sets a market's date is, even with a weekend's slack.
            critical: (slack == 0 || on_a_critical_path[v]) && !served.get(v).is_empty(),
            started_by,
            markets: markets_served,
            shared,
            closes: {
                let mut closes: Vec<ObligationRef> = Vec::with_capacity(1);
                for &(mi, gi) in &node.gaps {
                    let gap = &input.markets[mi as usize].gaps[gi as usize];
                    if !closes
                        .iter()
                        .any(|c| c.pack_id == gap.pack_id && c.obligation_id == gap.obligation_id)
                    {
                        closes.push(ObligationRef {
                            pack_id: gap.pack_id.clone(),
                            obligation_id: gap.obligation_id.clone(),
                        });
                    }
                }
                closes
            },
        });
    }

    if summary.estimated_steps > 0 {
        notes.insert(
            0,
            format!(
                "{} of {} step durations are estimates (no source states them); dates that rest on them are estimates too",
                summary.estimated_steps, n
            ),
        );
    }
    if missing_target > 0 {
        notes.push(format!(
            "{missing_target} market(s) have no target date: only their earliest date is given"
        ));
    }

    Ok(Plan {
        start,
        end: offset_to_date(start, end_offset, "plan end")?,
        steps,
        markets,
        critical_path,
        constraints,
        summary,
        notes,
    })
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}
