//! `gangway check --database FILE`, the real binary on copies of a real database: it passes a
//! sound copy without touching it, and fails (exit 1, with the reason) a copy whose pages, whose
//! references or whose books are wrong; a file it cannot check at all is exit 2, never created.

use std::path::{Path, PathBuf};

use gangway::db::Db;
use sha2::{Digest, Sha256};

use crate::helpers::*;
use crate::procs::{gangway_check as check, Checked};

/// A copy of a database with partners, reservations, paid orders and tickets in it.
fn copy_of_a_busy_database(dir: &Path) -> PathBuf {
    let app = spawn_app();
    let p = app.partner("Harbour Travel");
    app.paid_order(&p, 106, 3);
    app.paid_order(&p, 108, 1);
    app.reserve(&p, 107, 2).expect(201);
    let copy = dir.join("copy.db");
    app.db().backup_to(&copy).unwrap();
    copy
}

/// The file's hash and the names beside it: what "never writes" is checked against.
fn fingerprint(file: &Path) -> (String, Vec<String>) {
    let hash = hex::encode(Sha256::digest(std::fs::read(file).unwrap()));
    let mut names: Vec<String> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    (hash, names)
}

/// Changes a copy behind the application's back (as a bug or a bad restore would).
fn tamper(file: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(file).unwrap();
    conn.execute_batch(sql).unwrap();
}

/// A busy database's copy, spoiled by `spoil`: `gangway check` must fail it (exit 1).
fn check_spoiled(spoil: impl FnOnce(&Path)) -> Checked {
    let dir = tempfile::tempdir().unwrap();
    let copy = copy_of_a_busy_database(dir.path());
    spoil(&copy);
    let c = check(&copy);
    assert_eq!(c.code, 1, "{}", c.report);
    assert!(
        c.report.contains("do not serve from this copy"),
        "{}",
        c.report
    );
    c
}

#[test]
fn a_sound_copy_passes_and_is_left_exactly_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let copy = copy_of_a_busy_database(dir.path());
    let before = fingerprint(&copy);
    let c = check(&copy);
    assert_eq!(c.code, 0, "{}", c.report);
    for line in [
        "integrity_check    ok",
        "foreign_key_check  ok",
        "reconciliation     ok: 6 package/channel rows",
        "All 3 checks passed.",
    ] {
        assert!(c.report.contains(line), "no {line:?} in:\n{}", c.report);
    }
    assert_eq!(
        fingerprint(&copy),
        before,
        "check wrote to or beside the file"
    );
}

#[test]
fn counters_that_disagree_with_the_rows_fail_the_books() {
    let c = check_spoiled(|copy| {
        tamper(
            copy,
            "UPDATE inventory SET held = held + 1 WHERE product_id = 107 AND channel = 'ota'",
        )
    });
    for line in [
        "reconciliation     FAILED: package 107 / ota: stored held 3",
        "rows say held 2",
        "1 of 3 checks FAILED",
    ] {
        assert!(c.report.contains(line), "no {line:?} in:\n{}", c.report);
    }
}

#[test]
fn a_reference_to_a_missing_row_fails_the_foreign_key_check() {
    let c = check_spoiled(|copy| {
        tamper(
            copy,
            "PRAGMA foreign_keys = OFF; DELETE FROM order_lines; DELETE FROM orders WHERE status = 'PAID'",
        )
    });
    let line = "foreign_key_check  FAILED: tickets row 1 refers to a missing orders";
    assert!(c.report.contains(line), "{}", c.report);
}

#[test]
fn damaged_pages_fail_the_integrity_check() {
    // Scribble over the cells of the tickets' code index, as a failing disk would.
    let c = check_spoiled(|copy| {
        let (root, page): (i64, i64) = {
            let conn = rusqlite::Connection::open(copy).unwrap();
            let root = conn
                .query_row(
                    "SELECT rootpage FROM sqlite_schema WHERE tbl_name = 'tickets' AND type = 'index' AND sql IS NULL",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            (
                root,
                conn.query_row("PRAGMA page_size", [], |r| r.get(0))
                    .unwrap(),
            )
        };
        let mut bytes = std::fs::read(copy).unwrap();
        let start = ((root - 1) * page) as usize;
        for b in &mut bytes[start + 8..start + page as usize] {
            *b = 0xA5;
        }
        std::fs::write(copy, bytes).unwrap();
    });
    assert!(
        c.report.contains("integrity_check    FAILED"),
        "{}",
        c.report
    );
}

#[test]
fn a_copy_taken_with_its_wal_is_checked_with_the_wal() {
    // Under `checkpoint = "external"` with no Litestream, nothing reaches the database file: the
    // schema, the seed and every write are still in the WAL. A copy of both files (a disk image
    // taken while the server ran) must be read with its WAL, and neither file written.
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    let db = Db::open_with(
        &live.join("gangway.db"),
        gangway::db::DbOptions {
            read_pool_size: 1,
            checkpoint: gangway::db::CheckpointMode::External,
        },
    )
    .unwrap();
    new_partner(&db, "Lantau Tours");
    let copied = dir.path().join("copied");
    std::fs::create_dir(&copied).unwrap();
    for name in ["gangway.db", "gangway.db-wal"] {
        std::fs::copy(live.join(name), copied.join(name)).unwrap();
    }
    drop(db);
    let copy = copied.join("gangway.db");
    let wal = copied.join("gangway.db-wal");
    let (db_before, wal_before) = (fingerprint(&copy).0, fingerprint(&wal).0);
    let c = check(&copy);
    assert_eq!(c.code, 0, "{}", c.report);
    assert!(
        c.report.contains("a -wal file lies beside it"),
        "{}",
        c.report
    );
    assert_eq!(
        (fingerprint(&copy).0, fingerprint(&wal).0),
        (db_before, wal_before)
    );
}

#[test]
fn a_file_that_cannot_be_checked_is_exit_2_and_never_created() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let c = check(&missing);
    assert_eq!(c.code, 2, "{}", c.report);
    assert!(c.report.contains("cannot check it"), "{}", c.report);
    assert!(!missing.exists());

    let other = dir.path().join("other.db");
    tamper(&other, "CREATE TABLE notes (body TEXT)");
    let c = check(&other);
    assert_eq!(c.code, 2, "{}", c.report);
    assert!(c.report.contains("not a Gangway database"), "{}", c.report);
}
