//! Synthetic subjects and evidence for the scale benchmark: deterministic (a fixed LCG), a
//! realistic mix of categories, and evidence that exercises every branch of the engine
//! (trusted and untrusted issuers, other firmware, expired scans, failing PAD levels).

use std::collections::BTreeMap;

use assay_core::{EvidenceKind, IssuerRole, Sha256Digest};
use assay_rules::{
    CapabilityClaim, Category, Day, EvidenceRecord, Function, Market, ModelInfo, SubjectKind,
    SubjectManifest, Use,
};

/// 30 target markets (ISO 3166-1 alpha-2).
pub const MARKETS: [&str; 30] = [
    "US", "CN", "DE", "FR", "GB", "JP", "KR", "IN", "BR", "MX", "CA", "AU", "IT", "ES", "NL", "SE",
    "PL", "TR", "SA", "AE", "SG", "MY", "TH", "VN", "ID", "ZA", "NG", "EG", "AR", "CL",
];

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn digest(label: &str, i: usize) -> Sha256Digest {
    Sha256Digest::of(format!("{label}-{i}").as_bytes())
}

pub fn subjects(n: usize) -> Vec<SubjectManifest> {
    let mut rng = Lcg(42);
    (0..n)
        .map(|i| {
            let roll = rng.below(100);
            let (kind, category) = match roll {
                0..40 => (SubjectKind::Device, Category::FaceRecognitionTerminal3d),
                40..50 => (SubjectKind::Device, Category::IrisLock),
                50..60 => (SubjectKind::Device, Category::VeinLock),
                60..68 => (SubjectKind::Device, Category::Respirator),
                68..75 => (SubjectKind::Device, Category::GasMask),
                75..90 => (SubjectKind::AiModel, Category::FrontierModel),
                _ => (SubjectKind::Device, Category::Other),
            };
            let mut functions = vec![Function::AccessControl];
            if rng.below(3) != 0 {
                functions.push(Function::AutonomousDecision);
            }
            if category == Category::FaceRecognitionTerminal3d {
                functions.push(Function::LivenessDetection);
            }
            let markets = MARKETS
                .iter()
                .map(|c| Market {
                    country: c.to_string(),
                    uses: match rng.below(4) {
                        0 => vec![Use::FederalProcurement],
                        1 => vec![Use::CriticalFacilityAccess, Use::Commercial],
                        2 => vec![Use::Consumer],
                        _ => vec![Use::Commercial],
                    },
                    planned_export: Day::from_ymd(2027, 1 + (rng.below(12) as u32), 1),
                })
                .collect();
            let is_model = kind == SubjectKind::AiModel;
            SubjectManifest {
                id: format!("subject-{i}"),
                name: format!("Subject {i}"),
                vendor: "Bench Vendor".to_string(),
                kind,
                category,
                functions,
                firmware_digest: (!is_model).then(|| digest("fw", i)),
                hardware_revision: None,
                components_digest: None,
                model_digest: is_model.then(|| digest("fw", i)),
                country_of_origin: Some(if rng.below(2) == 0 { "CN" } else { "US" }.to_string()),
                versions: Vec::new(),
                skus: Vec::new(),
                product_model: None,
                evidence_subjects: Vec::new(),
                model: is_model.then(|| ModelInfo {
                    developer: "Bench Labs".to_string(),
                    planned_release: Day::from_ymd(2027, 3, 1),
                    capability_claims: vec![CapabilityClaim {
                        benchmark: "bench-suite".to_string(),
                        score: rng.below(100) as f64 / 100.0,
                        qualifying_threshold: (rng.below(2) == 0).then_some(0.5),
                        source: None,
                    }],
                }),
                markets,
            }
        })
        .collect()
}

/// `per_subject` evidence records for each of `n` subjects.
pub fn evidence(n: usize, per_subject: usize) -> Vec<EvidenceRecord> {
    let mut rng = Lcg(7);
    let mut out = Vec::with_capacity(n * per_subject);
    let kinds = [
        EvidenceKind::PadReport,
        EvidenceKind::VulnScan,
        EvidenceKind::SecurityAssessmentReport,
        EvidenceKind::FilingReceipt,
        EvidenceKind::Sbom,
        EvidenceKind::EvalReport,
        EvidenceKind::PadReport,
        EvidenceKind::VulnScan,
        EvidenceKind::PadCampaign,
        EvidenceKind::FilingReceipt,
    ];
    for i in 0..n {
        for j in 0..per_subject {
            let kind = kinds[j % kinds.len()];
            let index = out.len() as u64;
            let day = Day::from_ymd(2026, 1 + (rng.below(11) as u32), 1 + (rng.below(28) as u32))
                .unwrap_or(Day::parse("2026-06-01").unwrap());
            let mut meta = BTreeMap::new();
            // One in five items is about other firmware.
            let fw = if rng.below(5) == 0 {
                digest("fw-old", i)
            } else {
                digest("fw", i)
            };
            meta.insert("firmware_digest".to_string(), fw.to_hex());
            match kind {
                EvidenceKind::PadReport => {
                    meta.insert("max_passed_level".into(), rng.below(4).to_string());
                    meta.insert(
                        "species_groups".into(),
                        if rng.below(3) == 0 {
                            "print,replay"
                        } else {
                            "print,replay,mask"
                        }
                        .into(),
                    );
                    meta.insert("test_date".into(), day.to_string());
                }
                EvidenceKind::VulnScan => {
                    meta.insert("kev_overdue".into(), (rng.below(4) / 3).to_string());
                    meta.insert("kev_earliest_due".into(), day.plus_days(21).to_string());
                    meta.insert("scan_date".into(), day.to_string());
                }
                _ => {}
            }
            let role = match rng.below(10) {
                0 => None,
                1..5 => Some(IssuerRole::Lab),
                5..8 => Some(IssuerRole::Manufacturer),
                8 => Some(IssuerRole::Developer),
                _ => Some(IssuerRole::Reviewer),
            };
            out.push(EvidenceRecord {
                index,
                kind,
                subject: format!("subject-{i}"),
                blob_digest: digest("blob", index as usize),
                signer_name: role.map(|r| format!("issuer-{r}")),
                signer_key_id: format!("key-{}", rng.below(50)),
                signer_role: role,
                signer_is_own: false,
                recorded_at: format!("{day}T12:00:00Z"),
                meta,
            });
        }
    }
    out
}
