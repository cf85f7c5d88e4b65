//! The bodies of assay's fuzz targets, one function per parser or decoder.
//!
//! Each `fuzz_targets/<name>.rs` calls the function of the same name here, so the list of
//! targets and what each drives is readable in one file (and in `docs/reliability.md`).
//! Every function must never panic on any input: a panic is a bug in the parser it drives.
//! Where a cheap invariant holds (a round trip, an ordering law), the function asserts it too.
//!
//! Inputs go through the crate's public bytes- or text-level entry point, with a file name
//! that steers the format detection to the parser under test (the detection runs too).

use std::cmp::Ordering;
use std::path::Path;
use std::sync::OnceLock;

use assay_core::Day;

/// Fuzz inputs larger than this are skipped: every reader has its own size limits, and the
/// fuzzer should spend its time on structure, not on megabyte inputs.
const MAX_INPUT: usize = 1 << 20;

fn text(data: &[u8]) -> Option<&str> {
    if data.len() > MAX_INPUT {
        return None;
    }
    std::str::from_utf8(data).ok()
}

// ---------------------------------------------------------------------------------------
// assay-pad

fn pad_input(data: &[u8]) -> assay_pad::read::Input<'_> {
    assay_pad::read::Input::Bytes {
        bytes: data,
        name: "fuzz-campaign",
    }
}

/// After a campaign reads, compute its report (no bootstrap): the metrics must cope with
/// whatever a reader accepts (NaN scores, one species, no bona fide rows...).
fn pad_report_of(campaign: &assay_pad::Campaign) {
    static SCHEMES: OnceLock<Vec<assay_pad::Scheme>> = OnceLock::new();
    let schemes = SCHEMES.get_or_init(assay_pad::Scheme::builtin);
    let options = assay_pad::PadOptions {
        bootstrap: None,
        ..Default::default()
    };
    let _ = assay_pad::pad_report(campaign, None, schemes, &options, &assay_pad::Silent);
}

pub fn pad_campaign_csv(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    if let Ok(c) = assay_pad::read::read_campaign_csv(pad_input(data)) {
        pad_report_of(&c);
    }
}

pub fn pad_campaign_jsonl(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    if let Ok(c) = assay_pad::read::read_campaign_jsonl(pad_input(data)) {
        pad_report_of(&c);
    }
}

pub fn pad_bob_pad_csv(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    if let Ok(c) = assay_pad::read::read_bob_pad_csv(pad_input(data)) {
        pad_report_of(&c);
    }
}

pub fn pad_bob_measure(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    if let Ok(c) = assay_pad::read::read_bob_measure(pad_input(data)) {
        pad_report_of(&c);
    }
}

/// The format detection of `read_bytes` (first line, extension) over all four readers.
pub fn pad_read_detect(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    let _ = assay_pad::read::read_bytes(data, "fuzz-campaign.csv");
}

pub fn pad_manifest(data: &[u8]) {
    if let Some(t) = text(data) {
        let _ = assay_pad::Manifest::parse(t, "campaign.toml");
    }
}

pub fn pad_lab(data: &[u8]) {
    if let Some(t) = text(data) {
        let _ = assay_pad::LabInfo::parse(t, "lab.toml");
    }
}

pub fn pad_scheme(data: &[u8]) {
    if let Some(t) = text(data) {
        let _ = assay_pad::Scheme::parse(t, "scheme.toml");
    }
}

// ---------------------------------------------------------------------------------------
// assay-rules

fn today() -> Day {
    Day::from_ymd(2026, 11, 22).expect("valid date")
}

fn shipped_packs() -> &'static [assay_rules::RulePack] {
    static PACKS: OnceLock<Vec<assay_rules::RulePack>> = OnceLock::new();
    PACKS.get_or_init(|| assay_rules::RulePack::shipped().expect("shipped packs load"))
}

/// A fixed manifest the fuzzed packs are evaluated against (the rules fixture the evidence
/// below is about).
fn fixed_manifest() -> &'static assay_rules::SubjectManifest {
    static M: OnceLock<assay_rules::SubjectManifest> = OnceLock::new();
    M.get_or_init(|| {
        assay_rules::SubjectManifest::from_toml(
            include_str!("../../crates/assay-rules/tests/fixtures/manifests/face-terminal.toml"),
            "subject.toml",
        )
        .expect("fixture manifest parses")
    })
}

/// Evidence records for the fixture manifest, so evaluation reaches the evidence checks.
fn fixed_evidence() -> &'static [assay_rules::EvidenceRecord] {
    static E: OnceLock<Vec<assay_rules::EvidenceRecord>> = OnceLock::new();
    E.get_or_init(|| {
        serde_json::from_str(include_str!(
            "../../crates/assay-rules/tests/fixtures/evidence/face-terminal.json"
        ))
        .expect("fixture evidence parses")
    })
}

fn ctx() -> assay_rules::EvalContext<'static> {
    assay_rules::EvalContext {
        today: today(),
        markets: Vec::new(),
        consistency: None,
    }
}

/// A rule pack, then its evaluation against a fixture manifest and evidence, and its OSCAL
/// catalog.
pub fn rules_pack(data: &[u8]) {
    let Some(t) = text(data) else { return };
    if let Ok(pack) = assay_rules::RulePack::from_toml(t, "fuzz-pack.toml") {
        let packs = [pack];
        let _ = assay_rules::evaluate(fixed_manifest(), &packs, fixed_evidence(), &ctx());
        let _ = assay_rules::oscal::catalog(&packs[0], today());
    }
}

/// A subject manifest, then its evaluation against the shipped packs and the description
/// consistency check.
pub fn rules_subject_manifest(data: &[u8]) {
    let Some(t) = text(data) else { return };
    if let Ok(m) = assay_rules::SubjectManifest::from_toml(t, "subject.toml") {
        let _ = assay_rules::evaluate(&m, shipped_packs(), fixed_evidence(), &ctx());
        let _ = assay_rules::consistency::check(Some(&m), &[]);
    }
}

/// Free-text product descriptions: claim extraction and the consistency check.
pub fn rules_consistency(data: &[u8]) {
    let Some(t) = text(data) else { return };
    let doc = assay_rules::consistency::Document {
        name: "description.md".into(),
        text: t.to_string(),
    };
    let _ = assay_rules::consistency::check(Some(fixed_manifest()), &[doc]);
}

// ---------------------------------------------------------------------------------------
// assay-vuln: advisories

fn advisories(name: &str, data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    let parsed = assay_vuln::import::parse_bytes(name, data);
    // Match every parsed range against the versions the advisory itself names: the
    // matching code must cope with whatever the readers accept.
    for adv in parsed.advisories.iter().take(8) {
        for cvss in adv.cvss_vectors.iter().take(4) {
            let _ = assay_vuln::advisory::cvss3_base_score(cvss);
        }
        for affected in adv.affected.iter().take(8) {
            let eco = assay_vuln::advisory::ecosystem_from_osv(&affected.ecosystem);
            let scheme = assay_vuln::version::Scheme::for_ecosystem(&eco);
            let prepared = assay_vuln::matching::Prepared::new(scheme, affected);
            let mut probes: Vec<String> = vec!["0".into(), "1.0.0".into()];
            probes.extend(affected.versions.iter().take(8).cloned());
            for range in affected.ranges.iter().take(8) {
                let _ = range.text();
                probes.extend(range.fixed_versions().into_iter().take(4));
            }
            for v in &probes {
                let _ = prepared.evaluate(v, &scheme.parse(v));
            }
        }
    }
}

pub fn vuln_osv_json(data: &[u8]) {
    advisories("advisories/GO-2024-0001.json", data);
}

pub fn vuln_osv_yaml(data: &[u8]) {
    advisories("advisories/PYSEC-2024-1.yaml", data);
}

pub fn vuln_csaf(data: &[u8]) {
    advisories("csaf/rhsa-2024_0001.json", data);
}

pub fn vuln_kev(data: &[u8]) {
    advisories("kev/known_exploited_vulnerabilities.json", data);
}

pub fn vuln_rustsec(data: &[u8]) {
    advisories("crates/foo/RUSTSEC-2024-0001.md", data);
}

/// A zip archive of advisory files (the archive reader and its limits).
pub fn vuln_advisory_zip(data: &[u8]) {
    advisories("advisories.zip", data);
}

/// A deadline policy, then a due date under it for every severity.
pub fn vuln_policy(data: &[u8]) {
    let Some(t) = text(data) else { return };
    if let Ok(policy) = assay_vuln::DeadlinePolicy::from_toml("policy.toml", t) {
        use assay_vuln::finding::SeverityLevel as S;
        let scan = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).expect("valid date");
        for level in [S::None, S::Low, S::Medium, S::High, S::Critical] {
            for kev in [false, true] {
                let _ = policy.due_date(level, kev, Some("2024-02-29T00:00:00Z"), scan);
                let _ = policy.due_date(level, kev, None, chrono::NaiveDate::MAX);
            }
        }
    }
}

/// Package URLs: parsing, and printing then re-parsing gives the same purl.
pub fn vuln_purl(data: &[u8]) {
    let Some(t) = text(data) else { return };
    if let Ok(p) = assay_vuln::sbom::purl::Purl::parse(t) {
        let printed = p.to_string();
        let again = assay_vuln::sbom::purl::Purl::parse(&printed).unwrap_or_else(|e| {
            panic!("purl `{t}` prints as `{printed}`, which does not parse: {e}")
        });
        assert_eq!(
            p, again,
            "purl `{t}` does not round-trip through `{printed}`"
        );
        let _ = p.ecosystem();
        let _ = p.without_version();
    }
}

const SCHEMES: [assay_vuln::version::Scheme; 6] = [
    assay_vuln::version::Scheme::Pep440,
    assay_vuln::version::Scheme::Semver,
    assay_vuln::version::Scheme::Go,
    assay_vuln::version::Scheme::Maven,
    assay_vuln::version::Scheme::Debian,
    assay_vuln::version::Scheme::Generic,
];

/// Version order per ecosystem. Input: a scheme byte, then `a\nb`. Asserts that the order
/// is reflexive and antisymmetric (`cmp(a, b) == cmp(b, a).reverse()`).
pub fn vuln_version(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Some(t) = text(rest) else { return };
    let scheme = SCHEMES[usize::from(first) % SCHEMES.len()];
    let (a, b) = t.split_once('\n').unwrap_or((t, t));
    if let (Ok(va), Ok(vb)) = (scheme.parse(a), scheme.parse(b)) {
        assert_eq!(
            va.cmp(&va),
            Ordering::Equal,
            "{scheme:?} `{a}` is not equal to itself"
        );
        assert_eq!(
            va.cmp(&vb),
            vb.cmp(&va).reverse(),
            "{scheme:?} order of `{a}` and `{b}` is not antisymmetric"
        );
    }
}

/// `vers:` ranges (VEX product version ranges) and containment under every scheme.
pub fn vuln_vers_range(data: &[u8]) {
    let Some(t) = text(data) else { return };
    let (range, version) = t.split_once('\n').unwrap_or((t, "1.0.0"));
    if let Some(r) = assay_vuln::vex::VersRange::parse(range) {
        for scheme in SCHEMES {
            let _ = r.contains(version, scheme);
        }
    }
}

// ---------------------------------------------------------------------------------------
// assay-vuln: SBOMs, lockfiles, VEX

fn sbom(name: &str, data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    let _ = assay_vuln::sbom::read_bytes(Path::new(name), data);
}

pub fn sbom_cyclonedx(data: &[u8]) {
    sbom("firmware.cdx.json", data);
}

pub fn sbom_spdx_json(data: &[u8]) {
    sbom("firmware.spdx.json", data);
}

pub fn sbom_spdx_tag_value(data: &[u8]) {
    sbom("firmware.spdx", data);
}

pub fn sbom_spdx3(data: &[u8]) {
    sbom("firmware.spdx3.json", data);
}

pub fn lock_cargo(data: &[u8]) {
    sbom("Cargo.lock", data);
}

pub fn lock_poetry(data: &[u8]) {
    sbom("poetry.lock", data);
}

pub fn lock_package_json(data: &[u8]) {
    sbom("package-lock.json", data);
}

pub fn lock_requirements(data: &[u8]) {
    sbom("requirements.txt", data);
}

pub fn lock_go_mod(data: &[u8]) {
    sbom("go.mod", data);
}

pub fn lock_go_sum(data: &[u8]) {
    sbom("go.sum", data);
}

/// OpenVEX, CSAF VEX and CycloneDX VEX share one detecting reader; the three targets differ
/// in their seeds.
fn vex(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    let _ = assay_vuln::vex::read_vex_bytes(Path::new("fuzz.vex.json"), data);
}

pub fn vex_openvex(data: &[u8]) {
    vex(data);
}

pub fn vex_csaf(data: &[u8]) {
    vex(data);
}

pub fn vex_cyclonedx(data: &[u8]) {
    vex(data);
}

// ---------------------------------------------------------------------------------------
// assay-ledger

/// The public key of the workspace that signed the committed ledger seeds
/// (`fuzz/seeds/ledger/pubkey.txt`), so that the fuzzer starts from inputs that verify.
pub const SEED_PUBKEY: &str = "default+27df3f3a+AYkVSS+h5L+QtMRRmGWp3zwwvOTi3ROjvTRML1xg5lsa";

fn seed_key() -> &'static assay_ledger::keys::PublicKeyText {
    static K: OnceLock<assay_ledger::keys::PublicKeyText> = OnceLock::new();
    K.get_or_init(|| assay_ledger::keys::parse_public_key(SEED_PUBKEY).expect("seed key parses"))
}

/// A DSSE envelope and its in-toto statement (what the ledger's envelope decoder does,
/// through public types), plus a serialisation round trip of what parsed.
pub fn ledger_dsse(data: &[u8]) {
    use assay_ledger::dsse::{Envelope, Statement};
    if data.len() > MAX_INPUT {
        return;
    }
    let Ok(env) = serde_json::from_slice::<Envelope>(data) else {
        return;
    };
    let again: Envelope =
        serde_json::from_slice(&serde_json::to_vec(&env).expect("serialises")).expect("re-parses");
    assert_eq!(env, again, "envelope does not round-trip");
    let _ = assay_ledger::dsse::pae(&env.payload_type, env.payload.as_bytes());
    if let Ok((_, sig)) = env.first_signature() {
        if let Ok(payload) = env.payload_bytes() {
            let msg = assay_ledger::dsse::pae(&env.payload_type, &payload);
            let _ = assay_ledger::keys::verify(&seed_key().key, &msg, &sig);
        }
    }
    if let Ok(payload) = env.payload_bytes()
        && let Ok(st) = serde_json::from_slice::<Statement>(&payload)
    {
        let _ = st.subject_and_digest();
    }
}

/// A C2SP signed checkpoint: parsing, signer names, signature verification.
pub fn ledger_checkpoint(data: &[u8]) {
    let Some(t) = text(data) else { return };
    let _ = assay_ledger::note::signer_names(t);
    let key = seed_key();
    if let Ok(cp) = assay_ledger::note::open_checkpoint(t, "default", &key.key) {
        // What verified must print back to the signed body.
        let body = cp.body();
        assert!(
            t.starts_with(&body),
            "verified checkpoint body `{body}` is not the note's text"
        );
    }
}

/// An RFC 6962 inclusion proof (JSON as `assay log prove` writes it) and its verification.
pub fn ledger_inclusion_proof(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    if let Ok(p) = serde_json::from_slice::<assay_ledger::InclusionProof>(data) {
        let _ = p.verify();
    }
}

/// An RFC 6962 consistency proof (JSON as `assay log consistency` writes it) and its
/// verification.
pub fn ledger_consistency_proof(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    if let Ok(p) = serde_json::from_slice::<assay_ledger::ConsistencyProof>(data) {
        let _ = p.verify();
    }
}

/// Public key text (verifier keys and raw base64 keys), as `--pubkey` takes it.
pub fn ledger_public_key(data: &[u8]) {
    if let Some(t) = text(data) {
        let _ = assay_ledger::keys::parse_public_key(t);
    }
}

/// Separates the files of a bundle in one fuzz input.
pub const BUNDLE_PART: &[u8] = b"\n--assay-fuzz-part--\n";
/// The files a bundle input is cut into, in order; `bundle.json` names the other four.
pub const BUNDLE_FILES: [&str; 5] = [
    "bundle.json",
    // The evidence file under its signed name (export names it so; bundle.json must agree).
    "f3.txt",
    "envelope.dsse.json",
    "inclusion-proof.json",
    "checkpoint.txt",
];

/// A whole evidence bundle checked offline (`verify_bundle`): the input is the five files
/// joined by [`BUNDLE_PART`], written to one temporary folder reused across runs.
pub fn ledger_bundle(data: &[u8]) {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    if data.len() > MAX_INPUT {
        return;
    }
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("temporary folder"));
    let mut parts = split_parts(data, BUNDLE_PART);
    parts.resize(BUNDLE_FILES.len(), b"");
    for (name, part) in BUNDLE_FILES.iter().zip(&parts) {
        std::fs::write(dir.path().join(name), part).expect("write bundle part");
    }
    let keys = [seed_key().clone()];
    // Every entry of a one-entry (`v1`) or several-entries (`v2`) bundle.
    if let Ok(reports) = assay_ledger::verify_bundle_all(dir.path(), &keys) {
        let _ = reports.iter().all(|r| r.is_valid());
    }
}

/// `data` cut at every `sep` (at most [`BUNDLE_FILES`] parts; the last keeps the rest).
pub fn split_parts<'a>(data: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while parts.len() + 1 < BUNDLE_FILES.len() {
        match rest.windows(sep.len()).position(|w| w == sep) {
            Some(at) => {
                parts.push(&rest[..at]);
                rest = &rest[at + sep.len()..];
            }
            None => break,
        }
    }
    parts.push(rest);
    parts
}

// ---------------------------------------------------------------------------------------
// assay-assess: case.toml

/// `case.toml` of an uploaded case (subject manifest fixed): the TOML parse, the upload's
/// checks of the paths it names, then the settings resolution that reads its dates.
pub fn assess_case_toml(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    let files = std::collections::BTreeMap::from([
        ("subject.toml".to_string(), FUZZ_SUBJECT.as_bytes().to_vec()),
        ("case.toml".to_string(), data.to_vec()),
    ]);
    let Ok(case) = assay_assess::CaseInputs::from_files(files) else {
        return;
    };
    let today = assay_core::Day::parse("2026-11-29").expect("a valid day");
    let _ = assay_assess::AssessOptions::resolve(&Default::default(), &case, today);
}

const FUZZ_SUBJECT: &str = "id = \"dev\"\nname = \"Device\"\nvendor = \"V\"\nkind = \"device\"\ncategory = \"iris-lock\"\n[[market]]\ncountry = \"US\"\n";

// ---------------------------------------------------------------------------------------
// assay-vuln: CVSS vectors (read from advisories)

/// A CVSS v2/v3.x/v4.0 vector string: the strict parse, then the base score, which must be a
/// finite score in 0.0..=10.0 with one decimal, and its rating.
pub fn vuln_cvss(data: &[u8]) {
    let Some(t) = text(data) else { return };
    let Ok(v) = assay_vuln::cvss::Vector::parse(t) else {
        return;
    };
    let score = v.base_score();
    assert!(
        (0.0..=10.0).contains(&score) && ((score * 10.0).round() - score * 10.0).abs() < 1e-9,
        "base score {score} of {t:?} is not a CVSS score"
    );
    let _ = v.rating(score);
}

/// `eval/model.toml` of an assess case (assay-eval's model configuration).
pub fn eval_model_config(data: &[u8]) {
    let Some(t) = text(data) else { return };
    if let Ok(c) = assay_eval::model_config::ModelConfig::parse(t, "model.toml") {
        let _ = c.replay_script();
    }
}

/// The InterCode importer's reference-solutions file.
pub fn eval_intercode_solutions(data: &[u8]) {
    let Some(t) = text(data) else { return };
    let _ = assay_eval::intercode::parse_solutions(t, "solutions.toml");
}

// ---------------------------------------------------------------------------------------
// assay-core: retest records (docs/retest.md)

/// The three retest record formats (test-sample, lab-booking, prior-validation) on the same
/// input, then what assess does with a record that parsed: its meta, the tested configuration
/// read back from that meta and compared with a shipped one, and the booking's past check.
pub fn core_retest_records(data: &[u8]) {
    let Some(t) = text(data) else { return };
    let shipped = assay_core::ShippedConfig {
        hardware_revision: Some("D".into()),
        firmware_digest: Some("5b7143c45504d29f5ad18a864c89a2851f8e12b2cc8f8bbf46417b2d8f1cc979".into()),
        components_digest: None,
    };
    if let Ok(s) = assay_core::TestSample::from_toml(t, "sample.toml") {
        let meta = s.meta();
        let tested = assay_core::TestedConfig::from_meta(&meta);
        // The meta carries the same configuration as the record.
        assert_eq!(tested, assay_core::TestedConfig::from(&s));
        let _ = assay_core::coverage_gaps(&tested, &shipped);
    }
    if let Ok(b) = assay_core::LabBooking::from_toml(t, "booking.toml") {
        let _ = b.meta();
        assert!(b.sample_due <= b.test_start && b.test_start <= b.report_due);
        let _ = b.past_as_of(Day::parse("2026-11-22").expect("date"));
    }
    if let Ok(p) = assay_core::PriorValidation::from_toml(t, "prior.toml") {
        let meta = p.meta();
        assert_eq!(meta.get("declared").map(String::as_str), Some("true"));
        assert!(!meta.contains_key("firmware_digest"));
    }
}
