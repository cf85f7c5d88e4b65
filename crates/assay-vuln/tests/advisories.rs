//! Issue item 7 against the shared OSV databases: for every advisory in the PyPI and Go
//! databases, every version listed in `versions` is matched, every `fixed` version is not,
//! and the ranges alone agree with the lists. Also reads the RustSec, CSAF and KEV data.

#![allow(clippy::print_stdout, clippy::print_stderr)] // prints its results

use std::path::{Path, PathBuf};

use assay_vuln::advisory::{Advisory, Event, Range, ecosystem_from_osv};
use assay_vuln::import::{FileFormat, parse_bytes};
use assay_vuln::matching::Prepared;
use assay_vuln::version::Scheme;

fn data(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

struct Loaded {
    advisories: Vec<Advisory>,
    warnings: Vec<String>,
    files: usize,
}

fn load(rel: &str) -> Loaded {
    let mut files = Vec::new();
    walk(&data(rel), &mut files);
    let mut loaded = Loaded {
        advisories: Vec::new(),
        warnings: Vec::new(),
        files: 0,
    };
    for file in files {
        let bytes = std::fs::read(&file).expect("readable shared data");
        let parsed = parse_bytes(&file.to_string_lossy(), &bytes);
        if parsed.format == Some(FileFormat::Other) {
            continue;
        }
        loaded.files += 1;
        loaded.advisories.extend(parsed.advisories);
        loaded
            .warnings
            .extend(parsed.warnings.iter().map(ToString::to_string));
    }
    loaded
}

#[derive(Default, Debug)]
struct Tally {
    listed_checked: usize,
    listed_missed: Vec<String>,
    ranges_checked: usize,
    ranges_disagree: Vec<String>,
    ranges_disagree_explained: Vec<(String, &'static str)>,
    fixed_checked: usize,
    fixed_matched: Vec<String>,
    fixed_also_listed: Vec<String>,
    introduced_checked: usize,
    introduced_missed: Vec<String>,
}

/// Why a listed version can fall outside the ranges of the same entry without the matcher
/// being wrong (the database's own list and ranges disagree).
fn explain_disagreement(
    scheme: Scheme,
    ranges: &[Range],
    listed: &[String],
    version: &str,
) -> Option<&'static str> {
    let Ok(parsed) = scheme.parse(version) else {
        return Some("listed version is not a valid PEP 440 version (legacy release)");
    };
    let events = ranges.iter().flat_map(|r| match r {
        Range::Events { kind, events, .. } if *kind != assay_vuln::advisory::RangeKind::Git => {
            events.as_slice()
        }
        _ => &[],
    });
    for event in events {
        let Ok(at) = scheme.parse(event.version()) else {
            continue;
        };
        match event {
            Event::Fixed(_) if at == parsed => {
                return Some("listed version is also the range's fixed version");
            }
            Event::Fixed(fixed) if parsed > at && listed.contains(fixed) => {
                return Some("list names the fixed version and a later one");
            }
            // `3.2a1` listed while the range starts at `introduced: 3.2`: PEP 440 orders
            // pre-releases and dev releases before their release.
            Event::Introduced(_) if parsed < at => {
                if let (
                    assay_vuln::version::Version::Pep440(v),
                    assay_vuln::version::Version::Pep440(a),
                ) = (&parsed, &at)
                    && v.release() == a.release()
                    && (v.is_pre() || v.is_dev())
                {
                    return Some("pre-release listed before the range's introduced release");
                }
            }
            _ => {}
        }
    }
    None
}

fn check(advisories: &[Advisory]) -> Tally {
    let mut t = Tally::default();
    for advisory in advisories.iter().filter(|a| a.withdrawn.is_none()) {
        for affected in &advisory.affected {
            let scheme = Scheme::for_ecosystem(&ecosystem_from_osv(&affected.ecosystem));
            // Parsed once per entry, as a scan does (`matching::evaluate` is the same code).
            let prepared = Prepared::new(scheme, affected);
            let has_evaluable_range = affected.ranges.iter().any(|r| {
                matches!(r, Range::Events { kind, .. } if *kind != assay_vuln::advisory::RangeKind::Git)
            });
            for version in &affected.versions {
                t.listed_checked += 1;
                if !prepared
                    .evaluate(version, &scheme.parse(version))
                    .is_affected()
                {
                    t.listed_missed
                        .push(format!("{} {} {version}", advisory.id, affected.name));
                }
                if has_evaluable_range {
                    t.ranges_checked += 1;
                    if !prepared
                        .evaluate_ranges(&scheme.parse(version))
                        .is_affected()
                    {
                        let entry = format!("{} {} {version}", advisory.id, affected.name);
                        match explain_disagreement(
                            scheme,
                            &affected.ranges,
                            &affected.versions,
                            version,
                        ) {
                            Some(reason) => t.ranges_disagree_explained.push((entry, reason)),
                            None => t.ranges_disagree.push(entry),
                        }
                    }
                }
            }
            for range in &affected.ranges {
                let Range::Events { kind, events, .. } = range else {
                    continue;
                };
                if *kind == assay_vuln::advisory::RangeKind::Git {
                    continue;
                }
                for event in events {
                    match event {
                        Event::Fixed(v) => {
                            t.fixed_checked += 1;
                            if affected.versions.contains(v) {
                                t.fixed_also_listed
                                    .push(format!("{} {} {v}", advisory.id, affected.name));
                            } else if prepared.evaluate(v, &scheme.parse(v)).is_affected() {
                                t.fixed_matched
                                    .push(format!("{} {} {v}", advisory.id, affected.name));
                            }
                        }
                        Event::Introduced(v) if v != "0" => {
                            t.introduced_checked += 1;
                            // An introduced version equal to a fixed version of the same
                            // range is an empty range, not a miss.
                            let empty = events
                                .iter()
                                .any(|e| matches!(e, Event::Fixed(f) if f == v));
                            if !empty && !prepared.evaluate(v, &scheme.parse(v)).is_affected() {
                                t.introduced_missed
                                    .push(format!("{} {} {v}", advisory.id, affected.name));
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    t
}

#[test]
fn pypa_versions_match_and_fixed_versions_do_not() {
    let loaded = load("advisories/pypa");
    assert_eq!(loaded.files, 2661, "PyPA advisory files read");
    let t = check(&loaded.advisories);
    eprintln!(
        "pypa: {} advisories, {} warnings; listed {} (missed {}), ranges-only {} (disagree {}), fixed {} (matched {}, also listed {}), introduced {} (missed {})",
        loaded.advisories.len(),
        loaded.warnings.len(),
        t.listed_checked,
        t.listed_missed.len(),
        t.ranges_checked,
        t.ranges_disagree.len(),
        t.fixed_checked,
        t.fixed_matched.len(),
        t.fixed_also_listed.len(),
        t.introduced_checked,
        t.introduced_missed.len()
    );
    for w in loaded.warnings.iter().take(20) {
        eprintln!("warning: {w}");
    }
    let mut reasons = std::collections::BTreeMap::new();
    for (_, reason) in &t.ranges_disagree_explained {
        *reasons.entry(*reason).or_insert(0) += 1;
    }
    eprintln!("ranges-only disagreements explained: {reasons:?}");
    for d in t.ranges_disagree.iter().take(30) {
        eprintln!("ranges disagree, unexplained: {d}");
    }
    for d in t.fixed_also_listed.iter().take(30) {
        eprintln!("fixed also listed: {d}");
    }
    for d in t.introduced_missed.iter().take(30) {
        eprintln!("introduced missed: {d}");
    }
    assert!(t.listed_checked > 50_000, "{}", t.listed_checked);
    assert!(t.listed_missed.is_empty(), "{:?}", t.listed_missed);
    assert!(t.fixed_matched.is_empty(), "{:?}", t.fixed_matched);
    assert!(
        t.ranges_disagree.is_empty(),
        "unexplained: {:?}",
        t.ranges_disagree
    );
    assert!(
        t.ranges_disagree_explained.len() < 200,
        "{}",
        t.ranges_disagree_explained.len()
    );
    assert!(t.introduced_missed.is_empty(), "{:?}", t.introduced_missed);
}

#[test]
fn go_introduced_versions_match_and_fixed_versions_do_not() {
    let loaded = load("advisories/go");
    assert_eq!(loaded.files, 4291, "Go advisory files read");
    let t = check(&loaded.advisories);
    eprintln!(
        "go: {} advisories, {} warnings; listed {} (missed {}), fixed {} (matched {}), introduced {} (missed {})",
        loaded.advisories.len(),
        loaded.warnings.len(),
        t.listed_checked,
        t.listed_missed.len(),
        t.fixed_checked,
        t.fixed_matched.len(),
        t.introduced_checked,
        t.introduced_missed.len()
    );
    for w in loaded.warnings.iter().take(20) {
        eprintln!("warning: {w}");
    }
    for d in t.introduced_missed.iter().take(30) {
        eprintln!("introduced missed: {d}");
    }
    assert!(t.fixed_checked > 5_000);
    assert!(t.fixed_matched.is_empty(), "{:?}", t.fixed_matched);
    assert!(t.introduced_missed.is_empty(), "{:?}", t.introduced_missed);
    assert!(
        loaded.warnings.is_empty(),
        "{:?}",
        &loaded.warnings[..loaded.warnings.len().min(10)]
    );
}
