//! The offline advisory index: one SQLite file (`<workspace>/vuln/index.sqlite`).
//!
//! Why SQLite rather than a file loaded whole: a scan needs only the advisories of the
//! packages it looks at, so the index is queried by `(ecosystem, package)` through a B-tree
//! and nothing is loaded up front; opening costs the same with 10,000 or 200,000 advisories.
//! Each advisory is stored once as JSON (decoded only when a component names its package),
//! with one `packages` row per affected package and one `kev` row per KEV entry.
//!
//! Re-import is incremental per file: a file whose size and modification time are unchanged is
//! skipped without being read; one whose bytes hash to the stored SHA-256 only has its
//! metadata refreshed; only changed files are parsed again, and their old rows replaced in
//! the same transaction. Files that disappeared from an imported directory are dropped.
//!
//! Every source is read within [`ImportLimits`] (see [`crate::import`]). An import never
//! replaces good data by less without saying so: when a file that held N records (advisories
//! and KEV entries) now yields fewer than N/2 (a truncated download, a file that no longer
//! parses), or a directory's files together do, the whole import is refused with
//! [`IndexError::Shrunk`] naming both counts, and the index keeps what it had;
//! [`ImportOptions::allow_shrink`] accepts it deliberately (and the report lists it).
//!
//! This module speaks SQL to its own SQLite file rather than going through `assay-store`: the
//! index is a rebuildable cache of public advisory data keyed by `(ecosystem, package)`, read
//! by prepared statements in the scan's inner loop, and holds no evidence; the store's trait
//! is for the ledger's records. (Recorded in docs/architecture.md, Boundaries.)

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::advisory::{Advisory, name_key, osv_ecosystem_base};
use crate::finding::KevEntry;
use crate::import::{self, FileFormat, ImportLimits, ImportWarning, LimitError, ParsedFile};

/// Index errors. Messages name the file and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(
        "advisory index {path}: {source}; delete the file and run `assay vuln db import` again if it is damaged"
    )]
    Database {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "advisory index {path}: stored record of {} is unreadable ({}); re-import its source",
        crate::q(id),
        crate::qm(message)
    )]
    Record {
        path: PathBuf,
        id: String,
        message: String,
    },
    #[error("{path}: no such file or directory to import")]
    Missing { path: PathBuf },
    /// A source exceeded an import limit; nothing of the import was written.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// Sources that now yield far fewer records than the index holds from them; nothing of
    /// the import was written.
    #[error(
        "refusing to replace advisory data by less: {}; the index keeps its previous records \
         (nothing of this import was written); check the source (a truncated download? a \
         file that no longer parses?) or, if the drop is intended, import again with \
         --allow-shrink",
        shrinks.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    Shrunk { shrinks: Vec<Shrink> },
}

/// A source whose record count (advisories plus KEV entries) fell sharply on re-import.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Shrink {
    /// The file or imported directory.
    pub source: String,
    /// Records the index held from it before this import.
    pub before: usize,
    /// Records it yields now.
    pub after: usize,
}

impl std::fmt::Display for Shrink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} held {} records, now {}",
            import::shown(&self.source),
            self.before,
            self.after
        )
    }
}

/// Whether `after` records in place of `before` is a sharp shrink: fewer than half.
fn is_sharp_shrink(before: usize, after: usize) -> bool {
    before > 0 && after.saturating_mul(2) < before
}

/// How [`Index::import_with`] reads its sources.
#[derive(Clone, Copy, Debug, Default)]
pub struct ImportOptions {
    pub limits: ImportLimits,
    /// Accept sources that now yield fewer than half the records they did (reported in
    /// [`ImportReport::shrunk`]) instead of refusing the import.
    pub allow_shrink: bool,
}

/// Progress of long steps is the workspace's one reporter trait; re-exported here so
/// `assay_vuln::index::{Reporter, Silent}` keeps working.
pub use assay_core::{Reporter, Silent};

/// What an import did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportReport {
    pub files_seen: usize,
    /// Skipped: same size and modification time as when last imported.
    pub files_unchanged: usize,
    /// Read and hashed, same digest: only metadata refreshed.
    pub files_same_digest: usize,
    /// Parsed (new or changed).
    pub files_parsed: usize,
    pub files_removed: usize,
    pub advisories_imported: usize,
    pub kev_entries_imported: usize,
    pub warnings: Vec<ImportWarning>,
    /// Sources that shrank sharply and were accepted (`allow_shrink`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shrunk: Vec<Shrink>,
}

/// Counts for `assay vuln db stats`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct IndexStats {
    pub path: String,
    pub files: usize,
    pub files_by_format: BTreeMap<String, usize>,
    pub advisories: usize,
    pub withdrawn: usize,
    pub informational: usize,
    pub packages_by_ecosystem: BTreeMap<String, usize>,
    pub kev_entries: usize,
    pub warnings: usize,
    pub size_bytes: u64,
}

/// The advisory index.
pub struct Index {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index").field("path", &self.path).finish()
    }
}

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    digest TEXT NOT NULL,
    format TEXT NOT NULL,
    warnings TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS advisories (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL,
    advisory_id TEXT NOT NULL,
    withdrawn INTEGER NOT NULL,
    informational INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS advisories_file ON advisories(file_id);
CREATE TABLE IF NOT EXISTS packages (
    advisory INTEGER NOT NULL,
    ecosystem TEXT NOT NULL,
    name TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS packages_key ON packages(ecosystem, name);
CREATE INDEX IF NOT EXISTS packages_advisory ON packages(advisory);
CREATE TABLE IF NOT EXISTS ids (
    advisory INTEGER NOT NULL,
    id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ids_id ON ids(id);
CREATE INDEX IF NOT EXISTS ids_advisory ON ids(advisory);
CREATE TABLE IF NOT EXISTS kev (
    file_id INTEGER NOT NULL,
    cve TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS kev_file ON kev(file_id);
"#;

struct KnownFile {
    id: i64,
    size: i64,
    mtime_ns: i64,
    digest: String,
    /// Advisories plus KEV entries stored from this file.
    records: usize,
}

enum Work {
    /// Same digest: refresh size and mtime.
    Touch { id: i64, size: i64, mtime_ns: i64 },
    /// New or changed: replace rows.
    Replace {
        old_id: Option<i64>,
        old_records: usize,
        path: String,
        size: i64,
        mtime_ns: i64,
        digest: String,
        parsed: ParsedFile,
    },
}

fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, max_files: u64) -> Result<(), IndexError> {
    let entries = std::fs::read_dir(dir).map_err(|source| IndexError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if hidden {
            continue;
        }
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&path, out, max_files)?,
            Ok(t) if t.is_file() && import::is_candidate(&entry.file_name().to_string_lossy()) => {
                out.push(path);
                if out.len() as u64 > max_files {
                    return Err(LimitError::TooManyEntries {
                        file: import::shown(&dir.to_string_lossy()),
                        entries: out.len() as u64,
                        limit: max_files,
                    }
                    .into());
                }
            }
            _ => {}
        }
    }
    Ok(())
}

impl Index {
    /// Opens (creating if needed) the index at `path`.
    pub fn open(path: &Path) -> Result<Index, IndexError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| IndexError::Read {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let db = |source| IndexError::Database {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(db)?;
        // Memory-mapped reads avoid a copy per page on lookups; 32 MiB of page cache keeps
        // the package index hot during a scan.
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; \
             PRAGMA mmap_size=1073741824; PRAGMA cache_size=-32768;",
        )
        .map_err(db)?;
        conn.execute_batch(SCHEMA).map_err(db)?;
        backfill_ids(&conn).map_err(db)?;
        Ok(Index {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn db(&self) -> impl Fn(rusqlite::Error) -> IndexError + '_ {
        move |source| IndexError::Database {
            path: self.path.clone(),
            source,
        }
    }

    /// Imports advisory files, directory trees and zip archives (incrementally), with the
    /// default [`ImportOptions`]: default limits, sharp shrinks refused.
    pub fn import(
        &mut self,
        paths: &[PathBuf],
        reporter: &dyn Reporter,
    ) -> Result<ImportReport, IndexError> {
        self.import_with(paths, &ImportOptions::default(), reporter)
    }

    /// Imports advisory files, directory trees and zip archives (incrementally) within
    /// `options.limits`. All or nothing: on any error (a limit, a refused shrink, the
    /// database) the index keeps exactly what it had.
    pub fn import_with(
        &mut self,
        paths: &[PathBuf],
        options: &ImportOptions,
        reporter: &dyn Reporter,
    ) -> Result<ImportReport, IndexError> {
        let limits = options.limits;
        let mut report = ImportReport::default();
        let mut files = Vec::new();
        let mut roots = Vec::new();
        for path in paths {
            let canonical = std::fs::canonicalize(path)
                .map_err(|_| IndexError::Missing { path: path.clone() })?;
            if canonical.is_dir() {
                walk(&canonical, &mut files, limits.max_entries)?;
                roots.push(canonical);
            } else {
                files.push(canonical);
            }
        }
        files.sort();
        files.dedup();
        report.files_seen = files.len();

        let known = self.known_files()?;
        reporter.start("checking advisory files", Some(files.len() as u64));
        let mut to_read = Vec::new();
        for file in &files {
            let meta = std::fs::metadata(file).map_err(|source| IndexError::Read {
                path: file.clone(),
                source,
            })?;
            let key = file.to_string_lossy().into_owned();
            let size = meta.len() as i64;
            let mtime = mtime_ns(&meta);
            match known.get(&key) {
                Some(k) if k.size == size && k.mtime_ns == mtime => report.files_unchanged += 1,
                other => to_read.push((
                    key,
                    size,
                    mtime,
                    other.map(|k| (k.id, k.digest.clone(), k.records)),
                )),
            }
            reporter.advance(1);
        }
        reporter.finish();

        // Reading, hashing and parsing are independent per file: done in parallel.
        reporter.start("reading advisories", Some(to_read.len() as u64));
        use rayon::prelude::*;
        let results: Vec<Result<Work, IndexError>> = to_read
            .into_par_iter()
            .map(|(path, size, mtime_ns, old)| {
                let (digest, parsed) = match read_source(&path, size, old.as_ref(), &limits)? {
                    SourceRead::Same(id) => return Ok(Work::Touch { id, size, mtime_ns }),
                    SourceRead::Parsed { digest, parsed } => (digest, parsed),
                };
                Ok(Work::Replace {
                    old_id: old.as_ref().map(|(id, _, _)| *id),
                    old_records: old.as_ref().map_or(0, |(_, _, records)| *records),
                    path,
                    size,
                    mtime_ns,
                    digest,
                    parsed,
                })
            })
            .collect();
        reporter.advance(results.len() as u64);
        reporter.finish();

        let present: HashSet<String> = files
            .iter()
            .map(|f| f.to_string_lossy().into_owned())
            .collect();
        let results: Vec<Work> = results.into_iter().collect::<Result<_, _>>()?;
        let shrinks = shrinks(&known, &roots, &present, &results);
        if !shrinks.is_empty() {
            if !options.allow_shrink {
                return Err(IndexError::Shrunk { shrinks });
            }
            report.shrunk = shrinks;
        }
        let path = self.path.clone();
        let db = |source| IndexError::Database {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(db)?;
        {
            let mut insert_file = tx
                .prepare("INSERT INTO files(path, size, mtime_ns, digest, format, warnings) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .map_err(&db)?;
            let mut insert_advisory = tx
                .prepare("INSERT INTO advisories(file_id, advisory_id, withdrawn, informational, record) VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(&db)?;
            let mut insert_package = tx
                .prepare("INSERT INTO packages(advisory, ecosystem, name) VALUES (?1, ?2, ?3)")
                .map_err(&db)?;
            let mut insert_id = tx
                .prepare("INSERT INTO ids(advisory, id) VALUES (?1, ?2)")
                .map_err(&db)?;
            let mut insert_kev = tx
                .prepare("INSERT INTO kev(file_id, cve, record) VALUES (?1, ?2, ?3)")
                .map_err(&db)?;
            for result in results {
                match result {
                    Work::Touch { id, size, mtime_ns } => {
                        report.files_same_digest += 1;
                        tx.execute(
                            "UPDATE files SET size = ?1, mtime_ns = ?2 WHERE id = ?3",
                            params![size, mtime_ns, id],
                        )
                        .map_err(&db)?;
                    }
                    Work::Replace {
                        old_id,
                        old_records: _,
                        path: file_path,
                        size,
                        mtime_ns,
                        digest,
                        parsed,
                    } => {
                        report.files_parsed += 1;
                        if let Some(old) = old_id {
                            delete_file_rows(&tx, old).map_err(&db)?;
                        }
                        let format = parsed.format.unwrap_or(FileFormat::Other);
                        let warnings_json =
                            serde_json::to_string(&parsed.warnings).unwrap_or_else(|_| "[]".into());
                        insert_file
                            .execute(params![
                                file_path,
                                size,
                                mtime_ns,
                                digest,
                                format.as_str(),
                                warnings_json
                            ])
                            .map_err(&db)?;
                        let file_id = tx.last_insert_rowid();
                        for advisory in &parsed.advisories {
                            let record = serde_json::to_string(advisory).map_err(|e| {
                                IndexError::Record {
                                    path: path.clone(),
                                    id: advisory.id.clone(),
                                    message: e.to_string(),
                                }
                            })?;
                            insert_advisory
                                .execute(params![
                                    file_id,
                                    advisory.id,
                                    advisory.withdrawn.is_some(),
                                    advisory.informational.is_some(),
                                    record
                                ])
                                .map_err(&db)?;
                            let advisory_row = tx.last_insert_rowid();
                            for id in advisory_ids(advisory) {
                                insert_id.execute(params![advisory_row, id]).map_err(&db)?;
                            }
                            let mut keys = HashSet::new();
                            for affected in &advisory.affected {
                                let eco = osv_ecosystem_base(&affected.ecosystem).to_string();
                                let name = name_key(&eco, &affected.name);
                                if keys.insert((eco.clone(), name.clone())) {
                                    insert_package
                                        .execute(params![advisory_row, eco, name])
                                        .map_err(&db)?;
                                }
                            }
                        }
                        for entry in &parsed.kev {
                            let record = serde_json::to_string(entry).unwrap_or_default();
                            insert_kev
                                .execute(params![file_id, entry.cve_id, record])
                                .map_err(&db)?;
                        }
                        report.advisories_imported += parsed.advisories.len();
                        report.kev_entries_imported += parsed.kev.len();
                        report.warnings.extend(parsed.warnings);
                    }
                }
            }
            // Files that vanished from an imported directory.
            for (known_path, k) in &known {
                let under_root = roots.iter().any(|r| Path::new(known_path).starts_with(r));
                if under_root && !present.contains(known_path) {
                    delete_file_rows(&tx, k.id).map_err(&db)?;
                    tx.execute("DELETE FROM files WHERE id = ?1", params![k.id])
                        .map_err(&db)?;
                    report.files_removed += 1;
                }
            }
        }
        tx.commit().map_err(&db)?;
        Ok(report)
    }

    fn known_files(&self) -> Result<HashMap<String, KnownFile>, IndexError> {
        let db = self.db();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, path, size, mtime_ns, digest, \
                 (SELECT COUNT(*) FROM advisories a WHERE a.file_id = files.id) \
                 + (SELECT COUNT(*) FROM kev k WHERE k.file_id = files.id) FROM files",
            )
            .map_err(&db)?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(1)?,
                    KnownFile {
                        id: row.get(0)?,
                        size: row.get(2)?,
                        mtime_ns: row.get(3)?,
                        digest: row.get(4)?,
                        records: row.get::<_, i64>(5)? as usize,
                    },
                ))
            })
            .map_err(&db)?;
        let mut out = HashMap::new();
        for row in rows {
            let (path, file) = row.map_err(&db)?;
            out.insert(path, file);
        }
        Ok(out)
    }

    /// A digest of what the index holds: every imported file's path, content digest and
    /// format, in path order. Two indexes with the same content digest were built from the
    /// same files, so a scan against either gives the same findings (with the same engine):
    /// what lets a re-run reuse a signed scan result instead of matching again.
    pub fn content_digest(&self) -> Result<assay_core::Sha256Digest, IndexError> {
        let db = self.db();
        let mut stmt = self
            .conn
            .prepare("SELECT path, digest, format FROM files ORDER BY path")
            .map_err(&db)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(&db)?;
        let mut all = Vec::new();
        for row in rows {
            let (path, digest, format) = row.map_err(&db)?;
            for part in [path, digest, format] {
                all.extend_from_slice(&(part.len() as u64).to_le_bytes());
                all.extend_from_slice(part.as_bytes());
            }
        }
        Ok(assay_core::Sha256Digest::of(&all))
    }

    /// Counts for `db stats`.
    pub fn stats(&self) -> Result<IndexStats, IndexError> {
        let db = self.db();
        let count = |sql: &str| -> Result<usize, IndexError> {
            self.conn
                .query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|n| n as usize)
                .map_err(&db)
        };
        let mut stats = IndexStats {
            path: self.path.display().to_string(),
            files: count("SELECT COUNT(*) FROM files")?,
            advisories: count("SELECT COUNT(*) FROM advisories")?,
            withdrawn: count("SELECT COUNT(*) FROM advisories WHERE withdrawn")?,
            informational: count("SELECT COUNT(*) FROM advisories WHERE informational")?,
            kev_entries: count("SELECT COUNT(DISTINCT cve) FROM kev")?,
            size_bytes: std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0),
            ..IndexStats::default()
        };
        let mut stmt = self
            .conn
            .prepare("SELECT format, COUNT(*), SUM(json_array_length(warnings)) FROM files GROUP BY format")
            .map_err(&db)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                ))
            })
            .map_err(&db)?;
        for row in rows {
            let (format, n, warnings) = row.map_err(&db)?;
            stats.files_by_format.insert(format, n as usize);
            stats.warnings += warnings.unwrap_or(0) as usize;
        }
        let mut stmt = self
            .conn
            .prepare("SELECT ecosystem, COUNT(DISTINCT advisory) FROM packages GROUP BY ecosystem")
            .map_err(&db)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(&db)?;
        for row in rows {
            let (ecosystem, n) = row.map_err(&db)?;
            stats.packages_by_ecosystem.insert(ecosystem, n as usize);
        }
        Ok(stats)
    }

    /// Warnings stored with the imported files.
    pub fn warnings(&self) -> Result<Vec<ImportWarning>, IndexError> {
        let db = self.db();
        let mut stmt = self
            .conn
            .prepare("SELECT warnings FROM files WHERE warnings != '[]' ORDER BY path")
            .map_err(&db)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(&db)?;
        let mut out = Vec::new();
        for row in rows {
            let text = row.map_err(&db)?;
            if let Ok(list) = serde_json::from_str::<Vec<ImportWarning>>(&text) {
                out.extend(list);
            }
        }
        Ok(out)
    }

    /// Every KEV entry, by CVE id.
    pub fn kev_entries(&self) -> Result<HashMap<String, KevEntry>, IndexError> {
        let db = self.db();
        let mut stmt = self
            .conn
            .prepare("SELECT cve, record FROM kev")
            .map_err(&db)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(&db)?;
        let mut out = HashMap::new();
        for row in rows {
            let (cve, record) = row.map_err(&db)?;
            if let Ok(entry) = serde_json::from_str::<KevEntry>(&record) {
                out.insert(cve, entry);
            }
        }
        Ok(out)
    }

    /// A lookup session for a scan: prepared statement plus a cache of decoded advisories.
    pub fn lookup(&self) -> Result<Lookup<'_>, IndexError> {
        // One read transaction for the whole scan: SQLite otherwise takes and releases its
        // file locks around every query (10,000 components = 20,000 lock calls).
        self.conn
            .execute_batch("BEGIN DEFERRED")
            .map_err(self.db())?;
        let has_any_ecosystem = self
            .conn
            .query_row(
                "SELECT 1 FROM packages WHERE ecosystem = '*' LIMIT 1",
                [],
                |_| Ok(()),
            )
            .optional()
            .map_err(self.db())?
            .is_some();
        let by_package = self
            .conn
            .prepare(
                "SELECT p.advisory FROM packages p JOIN advisories a ON a.id = p.advisory \
                 WHERE p.ecosystem = ?1 AND p.name = ?2 AND NOT a.withdrawn",
            )
            .map_err(self.db())?;
        let record = self
            .conn
            .prepare("SELECT advisory_id, record FROM advisories WHERE id = ?1")
            .map_err(self.db())?;
        let by_id = self
            .conn
            .prepare(
                "SELECT DISTINCT i.advisory FROM ids i JOIN advisories a ON a.id = i.advisory \
                 WHERE i.id = ?1 AND NOT a.withdrawn ORDER BY i.advisory",
            )
            .map_err(self.db())?;
        Ok(Lookup {
            index: self,
            by_package,
            by_id,
            record,
            packages: HashMap::new(),
            cache: HashMap::new(),
            has_any_ecosystem,
        })
    }

    /// Number of advisories whose id is `id` (for tests and stats).
    pub fn advisory_exists(&self, id: &str) -> Result<bool, IndexError> {
        self.conn
            .query_row(
                "SELECT 1 FROM advisories WHERE advisory_id = ?1 LIMIT 1",
                params![id],
                |_| Ok(()),
            )
            .optional()
            .map(|o| o.is_some())
            .map_err(self.db())
    }
}

/// What reading one source found.
enum SourceRead {
    /// Its bytes hash to the digest stored for it (the file's row id).
    Same(i64),
    Parsed {
        digest: String,
        parsed: ParsedFile,
    },
}

/// Reads, hashes and (when changed) parses one source within `limits`. A zip archive is
/// hashed and read as a stream, never held whole; any other file is read through a reader
/// that stops one byte past the limit, so a file that grew since `size` was taken is caught.
fn read_source(
    path: &str,
    size: i64,
    old: Option<&(i64, String, usize)>,
    limits: &ImportLimits,
) -> Result<SourceRead, IndexError> {
    use std::io::{Read as _, Seek as _};
    let read_err = |source| IndexError::Read {
        path: PathBuf::from(path),
        source,
    };
    let is_zip = path.to_ascii_lowercase().ends_with(".zip");
    let limit = if is_zip {
        limits.max_total_bytes
    } else {
        limits.max_entry_bytes
    };
    let too_large = |size: u64| -> IndexError {
        if is_zip {
            LimitError::ArchiveTooLarge {
                file: import::shown(path),
                declared: size,
                limit,
            }
        } else {
            LimitError::EntryTooLarge {
                file: import::shown(path),
                size,
                limit,
            }
        }
        .into()
    };
    if size as u64 > limit {
        return Err(too_large(size as u64));
    }
    let file = std::fs::File::open(path).map_err(read_err)?;
    let same = |digest: &str| {
        old.filter(|(_, old_digest, _)| old_digest == digest)
            .map(|(id, _, _)| SourceRead::Same(*id))
    };
    if is_zip {
        let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
        let mut hasher = Sha256::new();
        let copied = std::io::copy(
            &mut (&mut reader).take(limit + 1),
            &mut HashWriter(&mut hasher),
        )
        .map_err(read_err)?;
        if copied > limit {
            return Err(too_large(copied));
        }
        let digest = hex::encode(hasher.finalize());
        if let Some(same) = same(&digest) {
            return Ok(same);
        }
        reader.rewind().map_err(read_err)?;
        let parsed = import::parse_zip(path, reader, limits)?;
        return Ok(SourceRead::Parsed { digest, parsed });
    }
    let mut bytes = Vec::with_capacity(size.max(0) as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    let digest = hex::encode(Sha256::digest(&bytes));
    if let Some(same) = same(&digest) {
        return Ok(same);
    }
    let parsed = import::parse_bytes_with(path, &bytes, limits)?;
    Ok(SourceRead::Parsed { digest, parsed })
}

/// Feeds what is written into a SHA-256.
struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sources that would shrink sharply if `results` were applied: each re-parsed file against
/// what the index holds from it, and each imported directory as a whole (files removed from
/// it included).
fn shrinks(
    known: &HashMap<String, KnownFile>,
    roots: &[PathBuf],
    present: &HashSet<String>,
    results: &[Work],
) -> Vec<Shrink> {
    let mut out = Vec::new();
    // Records per file after the import, for the files the import changes.
    let mut after: HashMap<&str, usize> = HashMap::new();
    for work in results {
        if let Work::Replace {
            old_records,
            path,
            parsed,
            ..
        } = work
        {
            let now = parsed.advisories.len() + parsed.kev.len();
            if is_sharp_shrink(*old_records, now) {
                out.push(Shrink {
                    source: path.clone(),
                    before: *old_records,
                    after: now,
                });
            }
            after.insert(path, now);
        }
    }
    for root in roots {
        let mut before_total = 0usize;
        let mut after_total = 0usize;
        for (path, k) in known {
            if Path::new(path).starts_with(root) {
                before_total += k.records;
                if present.contains(path) && !after.contains_key(path.as_str()) {
                    after_total += k.records;
                }
            }
        }
        after_total += after
            .iter()
            .filter(|(path, _)| Path::new(path).starts_with(root))
            .map(|(_, n)| n)
            .sum::<usize>();
        if is_sharp_shrink(before_total, after_total) {
            out.push(Shrink {
                source: root.to_string_lossy().into_owned(),
                before: before_total,
                after: after_total,
            });
        }
    }
    out
}

/// The ids an advisory is known by (its own and its aliases), each once: the `ids` table's
/// rows, through which a finding finds the other advisories of the same vulnerability.
fn advisory_ids(advisory: &Advisory) -> BTreeSet<&str> {
    std::iter::once(advisory.id.as_str())
        .chain(advisory.aliases.iter().map(String::as_str))
        .filter(|id| !id.is_empty())
        .collect()
}

/// Fills the `ids` table of an index written before it existed (one pass over the records,
/// once: afterwards the import keeps it current).
fn backfill_ids(conn: &Connection) -> rusqlite::Result<()> {
    let has_ids = conn
        .query_row("SELECT 1 FROM ids LIMIT 1", [], |_| Ok(()))
        .optional()?
        .is_some();
    let has_advisories = conn
        .query_row("SELECT 1 FROM advisories LIMIT 1", [], |_| Ok(()))
        .optional()?
        .is_some();
    if has_ids || !has_advisories {
        return Ok(());
    }
    let tx = conn.unchecked_transaction()?;
    {
        let mut read = tx.prepare("SELECT id, record FROM advisories")?;
        let mut insert = tx.prepare("INSERT INTO ids(advisory, id) VALUES (?1, ?2)")?;
        let rows = read.query_map([], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (rowid, record) = row?;
            // A record that does not decode is reported by the scan that reads it.
            if let Ok(advisory) = serde_json::from_str::<Advisory>(&record) {
                for id in advisory_ids(&advisory) {
                    insert.execute(params![rowid, id])?;
                }
            }
        }
    }
    tx.commit()
}

fn delete_file_rows(tx: &rusqlite::Transaction<'_>, file_id: i64) -> rusqlite::Result<()> {
    tx.execute(
        "DELETE FROM ids WHERE advisory IN (SELECT id FROM advisories WHERE file_id = ?1)",
        params![file_id],
    )?;
    tx.execute(
        "DELETE FROM packages WHERE advisory IN (SELECT id FROM advisories WHERE file_id = ?1)",
        params![file_id],
    )?;
    tx.execute(
        "DELETE FROM advisories WHERE file_id = ?1",
        params![file_id],
    )?;
    tx.execute("DELETE FROM kev WHERE file_id = ?1", params![file_id])?;
    tx.execute("DELETE FROM files WHERE id = ?1", params![file_id])?;
    Ok(())
}

/// Looks advisories up by package, decoding each stored record at most once per scan.
pub struct Lookup<'a> {
    index: &'a Index,
    by_package: rusqlite::Statement<'a>,
    by_id: rusqlite::Statement<'a>,
    record: rusqlite::Statement<'a>,
    /// Advisory row ids per (ecosystem, name) already queried.
    packages: HashMap<(String, String), Arc<[i64]>>,
    cache: HashMap<i64, Arc<Advisory>>,
    has_any_ecosystem: bool,
}

impl Drop for Lookup<'_> {
    fn drop(&mut self) {
        // Ends the read transaction; nothing was written, so there is nothing to lose.
        let _ = self.index.conn.execute_batch("COMMIT");
    }
}

impl Lookup<'_> {
    /// Advisories (not withdrawn) naming the package `(ecosystem key, name key)`. Each
    /// package is queried once per scan and each record decoded once.
    pub fn advisories(
        &mut self,
        ecosystem: &str,
        name: &str,
    ) -> Result<Vec<(i64, Arc<Advisory>)>, IndexError> {
        if ecosystem == "*" && !self.has_any_ecosystem {
            return Ok(Vec::new());
        }
        let path = self.index.path.clone();
        let db = |source| IndexError::Database {
            path: path.clone(),
            source,
        };
        let key = (ecosystem.to_string(), name.to_string());
        let rowids = match self.packages.get(&key) {
            Some(ids) => ids.clone(),
            None => {
                let ids: Vec<i64> = self
                    .by_package
                    .query_map(params![ecosystem, name], |row| row.get(0))
                    .map_err(db)?
                    .collect::<Result<_, _>>()
                    .map_err(db)?;
                let ids: Arc<[i64]> = ids.into();
                self.packages.insert(key, ids.clone());
                ids
            }
        };
        self.decode(&rowids)
    }

    /// Advisories (not withdrawn) whose own id or one of whose aliases is `id`, in index
    /// order: the other records of the same vulnerability, whatever package they name.
    pub fn by_id(&mut self, id: &str) -> Result<Vec<(i64, Arc<Advisory>)>, IndexError> {
        let path = self.index.path.clone();
        let db = |source| IndexError::Database {
            path: path.clone(),
            source,
        };
        let rowids: Vec<i64> = self
            .by_id
            .query_map(params![id], |row| row.get(0))
            .map_err(db)?
            .collect::<Result<_, _>>()
            .map_err(db)?;
        self.decode(&rowids)
    }

    fn decode(&mut self, rowids: &[i64]) -> Result<Vec<(i64, Arc<Advisory>)>, IndexError> {
        let path = self.index.path.clone();
        let db = |source| IndexError::Database {
            path: path.clone(),
            source,
        };
        let mut out = Vec::with_capacity(rowids.len());
        for &rowid in rowids {
            if let Some(advisory) = self.cache.get(&rowid) {
                out.push((rowid, advisory.clone()));
                continue;
            }
            let (id, record): (String, String) = self
                .record
                .query_row(params![rowid], |row| Ok((row.get(0)?, row.get(1)?)))
                .map_err(db)?;
            let advisory: Advisory =
                serde_json::from_str(&record).map_err(|e| IndexError::Record {
                    path: path.clone(),
                    id,
                    message: e.to_string(),
                })?;
            let advisory = Arc::new(advisory);
            self.cache.insert(rowid, advisory.clone());
            out.push((rowid, advisory));
        }
        Ok(out)
    }
}
