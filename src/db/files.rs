//! The database file on disk holds the webhook secret and the QR signing key: it, its `-wal` and
//! `-shm` (SQLite gives them the database file's permissions) and every backup are created
//! readable by the owner only, in a directory only the owner can enter.

use std::fs::{DirBuilder, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use crate::error::AppError;

/// Creates the database's directory (0700) and the empty database file (0600) if they do not
/// exist yet; warns when an existing file can be read by others.
pub(super) fn prepare(path: &Path) -> Result<(), AppError> {
    let cannot = |what: &str, e: std::io::Error| {
        AppError::Config(format!("cannot {what} {}: {e}", path.display()))
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| cannot("create the directory of", e))?;
        }
    }
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            warn_if_readable_by_others(path);
            Ok(())
        }
        Err(e) => Err(cannot("create", e)),
    }
}

fn warn_if_readable_by_others(path: &Path) {
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        eprintln!(
            "gangway: warning: {} is readable by others (mode {:o}); it holds the payment webhook secret and the QR signing key. Run: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        );
    }
}

/// Creates `target` empty with mode 0600; refuses when it exists (a backup never overwrites).
pub(super) fn create_private(target: &Path) -> Result<(), AppError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(target)
        .map(|_| ())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => {
                AppError::Config(format!("{} already exists", target.display()))
            }
            _ => AppError::Config(format!("cannot create {}: {e}", target.display())),
        })
}
