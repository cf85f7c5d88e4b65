//! Description consistency: do the technical file, the sales material and the filing draft say
//! the same thing as the manifest (and each other) about what the packs care about?
//!
//! A transparent, rule-based claim extractor, not a language model: each sentence is matched
//! against fixed phrase lists per topic (autonomous decision-making, liveness detection,
//! biometric modality, intended use). A phrase preceded, within the same clause and at most
//! [`NEGATION_WINDOW`] words before it, by a negation cue (`not`, `no`, `never`, `without`,
//! `cannot`, `n't` forms, `unlike`, `instead of`...) or written with a `non-` prefix is a
//! negative claim; an odd number of cues negates, an even number cancels. A few phrases are
//! negative by themselves ("human-in-the-loop", "operator confirms"). Clauses end at `,` `;`
//! `:` and at "but", "however", "although", "whereas", "while", "except". Two claims on the
//! same topic and value with opposite polarity conflict; so does a claim against the
//! manifest's declaration. Every conflict names both documents, line numbers and sentences.
//! Known limits (documented in docs/rules.md): no coreference ("it does not" about another
//! product), no paraphrase beyond the phrase lists, no tables.

use serde::{Deserialize, Serialize};

use crate::manifest::SubjectManifest;
use crate::vocab::{Category, Function, Use};

/// How many words before a phrase a negation cue may stand.
pub const NEGATION_WINDOW: usize = 6;

/// A product description to check: a name (the file name) and its text.
#[derive(Clone, Debug)]
pub struct Document {
    pub name: String,
    pub text: String,
}

/// What the claims are about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Topic {
    AutonomousDecision,
    LivenessDetection,
    BiometricModality,
    IntendedUse,
}

impl Topic {
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::AutonomousDecision => "autonomous decision-making",
            Topic::LivenessDetection => "liveness detection",
            Topic::BiometricModality => "biometric modality",
            Topic::IntendedUse => "intended use",
        }
    }
}

/// One statement found in a document (or read from the manifest).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Claim {
    pub document: String,
    /// 1-based line of the sentence start (0 for the manifest).
    pub line: usize,
    pub sentence: String,
    pub topic: Topic,
    /// `autonomous-decision`, `liveness-detection`, a modality (`face`, `iris`, `vein`,
    /// `fingerprint`) or a use (`federal-procurement`, ...).
    pub value: String,
    /// True for "does X", false for "does not do X".
    pub asserted: bool,
    /// The phrase that matched.
    pub phrase: String,
    /// The negation cue(s) that flipped it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negation: Option<String>,
}

/// Two claims that cannot both be true.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Conflict {
    pub topic: Topic,
    pub value: String,
    pub first: Claim,
    pub second: Claim,
    pub explanation: String,
}

/// All claims and the conflicts among them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
pub struct ConsistencyReport {
    pub documents: Vec<String>,
    pub claims: Vec<Claim>,
    pub conflicts: Vec<Conflict>,
}

struct Pattern {
    topic: Topic,
    value: &'static str,
    phrase: &'static str,
    /// The phrase itself says "no" (e.g. "human-in-the-loop" denies autonomy).
    negative: bool,
}

const fn p(topic: Topic, value: &'static str, phrase: &'static str, negative: bool) -> Pattern {
    Pattern {
        topic,
        value,
        phrase,
        negative,
    }
}

use Topic::*;
const AUTO: &str = "autonomous-decision";
const LIVE: &str = "liveness-detection";

/// Phrases per topic, lower case, matched at word boundaries. Longer phrases first, so
/// "without human intervention" wins over a bare "without".
const PATTERNS: &[Pattern] = &[
    p(
        AutonomousDecision,
        AUTO,
        "autonomous decision-making",
        false,
    ),
    p(
        AutonomousDecision,
        AUTO,
        "autonomous decision making",
        false,
    ),
    p(AutonomousDecision, AUTO, "autonomous decisions", false),
    p(AutonomousDecision, AUTO, "autonomous decision", false),
    p(
        AutonomousDecision,
        AUTO,
        "autonomous access decisions",
        false,
    ),
    p(AutonomousDecision, AUTO, "decides autonomously", false),
    p(AutonomousDecision, AUTO, "decide autonomously", false),
    p(AutonomousDecision, AUTO, "autonomously decides", false),
    p(AutonomousDecision, AUTO, "autonomously decide", false),
    p(AutonomousDecision, AUTO, "autonomously grants", false),
    p(AutonomousDecision, AUTO, "autonomously", false),
    p(AutonomousDecision, AUTO, "autonomous", false),
    p(
        AutonomousDecision,
        AUTO,
        "without human intervention",
        false,
    ),
    p(AutonomousDecision, AUTO, "without human involvement", false),
    p(
        AutonomousDecision,
        AUTO,
        "without operator intervention",
        false,
    ),
    p(
        AutonomousDecision,
        AUTO,
        "without human confirmation",
        false,
    ),
    p(AutonomousDecision, AUTO, "human-in-the-loop", true),
    p(AutonomousDecision, AUTO, "human in the loop", true),
    p(AutonomousDecision, AUTO, "operator confirms", true),
    p(AutonomousDecision, AUTO, "operator must confirm", true),
    p(
        AutonomousDecision,
        AUTO,
        "requires human confirmation",
        true,
    ),
    p(AutonomousDecision, AUTO, "decision support only", true),
    p(
        AutonomousDecision,
        AUTO,
        "confirmed by a security guard",
        true,
    ),
    p(AutonomousDecision, AUTO, "confirmed by a guard", true),
    p(AutonomousDecision, AUTO, "confirmed by an operator", true),
    p(AutonomousDecision, AUTO, "confirmed by a human", true),
    p(AutonomousDecision, AUTO, "confirmed by staff", true),
    p(AutonomousDecision, AUTO, "guard confirms", true),
    p(AutonomousDecision, AUTO, "manual confirmation", true),
    p(
        AutonomousDecision,
        AUTO,
        "no decision is left to the machine",
        true,
    ),
    p(
        LivenessDetection,
        LIVE,
        "presentation attack detection",
        false,
    ),
    p(LivenessDetection, LIVE, "liveness detection", false),
    p(LivenessDetection, LIVE, "liveness check", false),
    p(LivenessDetection, LIVE, "liveness", false),
    p(LivenessDetection, LIVE, "anti-spoofing", false),
    p(LivenessDetection, LIVE, "anti spoofing", false),
    p(LivenessDetection, LIVE, "spoof detection", false),
    p(LivenessDetection, LIVE, "spoofing detection", false),
    p(BiometricModality, "face", "3d face", false),
    p(BiometricModality, "face", "facial recognition", false),
    p(BiometricModality, "face", "face recognition", false),
    p(BiometricModality, "face", "face verification", false),
    p(BiometricModality, "face", "face identification", false),
    p(BiometricModality, "face", "face authentication", false),
    p(BiometricModality, "face", "face biometrics", false),
    p(BiometricModality, "iris", "iris", false),
    p(BiometricModality, "vein", "palm vein", false),
    p(BiometricModality, "vein", "finger vein", false),
    p(BiometricModality, "vein", "vein recognition", false),
    p(BiometricModality, "vein", "vein pattern", false),
    p(BiometricModality, "fingerprint", "fingerprint", false),
    p(
        IntendedUse,
        "federal-procurement",
        "federal procurement",
        false,
    ),
    p(
        IntendedUse,
        "federal-procurement",
        "government procurement",
        false,
    ),
    p(
        IntendedUse,
        "federal-procurement",
        "federal agencies",
        false,
    ),
    p(
        IntendedUse,
        "critical-facility-access",
        "critical facilities",
        false,
    ),
    p(
        IntendedUse,
        "critical-facility-access",
        "critical facility",
        false,
    ),
    p(
        IntendedUse,
        "critical-facility-access",
        "critical infrastructure",
        false,
    ),
    p(IntendedUse, "consumer", "consumer", false),
    p(IntendedUse, "consumer", "home use", false),
    p(IntendedUse, "consumer", "households", false),
];

const NEGATION_CUES: &[&str] = &[
    "not",
    "no",
    "never",
    "without",
    "cannot",
    "can't",
    "doesn't",
    "don't",
    "isn't",
    "aren't",
    "won't",
    "neither",
    "nor",
    "lacks",
    "lack",
    "excludes",
    "excluding",
    "unlike",
    "instead",
    "rather",
];

const CLAUSE_BREAKS: &[&str] = &["but", "however", "although", "whereas", "while", "except"];

/// Extracts the claims of every document, adds the manifest's declarations, and lists conflicts.
pub fn check(manifest: Option<&SubjectManifest>, documents: &[Document]) -> ConsistencyReport {
    let mut claims = Vec::new();
    for doc in documents {
        claims.extend(extract_claims(doc));
    }
    let mut conflicts = Vec::new();
    // Document against document (and within one document, across sentences).
    for (i, a) in claims.iter().enumerate() {
        for b in &claims[i + 1..] {
            if a.topic == b.topic && a.value == b.value && a.asserted != b.asserted {
                let already = conflicts.iter().any(|c: &Conflict| {
                    c.value == a.value
                        && c.topic == a.topic
                        && c.first.document == a.document
                        && c.second.document == b.document
                });
                if !already {
                    conflicts.push(Conflict {
                        topic: a.topic,
                        value: a.value.clone(),
                        explanation: format!(
                            "{} {} {}; {} {} it",
                            a.document,
                            if a.asserted { "claims" } else { "denies" },
                            describe(a),
                            b.document,
                            if b.asserted { "claims" } else { "denies" },
                        ),
                        first: a.clone(),
                        second: b.clone(),
                    });
                }
            }
        }
    }
    // Documents against the manifest.
    if let Some(m) = manifest {
        for c in &claims {
            let Some(declared) = manifest_claim(m, c.topic, &c.value) else {
                continue;
            };
            if declared.asserted != c.asserted {
                let already = conflicts.iter().any(|x| {
                    x.second.document == "manifest"
                        && x.first.document == c.document
                        && x.value == c.value
                        && x.topic == c.topic
                });
                if !already {
                    conflicts.push(Conflict {
                        topic: c.topic,
                        value: c.value.clone(),
                        explanation: format!(
                            "{} {} {}, but the manifest {} ({})",
                            c.document,
                            if c.asserted { "claims" } else { "denies" },
                            describe(c),
                            if declared.asserted {
                                "declares it"
                            } else {
                                "does not declare it"
                            },
                            declared.sentence
                        ),
                        first: c.clone(),
                        second: declared,
                    });
                }
            }
        }
    }
    ConsistencyReport {
        documents: documents.iter().map(|d| d.name.clone()).collect(),
        claims,
        conflicts,
    }
}

fn describe(c: &Claim) -> String {
    match c.topic {
        BiometricModality => format!("{} as a biometric modality", c.value),
        IntendedUse => format!("{} as an intended use", c.value),
        t => t.as_str().to_string(),
    }
}

/// The manifest's stance on a (topic, value), as a claim, when the manifest speaks to it.
fn manifest_claim(m: &SubjectManifest, topic: Topic, value: &str) -> Option<Claim> {
    let (asserted, sentence) = match topic {
        AutonomousDecision => (
            m.has_function(Function::AutonomousDecision),
            format!("functions = [{}]", join(&m.functions)),
        ),
        LivenessDetection => (
            m.has_function(Function::LivenessDetection),
            format!("functions = [{}]", join(&m.functions)),
        ),
        BiometricModality => {
            let implied = match m.category {
                Category::FaceRecognitionTerminal3d => Some("face"),
                Category::IrisLock => Some("iris"),
                Category::VeinLock => Some("vein"),
                _ => None,
            };
            (implied == Some(value), format!("category = {}", m.category))
        }
        IntendedUse => {
            let want = Use::parse(value)?;
            let uses: Vec<String> = m
                .markets
                .iter()
                .flat_map(|mk| mk.uses.iter().map(move |u| format!("{}:{u}", mk.country)))
                .collect();
            (
                m.markets.iter().any(|mk| mk.uses.contains(&want)),
                format!("market uses = [{}]", uses.join(", ")),
            )
        }
    };
    Some(Claim {
        document: "manifest".to_string(),
        line: 0,
        sentence,
        topic,
        value: value.to_string(),
        asserted,
        phrase: String::new(),
        negation: None,
    })
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Claims of one document, in order.
pub fn extract_claims(doc: &Document) -> Vec<Claim> {
    let mut out = Vec::new();
    for (line, sentence) in sentences(&doc.text) {
        let lower = sentence.to_lowercase();
        let mut taken: Vec<(usize, usize)> = Vec::new();
        let mut seen: Vec<(Topic, &str)> = Vec::new();
        for pat in PATTERNS {
            let mut from = 0;
            while let Some(pos) = find_word(&lower, pat.phrase, from) {
                let end = pos + pat.phrase.len();
                from = end;
                if taken.iter().any(|(s, e)| pos < *e && end > *s) {
                    continue;
                }
                taken.push((pos, end));
                if seen.contains(&(pat.topic, pat.value)) {
                    continue;
                }
                seen.push((pat.topic, pat.value));
                let cues = negation_cues(&lower, pos, &taken);
                let negated = cues.len() % 2 == 1;
                out.push(Claim {
                    document: doc.name.clone(),
                    line,
                    sentence: sentence.clone(),
                    topic: pat.topic,
                    value: pat.value.to_string(),
                    asserted: !(negated ^ pat.negative),
                    phrase: pat.phrase.to_string(),
                    negation: if cues.is_empty() {
                        None
                    } else {
                        Some(cues.join(" "))
                    },
                });
            }
        }
    }
    out
}

/// Byte position of `phrase` in `text` at or after `from`, at word boundaries.
fn find_word(text: &str, phrase: &str, mut from: usize) -> Option<usize> {
    while from <= text.len() {
        let pos = from + text.get(from..)?.find(phrase)?;
        let end = pos + phrase.len();
        let before_ok = text[..pos]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after_ok = text[end..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            return Some(pos);
        }
        from = pos + phrase.chars().next().map_or(1, char::len_utf8);
    }
    None
}

/// Negation cues in the clause before `pos`, nearest first, within the window. Words inside
/// another matched phrase ("without" in "without human intervention") are not cues.
fn negation_cues(lower: &str, pos: usize, taken: &[(usize, usize)]) -> Vec<String> {
    let mut cues = Vec::new();
    let before = &lower[..pos];
    if before.ends_with("non-") || before.ends_with("non ") {
        cues.push("non-".to_string());
    }
    // Stop at the clause start.
    let clause_start = before
        .rfind([',', ';', ':', '(', ')'])
        .map(|i| i + 1)
        .unwrap_or(0);
    let mut words: Vec<(usize, &str)> = Vec::new();
    let mut start = None;
    for (i, c) in before[clause_start..].char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                words.push((
                    clause_start + s,
                    &before[clause_start + s..clause_start + i],
                ));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((clause_start + s, &before[clause_start + s..]));
    }
    for (offset, w) in words.iter().rev().take(NEGATION_WINDOW) {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'');
        if CLAUSE_BREAKS.contains(&w) {
            break;
        }
        if taken.iter().any(|(s, e)| offset >= s && offset < e) {
            continue;
        }
        if NEGATION_CUES.contains(&w) || (w.ends_with("n't") && w.len() > 3) {
            cues.push(w.to_string());
        }
    }
    cues
}

/// Sentences of plain text or Markdown with the line each starts on. Markdown markers
/// (headings, list bullets, emphasis, code ticks, quotes) are removed; each heading and list
/// item is its own sentence; paragraph lines are joined and split at `.`, `!`, `?`.
pub fn sentences(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut para = String::new();
    // Where each source line starts inside `para`, so a sentence is reported at the line it
    // starts on, not at the first line of its paragraph.
    let mut para_lines: Vec<(usize, usize)> = Vec::new();
    let mut in_code = false;
    let flush =
        |para: &mut String, lines: &mut Vec<(usize, usize)>, out: &mut Vec<(usize, String)>| {
            let mut from = 0;
            for s in split_sentences(para) {
                let at = para[from..].find(&s).map_or(from, |i| from + i);
                from = at + s.len();
                let line = lines
                    .iter()
                    .rev()
                    .find(|(offset, _)| *offset <= at)
                    .map_or(0, |(_, l)| *l);
                out.push((line, s));
            }
            para.clear();
            lines.clear();
        };
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let trimmed = raw.trim();
        if trimmed.starts_with("```") {
            in_code = !in_code;
            flush(&mut para, &mut para_lines, &mut out);
            continue;
        }
        if in_code {
            continue;
        }
        if trimmed.is_empty() {
            flush(&mut para, &mut para_lines, &mut out);
            continue;
        }
        let (is_block, body) = strip_block_marker(trimmed);
        let body = strip_inline(body);
        if is_block {
            flush(&mut para, &mut para_lines, &mut out);
            for s in split_sentences(&body) {
                out.push((line_no, s));
            }
        } else {
            if !para.is_empty() {
                para.push(' ');
            }
            para_lines.push((para.len(), line_no));
            para.push_str(&body);
        }
    }
    flush(&mut para, &mut para_lines, &mut out);
    out
}

fn strip_block_marker(line: &str) -> (bool, &str) {
    if let Some(rest) = line.strip_prefix('#') {
        return (true, rest.trim_start_matches('#').trim());
    }
    if let Some(rest) = line.strip_prefix('>') {
        return (false, rest.trim());
    }
    for bullet in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            return (true, rest.trim());
        }
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && (line[digits..].starts_with(". ") || line[digits..].starts_with(") ")) {
        return (true, line[digits + 2..].trim());
    }
    (false, line)
}

fn strip_inline(s: &str) -> String {
    s.replace("**", "").replace("__", "").replace('`', "")
}

fn split_sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(b, b'.' | b'!' | b'?')
            && bytes.get(i + 1).is_none_or(|n| n.is_ascii_whitespace())
        {
            let candidate = text[start..=i].trim();
            // Do not split after common abbreviations.
            let lower = candidate.to_lowercase();
            if ["e.g.", "i.e.", "etc.", "vs.", "approx.", "no."]
                .iter()
                .any(|a| lower.ends_with(a))
            {
                continue;
            }
            if !candidate.is_empty() {
                out.push(candidate.to_string());
            }
            start = i + 1;
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(text: &str) -> Vec<(Topic, String, bool)> {
        extract_claims(&Document {
            name: "d".into(),
            text: text.into(),
        })
        .into_iter()
        .map(|c| (c.topic, c.value, c.asserted))
        .collect()
    }

    #[test]
    fn negation_and_clauses() {
        assert_eq!(
            claims("The terminal makes autonomous decisions."),
            vec![(AutonomousDecision, AUTO.into(), true)]
        );
        assert_eq!(
            claims("The terminal does not make autonomous decisions."),
            vec![(AutonomousDecision, AUTO.into(), false)]
        );
        assert_eq!(
            claims("It opens the door without human intervention."),
            vec![(AutonomousDecision, AUTO.into(), true)]
        );
        assert_eq!(
            claims("A human-in-the-loop approves each entry."),
            vec![(AutonomousDecision, AUTO.into(), false)]
        );
        assert_eq!(
            claims("It is non-autonomous."),
            vec![(AutonomousDecision, AUTO.into(), false)]
        );
        // The clause break stops the cue from reaching across "but".
        assert_eq!(
            claims("It has no display but performs liveness detection."),
            vec![(LivenessDetection, LIVE.into(), true)]
        );
        // Double negation cancels.
        assert_eq!(
            claims("It is not sold without liveness detection."),
            vec![(LivenessDetection, LIVE.into(), true)]
        );
        // Word boundaries: "interface" is not "face", "irises" is not "iris".
        assert!(claims("A clean user interface.").is_empty());
        // A cue inside another matched phrase does not negate a later phrase.
        assert_eq!(
            claims("It opens without human intervention once a 3D face match is found."),
            vec![
                (AutonomousDecision, AUTO.into(), true),
                (BiometricModality, "face".into(), true)
            ]
        );
    }

    #[test]
    fn markdown_sentences_with_lines() {
        let s = sentences(
            "# Title\n\nFirst line\ncontinues here. Second! \n- item one\n```\ncode. here\n```\n",
        );
        assert_eq!(
            s,
            vec![
                (1, "Title".to_string()),
                (3, "First line continues here.".to_string()),
                (4, "Second!".to_string()),
                (5, "item one".to_string())
            ]
        );
    }
}

#[cfg(test)]
mod line_and_guard_tests {
    use super::*;

    #[test]
    fn sentences_carry_the_line_they_start_on() {
        let text = "# Title\n\nFirst sentence here.\nSecond one on line four. Third\ncontinues on line five.\n";
        let got = sentences(text);
        let lines: Vec<usize> = got.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![1, 3, 4, 4]);
        assert_eq!(got[3].1, "Third continues on line five.");
    }

    #[test]
    fn a_guard_confirming_each_entry_denies_autonomy() {
        let docs = [
            Document {
                name: "technical-file.md".into(),
                text: "The terminal makes the access decision autonomously.".into(),
            },
            Document {
                name: "sales.md".into(),
                text: "Every entry is confirmed by a security guard at the console, so no decision is left to the machine.".into(),
            },
        ];
        let report = check(None, &docs);
        assert_eq!(report.conflicts.len(), 1, "{:?}", report.claims);
        let c = &report.conflicts[0];
        assert_eq!(c.topic, Topic::AutonomousDecision);
        assert_eq!(
            (c.first.document.as_str(), c.second.document.as_str()),
            ("technical-file.md", "sales.md")
        );
    }
}
