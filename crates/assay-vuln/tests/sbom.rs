//! Component readers against the shared real SBOMs (counts checked with jq against each file)
//! and against small hand-written fixtures for the lockfile formats.

use std::path::{Path, PathBuf};

use assay_vuln::sbom::{SbomError, SbomFormat, read_components, read_components_with_warnings};
use assay_vuln::{Component, Ecosystem};

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel)
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sbom")
        .join(rel)
}

fn find<'a>(components: &'a [Component], name: &str) -> &'a Component {
    components
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no component named {name}"))
}

/// (file, components, the one ecosystem they all have). Counts: `jq '.components|length'`
/// (no file nests components; every component has a purl and a version).
const CYCLONEDX: [(&str, usize, Ecosystem); 7] = [
    ("SBOM_dropwizard-1.3.15_bom.json", 167, Ecosystem::Maven),
    ("SBOM_juice-shop_v11.1.2_bom.json", 840, Ecosystem::Npm),
    (
        "SBOM_juice-shop_via_npm_flat_bom.1.4.json",
        1115,
        Ecosystem::Npm,
    ),
    ("SBOM_keycloak-10.0.2_bom.json", 903, Ecosystem::Maven),
    ("SBOM_laravel-7.12.0_bom.1.4.json", 62, Ecosystem::Packagist),
    (
        "SBOM_proton-bridge_proton-bridge-v1.8.0.bom.json",
        201,
        Ecosystem::Go,
    ),
    (
        "SBOM_protonmail-webclient-v4-0912dff_bom.json",
        883,
        Ecosystem::Npm,
    ),
];

#[test]
fn every_shared_cyclonedx_sbom_reads_with_the_counted_components() {
    let dir = shared("sbom/cyclonedx");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let (_, count, ecosystem) = CYCLONEDX
            .iter()
            .find(|(file, _, _)| *file == name)
            .unwrap_or_else(|| {
                panic!("{name}: a new shared file; count its components with jq and add it")
            });
        let read = read_components_with_warnings(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read.format, SbomFormat::CycloneDxJson, "{name}");
        assert_eq!(read.components.len(), *count, "{name}");
        assert!(read.warnings.is_empty(), "{name}: {:?}", read.warnings);
        for c in &read.components {
            assert_eq!(&c.ecosystem, ecosystem, "{name}: {c:?}");
            assert!(!c.version.is_empty() && !c.name.is_empty(), "{name}: {c:?}");
            assert!(c.source.contains("#/components/"), "{c:?}");
        }
        seen += 1;
    }
    assert_eq!(seen, CYCLONEDX.len());
}

/// Cross-check against the CycloneDX project's own Rust library (cyclonedx-bom): the same
/// components, in the same order, with the same versions and purls. That library reads 1.3-1.5;
/// the 1.2 files are handed to it as 1.3 (1.2's component model is a subset of 1.3's).
#[test]
fn shared_cyclonedx_components_agree_with_cyclonedx_bom() {
    fn flatten(
        list: &cyclonedx_bom::models::component::Components,
        out: &mut Vec<(String, Option<String>)>,
    ) {
        for c in &list.0 {
            out.push((
                c.version
                    .as_ref()
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                c.purl.as_ref().map(|p| p.to_string()),
            ));
            if let Some(nested) = &c.components {
                flatten(nested, out);
            }
        }
    }
    for (file, count, _) in &CYCLONEDX {
        let path = shared(&format!("sbom/cyclonedx/{file}"));
        let mut value: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        if value["specVersion"] == "1.2" {
            value["specVersion"] = "1.3".into();
        }
        let reference = cyclonedx_bom::models::bom::Bom::parse_json_value(value)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut expected = Vec::new();
        flatten(reference.components.as_ref().unwrap(), &mut expected);
        let ours: Vec<(String, Option<String>)> = read_components(&path)
            .unwrap()
            .into_iter()
            .map(|c| (c.version, c.purl))
            .collect();
        assert_eq!(ours.len(), *count, "{file}");
        assert_eq!(ours, expected, "{file}");
    }
}

#[test]
fn cyclonedx_names_follow_the_ecosystem_convention() {
    let keycloak =
        read_components(&shared("sbom/cyclonedx/SBOM_keycloak-10.0.2_bom.json")).unwrap();
    let bc = find(&keycloak, "org.bouncycastle:bcprov-jdk15on");
    assert_eq!(bc.version, "1.62");
    assert_eq!(
        bc.purl.as_deref(),
        Some("pkg:maven/org.bouncycastle/bcprov-jdk15on@1.62?type=jar")
    );

    let juice = read_components(&shared(
        "sbom/cyclonedx/SBOM_juice-shop_via_npm_flat_bom.1.4.json",
    ))
    .unwrap();
    let parser = find(&juice, "@babel/parser");
    assert_eq!(parser.version, "7.21.2");
    assert_eq!(parser.ecosystem, Ecosystem::Npm);

    let laravel =
        read_components(&shared("sbom/cyclonedx/SBOM_laravel-7.12.0_bom.1.4.json")).unwrap();
    assert_eq!(find(&laravel, "brick/math").version, "0.9.3");

    let bridge = read_components(&shared(
        "sbom/cyclonedx/SBOM_proton-bridge_proton-bridge-v1.8.0.bom.json",
    ))
    .unwrap();
    assert_eq!(
        find(&bridge, "github.com/0xAX/notificator").version,
        "v0.0.0-20191016112426-3962a5ea8da1"
    );
    // metadata.component is the product itself, not one of its parts.
    assert!(
        !bridge
            .iter()
            .any(|c| c.name == "github.com/ProtonMail/proton-bridge")
    );
}

/// (file under sbom/spdx, components, warnings). Counts: SPDX 2 `[.packages[]|select(.versionInfo)]`,
/// SPDX 3 software_Package elements with a version plus every ai_AIPackage and
/// dataset_DatasetPackage element; warnings = packages skipped for want of a version.
const SPDX: [(&str, usize, usize); 27] = [
    ("ai/example01/spdx3.0/simplehtr-example.json", 10, 3),
    ("ai/example02/spdx3.0/sbom.spdx3.json", 2, 0),
    (
        "presentations/OSS-NA-2023/SPDXVersion2.3/01-MinimalSBOM.json",
        1,
        0,
    ),
    (
        "presentations/OSS-NA-2023/SPDXVersion2.3/02-SBOMwSource.json",
        1,
        0,
    ),
    (
        "presentations/OSS-NA-2023/SPDXVersion2.3/03-SBOMwDependency.json",
        2,
        0,
    ),
    (
        "presentations/OSS-NA-2023/SPDXVersion2.3/04-SBOMwSecurity.json",
        2,
        0,
    ),
    (
        "presentations/OSS-NA-2023/SPDXVersion2.3/05-SBOMwSourceLicense.json",
        1,
        0,
    ),
    (
        "presentations/SBOMS-SPDX-Now-and-Future/ACME-v2.3.spdx.json",
        4,
        0,
    ),
    ("software/example1/spdx2.2/example1.spdx", 0, 1),
    ("software/example1/spdx3.0/example1.json", 0, 1),
    ("software/example10/spdx2.3/hello-source.spdx.json", 0, 1),
    ("software/example10/spdx3.0/hello-source.spdx3.json", 0, 1),
    ("software/example11/spdx2.3/sbom.spdx.json", 4, 0),
    ("software/example11/spdx3.0/sbom.spdx3.json", 4, 0),
    ("software/example12/spdx2.2/hello-dist.spdx.json", 1, 0),
    ("software/example12/spdx2.2/hello-src.spdx.json", 1, 0),
    ("software/example12/spdx3.0/hello-dist.spdx3.json", 1, 0),
    ("software/example12/spdx3.0/hello-src.spdx3.json", 1, 0),
    ("software/example13/spdx3.0/example13.spdx3.json", 4, 0),
    (
        "software/example14/content/examplemaven-0.0.1.spdx.json",
        2,
        4,
    ),
    (
        "software/example14/content/examplemaven-0.0.1.spdx3.json",
        2,
        4,
    ),
    (
        "software/example14/spdx2.3/examplemaven-0.0.1-enriched.spdx.json",
        2,
        4,
    ),
    (
        "software/example14/spdx3.0/examplemaven-0.0.1-enriched.spdx3.json",
        2,
        4,
    ),
    ("software/example5/spdx2.2/example5-bin.spdx", 0, 1),
    ("software/example5/spdx2.2/example5-src.spdx", 0, 1),
    ("software/example5/spdx3.0/example5-bin.json", 0, 1),
    ("software/example5/spdx3.0/example5-src.json", 0, 1),
];

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn every_shared_spdx_document_reads_with_the_counted_components() {
    let root = shared("sbom/spdx");
    let mut files = Vec::new();
    walk(&root, &mut files);
    assert_eq!(
        files.len(),
        SPDX.len(),
        "a shared SPDX file was added or removed"
    );
    for path in files {
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let (_, count, warnings) = SPDX
            .iter()
            .find(|(file, _, _)| *file == rel)
            .unwrap_or_else(|| panic!("{rel}: not in the table"));
        let read = read_components_with_warnings(&path).unwrap_or_else(|e| panic!("{e}"));
        let expected_format = if rel.ends_with(".spdx") {
            SbomFormat::Spdx2TagValue
        } else if rel.contains("spdx3") || rel.contains("/spdx3.0/") {
            SbomFormat::Spdx3JsonLd
        } else {
            SbomFormat::Spdx2Json
        };
        assert_eq!(read.format, expected_format, "{rel}");
        assert_eq!(
            read.components.len(),
            *count,
            "{rel}: {:?}",
            read.components
        );
        assert_eq!(read.warnings.len(), *warnings, "{rel}: {:?}", read.warnings);
        for warning in &read.warnings {
            assert!(warning.message.contains("no version"), "{warning}");
        }
    }
}

#[test]
fn spdx_purls_decide_ecosystem_and_ai_bom_models_are_listed() {
    let v2 = read_components(&shared(
        "sbom/spdx/presentations/OSS-NA-2023/SPDXVersion2.3/04-SBOMwSecurity.json",
    ))
    .unwrap();
    let xlsx = find(&v2, "org.webjars.npm:xlsx");
    assert_eq!(
        (xlsx.version.as_str(), &xlsx.ecosystem),
        ("0.16.6", &Ecosystem::Maven)
    );
    // pkg:github is not an OSV ecosystem: kept under its purl type.
    assert_eq!(
        find(&v2, "spdx/tools-java").ecosystem,
        Ecosystem::Other("github".into())
    );

    let v3 = read_components(&shared(
        "sbom/spdx/software/example11/spdx3.0/sbom.spdx3.json",
    ))
    .unwrap();
    let hyper = find(&v3, "hyper");
    assert_eq!(
        (hyper.version.as_str(), &hyper.ecosystem),
        ("0.14", &Ecosystem::CratesIo)
    );

    let ai = read_components(&shared(
        "sbom/spdx/ai/example01/spdx3.0/simplehtr-example.json",
    ))
    .unwrap();
    let models: Vec<_> = ai
        .iter()
        .filter(|c| c.ecosystem == Ecosystem::Other("ai-model".into()))
        .collect();
    assert_eq!(models.len(), 2);
    assert_eq!(models[0].version, "0.0");
    let dataset = find(&ai, "IAMdataset");
    assert_eq!(
        (dataset.version.as_str(), &dataset.ecosystem),
        ("", &Ecosystem::Other("dataset".into()))
    );
    // Packages without a purl keep their name under `generic` and get a pkg:generic purl.
    let tf = find(&ai, "tensorflow");
    assert_eq!(tf.purl.as_deref(), Some("pkg:generic/tensorflow@2.4.0"));
}

#[test]
fn cyclonedx_nested_components_ai_types_and_bad_entries() {
    let read = read_components_with_warnings(&fixture("nested-1.6.cdx.json")).unwrap();
    let names: Vec<(&str, &str)> = read
        .components
        .iter()
        .map(|c| (c.name.as_str(), c.version.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("org.example:core", "1.0"),
            ("org.apache.logging.log4j:log4j-core", "2.14.1"),
            ("shaded", "3.1"),
            ("jinja2", "2.11.2"),
            ("left-pad", "1.3.0"),
            ("sentiment-model", ""),
            ("training-set", "2024-01"),
            ("@scope/scoped", "1.0.0"),
        ]
    );
    assert_eq!(
        read.components[3].source,
        format!(
            "{}#/components/0/components/1/components/0",
            fixture("nested-1.6.cdx.json").display()
        )
    );
    assert_eq!(read.components[3].ecosystem, Ecosystem::PyPI);
    assert_eq!(
        read.components[5].ecosystem,
        Ecosystem::Other("machine-learning-model".into())
    );
    assert_eq!(
        read.components[6].ecosystem,
        Ecosystem::Other("data".into())
    );
    let messages: Vec<String> = read.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].ends_with("#/components/1: `no-version` has no version; it cannot be matched against advisories: skipped"), "{}", messages[0]);
    assert!(
        messages[1].contains("#/components/2: package URL `not a purl` does not start with `pkg:`"),
        "{}",
        messages[1]
    );
}

#[test]
fn spdx_tag_value_with_multiline_text_and_purls() {
    let read = read_components_with_warnings(&fixture("tagvalue.spdx")).unwrap();
    assert_eq!(read.format, SbomFormat::Spdx2TagValue);
    let got: Vec<(&str, &str, &Ecosystem)> = read
        .components
        .iter()
        .map(|c| (c.name.as_str(), c.version.as_str(), &c.ecosystem))
        .collect();
    assert_eq!(
        got,
        [
            ("openssl", "3.0.4", &Ecosystem::Debian),
            ("zlib", "1.2.11", &Ecosystem::Other("generic".into()))
        ]
    );
    assert!(
        read.components[0].source.ends_with("tagvalue.spdx:13"),
        "{}",
        read.components[0].source
    );
    assert_eq!(read.warnings.len(), 1);
    assert!(
        read.warnings[0].location.ends_with(":25"),
        "{}",
        read.warnings[0]
    );
}

fn triples(components: &[Component]) -> Vec<(String, String, Option<String>)> {
    components
        .iter()
        .map(|c| (c.name.clone(), c.version.clone(), c.purl.clone()))
        .collect()
}

fn t(name: &str, version: &str, purl: &str) -> (String, String, Option<String>) {
    (name.into(), version.into(), Some(purl.into()))
}

#[test]
fn cargo_lock_keeps_crates_io_packages_only() {
    let read = read_components_with_warnings(&fixture("Cargo.lock")).unwrap();
    assert_eq!(read.format, SbomFormat::CargoLock);
    assert_eq!(
        triples(&read.components),
        [
            t("serde", "1.0.210", "pkg:cargo/serde@1.0.210"),
            t("smallvec", "0.6.9", "pkg:cargo/smallvec@0.6.9"),
            t("time", "0.1.43", "pkg:cargo/time@0.1.43"),
        ]
    );
    assert!(
        read.components
            .iter()
            .all(|c| c.ecosystem == Ecosystem::CratesIo)
    );
    // Each component points at the line of its `[[package]]` header.
    assert!(
        read.components[0].source.ends_with("Cargo.lock:14"),
        "{}",
        read.components[0].source
    );
    assert!(
        read.warnings[0].location.ends_with("Cargo.lock:5"),
        "{}",
        read.warnings[0]
    );
    assert_eq!(read.warnings.len(), 2, "{:?}", read.warnings);
    assert!(read.warnings[0].message.contains("workspace or path crate"));
    assert!(read.warnings[1].message.contains("not crates.io"));
}

/// The workspace's own Cargo.lock (cargo writes it before building these tests): the reader
/// must return exactly the crates.io packages, counted here independently by their `source`
/// lines, and warn once for each workspace crate.
#[test]
fn the_workspace_cargo_lock_reads_every_crates_io_package() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
    let text = std::fs::read_to_string(&path).unwrap();
    let packages = text.lines().filter(|l| *l == "[[package]]").count();
    let registry = text
        .lines()
        .filter(|l| *l == r#"source = "registry+https://github.com/rust-lang/crates.io-index""#)
        .count();
    assert!(registry > 100, "a real lockfile: {registry}");
    let read = read_components_with_warnings(&path).unwrap();
    assert_eq!(read.components.len(), registry);
    assert_eq!(
        read.warnings.len(),
        packages - registry,
        "{:?}",
        read.warnings
    );
    assert!(read.components.iter().any(|c| c.name == "serde_json"));
    assert!(!read.components.iter().any(|c| c.name.starts_with("assay-")));
}

#[test]
fn package_lock_v3_and_v1() {
    let read = read_components_with_warnings(&fixture("package-lock.json")).unwrap();
    assert_eq!(read.format, SbomFormat::PackageLock);
    assert_eq!(
        triples(&read.components),
        [
            t("@babel/parser", "7.21.2", "pkg:npm/%40babel/parser@7.21.2"),
            t("lodash", "4.17.20", "pkg:npm/lodash@4.17.20"),
            t("qs", "6.7.0", "pkg:npm/qs@6.7.0"),
            t("string-width", "4.2.3", "pkg:npm/string-width@4.2.3"),
        ]
    );
    assert_eq!(read.warnings.len(), 2, "{:?}", read.warnings); // workspace package, git dependency

    let v1 = read_components_with_warnings(&fixture("package-lock-v1.json")).unwrap();
    assert_eq!(
        triples(&v1.components),
        [
            t("@types/node", "14.0.1", "pkg:npm/%40types/node@14.0.1"),
            t("minimist", "0.0.8", "pkg:npm/minimist@0.0.8"),
            t("mkdirp", "0.5.1", "pkg:npm/mkdirp@0.5.1"),
            t("minimist", "1.2.0", "pkg:npm/minimist@1.2.0"),
            t("strip-ansi", "6.0.0", "pkg:npm/strip-ansi@6.0.0"),
        ]
    );
    assert_eq!(v1.warnings.len(), 1);
    assert!(v1.warnings[0].location.ends_with("#/dependencies/local"));
}

#[test]
fn requirements_take_exact_pins_and_warn_on_the_rest() {
    let read = read_components_with_warnings(&fixture("requirements.txt")).unwrap();
    assert_eq!(read.format, SbomFormat::Requirements);
    assert_eq!(
        triples(&read.components),
        [
            t("django", "3.2.4", "pkg:pypi/django@3.2.4"),
            t("requests", "2.25.1", "pkg:pypi/requests@2.25.1"),
            t("pyyaml", "5.3.1", "pkg:pypi/pyyaml@5.3.1"),
            t("urllib3", "1.26.4", "pkg:pypi/urllib3@1.26.4"),
        ]
    );
    let lines: Vec<String> = read
        .warnings
        .iter()
        .map(|w| w.location.rsplit(':').next().unwrap().to_string())
        .collect();
    assert_eq!(lines, ["7", "8", "9", "11", "12"], "{:?}", read.warnings);
    assert!(
        read.warnings[0]
            .message
            .contains("`flask>=1.0` is not pinned")
    );
}

#[test]
fn poetry_lock_skips_local_directories() {
    let read = read_components_with_warnings(&fixture("poetry.lock")).unwrap();
    assert_eq!(read.format, SbomFormat::PoetryLock);
    assert_eq!(
        triples(&read.components),
        [
            t("jinja2", "2.11.2", "pkg:pypi/jinja2@2.11.2"),
            t("markupsafe", "1.1.1", "pkg:pypi/markupsafe@1.1.1")
        ]
    );
    assert_eq!(read.warnings.len(), 1);
}

#[test]
fn go_mod_applies_replacements_and_go_sum_lists_built_modules() {
    let read = read_components_with_warnings(&fixture("go.mod")).unwrap();
    assert_eq!(read.format, SbomFormat::GoMod);
    assert_eq!(
        triples(&read.components),
        [
            t(
                "github.com/gin-gonic/gin",
                "v1.6.2",
                "pkg:golang/github.com/gin-gonic/gin@v1.6.2"
            ),
            t(
                "golang.org/x/crypto",
                "v0.0.0-20200622213623-75b288015ac9",
                "pkg:golang/golang.org/x/crypto@v0.0.0-20200622213623-75b288015ac9"
            ),
            t(
                "github.com/new/module",
                "v1.2.0",
                "pkg:golang/github.com/new/module@v1.2.0"
            ),
            t(
                "gopkg.in/yaml.v2",
                "v2.2.7",
                "pkg:golang/gopkg.in/yaml.v2@v2.2.7"
            ),
        ]
    );
    assert_eq!(read.warnings.len(), 1);
    assert!(read.warnings[0].message.contains("../local"));

    let sum = read_components(&fixture("go.sum")).unwrap();
    let names: Vec<&str> = sum.iter().map(|c| c.name.as_str()).collect();
    // github.com/golang/protobuf has only a /go.mod line: not part of the build.
    assert_eq!(
        names,
        [
            "github.com/gin-gonic/gin",
            "golang.org/x/crypto",
            "gopkg.in/yaml.v2"
        ]
    );
}

// ---- malformed input: errors name the location, never a panic ----

fn read_text(name: &str, text: &str) -> Result<assay_vuln::sbom::SbomRead, SbomError> {
    assay_vuln::sbom::read_bytes(Path::new(name), text.as_bytes())
}

#[test]
fn truncated_shared_sbom_is_an_error_with_line_and_column() {
    let path = shared("sbom/cyclonedx/SBOM_laravel-7.12.0_bom.1.4.json");
    let bytes = std::fs::read(&path).unwrap();
    let cut = &bytes[..bytes.len() / 2];
    let err = assay_vuln::sbom::read_bytes(&path, cut).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, SbomError::Json { line, .. } if line > 1),
        "{message}"
    );
    assert!(
        message.contains("SBOM_laravel-7.12.0_bom.1.4.json:") && message.contains("regenerate"),
        "{message}"
    );
}

#[test]
fn wrong_shapes_are_errors_naming_the_json_pointer() {
    let err = read_text(
        "bom.json",
        r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":{"a":1}}"#,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "bom.json: at /components: `components` must be an array of component objects"
    );
    let err = read_text(
        "bom.json",
        r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"a","components":[{"name":"b","version":7}]}]}"#,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "bom.json: at /components/0/components/0/version: `version` must be a string"
    );
    let err = read_text(
        "x.spdx.json",
        r#"{"spdxVersion":"SPDX-2.3","packages":[1]}"#,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "x.spdx.json: at /packages/0: a package must be a JSON object"
    );
}

#[test]
fn unsupported_and_unknown_files_say_so() {
    let xml = read_text("bom.xml", "<?xml version=\"1.0\"?><bom/>").unwrap_err();
    assert!(matches!(xml, SbomError::Unsupported { .. }), "{xml}");
    assert!(xml.to_string().contains("convert it to JSON"));
    let unknown = read_text("data.json", r#"{"hello":"world"}"#).unwrap_err();
    assert!(
        matches!(unknown, SbomError::UnknownFormat { .. }),
        "{unknown}"
    );
    let toml = read_text("Cargo.lock", "[[package]]\nname = \"a\"\nversion = ").unwrap_err();
    assert!(matches!(toml, SbomError::Toml { line: 3, .. }), "{toml}");
    let go = read_text("go.mod", "module x\n\nrequire (\n\ta v1.0.0\n").unwrap_err();
    assert_eq!(
        go.to_string(),
        "go.mod:3: `require (` is never closed by `)`; the file is truncated"
    );
    let sum = read_text("go.sum", "a v1.0.0\n").unwrap_err();
    assert!(matches!(sum, SbomError::Line { line: 1, .. }), "{sum}");
    let missing = read_components(Path::new("/nonexistent/bom.json")).unwrap_err();
    assert!(
        missing.to_string().contains("check that the path exists"),
        "{missing}"
    );
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn seeds() -> Vec<(String, Vec<u8>)> {
        let mut out = vec![(
            "bom.json".to_string(),
            std::fs::read(shared("sbom/cyclonedx/SBOM_laravel-7.12.0_bom.1.4.json")).unwrap()
                [..6000]
                .to_vec(),
        )];
        for name in [
            "Cargo.lock",
            "package-lock.json",
            "requirements.txt",
            "poetry.lock",
            "go.mod",
            "go.sum",
            "tagvalue.spdx",
            "nested-1.6.cdx.json",
        ] {
            out.push((name.to_string(), std::fs::read(fixture(name)).unwrap()));
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]
        /// Truncating or corrupting any supported file gives Ok or an error, never a panic.
        #[test]
        fn truncated_or_corrupted_input(which in 0usize..9, cut in 0.0f64..1.0, flip in proptest::option::of((0.0f64..1.0, any::<u8>()))) {
            let seeds = seeds();
            let (name, bytes) = &seeds[which % seeds.len()];
            let mut data = bytes[..((bytes.len() as f64) * cut) as usize].to_vec();
            if let Some((at, byte)) = flip && !data.is_empty() {
                let i = ((data.len() as f64) * at) as usize % data.len();
                data[i] = byte;
            }
            let _ = assay_vuln::sbom::read_bytes(Path::new(name), &data);
        }
    }
}

#[test]
fn errors_quote_hostile_input_escaped_and_briefly() {
    // An escape sequence in a go.mod would retitle the terminal if printed raw.
    let gomod = "module example.com/x\n\ngo 1.22\n\n\u{1b}]0;pwned\u{7} v1\n";
    let err = assay_vuln::sbom::read_bytes(Path::new("go.mod"), gomod.as_bytes())
        .expect_err("unknown directive");
    let message = err.to_string();
    assert!(message.contains("\\u{1b}]0;pwned\\u{7}"), "{message}");
    assert!(
        !message.contains('\u{1b}') && !message.contains('\u{7}'),
        "{message}"
    );

    // A 10 MB line quoted in an error gives a short message.
    let long = format!("module example.com/x\n\n{} v1\n", "a".repeat(10 << 20));
    let err = assay_vuln::sbom::read_bytes(Path::new("go.mod"), long.as_bytes())
        .expect_err("unknown directive");
    let message = err.to_string();
    assert!(
        message.len() < 500,
        "{} bytes: {}",
        message.len(),
        &message[..200]
    );

    // Warnings too: a 10 MB requirement line, an escape in a purl.
    let reqs = format!("{}>=1\nflask==\u{1b}[2J1.0\n", "b".repeat(10 << 20));
    let read =
        assay_vuln::sbom::read_bytes(Path::new("requirements.txt"), reqs.as_bytes()).expect("read");
    for w in &read.warnings {
        let shown = w.to_string();
        assert!(shown.len() < 700, "{} bytes", shown.len());
        assert!(!shown.contains('\u{1b}'), "{shown}");
    }
}
