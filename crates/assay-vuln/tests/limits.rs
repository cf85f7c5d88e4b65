//! Import limits and shrink protection: hostile archives and documents are refused with a
//! named error, quickly and in bounded memory; a re-import never replaces good data by less
//! without saying so. Hostile inputs are generated in temporary folders.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assay_vuln::import::{ImportLimits, LimitError, parse_bytes, parse_bytes_with, parse_zip};
use assay_vuln::index::{ImportOptions, Index, IndexError, Silent};
use zip::write::SimpleFileOptions;

fn data(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel)
}

fn deflated() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated)
}

/// A zip of `count` entries of `entry_bytes` zeros each, named `e{i}.json`. The entry is
/// compressed once and its compressed bytes copied, so a 6 GiB archive takes a second to build.
fn zeros_zip(path: &Path, count: usize, entry_bytes: usize) {
    let mut one = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    one.start_file("e0.json", deflated()).expect("start");
    let chunk = vec![0u8; 1 << 20];
    let mut left = entry_bytes;
    while left > 0 {
        let n = left.min(chunk.len());
        one.write_all(&chunk[..n]).expect("write");
        left -= n;
    }
    let one = one.finish().expect("finish").into_inner();
    let mut source = zip::ZipArchive::new(std::io::Cursor::new(one)).expect("read back");
    let file = std::fs::File::create(path).expect("create");
    let mut out = zip::ZipWriter::new(std::io::BufWriter::new(file));
    for i in 0..count {
        let entry = source.by_index_raw(0).expect("entry");
        out.raw_copy_file_rename(entry, format!("e{i}.json"))
            .expect("copy");
    }
    out.finish().expect("finish");
}

fn import(
    index: &mut Index,
    paths: &[PathBuf],
    options: &ImportOptions,
) -> Result<usize, IndexError> {
    index
        .import_with(paths, options, &Silent)
        .map(|r| r.advisories_imported + r.kev_entries_imported)
}

#[test]
fn a_zip_of_6144_one_mib_entries_is_refused_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bomb = dir.path().join("bomb.zip");
    zeros_zip(&bomb, 6144, 1 << 20);
    let size = std::fs::metadata(&bomb).expect("meta").len();
    assert!(size < 10 << 20, "the bomb is small on disk: {size}");
    let mut index = Index::open(&dir.path().join("i.sqlite")).expect("open");
    let started = Instant::now();
    let err = import(
        &mut index,
        std::slice::from_ref(&bomb),
        &ImportOptions::default(),
    )
    .expect_err("refused");
    assert!(
        matches!(
            err,
            IndexError::Limit(LimitError::ArchiveTooLarge { declared, limit, .. })
                if declared == 6144 << 20 && limit == 2 << 30
        ),
        "{err}"
    );
    assert!(err.to_string().contains("--max-total-bytes"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(index.stats().expect("stats").files, 0, "nothing written");
}

#[test]
fn the_running_total_holds_when_the_archive_declares_no_total() {
    // Written as a stream, every entry uses a data descriptor, so the archive has no
    // declared total to check up front: the total is enforced while reading.
    let mut writer = zip::ZipWriter::new_stream(Vec::new());
    for i in 0..40 {
        writer
            .start_file(format!("e{i}.json"), deflated())
            .expect("start");
        writer.write_all(&vec![b' '; 64 << 10]).expect("write");
    }
    let bytes = writer.finish().expect("finish").into_inner();
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).expect("zip");
    assert_eq!(archive.decompressed_size(), None, "no declared total");
    let limits = ImportLimits {
        max_total_bytes: 1 << 20,
        ..ImportLimits::default()
    };
    let err = parse_zip("stream.zip", std::io::Cursor::new(bytes), &limits).expect_err("refused");
    assert!(
        matches!(err, LimitError::ArchiveTooLarge { declared, .. } if declared == (1 << 20) + (64 << 10)),
        "{err}"
    );
}

#[test]
fn an_entry_declaring_more_than_the_limit_is_refused_unread() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.zip");
    // 65 MiB: over the default 64 MiB entry limit.
    zeros_zip(&path, 1, (64 << 20) + (1 << 20));
    let mut index = Index::open(&dir.path().join("i.sqlite")).expect("open");
    let err = import(
        &mut index,
        std::slice::from_ref(&path),
        &ImportOptions::default(),
    )
    .expect_err("refused");
    assert!(
        matches!(
            &err,
            IndexError::Limit(LimitError::EntryTooLarge { file, size, .. })
                if *size == (65 << 20) && file.ends_with("big.zip!e0.json")
        ),
        "{err}"
    );
    assert!(err.to_string().contains("--max-entry-bytes"), "{err}");
}

/// Rewrites the uncompressed size of every entry (local headers and central directory) to
/// `declared`: a header that lies.
fn understate_sizes(bytes: &mut [u8], declared: u32) {
    let mut i = 0;
    while i + 46 <= bytes.len() {
        match &bytes[i..i + 4] {
            [0x50, 0x4b, 0x03, 0x04] => {
                bytes[i + 22..i + 26].copy_from_slice(&declared.to_le_bytes());
                i += 30;
            }
            [0x50, 0x4b, 0x01, 0x02] => {
                bytes[i + 24..i + 28].copy_from_slice(&declared.to_le_bytes());
                i += 46;
            }
            _ => i += 1,
        }
    }
}

#[test]
fn an_entry_whose_header_understates_its_size_is_still_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("liar.zip");
    zeros_zip(&path, 1, 8 << 20);
    let mut bytes = std::fs::read(&path).expect("read");
    understate_sizes(&mut bytes, 100);
    let limits = ImportLimits {
        max_entry_bytes: 1 << 20,
        ..ImportLimits::default()
    };
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).expect("zip");
    assert_eq!(archive.decompressed_size(), Some(100), "the header lies");
    match parse_zip("liar.zip", std::io::Cursor::new(bytes), &limits) {
        // Either our bounded reader stops it, or the zip reader notices the lie first (zip 9
        // stops reading at the declared size: "File is larger than its declared uncompressed
        // size"); never is the entry read whole and parsed.
        Err(LimitError::EntryTooLarge { size, .. }) => assert_eq!(size, (1 << 20) + 1),
        Ok(parsed) => {
            assert!(parsed.advisories.is_empty());
            assert!(
                parsed
                    .warnings
                    .iter()
                    .any(|w| w.message.contains("declared")),
                "{:?}",
                parsed.warnings
            );
        }
        Err(other) => panic!("unexpected {other}"),
    }
}

#[test]
fn a_yaml_nested_100k_deep_is_refused_in_milliseconds() {
    for (form, text) in [
        (
            "flow",
            format!(
                "id: X-1\naffected: {}{}\n",
                "[".repeat(100_000),
                "]".repeat(100_000)
            ),
        ),
        (
            "block",
            format!("id: X-1\naffected:\n{}x\n", "- ".repeat(100_000)),
        ),
    ] {
        assert!(text.len() >= 200_000);
        let started = Instant::now();
        let err = parse_bytes_with("deep.yaml", text.as_bytes(), &ImportLimits::default())
            .expect_err("refused");
        let elapsed = started.elapsed();
        assert!(
            matches!(err, LimitError::TooDeep { limit: 128, .. }),
            "{form}: {err}"
        );
        assert!(err.to_string().contains("--max-depth"), "{err}");
        assert!(elapsed < Duration::from_millis(500), "{form}: {elapsed:?}");
    }
}

#[test]
fn real_advisories_pass_the_nesting_prescan() {
    // Every shared advisory file reads the same with the default limits as without a depth
    // limit: the prescans reject none of them.
    let lax = ImportLimits {
        max_depth: usize::MAX,
        ..ImportLimits::default()
    };
    let mut files = 0;
    for dir in [
        "advisories/pypa",
        "advisories/go",
        "advisories/rustsec/crates",
    ] {
        let mut stack = vec![data(dir)];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let name = path.to_string_lossy().into_owned();
                let bytes = std::fs::read(&path).expect("read");
                let strict = parse_bytes_with(&name, &bytes, &ImportLimits::default());
                let strict = strict.unwrap_or_else(|e| panic!("{e}"));
                let loose = parse_bytes_with(&name, &bytes, &lax).expect("lax");
                assert_eq!(strict.advisories.len(), loose.advisories.len(), "{name}");
                files += 1;
            }
        }
    }
    assert!(files > 1000, "{files}");
}

#[test]
fn json_nesting_is_bounded_by_the_prescan_and_by_serde_json() {
    let deep = |n: usize| {
        format!(
            "{{\"id\": \"X-1\", \"database_specific\": {}1{}}}",
            "[".repeat(n),
            "]".repeat(n)
        )
    };
    let err = parse_bytes_with("x.json", deep(200).as_bytes(), &ImportLimits::default())
        .expect_err("refused");
    assert!(matches!(err, LimitError::TooDeep { line: 1, .. }), "{err}");
    // With the prescan lifted, serde_json's own recursion limit (128) still stops it: a
    // warning, not a stack overflow.
    let lax = ImportLimits {
        max_depth: 1_000_000,
        ..ImportLimits::default()
    };
    let parsed = parse_bytes_with("x.json", deep(100_000).as_bytes(), &lax).expect("parsed");
    assert!(parsed.advisories.is_empty());
    assert!(
        parsed.warnings[0]
            .message
            .contains("recursion limit exceeded"),
        "{:?}",
        parsed.warnings
    );
}

#[test]
fn warnings_quote_hostile_input_briefly_and_escaped() {
    // An archive entry's name and a 10 MB field both reach the warning message.
    let huge = "A".repeat(10 << 20);
    let text = format!("{{\"id\": \"X-1\", \"affected\": [{{\"ranges\": \"{huge}\"}}]}}");
    let parsed = parse_bytes("x\u{1b}]0;pwned\u{7}.json", text.as_bytes());
    let shown = parsed.warnings[0].to_string();
    assert!(shown.len() < 1200, "{}", shown.len());
    assert!(shown.contains("x\\u{1b}]0;pwned\\u{7}.json"), "{shown}");
    assert!(!shown.contains('\u{1b}'));
}

fn kev_with(path: &Path, keep: usize) {
    let text = std::fs::read_to_string(data("kev/known_exploited_vulnerabilities.json"))
        .expect("the shared KEV catalog");
    let mut catalog: serde_json::Value = serde_json::from_str(&text).expect("json");
    let list = catalog["vulnerabilities"].as_array_mut().expect("array");
    list.truncate(keep);
    std::fs::write(path, serde_json::to_vec(&catalog).expect("json")).expect("write");
}

#[test]
fn a_truncated_kev_catalog_keeps_the_previous_deadlines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let feed = dir.path().join("kev.json");
    std::fs::copy(data("kev/known_exploited_vulnerabilities.json"), &feed).expect("copy");
    let mut index = Index::open(&dir.path().join("i.sqlite")).expect("open");
    let first = import(
        &mut index,
        std::slice::from_ref(&feed),
        &ImportOptions::default(),
    )
    .expect("first import");
    assert_eq!(first, 1404);

    // A download cut in the middle: no longer JSON at all.
    let bytes = std::fs::read(&feed).expect("read");
    std::fs::write(&feed, &bytes[..bytes.len() / 3]).expect("truncate");
    let err = import(
        &mut index,
        std::slice::from_ref(&feed),
        &ImportOptions::default(),
    )
    .expect_err("refused");
    match &err {
        IndexError::Shrunk { shrinks } => {
            assert_eq!(shrinks.len(), 1, "{err}");
            assert_eq!((shrinks[0].before, shrinks[0].after), (1404, 0));
        }
        other => panic!("unexpected {other}"),
    }
    let message = err.to_string();
    assert!(message.contains("held 1404 records, now 0"), "{message}");
    assert!(message.contains("--allow-shrink"), "{message}");
    assert_eq!(index.kev_entries().expect("kev").len(), 1404, "kept");

    // A valid catalog with a tenth of the entries: refused as well.
    kev_with(&feed, 140);
    let err = import(
        &mut index,
        std::slice::from_ref(&feed),
        &ImportOptions::default(),
    )
    .expect_err("refused");
    assert!(
        err.to_string().contains("held 1404 records, now 140"),
        "{err}"
    );
    assert_eq!(index.kev_entries().expect("kev").len(), 1404, "kept");

    // Deliberately accepted, and reported.
    let allow = ImportOptions {
        allow_shrink: true,
        ..ImportOptions::default()
    };
    let report = index
        .import_with(std::slice::from_ref(&feed), &allow, &Silent)
        .expect("accepted");
    assert_eq!(report.shrunk.len(), 1);
    assert_eq!(index.kev_entries().expect("kev").len(), 140);

    // Growing back, or shrinking by less than half, needs nothing.
    kev_with(&feed, 100);
    assert_eq!(
        import(
            &mut index,
            std::slice::from_ref(&feed),
            &ImportOptions::default()
        )
        .expect("ok"),
        100
    );
}

#[test]
fn a_directory_that_loses_most_of_its_files_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tree = dir.path().join("go");
    std::fs::create_dir(&tree).expect("mkdir");
    let mut names: Vec<_> = std::fs::read_dir(data("advisories/go"))
        .expect("go advisories")
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    for path in names.iter().take(10) {
        std::fs::copy(path, tree.join(path.file_name().expect("name"))).expect("copy");
    }
    let mut index = Index::open(&dir.path().join("i.sqlite")).expect("open");
    let before = import(
        &mut index,
        std::slice::from_ref(&tree),
        &ImportOptions::default(),
    )
    .expect("import");
    assert_eq!(before, 10);
    for path in names.iter().take(8) {
        std::fs::remove_file(tree.join(path.file_name().expect("name"))).expect("rm");
    }
    let err = import(
        &mut index,
        std::slice::from_ref(&tree),
        &ImportOptions::default(),
    )
    .expect_err("refused");
    assert!(err.to_string().contains("held 10 records, now 2"), "{err}");
    assert_eq!(index.stats().expect("stats").advisories, 10, "kept");
}

#[test]
fn a_directory_with_more_files_than_the_limit_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut index = Index::open(&dir.path().join("i.sqlite")).expect("open");
    let options = ImportOptions {
        limits: ImportLimits {
            max_entries: 5,
            ..ImportLimits::default()
        },
        allow_shrink: false,
    };
    let err = import(&mut index, &[data("advisories/go")], &options).expect_err("refused");
    assert!(
        matches!(
            err,
            IndexError::Limit(LimitError::TooManyEntries { limit: 5, .. })
        ),
        "{err}"
    );
}

#[test]
fn a_file_over_the_entry_limit_is_refused_unread() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.json");
    std::fs::write(&path, vec![b' '; 2 << 20]).expect("write");
    let mut index = Index::open(&dir.path().join("i.sqlite")).expect("open");
    let options = ImportOptions {
        limits: ImportLimits {
            max_entry_bytes: 1 << 20,
            ..ImportLimits::default()
        },
        allow_shrink: false,
    };
    let err = import(&mut index, &[path], &options).expect_err("refused");
    assert!(
        matches!(err, IndexError::Limit(LimitError::EntryTooLarge { size, .. }) if size == 2 << 20),
        "{err}"
    );
}
