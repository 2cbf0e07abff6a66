//! The raw SQLite ceiling: the write rate every write endpoint shares, measured without the server.
//! One transaction is what a reservation needs at the least: a conditional UPDATE of the stock row
//! and an INSERT of the hold.

use std::path::Path;
use std::time::{Duration, Instant};

/// Commits per second of `BEGIN IMMEDIATE; conditional UPDATE of one counter row; INSERT one row;
/// COMMIT` on one connection, with the server's pragmas: the most one serialized writer committing
/// each reservation on its own can do on this disk.
pub fn commit_rate(path: &Path, run_for: Duration) -> f64 {
    let conn = rusqlite::Connection::open(path).expect("scratch db");
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000; PRAGMA cache_size = -16000; PRAGMA temp_store = MEMORY;
         CREATE TABLE inventory (product_id INTEGER NOT NULL, channel TEXT NOT NULL,
             allocated INTEGER NOT NULL, held INTEGER NOT NULL DEFAULT 0, sold INTEGER NOT NULL DEFAULT 0,
             CHECK (held + sold <= allocated), PRIMARY KEY (product_id, channel)) WITHOUT ROWID;
         INSERT INTO inventory (product_id, channel, allocated) VALUES (106, 'ota', 1000000000);
         CREATE TABLE holds (id TEXT PRIMARY KEY, product_id INTEGER NOT NULL, quantity INTEGER NOT NULL,
             created_at TEXT NOT NULL) WITHOUT ROWID;",
    )
    .expect("scratch schema");
    let mut n = 0u64;
    let start = Instant::now();
    while start.elapsed() < run_for {
        conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
        conn.prepare_cached(
            "UPDATE inventory SET held = held + 1 WHERE product_id = 106 AND channel = 'ota' AND allocated - held - sold >= 1",
        )
        .and_then(|mut s| s.execute([]))
        .expect("hold");
        conn.prepare_cached(
            "INSERT INTO holds (id, product_id, quantity, created_at) VALUES (?1, 106, 1, '2026-01-01T00:00:00Z')",
        )
        .and_then(|mut s| s.execute([uuid::Uuid::new_v4().to_string()]))
        .expect("insert");
        conn.execute_batch("COMMIT").expect("commit");
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}
