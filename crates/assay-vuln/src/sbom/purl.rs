//! Package URLs (purl): a small parser and builder following the purl specification
//! (<https://github.com/package-url/purl-spec>).
//!
//! Written here rather than taken from a crate because the reader needs exactly three things the
//! spec defines and nothing else: percent-decoding of every component, the per-type name
//! normalisation that decides identity (pypi), and a mapping of the type to an OSV ecosystem and
//! an ecosystem-native package name (`group:artifact` for Maven, `@scope/name` for npm, the
//! module path for Go).

use std::collections::BTreeMap;
use std::fmt;

use crate::component::Ecosystem;

/// A parsed package URL. All components are percent-decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purl {
    /// Lower-cased package type (`npm`, `pypi`, `maven`, ...).
    pub ty: String,
    /// Namespace segments joined with `/` (npm scope, Maven group, Go module prefix), if any.
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub qualifiers: BTreeMap<String, String>,
    pub subpath: Option<String>,
}

/// Why a string is not a package URL.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PurlError {
    #[error("does not start with `pkg:`")]
    Scheme,
    #[error("has no package type (expected pkg:TYPE/NAME)")]
    MissingType,
    #[error("package type `{}` has characters other than letters, digits, `.`, `+`, `-`", crate::q(.0))]
    BadType(String),
    #[error("has no package name")]
    MissingName,
    #[error("has a malformed percent-escape")]
    BadEscape,
    #[error("has a qualifier without `=`: `{}`", crate::q(.0))]
    BadQualifier(String),
}

impl Purl {
    /// Parses a purl, percent-decoding every component.
    pub fn parse(input: &str) -> Result<Purl, PurlError> {
        let input = input.trim();
        // The spec parses from the right: subpath, then qualifiers, then from the left.
        let (rest, subpath) = match input.rsplit_once('#') {
            Some((rest, sub)) => {
                let segments: Vec<String> = sub
                    .split('/')
                    .filter(|s| !s.is_empty() && *s != "." && *s != "..")
                    .map(percent_decode)
                    .collect::<Result<_, _>>()?;
                (rest, (!segments.is_empty()).then(|| segments.join("/")))
            }
            None => (input, None),
        };
        let (rest, qualifiers) = match rest.rsplit_once('?') {
            Some((rest, query)) => {
                let mut map = BTreeMap::new();
                for pair in query.split('&').filter(|p| !p.is_empty()) {
                    let (key, value) = pair
                        .split_once('=')
                        .ok_or_else(|| PurlError::BadQualifier(pair.to_string()))?;
                    let value = percent_decode(value)?;
                    if !value.is_empty() {
                        map.insert(key.to_ascii_lowercase(), value);
                    }
                }
                (rest, map)
            }
            None => (rest, BTreeMap::new()),
        };
        let (scheme, rest) = rest.split_once(':').ok_or(PurlError::Scheme)?;
        if !scheme.eq_ignore_ascii_case("pkg") {
            return Err(PurlError::Scheme);
        }
        let rest = rest.trim_matches('/');
        let (ty, rest) = rest.split_once('/').ok_or(PurlError::MissingType)?;
        if ty.is_empty() {
            return Err(PurlError::MissingType);
        }
        if !ty
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'))
            || ty.starts_with(|c: char| c.is_ascii_digit())
        {
            return Err(PurlError::BadType(ty.to_string()));
        }
        let ty = ty.to_ascii_lowercase();
        // The version is after the last `@`; an `@` inside a name is always percent-encoded
        // (an npm scope is `%40scope`), so this split is unambiguous.
        let (rest, version) = match rest.rsplit_once('@') {
            Some((rest, version)) => {
                let version = percent_decode(version)?;
                (rest, (!version.is_empty()).then_some(version))
            }
            None => (rest, None),
        };
        let rest = rest.trim_end_matches('/');
        let (namespace, name) = match rest.rsplit_once('/') {
            Some((ns, name)) => {
                let segments: Vec<String> = ns
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(percent_decode)
                    .collect::<Result<_, _>>()?;
                ((!segments.is_empty()).then(|| segments.join("/")), name)
            }
            None => (None, rest),
        };
        let mut name = percent_decode(name)?;
        if name.is_empty() {
            return Err(PurlError::MissingName);
        }
        let mut namespace = namespace;
        // Per-type normalisation the spec makes part of identity.
        match ty.as_str() {
            "pypi" => name = normalize_pypi_name(&name),
            "github" | "bitbucket" | "gitlab" => {
                name = name.to_ascii_lowercase();
                namespace = namespace.map(|n| n.to_ascii_lowercase());
            }
            _ => {}
        }
        Ok(Purl {
            ty,
            namespace,
            name,
            version,
            qualifiers,
            subpath,
        })
    }

    /// A purl for a package of `ecosystem` named the ecosystem's way (`group:artifact`,
    /// `@scope/name`, a Go module path) at `version`.
    pub fn for_package(ecosystem: &Ecosystem, name: &str, version: &str) -> Purl {
        let (ty, namespace, name) = match ecosystem {
            Ecosystem::PyPI => ("pypi", None, normalize_pypi_name(name)),
            Ecosystem::Npm => match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
                Some((scope, n)) => ("npm", Some(format!("@{scope}")), n.to_string()),
                None => ("npm", None, name.to_string()),
            },
            Ecosystem::CratesIo => ("cargo", None, name.to_string()),
            Ecosystem::Go => match name.rsplit_once('/') {
                Some((ns, n)) => ("golang", Some(ns.to_string()), n.to_string()),
                None => ("golang", None, name.to_string()),
            },
            Ecosystem::Maven => match name.split_once(':') {
                Some((group, artifact)) => ("maven", Some(group.to_string()), artifact.to_string()),
                None => ("maven", None, name.to_string()),
            },
            Ecosystem::Debian => ("deb", Some("debian".to_string()), name.to_string()),
            Ecosystem::Packagist => match name.split_once('/') {
                Some((vendor, n)) => ("composer", Some(vendor.to_string()), n.to_string()),
                None => ("composer", None, name.to_string()),
            },
            Ecosystem::RubyGems => ("gem", None, name.to_string()),
            Ecosystem::NuGet => ("nuget", None, name.to_string()),
            Ecosystem::Other(_) => ("generic", None, name.to_string()),
        };
        Purl {
            ty: ty.to_string(),
            namespace,
            name,
            version: (!version.is_empty()).then(|| version.to_string()),
            qualifiers: BTreeMap::new(),
            subpath: None,
        }
    }

    /// The OSV ecosystem of this purl's type.
    pub fn ecosystem(&self) -> Ecosystem {
        match self.ty.as_str() {
            "pypi" => Ecosystem::PyPI,
            "npm" => Ecosystem::Npm,
            "cargo" => Ecosystem::CratesIo,
            "golang" => Ecosystem::Go,
            "maven" => Ecosystem::Maven,
            // Ubuntu and other Debian derivatives are their own OSV ecosystems.
            "deb" => match self.namespace.as_deref() {
                None | Some("debian") => Ecosystem::Debian,
                Some("ubuntu") => Ecosystem::Other("Ubuntu".to_string()),
                Some(other) => Ecosystem::Other(format!("deb/{other}")),
            },
            "composer" => Ecosystem::Packagist,
            "gem" => Ecosystem::RubyGems,
            "nuget" => Ecosystem::NuGet,
            other => Ecosystem::Other(other.to_string()),
        }
    }

    /// The package's name as its ecosystem (and OSV) writes it.
    pub fn ecosystem_name(&self) -> String {
        match (&self.ty[..], &self.namespace) {
            ("maven", Some(group)) => format!("{group}:{}", self.name),
            // Debian's namespace is the vendor, not part of the name.
            ("deb", _) => self.name.clone(),
            (_, Some(ns)) => format!("{ns}/{}", self.name),
            (_, None) => self.name.clone(),
        }
    }

    /// The same package without version, qualifiers or subpath: what a version-less VEX
    /// product names.
    pub fn without_version(&self) -> Purl {
        Purl {
            version: None,
            qualifiers: BTreeMap::new(),
            subpath: None,
            ..self.clone()
        }
    }

    /// True when `self` and `other` name the same package (type, namespace, name).
    pub fn same_package(&self, other: &Purl) -> bool {
        self.ty == other.ty && self.namespace == other.namespace && self.name == other.name
    }
}

impl fmt::Display for Purl {
    /// The canonical form: components percent-encoded, qualifiers sorted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pkg:{}/", self.ty)?;
        if let Some(ns) = &self.namespace {
            for segment in ns.split('/') {
                write!(f, "{}/", percent_encode(segment))?;
            }
        }
        write!(f, "{}", percent_encode(&self.name))?;
        if let Some(version) = &self.version {
            write!(f, "@{}", percent_encode(version))?;
        }
        let mut separator = '?';
        for (key, value) in &self.qualifiers {
            write!(f, "{separator}{key}={}", percent_encode(value))?;
            separator = '&';
        }
        if let Some(sub) = &self.subpath {
            write!(f, "#")?;
            let encoded: Vec<String> = sub.split('/').map(percent_encode).collect();
            write!(f, "{}", encoded.join("/"))?;
        }
        Ok(())
    }
}

/// PEP 503 normalisation, which the purl spec prescribes for pypi names.
pub fn normalize_pypi_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut last_was_separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !last_was_separator {
                out.push('-');
            }
            last_was_separator = true;
        } else {
            out.push(c.to_ascii_lowercase());
            last_was_separator = false;
        }
    }
    out
}

pub(crate) fn percent_decode(input: &str) -> Result<String, PurlError> {
    if !input.contains('%') {
        return Ok(input.to_string());
    }
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or(PurlError::BadEscape)?;
            let hex = std::str::from_utf8(hex).map_err(|_| PurlError::BadEscape)?;
            let byte = u8::from_str_radix(hex, 16).map_err(|_| PurlError::BadEscape)?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| PurlError::BadEscape)
}

fn percent_encode(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for byte in input.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_' | b'~' | b':') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npm_scoped_name_is_decoded_and_reencoded() {
        let purl = Purl::parse(
            "pkg:npm/%40babel/helper-string-parser@7.19.4#packages/babel-helper-string-parser",
        )
        .unwrap();
        assert_eq!(purl.namespace.as_deref(), Some("@babel"));
        assert_eq!(purl.ecosystem_name(), "@babel/helper-string-parser");
        assert_eq!(purl.version.as_deref(), Some("7.19.4"));
        assert_eq!(
            purl.subpath.as_deref(),
            Some("packages/babel-helper-string-parser")
        );
        assert_eq!(
            purl.without_version().to_string(),
            "pkg:npm/%40babel/helper-string-parser"
        );
    }

    #[test]
    fn maven_name_is_group_colon_artifact_and_qualifiers_are_sorted() {
        let purl = Purl::parse(
            "pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?type=jar&classifier=sources",
        )
        .unwrap();
        assert_eq!(purl.ecosystem(), Ecosystem::Maven);
        assert_eq!(purl.ecosystem_name(), "org.apache.xmlgraphics:batik-anim");
        assert_eq!(
            purl.to_string(),
            "pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?classifier=sources&type=jar"
        );
    }

    #[test]
    fn pypi_name_is_normalised_and_version_percent_decoded() {
        let purl = Purl::parse("pkg:PyPI/Django_Rest.Framework@1.0%2Blocal").unwrap();
        assert_eq!(purl.ty, "pypi");
        assert_eq!(purl.name, "django-rest-framework");
        assert_eq!(purl.version.as_deref(), Some("1.0+local"));
        assert_eq!(
            purl.to_string(),
            "pkg:pypi/django-rest-framework@1.0%2Blocal"
        );
    }

    #[test]
    fn go_module_path_and_deb_vendor() {
        let go = Purl::parse(
            "pkg:golang/github.com/0xAX/notificator@v0.0.0-20191016112426-3962a5ea8da1",
        )
        .unwrap();
        assert_eq!(go.ecosystem(), Ecosystem::Go);
        assert_eq!(go.ecosystem_name(), "github.com/0xAX/notificator");
        let deb = Purl::parse("pkg:deb/debian/libselinux1-dev@3.1-3?arch=s390x").unwrap();
        assert_eq!(deb.ecosystem(), Ecosystem::Debian);
        assert_eq!(deb.ecosystem_name(), "libselinux1-dev");
        assert_eq!(
            deb.qualifiers.get("arch").map(String::as_str),
            Some("s390x")
        );
    }

    #[test]
    fn builder_round_trips_through_parser() {
        for (eco, name, version) in [
            (Ecosystem::Npm, "@types/node", "18.0.0"),
            (Ecosystem::Maven, "org.keycloak:keycloak-core", "10.0.2"),
            (
                Ecosystem::Go,
                "golang.org/x/net",
                "v0.0.0-20200202094626-16171245cfb2",
            ),
            (Ecosystem::CratesIo, "serde", "1.0.0+build"),
            (Ecosystem::Packagist, "laravel/framework", "7.12.0"),
        ] {
            let purl = Purl::for_package(&eco, name, version);
            let parsed = Purl::parse(&purl.to_string()).unwrap();
            assert_eq!(parsed, purl);
            assert_eq!(parsed.ecosystem(), eco);
            assert_eq!(parsed.ecosystem_name(), name);
            assert_eq!(parsed.version.as_deref(), Some(version));
        }
    }

    #[test]
    fn malformed_purls_are_errors_not_panics() {
        assert_eq!(Purl::parse("npm/foo@1"), Err(PurlError::Scheme));
        assert_eq!(Purl::parse("pkg:npm"), Err(PurlError::MissingType));
        assert_eq!(Purl::parse("pkg:npm/%4"), Err(PurlError::BadEscape));
        assert_eq!(Purl::parse("pkg:npm/%e2%28"), Err(PurlError::BadEscape));
        assert_eq!(Purl::parse("pkg:npm/@1.0"), Err(PurlError::MissingName));
        assert!(matches!(
            Purl::parse("pkg:9x/foo"),
            Err(PurlError::BadType(_))
        ));
    }

    mod roundtrip {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any name, namespace, version, qualifier value and subpath survives
            /// encode-then-parse: the percent-encoding covers every delimiter.
            #[test]
            fn display_then_parse_is_identity(
                namespace in proptest::option::of(proptest::collection::vec("[^/]{1,8}", 1..3)),
                name in ".{1,12}",
                version in proptest::option::of(".{1,10}"),
                qualifier in proptest::option::of(("[a-z][a-z0-9]{0,5}", ".{1,8}")),
                subpath in proptest::option::of(proptest::collection::vec("[^/]{1,6}", 1..3)),
            ) {
                let subpath = subpath.filter(|s| s.iter().all(|seg| seg != "." && seg != ".."));
                let purl = Purl {
                    ty: "generic".to_string(),
                    namespace: namespace.map(|n| n.join("/")),
                    name,
                    version,
                    qualifiers: qualifier.into_iter().collect(),
                    subpath: subpath.map(|s| s.join("/")),
                };
                let parsed = Purl::parse(&purl.to_string());
                prop_assert_eq!(parsed, Ok(purl));
            }

            #[test]
            fn parse_never_panics(input in "pkg:.{0,40}") {
                let _ = Purl::parse(&input);
            }
        }
    }
}
