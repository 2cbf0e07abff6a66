//! Looking at a database file from the outside: a copy that no server holds (a restored replica, a
//! backup) opened strictly read-only for `gangway check`, and the WAL's size for the metrics.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::error::AppError;

/// The `-wal` file beside a database file.
pub fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// The size of the `-wal` file beside `db` (0 when there is none).
pub fn wal_bytes(db: &Path) -> u64 {
    std::fs::metadata(wal_path(db)).map_or(0, |m| m.len())
}

/// How a file was opened by [`open_read_only`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadOnlyOpen {
    /// No WAL beside it: opened `immutable`, so SQLite takes no lock and creates no `-shm` or
    /// `-wal` file next to it.
    Immutable,
    /// A non-empty `-wal` beside it (a copy taken with its WAL, or a server that stopped
    /// uncleanly): opened read-only with the WAL, so its committed transactions count. SQLite may
    /// create the `-shm` index; the database and the WAL are not written.
    WithWal,
}

/// Opens an existing database file read-only: never creates it, never migrates, never writes it
/// (`query_only` on top of the read-only open). For files no server is writing.
pub fn open_read_only(path: &Path) -> Result<(Connection, ReadOnlyOpen), AppError> {
    let cannot = |e: &dyn std::fmt::Display| {
        AppError::Config(format!("cannot open {} read-only: {e}", path.display()))
    };
    let meta = std::fs::metadata(path).map_err(|e| cannot(&e))?;
    if !meta.is_file() {
        return Err(cannot(&"not a file"));
    }
    let how = if wal_bytes(path) > 0 {
        ReadOnlyOpen::WithWal
    } else {
        ReadOnlyOpen::Immutable
    };
    let absolute = std::path::absolute(path).map_err(|e| cannot(&e))?;
    let mut uri = format!("file:{}?mode=ro", uri_path(&absolute));
    if how == ReadOnlyOpen::Immutable {
        uri.push_str("&immutable=1");
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(&uri, flags).map_err(|e| cannot(&e))?;
    conn.execute_batch("PRAGMA query_only = 1;")
        .map_err(|e| cannot(&e))?;
    // A file that is not SQLite opens fine and fails at the first read: fail here instead.
    conn.query_row("SELECT COUNT(*) FROM sqlite_schema", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| cannot(&e))?;
    Ok((conn, how))
}

/// A path as the path part of an SQLite `file:` URI: `%`, `?` and `#` are escaped.
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    out
}

/// `PRAGMA integrity_check`: empty when the file is sound, else SQLite's first complaints.
pub fn integrity_problems(conn: &Connection, max: u32) -> Result<Vec<String>, AppError> {
    let mut stmt = conn.prepare(&format!("PRAGMA integrity_check({max})"))?;
    let lines = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(lines.into_iter().filter(|l| l != "ok").collect())
}

/// `PRAGMA foreign_key_check`: one line per row whose reference points nowhere.
pub fn dangling_references(conn: &Connection) -> Result<Vec<String>, AppError> {
    let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
    let rows = stmt.query_map([], |r| {
        Ok(format!(
            "{} row {} refers to a missing {}",
            r.get::<_, String>(0)?,
            r.get::<_, Option<i64>>(1)?
                .map_or_else(|| "?".to_owned(), |id| id.to_string()),
            r.get::<_, String>(2)?,
        ))
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The newest migration applied to the file, and the newest this binary carries. `None` when
/// the file has no migration history: not a Gangway database.
pub fn schema_versions(conn: &Connection) -> Result<Option<(i64, i64)>, AppError> {
    let known = super::migrations::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| i64::from(m.version()))
        .max()
        .unwrap_or(0);
    let has_history: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'refinery_schema_history')",
        [],
        |r| r.get(0),
    )?;
    if !has_history {
        return Ok(None);
    }
    let applied: Option<i64> = conn.query_row(
        "SELECT MAX(version) FROM refinery_schema_history",
        [],
        |r| r.get(0),
    )?;
    Ok(Some((applied.unwrap_or(0), known)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_paths_escape_what_sqlite_would_read_as_query_or_fragment() {
        assert_eq!(
            uri_path(Path::new("/a b/100%?x#y.db")),
            "/a b/100%25%3fx%23y.db"
        );
    }

    #[test]
    fn a_file_that_is_not_sqlite_is_refused_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.db");
        std::fs::write(&path, b"not a database, just words, words, words").unwrap();
        let err = open_read_only(&path).unwrap_err();
        assert!(err.to_string().contains("notes.db"), "{err}");
        let missing = open_read_only(&dir.path().join("missing.db")).unwrap_err();
        assert!(missing.to_string().contains("missing.db"), "{missing}");
        assert!(!dir.path().join("missing.db").exists(), "never created");
    }
}
