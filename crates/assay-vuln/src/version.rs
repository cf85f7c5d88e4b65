//! Version order per ecosystem.
//!
//! Wrong matches in vulnerability scanners mostly come from comparing versions with the wrong
//! rules (`1.0rc1` vs `1.0`, `1.0.0+build` vs `1.0.0`, `1:0.9` vs `2.0`, `1.0~rc1` vs `1.0`).
//! Each ecosystem gets the order its own package manager uses:
//!
//! | scheme | ecosystems | rules |
//! |---|---|---|
//! | [`Scheme::Pep440`] | PyPI | PEP 440 via `pep440_rs` (the parser uv uses): normalisation, epochs, pre/post/dev, local |
//! | [`Scheme::Semver`] | npm, crates.io | SemVer 2.0 precedence via `semver`; build metadata ignored; npm's leading `v`/`=` tolerated |
//! | [`Scheme::Go`] | Go | SemVer with Go's `v` prefix and `vMAJOR[.MINOR]` shorthands; pseudo-versions order as prereleases; `+incompatible` is build metadata (ignored) |
//! | [`Scheme::Maven`] | Maven | Maven 3 `ComparableVersion` (qualifier ranks alpha<beta<milestone<rc<snapshot<release<sp) |
//! | [`Scheme::Debian`] | Debian, Ubuntu | dpkg's `verrevcmp`: epochs, `~` before everything, revision |
//! | [`Scheme::Generic`] | RubyGems, Packagist, NuGet, others | numeric/alpha segments; an alphabetic segment is a prerelease (RubyGems' rule) |

use std::cmp::Ordering;
use std::str::FromStr;

use crate::component::Ecosystem;

/// A version ordering scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    Pep440,
    Semver,
    Go,
    Maven,
    Debian,
    Generic,
}

impl Scheme {
    pub fn for_ecosystem(ecosystem: &Ecosystem) -> Scheme {
        match ecosystem {
            Ecosystem::PyPI => Scheme::Pep440,
            Ecosystem::Npm | Ecosystem::CratesIo => Scheme::Semver,
            Ecosystem::Go => Scheme::Go,
            Ecosystem::Maven => Scheme::Maven,
            Ecosystem::Debian => Scheme::Debian,
            Ecosystem::Other(name) => {
                // OSV spells distribution ecosystems with a release suffix ("Debian:12",
                // "Ubuntu:22.04:LTS"); they all use dpkg's order.
                let base = name.split(':').next().unwrap_or(name);
                match base {
                    "Debian" | "Ubuntu" => Scheme::Debian,
                    _ => Scheme::Generic,
                }
            }
            Ecosystem::Packagist | Ecosystem::RubyGems | Ecosystem::NuGet => Scheme::Generic,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scheme::Pep440 => "PEP 440",
            Scheme::Semver => "SemVer",
            Scheme::Go => "Go module version",
            Scheme::Maven => "Maven",
            Scheme::Debian => "Debian (dpkg)",
            Scheme::Generic => "generic",
        }
    }

    /// Parses `text` under this scheme.
    pub fn parse(self, text: &str) -> Result<Version, VersionError> {
        let error = |reason: String| VersionError {
            scheme: self,
            input: text.to_string(),
            reason,
        };
        match self {
            Scheme::Pep440 => pep440_rs::Version::from_str(text.trim())
                .map(Version::Pep440)
                .map_err(|e| error(e.to_string())),
            Scheme::Semver => {
                let trimmed = text.trim().trim_start_matches('=').trim_start_matches('v');
                semver::Version::parse(trimmed)
                    .map(Version::Semver)
                    .map_err(|e| error(e.to_string()))
            }
            Scheme::Go => parse_go(text).map(Version::Semver).map_err(error),
            Scheme::Maven => {
                if text.trim().is_empty() {
                    return Err(error("empty version".into()));
                }
                Ok(Version::Maven(MavenVersion::parse(text)))
            }
            Scheme::Debian => DebianVersion::parse(text)
                .map(Version::Debian)
                .map_err(error),
            Scheme::Generic => {
                let parsed = GenericVersion::parse(text);
                if parsed.0.is_empty() {
                    Err(error("no digits or letters".into()))
                } else {
                    Ok(Version::Generic(parsed))
                }
            }
        }
    }

    /// Compares two version strings under this scheme.
    pub fn compare(self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        Ok(self.parse(a)?.cmp(&self.parse(b)?))
    }
}

/// A version that cannot be read under its ecosystem's rules.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{}` is not a valid {} version: {}", crate::q(input), scheme.name(), crate::qm(reason))]
pub struct VersionError {
    pub scheme: Scheme,
    pub input: String,
    pub reason: String,
}

/// A parsed version. Only versions of the same scheme are compared with each other; the
/// derived order across schemes (by variant) exists only to make the type `Ord`.
#[derive(Clone, Debug)]
pub enum Version {
    Pep440(pep440_rs::Version),
    /// SemVer and Go; compared by precedence (build metadata ignored).
    Semver(semver::Version),
    Maven(MavenVersion),
    Debian(DebianVersion),
    Generic(GenericVersion),
}

impl Version {
    fn rank(&self) -> u8 {
        match self {
            Version::Pep440(_) => 0,
            Version::Semver(_) => 1,
            Version::Maven(_) => 2,
            Version::Debian(_) => 3,
            Version::Generic(_) => 4,
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Version::Pep440(a), Version::Pep440(b)) => a.cmp(b),
            (Version::Semver(a), Version::Semver(b)) => semver_precedence(a, b),
            (Version::Maven(a), Version::Maven(b)) => a.cmp(b),
            (Version::Debian(a), Version::Debian(b)) => a.cmp(b),
            (Version::Generic(a), Version::Generic(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

/// SemVer 2.0 precedence: build metadata does not take part (the `semver` crate's own `Ord`
/// uses it as a tie-breaker, which would make `1.0.0+a` and `1.0.0+b` different versions).
fn semver_precedence(a: &semver::Version, b: &semver::Version) -> Ordering {
    (a.major, a.minor, a.patch)
        .cmp(&(b.major, b.minor, b.patch))
        .then_with(|| a.pre.cmp(&b.pre))
}

/// Go module versions: `v` prefix optional, `v1` and `v1.2` are shorthands of `v1.0.0` and
/// `v1.2.0` (as in `golang.org/x/mod/semver`).
fn parse_go(text: &str) -> Result<semver::Version, String> {
    let trimmed = text.trim();
    let bare = trimmed.strip_prefix('v').unwrap_or(trimmed);
    match semver::Version::parse(bare) {
        Ok(v) => Ok(v),
        Err(e) => {
            let all_numeric = |s: &str| {
                !s.is_empty()
                    && s.split('.')
                        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            };
            let parts = bare.split('.').count();
            if all_numeric(bare) && parts < 3 {
                let padded = if parts == 1 {
                    format!("{bare}.0.0")
                } else {
                    format!("{bare}.0")
                };
                semver::Version::parse(&padded).map_err(|e| e.to_string())
            } else {
                Err(e.to_string())
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Debian

/// A Debian package version `[epoch:]upstream[-revision]`, ordered as dpkg orders it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebianVersion {
    pub epoch: u64,
    pub upstream: String,
    pub revision: String,
}

impl DebianVersion {
    pub fn parse(text: &str) -> Result<DebianVersion, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("empty version".into());
        }
        let (epoch, rest) = match text.split_once(':') {
            Some((epoch, rest)) => {
                let epoch = epoch
                    .parse::<u64>()
                    .map_err(|_| format!("epoch `{epoch}` is not a number"))?;
                (epoch, rest)
            }
            None => (0, text),
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((upstream, revision)) => (upstream, revision),
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err("empty upstream version".into());
        }
        if !upstream.as_bytes()[0].is_ascii_digit() {
            return Err("upstream version must start with a digit".into());
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || ".+~-:".contains(c);
        if let Some(bad) = rest.chars().find(|c| !allowed(*c)) {
            return Err(format!("invalid character `{bad}`"));
        }
        Ok(DebianVersion {
            epoch,
            upstream: upstream.to_string(),
            revision: revision.to_string(),
        })
    }
}

impl Ord for DebianVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| dpkg_verrevcmp(&self.upstream, &other.upstream))
            .then_with(|| dpkg_verrevcmp(&self.revision, &other.revision))
    }
}

impl PartialOrd for DebianVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// dpkg's character weight: end of string and digits 0, `~` below everything, letters by
/// ASCII, other characters after all letters.
fn dpkg_order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => c as i32,
        Some(b'~') => -1,
        Some(c) => c as i32 + 256,
    }
}

/// dpkg's `verrevcmp`: alternate non-digit runs (by [`dpkg_order`]) and digit runs (by value).
fn dpkg_verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    let digit = |s: &[u8], k: usize| s.get(k).is_some_and(|c| c.is_ascii_digit());
    while i < a.len() || j < b.len() {
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let ac = dpkg_order(a.get(i).copied());
            let bc = dpkg_order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while digit(a, i) && digit(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if digit(a, i) {
            return Ordering::Greater;
        }
        if digit(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

// ---------------------------------------------------------------------------------------
// Maven

/// An item of a Maven version, as in Maven 3's `ComparableVersion`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum MavenItem {
    /// Digits with leading zeros removed (so any length compares by value).
    Int(String),
    /// A qualifier after alias resolution (`ga`, `final`, `release` -> ``; `cr` -> `rc`).
    Str(String),
    List(Vec<MavenItem>),
}

/// A Maven version, ordered as Maven 3's `ComparableVersion`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MavenVersion {
    items: Vec<MavenItem>,
}

const MAVEN_QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

fn maven_qualifier_rank(q: &str) -> String {
    match MAVEN_QUALIFIERS.iter().position(|k| *k == q) {
        Some(i) => i.to_string(),
        // Unknown qualifiers sort after the known ones, among themselves lexically.
        None => format!("{}-{q}", MAVEN_QUALIFIERS.len()),
    }
}

impl MavenItem {
    fn int(digits: &str) -> MavenItem {
        let trimmed = digits.trim_start_matches('0');
        MavenItem::Int(if trimmed.is_empty() {
            "0".into()
        } else {
            trimmed.into()
        })
    }

    fn string(value: &str, followed_by_digit: bool) -> MavenItem {
        let value = if followed_by_digit && value.len() == 1 {
            match value {
                "a" => "alpha",
                "b" => "beta",
                "m" => "milestone",
                other => other,
            }
        } else {
            value
        };
        let value = match value {
            "ga" | "final" | "release" => "",
            "cr" => "rc",
            other => other,
        };
        MavenItem::Str(value.to_string())
    }

    fn parse(is_digit: bool, text: &str) -> MavenItem {
        if is_digit {
            MavenItem::int(text)
        } else {
            MavenItem::string(text, false)
        }
    }

    fn is_null(&self) -> bool {
        match self {
            MavenItem::Int(v) => v == "0",
            MavenItem::Str(v) => v.is_empty(),
            MavenItem::List(v) => v.is_empty(),
        }
    }

    /// Compares with a missing item (`None`), as `ComparableVersion`'s `compareTo(null)`.
    fn cmp_opt(&self, other: Option<&MavenItem>) -> Ordering {
        use MavenItem::*;
        match (self, other) {
            (Int(v), None) => {
                if v == "0" {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            (Str(v), None) => maven_qualifier_rank(v).cmp(&maven_qualifier_rank("")),
            (List(v), None) => match v.first() {
                None => Ordering::Equal,
                Some(first) => first.cmp_opt(None),
            },
            (Int(a), Some(Int(b))) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
            (Int(_), Some(_)) => Ordering::Greater,
            (Str(_), Some(Int(_))) => Ordering::Less,
            (Str(a), Some(Str(b))) => maven_qualifier_rank(a).cmp(&maven_qualifier_rank(b)),
            (Str(_), Some(List(_))) => Ordering::Less,
            (List(_), Some(Int(_))) => Ordering::Less,
            (List(_), Some(Str(_))) => Ordering::Greater,
            (List(a), Some(List(b))) => maven_cmp_lists(a, b),
        }
    }
}

fn maven_cmp_lists(a: &[MavenItem], b: &[MavenItem]) -> Ordering {
    let len = a.len().max(b.len());
    for k in 0..len {
        let result = match (a.get(k), b.get(k)) {
            (None, None) => Ordering::Equal,
            (None, Some(r)) => r.cmp_opt(None).reverse(),
            (Some(l), r) => l.cmp_opt(r),
        };
        if result != Ordering::Equal {
            return result;
        }
    }
    Ordering::Equal
}

fn maven_normalize(list: &mut Vec<MavenItem>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], MavenItem::List(_)) {
            break;
        }
    }
}

impl MavenVersion {
    pub fn parse(text: &str) -> MavenVersion {
        let version = text.trim().to_ascii_lowercase();
        // ComparableVersion nests a new list at each `-` and at each digit/letter switch;
        // the parent never receives items after its child list opened, so a stack of lists
        // folded at the end rebuilds the same tree.
        let mut stack: Vec<Vec<MavenItem>> = vec![Vec::new()];
        let chars: Vec<char> = version.chars().collect();
        let piece = |from: usize, to: usize| chars[from..to].iter().collect::<String>();
        let mut is_digit = false;
        let mut start = 0usize;
        for (i, &c) in chars.iter().enumerate() {
            if c == '.' || c == '-' {
                let item = if i == start {
                    MavenItem::Int("0".into())
                } else {
                    MavenItem::parse(is_digit, &piece(start, i))
                };
                if let Some(list) = stack.last_mut() {
                    list.push(item);
                }
                start = i + 1;
                if c == '-' {
                    stack.push(Vec::new());
                }
            } else if c.is_ascii_digit() {
                if !is_digit && i > start {
                    // Maven 3.8+: `1.0.0.X1` sorts as `1.0.0-X1` (a qualifier after a dot
                    // opens a sub-list unless it starts the current list).
                    if stack.last().is_some_and(|l| !l.is_empty()) {
                        stack.push(Vec::new());
                    }
                    if let Some(list) = stack.last_mut() {
                        list.push(MavenItem::string(&piece(start, i), true));
                    }
                    start = i;
                    stack.push(Vec::new());
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    if let Some(list) = stack.last_mut() {
                        list.push(MavenItem::int(&piece(start, i)));
                    }
                    start = i;
                    stack.push(Vec::new());
                }
                is_digit = false;
            }
        }
        if chars.len() > start {
            let rest = piece(start, chars.len());
            if !is_digit && stack.last().is_some_and(|l| !l.is_empty()) {
                stack.push(Vec::new());
            }
            if let Some(list) = stack.last_mut() {
                list.push(MavenItem::parse(is_digit, &rest));
            }
        }
        let mut child: Option<Vec<MavenItem>> = None;
        while let Some(mut list) = stack.pop() {
            if let Some(inner) = child.take() {
                list.push(MavenItem::List(inner));
            }
            maven_normalize(&mut list);
            child = Some(list);
        }
        let items = child.unwrap_or_default();
        MavenVersion { items }
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        maven_cmp_lists(&self.items, &other.items)
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

// ---------------------------------------------------------------------------------------
// Generic

#[derive(Clone, Debug, PartialEq, Eq)]
enum GenericSegment {
    Number(String),
    Text(String),
}

/// Numeric and alphabetic segments; used where no dedicated order is implemented.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenericVersion(Vec<GenericSegment>);

impl GenericVersion {
    pub fn parse(text: &str) -> GenericVersion {
        let mut segments = Vec::new();
        let mut current = String::new();
        let mut current_is_digit = false;
        let flush = |current: &mut String, is_digit: bool, segments: &mut Vec<GenericSegment>| {
            if current.is_empty() {
                return;
            }
            let value = std::mem::take(current);
            segments.push(if is_digit {
                let trimmed = value.trim_start_matches('0');
                GenericSegment::Number(if trimmed.is_empty() {
                    "0".into()
                } else {
                    trimmed.into()
                })
            } else {
                GenericSegment::Text(value.to_ascii_lowercase())
            });
        };
        for c in text.trim().trim_start_matches(['v', 'V']).chars() {
            if c.is_ascii_alphanumeric() {
                let digit = c.is_ascii_digit();
                if !current.is_empty() && digit != current_is_digit {
                    flush(&mut current, current_is_digit, &mut segments);
                }
                current_is_digit = digit;
                current.push(c);
            } else {
                flush(&mut current, current_is_digit, &mut segments);
            }
        }
        flush(&mut current, current_is_digit, &mut segments);
        GenericVersion(segments)
    }
}

impl Ord for GenericVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        use GenericSegment::*;
        let len = self.0.len().max(other.0.len());
        for k in 0..len {
            let result = match (self.0.get(k), other.0.get(k)) {
                (Some(Number(a)), Some(Number(b))) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
                (Some(Text(a)), Some(Text(b))) => a.cmp(b),
                (Some(Number(_)), Some(Text(_))) => Ordering::Greater,
                (Some(Text(_)), Some(Number(_))) => Ordering::Less,
                // A missing segment equals zero; a prerelease word sorts before the release.
                (Some(Number(a)), None) => {
                    if a == "0" {
                        Ordering::Equal
                    } else {
                        Ordering::Greater
                    }
                }
                (None, Some(Number(b))) => {
                    if b == "0" {
                        Ordering::Equal
                    } else {
                        Ordering::Less
                    }
                }
                (Some(Text(_)), None) => Ordering::Less,
                (None, Some(Text(_))) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            };
            if result != Ordering::Equal {
                return result;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GenericVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(scheme: Scheme, a: &str, b: &str) -> Ordering {
        match scheme.compare(a, b) {
            Ok(o) => o,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn pep440_examples() {
        use Ordering::*;
        assert_eq!(cmp(Scheme::Pep440, "1.0rc1", "1.0"), Less);
        assert_eq!(cmp(Scheme::Pep440, "1.0.post1", "1.0-post1"), Equal);
        assert_eq!(cmp(Scheme::Pep440, "1.0.dev1", "1.0a1"), Less);
        assert_eq!(cmp(Scheme::Pep440, "1.0+local.1", "1.0"), Greater);
        assert_eq!(cmp(Scheme::Pep440, "1!0.1", "2.0"), Greater);
        assert_eq!(cmp(Scheme::Pep440, "v1.0", "1.0.0"), Equal);
    }

    #[test]
    fn semver_ignores_build_metadata() {
        assert_eq!(cmp(Scheme::Semver, "1.0.0+a", "1.0.0+b"), Ordering::Equal);
        assert_eq!(
            cmp(Scheme::Semver, "1.0.0-alpha.1", "1.0.0-alpha.beta"),
            Ordering::Less
        );
        assert_eq!(cmp(Scheme::Semver, "v1.2.3", "1.2.3"), Ordering::Equal);
    }

    #[test]
    fn go_versions() {
        use Ordering::*;
        assert_eq!(
            cmp(Scheme::Go, "v0.0.0-20200101000000-abcdefabcdef", "0.0.1"),
            Less
        );
        assert_eq!(
            cmp(Scheme::Go, "v1.2.4-0.20191109021931-daa7c04131f5", "1.2.3"),
            Greater
        );
        assert_eq!(
            cmp(Scheme::Go, "v1.2.4-0.20191109021931-daa7c04131f5", "1.2.4"),
            Less
        );
        assert_eq!(cmp(Scheme::Go, "v2.0.0+incompatible", "2.0.0"), Equal);
        assert_eq!(cmp(Scheme::Go, "v1.2", "1.2.0"), Equal);
    }

    #[test]
    fn debian_examples() {
        use Ordering::*;
        assert_eq!(cmp(Scheme::Debian, "1.0~rc1", "1.0"), Less);
        assert_eq!(cmp(Scheme::Debian, "1:0.9", "2.0"), Greater);
        assert_eq!(cmp(Scheme::Debian, "1.0-1", "1.0-1ubuntu1"), Less);
        assert_eq!(cmp(Scheme::Debian, "1.0a", "1.0+"), Less);
        assert!(Scheme::Debian.parse("abc").is_err());
    }

    #[test]
    fn maven_examples() {
        use Ordering::*;
        assert_eq!(cmp(Scheme::Maven, "1.0-alpha-1", "1.0"), Less);
        assert_eq!(cmp(Scheme::Maven, "1.0", "1.0.0"), Equal);
        assert_eq!(cmp(Scheme::Maven, "1.0-rc1", "1.0-cr1"), Equal);
        assert_eq!(cmp(Scheme::Maven, "1.0-SNAPSHOT", "1.0"), Less);
        assert_eq!(cmp(Scheme::Maven, "1.0-sp1", "1.0"), Greater);
        assert_eq!(cmp(Scheme::Maven, "1.0.Final", "1.0"), Equal);
        assert_eq!(cmp(Scheme::Maven, "2.0.1", "2.0.1-xyz"), Less);
        assert_eq!(cmp(Scheme::Maven, "1a1", "1-alpha-1"), Equal);
        assert_eq!(cmp(Scheme::Maven, "1.10", "1.9"), Greater);
    }

    #[test]
    fn generic_examples() {
        use Ordering::*;
        assert_eq!(cmp(Scheme::Generic, "1.0.a", "1.0"), Less);
        assert_eq!(cmp(Scheme::Generic, "1.0", "1.0.0"), Equal);
        assert_eq!(cmp(Scheme::Generic, "1.10", "1.9"), Greater);
    }
}
