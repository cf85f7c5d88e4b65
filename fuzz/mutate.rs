//! In-process mutation smoke testing on stable Rust, shared by the crates' `tests/mutation_smoke.rs`
//! (included with `#[path]`, so it needs nothing beyond std).
//!
//! Takes seed inputs, applies a few deterministic byte mutations per run (bit flip, byte set,
//! insert, delete, duplicate a chunk, truncate, splice a token that parsers find hard) with a
//! seeded PRNG, feeds each mutant to a parser under `catch_unwind`, and fails naming the seed,
//! the run number and the input when the parser panics. Bounded by a run count and a wall-clock
//! budget, so it fits in the normal test suite; `cargo fuzz` (scripts/fuzz.sh) goes deeper.
//!
//! Reproduce a reported failure with [`mutant`] and the seed name and run number it printed.

#![allow(dead_code)]
#![allow(clippy::print_stderr)] // the smoke figures, shown with --nocapture

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// SplitMix64: small, fast, good enough to pick mutations.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Tokens that tend to reach edge cases: numbers at the limits, odd floats, empty and deep
/// structure, separators, non-ASCII and control characters, format keywords.
const TOKENS: &[&[u8]] = &[
    b"0",
    b"-1",
    b"nan",
    b"NaN",
    b"inf",
    b"-inf",
    b"1e309",
    b"-0",
    b"18446744073709551615",
    b"18446744073709551616",
    b"9223372036854775807",
    b"4294967296",
    b"0.000000000000000000001",
    b"\"\"",
    b"[]",
    b"{}",
    b"[[[[[[[[[[[[[[[[",
    b"{\"a\":{\"a\":{\"a\":{",
    b"null",
    b"true",
    b",",
    b",,,,",
    b"\n",
    b"\r\n",
    b"\t",
    b"\"",
    b"'",
    b"=",
    b"[[",
    b"]]",
    b"#",
    b"/",
    b"../",
    b"..",
    b"%",
    b"%zz",
    b"%00",
    b"@",
    b"+",
    b"-",
    b"|",
    b"~",
    b":",
    b"\\",
    b"\\u0000",
    b"\\ud800",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\xe2\x80\x94",
    b"\xe2\x80\xae",
    b"\xf0\x9f\x98\x80",
    b"\xc3\xa9",
    b"0000-00-00",
    b"9999-12-31",
    b"2024-02-30",
    b"+262143-12-31",
    b"v0.0.0-",
    b"1:",
    b"==",
    b">=",
    b"<",
    b"vers:",
    b"pkg:",
    b"*",
];

/// Bytes that separate fields and structure in the formats assay reads.
const INTERESTING: &[u8] = b"\n\r\t ,;:=\"'{}[]()<>|#/\\-+.0019aZ\x00\x7f\xff";

/// One mutation of `data`, in place.
pub fn mutate_once(data: &mut Vec<u8>, rng: &mut Rng) {
    let len = data.len();
    match rng.below(9) {
        // Flip one bit.
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        // Set a byte to a structural one.
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = INTERESTING[rng.below(INTERESTING.len())];
        }
        // Insert a structural byte.
        2 => {
            let i = rng.below(len + 1);
            data.insert(i, INTERESTING[rng.below(INTERESTING.len())]);
        }
        // Delete a range.
        3 if len > 0 => {
            let i = rng.below(len);
            let n = 1 + rng.below((len - i).min(64));
            data.drain(i..i + n);
        }
        // Duplicate a chunk somewhere else (repeats lines, records, keys).
        4 if len > 0 => {
            let i = rng.below(len);
            let n = 1 + rng.below((len - i).min(256));
            let chunk = data[i..i + n].to_vec();
            let at = rng.below(len + 1);
            data.splice(at..at, chunk);
        }
        // Truncate.
        5 if len > 0 => {
            let n = rng.below(len);
            data.truncate(n);
        }
        // Replace a run of bytes by a hard token.
        6 if len > 0 => {
            let i = rng.below(len);
            let n = rng.below((len - i).min(24) + 1);
            let token = TOKENS[rng.below(TOKENS.len())];
            data.splice(i..i + n, token.iter().copied());
        }
        // Insert a hard token.
        7 => {
            let i = rng.below(len + 1);
            let token = TOKENS[rng.below(TOKENS.len())];
            data.splice(i..i, token.iter().copied());
        }
        // Replace a run of digits by a limit-testing number.
        _ => {
            let from = rng.below(len + 1);
            match data[from..].iter().position(u8::is_ascii_digit) {
                Some(p) => {
                    let start = from + p;
                    let end = data[start..]
                        .iter()
                        .position(|b| !b.is_ascii_digit() && *b != b'.')
                        .map_or(len, |q| start + q);
                    let token = TOKENS[rng.below(13)];
                    data.splice(start..end, token.iter().copied());
                }
                None => data.push(b'9'),
            }
        }
    }
}

/// The `run`-th mutant of `seed` (deterministic: the same seed and run give the same bytes).
pub fn mutant(seed: &[u8], run: u64) -> Vec<u8> {
    let mut rng = Rng::new(0xA55A_7E57 ^ run.wrapping_mul(0x2545_F491_4F6C_DD1D));
    let mut data = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        mutate_once(&mut data, &mut rng);
    }
    data
}

/// A named seed input.
pub struct Seed {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Seed {
    pub fn new(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Seed {
        Seed {
            name: name.into(),
            bytes: bytes.into(),
        }
    }

    /// Reads a file as a seed, keeping at most `max_lines` lines (big data files cut short);
    /// `None` when it does not exist (shared data absent).
    pub fn file(path: &std::path::Path, max_lines: usize) -> Option<Seed> {
        let bytes = std::fs::read(path).ok()?;
        let cut = bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(max_lines.saturating_sub(1))
            .map_or(bytes.len(), |(i, _)| i + 1);
        Some(Seed::new(path.display().to_string(), &bytes[..cut]))
    }
}

/// What a smoke run did.
#[derive(Debug)]
pub struct Stats {
    pub runs: u64,
    pub elapsed: Duration,
}

/// Feeds the seeds and then mutants of them (round robin) to `parse` until `max_runs` or
/// `budget` is reached. Panics (failing the test) on the first input `parse` panics on, with
/// the family, seed, run number and the input (escaped, bounded).
pub fn smoke(
    family: &str,
    seeds: &[Seed],
    max_runs: u64,
    budget: Duration,
    parse: impl Fn(&[u8]),
) -> Stats {
    assert!(!seeds.is_empty(), "{family}: no seeds");
    let start = Instant::now();
    let mut runs = 0u64;
    let check = |seed: &Seed, run: Option<u64>, input: &[u8]| {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| parse(input))) {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(non-string panic)");
            let shown: String = input
                .iter()
                .take(2000)
                .flat_map(|b| std::ascii::escape_default(*b))
                .map(char::from)
                .collect();
            panic!(
                "{family}: parser panicked ({message}) on {} of seed `{}` ({} bytes; reproduce with \
                 mutate::mutant(seed, {})): b\"{shown}\"",
                run.map_or("the seed itself".to_string(), |r| format!("mutant run {r}")),
                seed.name,
                input.len(),
                run.map_or("-".to_string(), |r| r.to_string()),
            );
        }
    };
    for seed in seeds {
        check(seed, None, &seed.bytes);
    }
    while runs < max_runs && start.elapsed() < budget {
        let seed = &seeds[(runs % seeds.len() as u64) as usize];
        let input = mutant(&seed.bytes, runs);
        check(seed, Some(runs), &input);
        runs += 1;
    }
    let stats = Stats {
        runs,
        elapsed: start.elapsed(),
    };
    // Shown with `--nocapture`: the figures docs/reliability.md quotes.
    eprintln!(
        "mutation smoke {family}: {} seeds, {} mutants in {:.2?}",
        seeds.len(),
        stats.runs,
        stats.elapsed
    );
    stats
}
