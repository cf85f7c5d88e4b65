//! Whether a version of a package is affected by an advisory, exactly as the OSV schema's
//! evaluation algorithm says:
//!
//! 1. a version in the explicit `versions` list is affected;
//! 2. otherwise, for each `SEMVER` / `ECOSYSTEM` range, the events are sorted by version
//!    (`introduced: "0"` first) and walked: `introduced <= v` sets affected, `fixed <= v`
//!    clears it, `last_affected < v` clears it; a range with `limit` events only covers
//!    versions below one of its limits (no limit = infinity);
//! 3. `GIT` ranges name commits, not versions: they cannot be evaluated against a package
//!    version and are skipped (OSV databases list the corresponding versions explicitly).
//!
//! RustSec's rule ("affected unless the version satisfies a patched or unaffected
//! requirement") is evaluated with plain version precedence, as the OSV ranges that RustSec
//! publishes for the same advisories are.

use std::cmp::Ordering;
use std::collections::HashSet;

use crate::advisory::{Affected, Event, Range, RangeKind};
use crate::version::{Scheme, Version, VersionError};

/// Why a version is affected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MatchReason {
    /// Listed in the affected entry's `versions`.
    ListedVersion,
    /// Inside the range at this index of `Affected::ranges`.
    Range(usize),
}

/// A problem met while evaluating (the evaluation carries on with the other ranges).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchProblem {
    /// `ranges[i].events` or `version`.
    pub field: String,
    pub error: VersionError,
}

/// Outcome of evaluating one affected entry against one version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evaluation {
    pub reason: Option<MatchReason>,
    pub problems: Vec<MatchProblem>,
}

impl Evaluation {
    pub fn is_affected(&self) -> bool {
        self.reason.is_some()
    }
}

/// Evaluates `version` against an affected entry (listed versions, then ranges).
pub fn evaluate(scheme: Scheme, affected: &Affected, version: &str) -> Evaluation {
    Prepared::new(scheme, affected).evaluate(version, &scheme.parse(version))
}

/// Evaluates only the ranges (not the explicit list): used to check that a database's
/// ranges and its version lists agree.
pub fn evaluate_ranges(scheme: Scheme, affected: &Affected, version: &str) -> Evaluation {
    Prepared::new(scheme, affected).evaluate_ranges(&scheme.parse(version))
}

/// OSV's `isVulnerableRange` for one range.
pub fn in_event_range(
    scheme: Scheme,
    events: &[Event],
    version: &Version,
) -> Result<bool, VersionError> {
    Ok(SortedEvents::new(scheme, events)?.contains(version))
}

/// An affected entry with every version parsed and every range's events sorted once, so
/// that a scan evaluating many components against the same advisory parses nothing twice.
#[derive(Debug)]
pub struct Prepared {
    listed_exact: HashSet<String>,
    /// Listed versions that parse, sorted, for lookups by value (`1.0` listed, `1.0.0` asked).
    listed_parsed: Vec<Version>,
    ranges: Vec<PreparedRange>,
}

#[derive(Debug)]
enum PreparedRange {
    /// GIT ranges name commits: not evaluable against versions.
    Git,
    Events(SortedEvents),
    NotIn(Vec<semver::VersionReq>),
    /// An event or requirement that does not parse: the range cannot be evaluated.
    Broken(VersionError),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EventKind {
    Introduced,
    Fixed,
    LastAffected,
}

/// A range's events, parsed and sorted (`introduced: "0"` = `None`, first).
#[derive(Debug)]
pub struct SortedEvents {
    events: Vec<(Option<Version>, EventKind)>,
    limits: Vec<Version>,
}

impl SortedEvents {
    pub fn new(scheme: Scheme, events: &[Event]) -> Result<SortedEvents, VersionError> {
        let mut parsed = Vec::with_capacity(events.len());
        let mut limits = Vec::new();
        for event in events {
            let kind = match event {
                Event::Introduced(v) if v == "0" => {
                    parsed.push((None, EventKind::Introduced));
                    continue;
                }
                Event::Limit(v) if v == "*" => continue,
                Event::Limit(v) => {
                    limits.push(scheme.parse(v)?);
                    continue;
                }
                Event::Introduced(_) => EventKind::Introduced,
                Event::Fixed(_) => EventKind::Fixed,
                Event::LastAffected(_) => EventKind::LastAffected,
            };
            parsed.push((Some(scheme.parse(event.version())?), kind));
        }
        // Stable sort: events at the same version keep the order they were written in.
        parsed.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(SortedEvents {
            events: parsed,
            limits,
        })
    }

    /// The walk of the OSV algorithm over the sorted events.
    pub fn contains(&self, version: &Version) -> bool {
        if !self.limits.is_empty() && !self.limits.iter().any(|limit| version < limit) {
            return false;
        }
        let mut vulnerable = false;
        for (at, kind) in &self.events {
            match (kind, at) {
                (EventKind::Introduced, None) => vulnerable = true,
                (EventKind::Introduced, Some(at)) if version >= at => vulnerable = true,
                (EventKind::Fixed, Some(at)) if version >= at => vulnerable = false,
                (EventKind::LastAffected, Some(at)) if version > at => vulnerable = false,
                _ => {}
            }
        }
        vulnerable
    }
}

impl Prepared {
    pub fn new(scheme: Scheme, affected: &Affected) -> Prepared {
        let mut listed_parsed: Vec<Version> = affected
            .versions
            .iter()
            .filter_map(|v| scheme.parse(v).ok())
            .collect();
        listed_parsed.sort();
        let ranges = affected
            .ranges
            .iter()
            .map(|range| match range {
                Range::Events {
                    kind: RangeKind::Git,
                    ..
                } => PreparedRange::Git,
                Range::Events { events, .. } => match SortedEvents::new(scheme, events) {
                    Ok(sorted) => PreparedRange::Events(sorted),
                    Err(e) => PreparedRange::Broken(e),
                },
                Range::NotIn {
                    patched,
                    unaffected,
                } => {
                    let parsed: Result<Vec<_>, _> = patched
                        .iter()
                        .chain(unaffected)
                        .map(|r| {
                            semver::VersionReq::parse(r).map_err(|e| VersionError {
                                scheme: Scheme::Semver,
                                input: r.clone(),
                                reason: e.to_string(),
                            })
                        })
                        .collect();
                    match parsed {
                        Ok(reqs) => PreparedRange::NotIn(reqs),
                        Err(e) => PreparedRange::Broken(e),
                    }
                }
            })
            .collect();
        Prepared {
            listed_exact: affected.versions.iter().cloned().collect(),
            listed_parsed,
            ranges,
        }
    }

    /// Listed versions first, then ranges. `parsed` is `version` parsed under the scheme
    /// this entry was prepared with.
    pub fn evaluate(&self, version: &str, parsed: &Result<Version, VersionError>) -> Evaluation {
        let listed = self.listed_exact.contains(version)
            || parsed
                .as_ref()
                .is_ok_and(|v| self.listed_parsed.binary_search(v).is_ok());
        if listed {
            return Evaluation {
                reason: Some(MatchReason::ListedVersion),
                problems: Vec::new(),
            };
        }
        self.evaluate_ranges(parsed)
    }

    pub fn evaluate_ranges(&self, parsed: &Result<Version, VersionError>) -> Evaluation {
        let mut evaluation = Evaluation::default();
        if self.ranges.iter().all(|r| matches!(r, PreparedRange::Git)) {
            return evaluation;
        }
        let version = match parsed {
            Ok(v) => v,
            Err(error) => {
                evaluation.problems.push(MatchProblem {
                    field: "version".into(),
                    error: error.clone(),
                });
                return evaluation;
            }
        };
        for (index, range) in self.ranges.iter().enumerate() {
            let affected = match range {
                PreparedRange::Git => continue,
                PreparedRange::Events(sorted) => sorted.contains(version),
                PreparedRange::NotIn(reqs) => match version {
                    Version::Semver(v) => !reqs.iter().any(|req| req_holds(req, v)),
                    _ => false,
                },
                PreparedRange::Broken(error) => {
                    evaluation.problems.push(MatchProblem {
                        field: format!("ranges[{index}]"),
                        error: error.clone(),
                    });
                    continue;
                }
            };
            if affected {
                evaluation.reason = Some(MatchReason::Range(index));
                return evaluation;
            }
        }
        evaluation
    }
}

/// RustSec: affected unless some requirement (`>= 1.6.1`, `>= 0.6.14, < 1.0.0`, `^0.3`)
/// holds for the version.
#[cfg(test)]
fn not_in_requirements<'a>(
    requirements: impl Iterator<Item = &'a String>,
    version: &Version,
) -> Result<bool, VersionError> {
    let Version::Semver(v) = version else {
        return Ok(false);
    };
    for requirement in requirements {
        if requirement_holds(requirement, v)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A Cargo requirement evaluated with plain precedence (a prerelease inside the bounds
/// satisfies it, unlike Cargo's resolver rule, so that prereleases of vulnerable lines are
/// reported).
pub fn requirement_holds(requirement: &str, v: &semver::Version) -> Result<bool, VersionError> {
    let req = semver::VersionReq::parse(requirement).map_err(|e| VersionError {
        scheme: Scheme::Semver,
        input: requirement.to_string(),
        reason: e.to_string(),
    })?;
    Ok(req_holds(&req, v))
}

fn req_holds(req: &semver::VersionReq, v: &semver::Version) -> bool {
    req.comparators.iter().all(|c| comparator_holds(c, v))
}

fn comparator_holds(c: &semver::Comparator, v: &semver::Version) -> bool {
    use semver::Op;
    let lower = semver::Version {
        major: c.major,
        minor: c.minor.unwrap_or(0),
        patch: c.patch.unwrap_or(0),
        pre: c.pre.clone(),
        build: semver::BuildMetadata::EMPTY,
    };
    let cmp_full = || {
        (v.major, v.minor, v.patch)
            .cmp(&(lower.major, lower.minor, lower.patch))
            .then_with(|| v.pre.cmp(&lower.pre))
    };
    // Compare only the fields the comparator gives (`>1.2` means above every 1.2.x).
    let cmp_truncated = || match (c.minor, c.patch) {
        (None, _) => v.major.cmp(&c.major),
        (Some(minor), None) => (v.major, v.minor).cmp(&(c.major, minor)),
        (Some(_), Some(_)) => cmp_full(),
    };
    match c.op {
        Op::Exact | Op::Wildcard => cmp_truncated() == Ordering::Equal,
        Op::Greater => cmp_truncated() == Ordering::Greater,
        Op::GreaterEq => cmp_full() != Ordering::Less,
        Op::Less => cmp_full() == Ordering::Less,
        Op::LessEq => cmp_truncated() != Ordering::Greater,
        Op::Tilde => {
            cmp_full() != Ordering::Less
                && match c.minor {
                    Some(minor) => v.major == c.major && v.minor == minor,
                    None => v.major == c.major,
                }
        }
        Op::Caret => {
            cmp_full() != Ordering::Less
                && match (c.minor, c.patch) {
                    _ if c.major > 0 => v.major == c.major,
                    (None, _) => v.major == 0,
                    (Some(minor), _) if minor > 0 => v.major == 0 && v.minor == minor,
                    (Some(minor), None) => v.major == 0 && v.minor == minor,
                    (Some(minor), Some(patch)) => {
                        v.major == 0 && v.minor == minor && v.patch == patch
                    }
                }
        }
        // Future operators: treat as not satisfied (reports the version as affected rather
        // than silently hiding it).
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(list: &[(&str, &str)]) -> Vec<Event> {
        list.iter()
            .map(|(kind, v)| match *kind {
                "i" => Event::Introduced(v.to_string()),
                "f" => Event::Fixed(v.to_string()),
                "l" => Event::LastAffected(v.to_string()),
                _ => Event::Limit(v.to_string()),
            })
            .collect()
    }

    fn affected(scheme: Scheme, evs: &[(&str, &str)], v: &str) -> bool {
        let version = scheme.parse(v).expect("test version");
        in_event_range(scheme, &events(evs), &version).expect("test events")
    }

    #[test]
    fn unsorted_events_and_last_affected() {
        let evs = [
            ("f", "2.0.0"),
            ("i", "3.0.0"),
            ("i", "1.0.0"),
            ("l", "3.5.0"),
        ];
        assert!(!affected(Scheme::Semver, &evs, "0.9.0"));
        assert!(affected(Scheme::Semver, &evs, "1.0.0"));
        assert!(affected(Scheme::Semver, &evs, "1.9.9"));
        assert!(!affected(Scheme::Semver, &evs, "2.0.0"));
        assert!(!affected(Scheme::Semver, &evs, "2.5.0"));
        assert!(affected(Scheme::Semver, &evs, "3.5.0"));
        assert!(!affected(Scheme::Semver, &evs, "3.5.1"));
    }

    #[test]
    fn introduced_zero_and_limit() {
        let evs = [("i", "0"), ("limit", "2.0.0")];
        assert!(affected(Scheme::Semver, &evs, "0.0.1-alpha"));
        assert!(affected(Scheme::Semver, &evs, "1.9.0"));
        assert!(!affected(Scheme::Semver, &evs, "2.0.0"));
        assert!(affected(Scheme::Semver, &[("i", "0")], "99.0.0"));
    }

    #[test]
    fn pep440_prerelease_of_fixed_is_affected() {
        let evs = [("i", "0"), ("f", "1.0")];
        assert!(affected(Scheme::Pep440, &evs, "1.0rc1"));
        assert!(!affected(Scheme::Pep440, &evs, "1.0.post1"));
        assert!(!affected(Scheme::Pep440, &evs, "1.0+local"));
    }

    #[test]
    fn rustsec_requirements() {
        let patched = [">= 0.6.14, < 1.0.0".to_string(), ">= 1.6.1".to_string()];
        let unaffected = vec!["< 0.6.3".to_string()];
        let v = |s: &str| Scheme::Semver.parse(s).expect("test version");
        let check = |s: &str| not_in_requirements(patched.iter().chain(&unaffected), &v(s));
        assert_eq!(check("0.6.2"), Ok(false));
        assert_eq!(check("0.6.3"), Ok(true));
        assert_eq!(check("0.6.14"), Ok(false));
        assert_eq!(check("1.0.0"), Ok(true));
        assert_eq!(check("1.6.0"), Ok(true));
        assert_eq!(check("1.6.1"), Ok(false));
        let caret = ["^0.2.3".to_string()];
        assert_eq!(not_in_requirements(caret.iter(), &v("0.2.9")), Ok(false));
        assert_eq!(not_in_requirements(caret.iter(), &v("0.3.0")), Ok(true));
    }
}
