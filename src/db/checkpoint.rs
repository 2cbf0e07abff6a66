//! Who copies the WAL back into the database file. By default the application does (`app`): the
//! writer keeps SQLite's automatic checkpoint, which lets the WAL restart from the beginning, and a
//! background PASSIVE checkpoint every 250 ms does most of the copying off the writer's path. When
//! Litestream replicates the file (`external`), Litestream must do every checkpoint itself: it
//! holds a read transaction to keep the WAL for shipping, and an application TRUNCATE/RESTART would
//! wait out the busy timeout behind it, stalling every writer for seconds.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::error::AppError;

/// The `checkpoint` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CheckpointMode {
    #[default]
    App,
    External,
}

impl CheckpointMode {
    pub fn parse(s: &str) -> Result<CheckpointMode, AppError> {
        match s {
            "app" => Ok(CheckpointMode::App),
            "external" => Ok(CheckpointMode::External),
            _ => Err(AppError::Config(
                "checkpoint must be \"app\" or \"external\" (when Litestream runs)".into(),
            )),
        }
    }

    /// The writer connection's `wal_autocheckpoint` for this mode.
    pub(super) fn autocheckpoint_pragma(self) -> &'static str {
        match self {
            CheckpointMode::App => "PRAGMA wal_autocheckpoint = 1000;",
            CheckpointMode::External => "PRAGMA wal_autocheckpoint = 0;",
        }
    }
}

const EVERY: Duration = Duration::from_millis(250);

/// A failing checkpoint (full disk, read-only file) fails again four times a second; say so once
/// a minute, with how many times it failed since.
const REPORT_EVERY: Duration = Duration::from_secs(60);

/// Starts the background PASSIVE checkpoint of `path` while `alive` can be upgraded.
pub(super) fn spawn<T: Send + Sync + 'static>(path: &Path, alive: Weak<T>) {
    let path = path.to_path_buf();
    let started = std::thread::Builder::new()
        .name("wal-checkpoint".into())
        .spawn(move || {
            let Ok(conn) = Connection::open(&path) else {
                return;
            };
            std::thread::sleep(EVERY);
            while alive.strong_count() > 0 {
                let outcome = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                Failures::note(&path, outcome);
                std::thread::sleep(EVERY);
            }
        });
    if let Err(e) = started {
        eprintln!("gangway: cannot start the WAL checkpointer: {e}");
    }
}

/// What has been said about one database's failing checkpoints. Kept per file for the whole
/// process, not per checkpointer thread: a database opened again (the CLI's first look before
/// serving, a test) must not repeat a report another checkpointer made a moment ago.
#[derive(Default)]
struct Failures {
    since_report: u64,
    last_report: Option<Instant>,
    reported: bool,
}

impl Failures {
    fn note(path: &Path, outcome: rusqlite::Result<()>) {
        static ALL: OnceLock<Mutex<HashMap<PathBuf, Failures>>> = OnceLock::new();
        let mut all = ALL
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match outcome {
            // A file that never failed has no entry: a passing checkpoint allocates nothing.
            Ok(()) => {
                if let Some(failures) = all.get_mut(path) {
                    failures.clear();
                }
            }
            Err(e) => all.entry(path.to_path_buf()).or_default().report(&e),
        }
    }

    /// A checkpoint with nothing to copy succeeds even on a full disk, so failures and successes
    /// can alternate: the once-a-minute limit holds across such a success.
    fn report(&mut self, e: &rusqlite::Error) {
        self.since_report += 1;
        if self.last_report.is_some_and(|t| t.elapsed() < REPORT_EVERY) {
            return;
        }
        eprintln!(
            "gangway: WAL checkpoint failed ({} time(s) since the last report): {e}",
            self.since_report
        );
        self.since_report = 0;
        self.last_report = Some(Instant::now());
        self.reported = true;
    }

    fn clear(&mut self) {
        if std::mem::take(&mut self.reported) {
            eprintln!("gangway: WAL checkpoints succeed again");
        }
        self.since_report = 0;
    }
}
