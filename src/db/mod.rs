//! The one SQLite file: pragmas, migrations, and the only two ways in — `read` on a pooled
//! connection and `write`, a `BEGIN IMMEDIATE` transaction on the single writer connection.
//!
//! Writers queue in Rust, first come first served, instead of in SQLite's busy handler: the busy
//! handler sleeps with back-off, which under contention costs far more latency than a lock
//! hand-over. The busy timeout still covers other processes (the CLI) writing to the same file.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::error::AppError;

mod columns;
pub(crate) use columns::text_enum;
pub use columns::{is_unique_violation, ConnExt, UnknownValue};

mod migrations {
    refinery::embed_migrations!("sql");
}

const PRAGMAS: &str = "PRAGMA journal_mode = WAL;
     PRAGMA synchronous = NORMAL;
     PRAGMA foreign_keys = ON;
     PRAGMA busy_timeout = 5000;
     PRAGMA cache_size = -4000;
     PRAGMA journal_size_limit = 67108864;
     PRAGMA temp_store = MEMORY;";

/// Every domain statement is `prepare_cached`; rusqlite keeps 16 by default, fewer than one write
/// path uses, and re-parsing SQL on every request costs more than the query itself.
const STATEMENT_CACHE: usize = 128;

/// Per-connection set-up. The page cache is 4 MB per connection: the whole working set of a
/// season fits, and nine connections stay well inside the memory budget.
fn prepare(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.execute_batch(PRAGMAS)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

#[derive(Clone)]
pub struct Db {
    readers: r2d2::Pool<SqliteConnectionManager>,
    writer: Arc<FairLock>,
}

impl Db {
    /// Opens (creating it and its directory if needed) and migrates the database.
    pub fn open(path: &Path, read_pool_size: u32) -> Result<Db, AppError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| AppError::Config(format!("cannot create {}: {e}", dir.display())))?;
        }
        let mut writer = Connection::open(path)?;
        prepare(&mut writer)?;
        migrate(&mut writer, None)?;
        let manager = SqliteConnectionManager::file(path).with_init(prepare);
        let readers = r2d2::Pool::builder()
            .max_size(read_pool_size)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(5))
            .build(manager)
            .map_err(|e| AppError::Unavailable(format!("database pool: {e}")))?;
        let writer = Arc::new(FairLock::new(writer));
        spawn_checkpointer(path, Arc::downgrade(&writer));
        Ok(Db { readers, writer })
    }

    /// Runs `f` on a read connection. Reads see the last committed state (WAL snapshot).
    pub fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let conn = self.readers.get()?;
        f(&conn)
    }

    /// Runs `f` inside `BEGIN IMMEDIATE … COMMIT`; any `Err` (or a panic) rolls everything back.
    /// The job owns what it needs (`'static`): it may run on the writer's own thread.
    pub fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let mut conn = self.writer.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Writes a transactionally consistent, compacted copy to `target` (`VACUUM INTO`) while
    /// other connections keep reading and writing.
    pub fn backup_to(&self, target: &str) -> Result<(), AppError> {
        self.read(|c| Ok(c.execute("VACUUM INTO ?1", [target]).map(|_| ())?))
    }

    /// Used by `/health`: a trivial query through the read pool.
    pub fn ping(&self) -> Result<(), AppError> {
        self.read(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
            .map(|_| ())
    }
}

/// Applies the embedded migrations from `sql/`, all of them or up to `target` (used by the upgrade
/// tests to build a database as an older release left it).
pub fn migrate(conn: &mut Connection, target: Option<i32>) -> Result<(), AppError> {
    let mut runner = migrations::migrations::runner();
    if let Some(v) = target {
        runner = runner.set_target(refinery::Target::Version(v));
    }
    runner
        .run(conn)
        .map(|_| ())
        .map_err(|e| AppError::Internal(format!("migration failed: {e}")))
}

/// The writer connection behind a first-come, first-served lock. A plain mutex lets a thread that
/// just arrived barge past ones that have waited for a while; with dozens of requests queued for
/// the one writer that starves a few of them and makes the latency tail long. Tickets keep order.
struct FairLock {
    turns: Mutex<Turns>,
    turn_changed: Condvar,
    conn: Mutex<Connection>,
}

struct Turns {
    next_ticket: u64,
    now_serving: u64,
}

struct FairGuard<'a> {
    lock: &'a FairLock,
    conn: Option<MutexGuard<'a, Connection>>,
}

impl FairLock {
    fn new(conn: Connection) -> FairLock {
        FairLock {
            turns: Mutex::new(Turns {
                next_ticket: 0,
                now_serving: 0,
            }),
            turn_changed: Condvar::new(),
            conn: Mutex::new(conn),
        }
    }

    fn lock(&self) -> FairGuard<'_> {
        let mut turns = self.turns.lock().unwrap_or_else(|p| p.into_inner());
        let mine = turns.next_ticket;
        turns.next_ticket += 1;
        while turns.now_serving != mine {
            turns = self
                .turn_changed
                .wait(turns)
                .unwrap_or_else(|p| p.into_inner());
        }
        drop(turns);
        // Uncontended now. A panic inside an earlier transaction poisons it, but rusqlite rolled
        // that transaction back when it was dropped, so the connection is clean to reuse.
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        FairGuard {
            lock: self,
            conn: Some(conn),
        }
    }
}

impl std::ops::Deref for FairGuard<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("held until drop")
    }
}

impl std::ops::DerefMut for FairGuard<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("held until drop")
    }
}

impl Drop for FairGuard<'_> {
    fn drop(&mut self) {
        self.conn = None;
        let mut turns = self.lock.turns.lock().unwrap_or_else(|p| p.into_inner());
        turns.now_serving += 1;
        self.lock.turn_changed.notify_all();
    }
}

/// Every 250 ms, a PASSIVE checkpoint on its own connection copies committed WAL pages into the
/// database file (and fsyncs it) off the writer's path, so the writer's own automatic checkpoint
/// finds little left to do and requests queued behind it are not stalled. The writer keeps its
/// automatic checkpoint: it is what lets the WAL restart from the beginning, keeping the file
/// bounded. Stops when the last `Db` handle is gone.
fn spawn_checkpointer(path: &Path, writer: std::sync::Weak<FairLock>) {
    let path = path.to_path_buf();
    let started = std::thread::Builder::new()
        .name("wal-checkpoint".into())
        .spawn(move || {
            let Ok(conn) = Connection::open(&path) else {
                return;
            };
            while writer.strong_count() > 0 {
                std::thread::sleep(Duration::from_millis(250));
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    eprintln!("gangway: WAL checkpoint failed: {e}");
                }
            }
        });
    if let Err(e) = started {
        eprintln!("gangway: cannot start the WAL checkpointer: {e}");
    }
}
