//! A scan: components x the index -> findings, with alias merging, KEV and deadlines.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::NaiveDate;

use crate::advisory::{Advisory, ecosystem_key, name_key, osv_ecosystem_base, parse_purl};
use crate::component::{Component, Ecosystem};
use crate::finding::{
    AffectedRange, DueDateSource, Finding, KevEntry, ScanResult, ScanSummary, Severity,
    SeverityLevel, SeveritySource,
};
use crate::index::{Index, IndexError, Lookup, Reporter};
use crate::matching::Prepared;
use crate::policy::DeadlinePolicy;
use crate::version::Scheme;

/// Scan settings.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// The date due dates are judged against.
    pub scan_date: NaiveDate,
    pub policy: DeadlinePolicy,
}

/// The key a component is looked up by: its package URL's ecosystem and name when it has one
/// (it carries Maven's group and npm's scope), otherwise its own fields.
pub fn lookup_key(component: &Component) -> (Ecosystem, String) {
    if let Some((ecosystem, name, _)) = component.purl.as_deref().and_then(parse_purl)
        && !matches!(ecosystem, Ecosystem::Other(_))
    {
        return (ecosystem, name);
    }
    (component.ecosystem.clone(), component.name.clone())
}

/// One affected entry of an advisory, keyed and prepared for evaluation.
struct PreparedEntry {
    ecosystem: String,
    name: String,
    prepared: Prepared,
}

fn prepare(scheme: Scheme, advisory: &Advisory) -> Vec<PreparedEntry> {
    advisory
        .affected
        .iter()
        .map(|affected| {
            let ecosystem = osv_ecosystem_base(&affected.ecosystem).to_string();
            PreparedEntry {
                name: name_key(&ecosystem, &affected.name),
                ecosystem,
                prepared: Prepared::new(scheme, affected),
            }
        })
        .collect()
}

struct Match {
    advisory: Arc<Advisory>,
    affected_index: usize,
}

/// Scans components against the index.
pub fn scan(
    index: &Index,
    components: &[Component],
    options: &ScanOptions,
    reporter: &dyn Reporter,
) -> Result<ScanResult, IndexError> {
    let kev = index.kev_entries()?;
    let mut lookup = index.lookup()?;
    let mut result = ScanResult {
        scan_date: options.scan_date.format("%Y-%m-%d").to_string(),
        summary: ScanSummary {
            components: components.len(),
            ..ScanSummary::default()
        },
        ..ScanResult::default()
    };
    // Parsed, sorted forms of each advisory's entries, per version scheme, built once.
    let mut prepared: HashMap<(i64, Scheme), Arc<Vec<PreparedEntry>>> = HashMap::new();
    let mut warned = HashSet::new();
    reporter.start("matching components", Some(components.len() as u64));
    for component in components {
        reporter.advance(1);
        let (ecosystem, name) = lookup_key(component);
        let eco_key = ecosystem_key(&ecosystem);
        let scheme = Scheme::for_ecosystem(&ecosystem);
        let key = name_key(&eco_key, &name);
        let mut candidates = lookup.advisories(&eco_key, &key)?;
        // CSAF products known only by name match in any ecosystem.
        let any_key = name_key("*", &name);
        candidates.extend(lookup.advisories("*", &any_key)?);
        if candidates.is_empty() {
            continue;
        }
        let parsed_version = scheme.parse(&component.version);
        let mut matches = Vec::new();
        let mut seen = HashSet::new();
        for (rowid, advisory) in candidates {
            if advisory.withdrawn.is_some() || advisory.informational.is_some() {
                continue;
            }
            if !seen.insert(rowid) {
                continue;
            }
            let entries = prepared
                .entry((rowid, scheme))
                .or_insert_with(|| Arc::new(prepare(scheme, &advisory)))
                .clone();
            for (affected_index, entry) in entries.iter().enumerate() {
                let same_package = if entry.ecosystem == "*" {
                    entry.name == any_key
                } else {
                    entry.ecosystem == eco_key && entry.name == key
                };
                if !same_package {
                    continue;
                }
                let evaluation = entry.prepared.evaluate(&component.version, &parsed_version);
                for problem in &evaluation.problems {
                    let warning = format!(
                        "{} {}@{}: {} {}: {}",
                        crate::q(&advisory.id),
                        crate::q(&component.name),
                        crate::q(&component.version),
                        crate::q(&advisory.source),
                        crate::q(&problem.field),
                        crate::qm(&problem.error.to_string())
                    );
                    if warned.insert(warning.clone()) {
                        result.warnings.push(warning);
                    }
                }
                if evaluation.is_affected() {
                    matches.push(Match {
                        advisory: advisory.clone(),
                        affected_index,
                    });
                }
            }
        }
        for group in merge_by_alias(matches) {
            let mut problems = Vec::new();
            let finding = build_finding(
                component,
                scheme,
                &group,
                &kev,
                options,
                &mut lookup,
                &mut problems,
            )?;
            result.findings.push(finding);
            for warning in problems {
                if warned.insert(warning.clone()) {
                    result.warnings.push(warning);
                }
            }
        }
    }
    reporter.finish();
    result.recompute_summary();
    Ok(result)
}

/// Groups matches that share an id (advisory id or alias): one vulnerability reported by
/// several databases becomes one finding.
fn merge_by_alias(matches: Vec<Match>) -> Vec<Vec<Match>> {
    let n = matches.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], i: usize) -> usize {
        let mut root = i;
        while parent[root] != root {
            root = parent[root];
        }
        let mut node = i;
        while parent[node] != root {
            let next = parent[node];
            parent[node] = root;
            node = next;
        }
        root
    }
    let mut owner: HashMap<&str, usize> = HashMap::new();
    for (i, m) in matches.iter().enumerate() {
        let ids = std::iter::once(m.advisory.id.as_str())
            .chain(m.advisory.aliases.iter().map(String::as_str));
        for id in ids {
            match owner.get(id) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    if a != b {
                        parent[a.max(b)] = a.min(b);
                    }
                }
                None => {
                    owner.insert(id, i);
                }
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: HashMap<usize, usize> = HashMap::new();
    for i in 0..n {
        let root = find(&mut parent, i);
        let g = *group_of.entry(root).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
    }
    let mut slots: Vec<Option<Match>> = matches.into_iter().map(Some).collect();
    groups
        .into_iter()
        .map(|g| g.into_iter().filter_map(|i| slots[i].take()).collect())
        .collect()
}

/// Severity of one advisory from its own data: the highest base score among its CVSS vectors
/// (v2, v3.x, v4.0, computed per the FIRST specifications), else a base score it stated, else a
/// rating it stated; unknown otherwise. A vector that does not parse is named in `problems`.
fn advisory_severity(advisory: &Advisory, problems: &mut Vec<String>) -> Severity {
    let mut best: Option<Severity> = None;
    for vector in &advisory.cvss_vectors {
        match crate::cvss::base_score(vector) {
            Ok(computed) => {
                let higher = best
                    .as_ref()
                    .is_none_or(|b| computed.score > b.cvss_score.unwrap_or(-1.0));
                if higher {
                    best = Some(Severity {
                        level: computed.level,
                        cvss_vector: Some(vector.clone()),
                        cvss_score: Some(computed.score),
                        source: SeveritySource::Vector {
                            advisory: advisory.id.clone(),
                        },
                    });
                }
            }
            Err(error) => problems.push(format!(
                "{} ({}): {}; its severity is not taken from this vector",
                crate::q(&advisory.id),
                crate::q(&advisory.source),
                crate::qm(&error.to_string())
            )),
        }
    }
    if let Some(best) = best {
        return best;
    }
    if let Some(score) = advisory
        .stated_score
        .filter(|s| s.is_finite() && (0.0..=10.0).contains(s))
    {
        return Severity {
            level: SeverityLevel::from_cvss_score(score),
            cvss_vector: None,
            cvss_score: Some(score),
            source: SeveritySource::StatedScore {
                advisory: advisory.id.clone(),
            },
        };
    }
    if let Some(level) = advisory.stated_level.filter(|l| l.is_known()) {
        return Severity {
            level,
            cvss_vector: None,
            cvss_score: None,
            source: SeveritySource::StatedRating {
                advisory: advisory.id.clone(),
            },
        };
    }
    Severity::default()
}

/// `a` is more severe than `b`: higher level (unknown lowest), then higher score.
fn more_severe(a: &Severity, b: &Severity) -> bool {
    (a.level.rank(), a.cvss_score.unwrap_or(-1.0)) > (b.level.rank(), b.cvss_score.unwrap_or(-1.0))
}

/// Severity of a finding: the most severe of its matching advisories' own severities; when
/// none of them has one, the highest CVSS base score among the other loaded advisories that
/// share one of the finding's ids (a CVE or GHSA id); otherwise unknown.
fn finding_severity(
    group: &[Match],
    ids: &[&str],
    lookup: &mut Lookup<'_>,
    problems: &mut Vec<String>,
) -> Result<Severity, IndexError> {
    let mut severity = Severity::default();
    for m in group {
        let s = advisory_severity(&m.advisory, problems);
        if more_severe(&s, &severity) {
            severity = s;
        }
    }
    if severity.level.is_known() {
        return Ok(severity);
    }
    for &alias in ids {
        for (_, other) in lookup.by_id(alias)? {
            if group.iter().any(|m| m.advisory.id == other.id) {
                continue;
            }
            let s = advisory_severity(&other, problems);
            if let SeveritySource::Vector { advisory } = &s.source
                && more_severe(&s, &severity)
            {
                severity = Severity {
                    source: SeveritySource::Alias {
                        advisory: advisory.clone(),
                        alias: alias.to_string(),
                    },
                    ..s
                };
            }
        }
    }
    Ok(severity)
}

fn build_finding(
    component: &Component,
    scheme: Scheme,
    group: &[Match],
    kev: &HashMap<String, KevEntry>,
    options: &ScanOptions,
    lookup: &mut Lookup<'_>,
    problems: &mut Vec<String>,
) -> Result<Finding, IndexError> {
    let mut ids = BTreeSet::new();
    let mut sources = Vec::new();
    for m in group {
        ids.insert(m.advisory.id.clone());
        ids.extend(m.advisory.aliases.iter().cloned());
        if !sources.contains(&m.advisory.id) {
            sources.push(m.advisory.id.clone());
        }
    }
    // Primary id: a CVE named by the first matching advisory, else any CVE, else the first
    // advisory's id; deterministic because groups keep index order.
    let first = &group[0].advisory;
    let primary = std::iter::once(&first.id)
        .chain(first.aliases.iter())
        .find(|id| id.starts_with("CVE-"))
        .or_else(|| ids.iter().find(|id| id.starts_with("CVE-")))
        .cloned()
        .unwrap_or_else(|| first.id.clone());
    ids.remove(&primary);

    let all_ids: Vec<&str> = std::iter::once(primary.as_str())
        .chain(ids.iter().map(String::as_str))
        .collect();
    let severity = finding_severity(group, &all_ids, lookup, problems)?;

    let mut affected_ranges = Vec::new();
    let mut fixed: Vec<String> = Vec::new();
    for m in group {
        let affected = &m.advisory.affected[m.affected_index];
        for range in &affected.ranges {
            let (kind, text) = range.text();
            let entry = AffectedRange { kind, text };
            if !affected_ranges.contains(&entry) && !entry.text.is_empty() {
                affected_ranges.push(entry);
            }
            for version in range.fixed_versions() {
                if !fixed.contains(&version) {
                    fixed.push(version);
                }
            }
        }
        if !affected.versions.is_empty() {
            let shown: Vec<&str> = affected
                .versions
                .iter()
                .take(12)
                .map(String::as_str)
                .collect();
            let more = affected.versions.len().saturating_sub(shown.len());
            let mut text = shown.join(", ");
            if more > 0 {
                text.push_str(&format!(", … ({} listed in all)", affected.versions.len()));
            }
            let entry = AffectedRange {
                kind: "VERSIONS".into(),
                text,
            };
            if !affected_ranges.contains(&entry) {
                affected_ranges.push(entry);
            }
        }
    }
    fixed.sort_by(|a, b| match (scheme.parse(a), scheme.parse(b)) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    });

    let kev_entry = std::iter::once(&primary)
        .chain(ids.iter())
        .filter(|id| id.starts_with("CVE-"))
        .find_map(|id| kev.get(id.as_str()).cloned());
    let (due_date, due_date_source) = match &kev_entry {
        Some(entry) => (Some(entry.due_date.clone()), Some(DueDateSource::Kev)),
        None => {
            let published = group
                .iter()
                .filter_map(|m| m.advisory.published.as_deref())
                .min();
            match options
                .policy
                .due_date(severity.level, false, published, options.scan_date)
            {
                Some((date, tier)) => (
                    Some(date.format("%Y-%m-%d").to_string()),
                    Some(DueDateSource::Policy { tier }),
                ),
                None => (None, None),
            }
        }
    };
    let mut references = Vec::new();
    for m in group {
        for r in &m.advisory.references {
            if references.len() < 10 && !references.contains(r) {
                references.push(r.clone());
            }
        }
    }
    Ok(Finding {
        component: component.clone(),
        advisory_id: primary,
        aliases: ids.into_iter().collect(),
        sources,
        summary: group
            .iter()
            .map(|m| m.advisory.summary.as_str())
            .find(|s| !s.is_empty())
            .unwrap_or("")
            .to_string(),
        severity,
        affected_ranges,
        fixed_versions: fixed,
        kev: kev_entry.is_some(),
        kev_entry,
        vex: None,
        due_date,
        due_date_source,
        overdue: false,
        references,
    })
}
