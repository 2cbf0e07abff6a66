//! Scheduled snapshots, the embedded default for getting the data off its only copy: every
//! `backup_every` the server writes a consistent online copy of the database (`Db::backup_to`:
//! one read transaction, writers go on) into `backup_dir`, mode 0600, and keeps the newest
//! `backup_keep`. The directory itself is the record: the newest file named like a snapshot is
//! the last successful backup, whoever took it (the server, or `gangway backup` by hand).
//!
//! A snapshot is written under a hidden `.partial` name and renamed when complete, so a crash
//! mid-copy never leaves a file that looks like a backup.

use std::fs::{DirBuilder, File};
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::clock;
use crate::config::BackupSchedule;
use crate::db::Db;
use crate::error::AppError;

/// `2026-12-02T021304.079Z`: sorts as it reads, and is a valid file name everywhere.
const STAMP: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour][minute][second].[subsecond digits:3]Z");

/// After a failed snapshot, try again after this long (or `backup_every`, if sooner).
const RETRY_AFTER: Duration = Duration::from_secs(60);

/// One snapshot file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Snapshot {
    /// The file name, in `backup_dir`.
    pub file: String,
    #[serde(with = "clock::rfc3339")]
    #[schemars(with = "String")]
    pub taken_at: OffsetDateTime,
    pub size_bytes: u64,
}

/// A snapshot that could not be written.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BackupFailure {
    #[serde(with = "clock::rfc3339")]
    #[schemars(with = "String")]
    pub at: OffsetDateTime,
    pub detail: String,
}

/// What the console's dashboard shows.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BackupStatus {
    /// False when `backup_every = "off"` (snapshots by hand still show).
    pub scheduled: bool,
    pub directory: String,
    pub every_seconds: Option<u64>,
    pub keep: usize,
    /// The newest snapshot: the last successful backup.
    pub last: Option<Snapshot>,
    /// Seconds since the newest snapshot was taken.
    pub last_age_seconds: Option<i64>,
    /// The last failure, when no snapshot has succeeded since.
    pub last_failure: Option<BackupFailure>,
    #[serde(with = "clock::rfc3339::option")]
    #[schemars(with = "Option<String>")]
    pub next_at: Option<OffsetDateTime>,
    /// Every snapshot kept, newest first.
    pub snapshots: Vec<Snapshot>,
}

/// The server's snapshots of one database: its schedule and what happened last.
pub struct Backups {
    schedule: BackupSchedule,
    /// Snapshot files are named `{stem}-{stamp}.db` after the database file.
    stem: String,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next_at: Option<OffsetDateTime>,
    last_failure: Option<BackupFailure>,
    failures: u64,
}

impl Backups {
    /// The first scheduled snapshot is due `every` after the newest one in the directory, or
    /// right away when there is none.
    pub fn new(schedule: BackupSchedule, database_path: &Path) -> Backups {
        let stem = database_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "gangway".into());
        let backups = Backups {
            schedule,
            stem,
            state: Mutex::new(State::default()),
        };
        let newest = backups.list().ok().and_then(|l| l.into_iter().next());
        let next_at = backups.schedule.every.map(|every| match newest {
            Some(s) => s.taken_at + every,
            None => OffsetDateTime::now_utc(),
        });
        backups.state().next_at = next_at;
        backups
    }

    pub fn schedule(&self) -> &BackupSchedule {
        &self.schedule
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// When the next scheduled snapshot is due (`None`: not scheduled).
    pub fn next_at(&self) -> Option<OffsetDateTime> {
        self.state().next_at
    }

    /// Snapshots that failed since the server started.
    pub fn failures(&self) -> u64 {
        self.state().failures
    }

    /// Takes a snapshot now and drops the oldest beyond `keep`; records the outcome and when the
    /// next one is due.
    pub fn take(&self, db: &Db) -> Result<Snapshot, AppError> {
        let result = self.write_snapshot(db);
        let now = OffsetDateTime::now_utc();
        let mut state = self.state();
        match &result {
            Ok(_) => {
                state.last_failure = None;
                state.next_at = self.schedule.every.map(|every| now + every);
            }
            Err(e) => {
                state.failures += 1;
                state.last_failure = Some(BackupFailure {
                    at: now,
                    detail: e.to_string(),
                });
                state.next_at = self
                    .schedule
                    .every
                    .map(|every| now + every.min(RETRY_AFTER));
            }
        }
        result
    }

    fn write_snapshot(&self, db: &Db) -> Result<Snapshot, AppError> {
        let dir = &self.schedule.dir;
        let failed =
            |what: &str, e: std::io::Error| AppError::Config(format!("backup: cannot {what}: {e}"));
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| failed(&format!("create {}", dir.display()), e))?;
        self.remove_partials();
        let taken_at = OffsetDateTime::now_utc();
        let file = self.file_name(taken_at);
        let partial = dir.join(format!(".{file}.partial"));
        let size_bytes = db.backup_to(&partial)?;
        let target = dir.join(&file);
        let synced = File::open(&partial)
            .and_then(|f| f.sync_all())
            .and_then(|()| std::fs::rename(&partial, &target))
            .and_then(|()| File::open(dir))
            .and_then(|d| d.sync_all());
        if let Err(e) = synced {
            let _ = std::fs::remove_file(&partial);
            return Err(failed(&format!("complete {}", target.display()), e));
        }
        self.rotate()?;
        Ok(Snapshot {
            file,
            taken_at: parse_stamp(&self.stamp(taken_at)).unwrap_or(taken_at),
            size_bytes,
        })
    }

    fn stamp(&self, t: OffsetDateTime) -> String {
        t.format(STAMP).unwrap_or_default()
    }

    fn file_name(&self, t: OffsetDateTime) -> String {
        format!("{}-{}.db", self.stem, self.stamp(t))
    }

    /// When `file` is one of this database's snapshots, the time it was taken.
    fn taken_at(&self, file: &str) -> Option<OffsetDateTime> {
        let stamp = file
            .strip_prefix(&self.stem)?
            .strip_prefix('-')?
            .strip_suffix(".db")?;
        parse_stamp(stamp)
    }

    /// Every snapshot in the directory, newest first (an absent directory has none).
    pub fn list(&self) -> Result<Vec<Snapshot>, AppError> {
        let entries = match std::fs::read_dir(&self.schedule.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(AppError::Config(format!(
                    "backup: cannot read {}: {e}",
                    self.schedule.dir.display()
                )))
            }
        };
        let mut found: Vec<Snapshot> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let file = entry.file_name().to_str()?.to_owned();
                let taken_at = self.taken_at(&file)?;
                let meta = entry.metadata().ok().filter(|m| m.is_file())?;
                Some(Snapshot {
                    file,
                    taken_at,
                    size_bytes: meta.len(),
                })
            })
            .collect();
        found.sort_by_key(|s| std::cmp::Reverse(s.taken_at));
        Ok(found)
    }

    /// Deletes the oldest snapshots beyond `keep`; returns the files deleted.
    fn rotate(&self) -> Result<Vec<String>, AppError> {
        let old = self.list()?.into_iter().skip(self.schedule.keep);
        let mut removed = Vec::new();
        for s in old {
            std::fs::remove_file(self.schedule.dir.join(&s.file)).map_err(|e| {
                AppError::Config(format!(
                    "backup: cannot remove old snapshot {}: {e}",
                    s.file
                ))
            })?;
            removed.push(s.file);
        }
        Ok(removed)
    }

    /// Leftovers of snapshots that a crash interrupted.
    fn remove_partials(&self) {
        let Ok(entries) = std::fs::read_dir(&self.schedule.dir) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let ours = name
                .strip_prefix('.')
                .and_then(|n| n.strip_suffix(".partial"))
                .is_some_and(|n| self.taken_at(n).is_some());
            if ours {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// The dashboard's view. A directory that cannot be read shows as a failure.
    pub fn status(&self) -> BackupStatus {
        let (snapshots, unreadable) = match self.list() {
            Ok(list) => (list, None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
        let last = snapshots.first().cloned();
        let state = self.state();
        let last_failure = state.last_failure.clone().or_else(|| {
            unreadable.map(|detail| BackupFailure {
                at: OffsetDateTime::now_utc(),
                detail,
            })
        });
        BackupStatus {
            scheduled: self.schedule.every.is_some(),
            directory: self.schedule.dir.display().to_string(),
            every_seconds: self.schedule.every.map(|d| d.as_secs()),
            keep: self.schedule.keep,
            last_age_seconds: last
                .as_ref()
                .map(|s| (OffsetDateTime::now_utc() - s.taken_at).whole_seconds()),
            last,
            last_failure,
            next_at: state.next_at,
            snapshots,
        }
    }
}

fn parse_stamp(s: &str) -> Option<OffsetDateTime> {
    PrimitiveDateTime::parse(s, STAMP)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn backups(dir: &Path, keep: usize) -> Backups {
        let schedule = BackupSchedule {
            dir: dir.join("backups"),
            every: Some(Duration::from_secs(3600)),
            keep,
        };
        Backups::new(schedule, &dir.join("gangway.db"))
    }

    #[test]
    fn snapshots_are_private_rotated_and_listed_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("gangway.db"), 1).unwrap();
        let b = backups(dir.path(), 2);
        assert!(b.list().unwrap().is_empty());
        let taken: Vec<Snapshot> = (0..3)
            .map(|_| {
                std::thread::sleep(Duration::from_millis(5));
                b.take(&db).unwrap()
            })
            .collect();
        let listed = b.list().unwrap();
        assert_eq!(listed, vec![taken[2].clone(), taken[1].clone()]);
        for s in &listed {
            let meta = std::fs::metadata(b.schedule().dir.join(&s.file)).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{}", s.file);
            assert_eq!(meta.len(), s.size_bytes);
            assert!(s.file.starts_with("gangway-") && s.file.ends_with("Z.db"));
        }
        let status = b.status();
        assert_eq!(status.last, Some(taken[2].clone()));
        assert!(status.last_failure.is_none());
        let next = status.next_at.unwrap();
        assert!(next > taken[2].taken_at + Duration::from_secs(3500));
    }

    #[test]
    fn other_files_and_interrupted_copies_are_left_out_and_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("gangway.db"), 1).unwrap();
        let b = backups(dir.path(), 1);
        let root = &b.schedule().dir;
        std::fs::create_dir_all(root).unwrap();
        let partial = root.join(".gangway-2026-01-01T000000.000Z.db.partial");
        for f in [
            "notes.txt",
            "other-2026-01-01T000000.000Z.db",
            "gangway-yesterday.db",
        ] {
            std::fs::write(root.join(f), "x").unwrap();
        }
        std::fs::write(&partial, "half a copy").unwrap();
        assert!(b.list().unwrap().is_empty());
        b.take(&db).unwrap();
        assert!(!partial.exists());
        assert_eq!(b.list().unwrap().len(), 1);
        assert!(root.join("notes.txt").exists() && root.join("gangway-yesterday.db").exists());
    }

    #[test]
    fn a_failed_snapshot_is_reported_and_retried_soon() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("gangway.db"), 1).unwrap();
        let b = backups(dir.path(), 3);
        // The directory cannot be created: a file is in the way.
        std::fs::write(&b.schedule().dir, "in the way").unwrap();
        let before = OffsetDateTime::now_utc();
        assert!(b.take(&db).is_err());
        assert_eq!(b.failures(), 1);
        let status = b.status();
        assert!(status.last.is_none());
        assert!(status.last_failure.unwrap().detail.contains("backups"));
        let next = b.next_at().unwrap();
        assert!(next <= before + RETRY_AFTER + Duration::from_secs(1));
    }

    #[test]
    fn the_first_snapshot_is_due_one_interval_after_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("gangway.db"), 1).unwrap();
        let fresh = backups(dir.path(), 3);
        assert!(fresh.next_at().unwrap() <= OffsetDateTime::now_utc());
        let s = fresh.take(&db).unwrap();
        let restarted = backups(dir.path(), 3);
        assert_eq!(
            restarted.next_at().unwrap(),
            s.taken_at + Duration::from_secs(3600)
        );
    }
}
