//! The one SQLite file: pragmas, migrations, and the only two ways in — `read` on a pooled
//! connection and `write`, a job run inside `BEGIN IMMEDIATE` on the single writer connection.
//!
//! Writers queue in Rust, first come first served, for one writer thread that commits them in
//! groups (`writer.rs`), instead of in SQLite's busy handler, which sleeps with back-off. The busy
//! timeout still covers other processes (the CLI) writing to the same file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags, Transaction};

use crate::error::AppError;

mod checkpoint;
mod columns;
mod files;
mod inspect;
mod writer;

pub use checkpoint::CheckpointMode;
pub(crate) use columns::text_enum;
pub use columns::{is_unique_violation, ConnExt, UnknownValue};
pub use inspect::{
    dangling_references, integrity_problems, open_read_only, schema_versions, wal_bytes, wal_path,
    ReadOnlyOpen,
};
use writer::Writer;
pub use writer::{WriterStats, WAIT_BUCKETS_MICROS};

mod migrations {
    refinery::embed_migrations!("sql");
}

const PRAGMAS: &str = "PRAGMA journal_mode = WAL;
     PRAGMA synchronous = NORMAL;
     PRAGMA foreign_keys = ON;
     PRAGMA busy_timeout = 5000;
     PRAGMA journal_size_limit = 67108864;
     PRAGMA temp_store = MEMORY;";

/// Every domain statement is `prepare_cached`; rusqlite keeps 16 by default, fewer than one write
/// path uses, and re-parsing SQL on every request costs more than the query itself.
const STATEMENT_CACHE: usize = 128;

/// Per-connection set-up of a reader. Its page cache is 2 MB (SQLite's default): a reader's cache
/// is dropped whenever the writer commits, so under load it rarely holds more than one request's
/// pages, and the OS page cache serves the rest; eight readers at 4 MB each were a third of the
/// server's memory once the file grew.
fn prepare(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.execute_batch(PRAGMAS)?;
    conn.execute_batch("PRAGMA cache_size = -2000;")?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

/// The writer keeps 4 MB of pages: its cache survives its own commits, and the pages every write
/// touches (inventory, the ends of the indexes) stay in it.
const WRITER_CACHE: &str = "PRAGMA cache_size = -4000;";

#[derive(Clone)]
pub struct Db {
    path: PathBuf,
    readers: r2d2::Pool<SqliteConnectionManager>,
    writer: Arc<Writer>,
}

/// How a database is opened.
#[derive(Debug, Clone, Copy)]
pub struct DbOptions {
    /// Read connections (all writes go through one connection).
    pub read_pool_size: u32,
    pub checkpoint: CheckpointMode,
}

impl Db {
    /// Opens (creating it and its directory if needed) and migrates the database, with the
    /// application doing its own checkpoints.
    pub fn open(path: &Path, read_pool_size: u32) -> Result<Db, AppError> {
        let options = DbOptions {
            read_pool_size,
            checkpoint: CheckpointMode::App,
        };
        Db::open_with(path, options)
    }

    /// Opens and migrates the database. A failure names the file and the reason.
    pub fn open_with(path: &Path, options: DbOptions) -> Result<Db, AppError> {
        files::prepare(path)?;
        let named = |e: AppError| AppError::Config(format!("database {}: {e}", path.display()));
        let mut writer = Connection::open(path).map_err(|e| named(e.into()))?;
        prepare(&mut writer)
            .and_then(|()| writer.execute_batch(WRITER_CACHE))
            .and_then(|()| writer.execute_batch(options.checkpoint.autocheckpoint_pragma()))
            .map_err(|e| named(e.into()))?;
        migrate(&mut writer, None).map_err(named)?;
        let manager = SqliteConnectionManager::file(path).with_init(prepare);
        let readers = r2d2::Pool::builder()
            .max_size(options.read_pool_size)
            .min_idle(Some(1))
            // A connection to a local file does not go stale; the check would parse and run a
            // statement on every checkout, a tenth of a cached read's cost.
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(5))
            .build(manager)
            .map_err(|e| named(AppError::Unavailable(format!("database pool: {e}"))))?;
        let writer = Arc::new(Writer::start(writer)?);
        if options.checkpoint == CheckpointMode::App {
            checkpoint::spawn(path, Arc::downgrade(&writer));
        }
        Ok(Db {
            path: path.to_path_buf(),
            readers,
            writer,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on a read connection. Reads see the last committed state (WAL snapshot).
    pub fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let conn = self.readers.get()?;
        f(&conn)
    }

    /// A read connection if one is idle right now, without waiting or opening one: lets async
    /// code run a short read in place (see `api::answer_read`) instead of hopping to a blocking
    /// thread and back, which costs more than the read itself.
    pub fn idle_reader(&self) -> Option<impl std::ops::Deref<Target = Connection>> {
        self.readers.try_get()
    }

    /// Runs `f` inside `BEGIN IMMEDIATE … COMMIT` on the writer thread and returns once it is
    /// committed; any `Err` (or a panic) of `f` rolls back everything `f` did and nothing else.
    /// Blocks: call it from a blocking thread, never from async code.
    pub fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        self.submit(f).wait()
    }

    /// Queues `f` for the writer without waiting: the answer comes with the `Pending`, which
    /// async code awaits (no thread waits for it) and other code `wait`s on.
    pub fn submit<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, AppError> + Send + 'static,
    ) -> Pending<T> {
        Pending::Queued(self.writer.submit(f))
    }

    /// The writer's counters (jobs, commits, queue wait).
    pub fn writer_stats(&self) -> &WriterStats {
        self.writer.stats()
    }

    /// Writes a transactionally consistent copy to the new file `target` (mode 0600) with SQLite's
    /// online backup in one step: one read transaction on a pooled connection, so writers go on
    /// committing (WAL) while it copies. Returns the copy's size in bytes.
    pub fn backup_to(&self, target: &Path) -> Result<u64, AppError> {
        files::create_private(target)?;
        let copied = self.read(|c| {
            let mut copy = Connection::open_with_flags(
                target,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            let backup = rusqlite::backup::Backup::new(c, &mut copy)?;
            backup.step(-1)?;
            Ok(())
        });
        if let Err(e) = copied {
            let _ = std::fs::remove_file(target);
            return Err(e);
        }
        Ok(std::fs::metadata(target).map(|m| m.len()).unwrap_or(0))
    }

    /// Used by `/health`: a trivial query through the read pool.
    pub fn ping(&self) -> Result<(), AppError> {
        self.read(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
            .map(|_| ())
    }
}

/// A write on its way: its answer once its group has committed. Also carries an answer known
/// before anything was queued (a refused request).
pub enum Pending<T> {
    Queued(rocket::tokio::sync::oneshot::Receiver<Result<T, AppError>>),
    Ready(Option<Result<T, AppError>>),
}

impl<T> Pending<T> {
    /// An answer given without writing (e.g. the request was refused).
    pub fn ready(result: Result<T, AppError>) -> Pending<T> {
        Pending::Ready(Some(result))
    }

    /// Blocks until the answer is there. Never call it from async code: await it instead.
    pub fn wait(self) -> Result<T, AppError> {
        match self {
            Pending::Queued(rx) => rx.blocking_recv().unwrap_or_else(|_| Err(writer_gone())),
            Pending::Ready(result) => result.unwrap_or_else(|| Err(writer_gone())),
        }
    }
}

// Nothing is ever pinned through a `Pending`: the answer is moved out whole.
impl<T> Unpin for Pending<T> {}

fn writer_gone() -> AppError {
    AppError::Unavailable("the database writer stopped".into())
}

impl<T> std::future::Future for Pending<T> {
    type Output = Result<T, AppError>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        use std::task::Poll;
        match self.get_mut() {
            Pending::Queued(rx) => match std::pin::Pin::new(rx).poll(cx) {
                Poll::Ready(answer) => Poll::Ready(answer.unwrap_or_else(|_| Err(writer_gone()))),
                Poll::Pending => Poll::Pending,
            },
            Pending::Ready(result) => {
                Poll::Ready(result.take().unwrap_or_else(|| Err(writer_gone())))
            }
        }
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
