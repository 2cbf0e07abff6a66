//! The raw SQLite ceiling: the write rate every write endpoint shares, measured without the server.

use std::path::Path;
use std::time::{Duration, Instant};

/// Commits per second of `BEGIN IMMEDIATE; UPDATE one counter row; COMMIT` on one connection, with
/// the server's pragmas: the most any serialized writer can do on this disk.
pub fn commit_rate(path: &Path, run_for: Duration) -> f64 {
    let conn = rusqlite::Connection::open(path).expect("scratch db");
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000; PRAGMA cache_size = -16000; PRAGMA temp_store = MEMORY;
         CREATE TABLE inventory (product_id INTEGER NOT NULL, channel TEXT NOT NULL,
             allocated INTEGER NOT NULL, held INTEGER NOT NULL DEFAULT 0, sold INTEGER NOT NULL DEFAULT 0,
             CHECK (held + sold <= allocated), PRIMARY KEY (product_id, channel)) WITHOUT ROWID;
         INSERT INTO inventory (product_id, channel, allocated) VALUES (106, 'ota', 1000000000);",
    )
    .expect("scratch schema");
    let mut n = 0u64;
    let start = Instant::now();
    while start.elapsed() < run_for {
        conn.execute_batch(
            "BEGIN IMMEDIATE;
             UPDATE inventory SET held = held + 1 WHERE product_id = 106 AND channel = 'ota' AND allocated - held - sold >= 1;
             COMMIT;",
        )
        .expect("raw tx");
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}
