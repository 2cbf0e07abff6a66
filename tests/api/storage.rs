//! The database on disk, through the real binary: private files (0700 directory, 0600 database,
//! `-wal`, `-shm` and backups), a warning for a file others can read, start-up errors that name
//! the file, and storage that fails — a read-only file, a full disk — answering 503
//! `STORAGE_UNAVAILABLE`, `/health` saying so, the checkpoint failure reported once, and nothing
//! acknowledged lost: once space is back, the same `Idempotency-Key` succeeds exactly once.
//!
//! The read-only and full-disk tests need root (to run the server as another user, to mount a
//! tmpfs); elsewhere they say so and pass. CI runs as root.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gangway::db::Db;
use gangway::domain::users::Role;
use serde_json::{json, Value};

use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_gangway");

fn mode(p: &Path) -> u32 {
    fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

fn skip(why: &str) {
    eprintln!("SKIPPED: {why}");
}

/// `gangway serve` on one database file, its stdout and stderr in files in `home`.
pub struct Gangway {
    child: Child,
    pub base: String,
    log: PathBuf,
    out: PathBuf,
}

impl Gangway {
    pub fn serve(home: &Path, db: &Path, env: &[(&str, &str)], uid: Option<u32>) -> Gangway {
        let port = free_port();
        let dir = home;
        let log = dir.join(format!("gangway-{port}.log"));
        let out = dir.join(format!("stdout-{port}"));
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .current_dir(dir)
            .env("GANGWAY_DATABASE_PATH", db)
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_PORT", port.to_string())
            .env("ROCKET_CLI_COLORS", "false")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(fs::File::create(&out).unwrap())
            .stderr(fs::File::create(&log).unwrap());
        if let Some(uid) = uid {
            cmd.uid(uid).gid(uid);
        }
        let child = cmd.spawn().expect("start gangway");
        let mut g = Gangway {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
            out,
        };
        g.wait_answering();
        g
    }

    /// Waits until the server answers at all (`/health` may be 503 on purpose).
    fn wait_answering(&mut self) {
        let started = Instant::now();
        while http().get(&format!("{}/health", self.base)).call().is_err() {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("gangway exited ({status}): {}", self.stderr());
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "gangway did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stderr(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn stdout(&self) -> String {
        fs::read_to_string(&self.out).unwrap_or_default()
    }

    fn call(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let cred = key.map_or(Cred::None, |k| Cred::Key(k.to_owned()));
        call_at(&self.base, method, path, &cred, body, headers)
    }

    fn health(&self) -> (u16, Value) {
        self.call("GET", "/health", None, None, &[])
    }

    /// Polls `/health` until it answers `status`.
    fn wait_health(&self, status: u16) -> Value {
        let started = Instant::now();
        loop {
            let (s, body) = self.health();
            if s == status {
                return body;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "/health stayed {s} {body}, not {status}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr()
    }
}

impl Drop for Gangway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_fresh_start_makes_a_private_directory_and_private_database_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = data.join("gangway.db");
    let server = Gangway::serve(dir.path(), &db, &[], None);
    assert_eq!(mode(&data), 0o700, "the data directory");
    for file in ["gangway.db", "gangway.db-wal", "gangway.db-shm"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    let log = server.stop();
    assert!(!log.contains("readable by others"), "{log}");
}

#[test]
fn backups_are_readable_by_the_owner_only_and_never_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gangway.db");
    new_partner(&Db::open(&db, 1).unwrap(), "Backed Up");
    let copy = dir.path().join("backup.db");
    let backup = |to: &Path| {
        Command::new(BIN)
            .args(["backup", "--to"])
            .arg(to)
            .env("GANGWAY_DATABASE_PATH", &db)
            .output()
            .unwrap()
    };
    let out = backup(&copy);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&copy), 0o600);
    let partners = scalar(
        &Db::open(&copy, 1).unwrap(),
        "SELECT COUNT(*) FROM partners",
    );
    assert_eq!(partners, 1, "the copy is a working database");
    let again = backup(&copy);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[test]
fn a_database_file_others_can_read_is_warned_about_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = data.join("gangway.db");
    drop(Db::open(&db, 1).unwrap());
    fs::set_permissions(&db, fs::Permissions::from_mode(0o644)).unwrap();
    let log = Gangway::serve(dir.path(), &db, &[], None).stop();
    assert!(
        log.contains("readable by others")
            && log.contains(&db.display().to_string())
            && log.contains("chmod 600"),
        "no warning in: {log}"
    );
}

#[test]
fn start_up_errors_name_the_file_and_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.db");
    fs::write(&garbage, vec![b'x'; 8192]).unwrap();
    let not_a_dir = dir.path().join("plain-file");
    fs::write(&not_a_dir, "").unwrap();
    for (path, reason) in [
        (garbage.clone(), "not a database"),
        (not_a_dir.join("gangway.db"), "Not a directory"),
    ] {
        let out = Command::new(BIN)
            .arg("serve")
            .env("GANGWAY_DATABASE_PATH", &path)
            .env("ROCKET_PORT", free_port().to_string())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{} started", path.display());
        assert!(
            err.contains(&path.display().to_string()) && err.contains(reason),
            "{}: {err}",
            path.display()
        );
    }
}

/// A database as a running server leaves it: migrated, secrets made, an admin and a partner.
fn populated(dir: &Path) -> (PathBuf, TestPartner) {
    let db = dir.join("data/gangway.db");
    fs::create_dir_all(db.parent().unwrap()).unwrap();
    let app_dir = tempfile::tempdir().unwrap();
    let source = app_dir.path().join("gangway.db");
    let config =
        gangway::config::Config::from_figment(&figment(&app_dir).merge(("database_path", &source)))
            .unwrap();
    let app = gangway::App::open(config).unwrap();
    let partner = new_partner(&app.ctx.db, "Storage Travel");
    new_user(&app.ctx.db, "admin@example.com", Role::Admin);
    app.ctx.db.backup_to(&db).unwrap();
    (db, partner)
}

const NOBODY: u32 = 65534;

#[test]
fn a_read_only_database_serves_reads_answers_writes_503_and_health_says_unwritable() {
    if !is_root() {
        return skip("the read-only database test runs the server as another user; run as root");
    }
    let dir = tempfile::tempdir().unwrap();
    let (db, partner) = populated(dir.path());
    for p in [dir.path(), db.parent().unwrap(), &db] {
        std::os::unix::fs::chown(p, Some(NOBODY), Some(NOBODY)).unwrap();
    }
    fs::set_permissions(&db, fs::Permissions::from_mode(0o400)).unwrap();
    let server = Gangway::serve(
        dir.path(),
        &db,
        &[("GANGWAY_EXPIRY_INTERVAL_SECONDS", "1")],
        Some(NOBODY),
    );
    let (status, catalog) = server.call("GET", "/api/catalog", None, None, &[]);
    assert_eq!(status, 200, "reads go on: {catalog}");
    let (status, _) = server.call("GET", "/api/ota/inventory", Some(&partner.key), None, &[]);
    assert_eq!(status, 200);
    let reserve = json!({"product_id": 106, "quantity": 2});
    let (status, body) = server.call(
        "POST",
        "/api/ota/reserve",
        Some(&partner.key),
        Some(&reserve),
        &[("Idempotency-Key", "ro-1")],
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("STORAGE_UNAVAILABLE")),
        "{body}"
    );
    let login = json!({"email": "admin@example.com", "password": PASSWORD});
    let (status, body) = server.call("POST", "/api/auth/login", None, Some(&login), &[]);
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("STORAGE_UNAVAILABLE")),
        "{body}"
    );
    let health = server.wait_health(503);
    assert_eq!(health["reason"], "database_unwritable", "{health}");
    std::thread::sleep(Duration::from_secs(2));
    let log = server.stop();
    assert!(!log.contains("panicked"), "{log}");
    let reports = log.matches("WAL checkpoint failed").count();
    assert!(
        reports <= 1,
        "checkpoint failures reported {reports} times in 3 s:\n{log}"
    );
}

/// A tmpfs of `size` at `dir`, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the filesystem of `dir` with one file; returns it.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = fs::File::create(&path).unwrap();
    let chunk = vec![0xA5u8; 4096];
    while f.write_all(&chunk).is_ok() {}
    let _ = f.sync_all();
    path
}

#[test]
fn a_full_disk_answers_503_and_once_space_is_back_the_same_idempotency_key_succeeds_once() {
    if !is_root() {
        return skip("the full-disk test mounts a tmpfs; run as root");
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(mnt) = Tmpfs::mount(&dir.path().join("small"), "3m") else {
        return skip("could not mount a tmpfs");
    };
    let (source, partner) = populated(dir.path());
    let db = mnt.0.join("data/gangway.db");
    fs::create_dir_all(db.parent().unwrap()).unwrap();
    fs::copy(&source, &db).unwrap();
    let server = Gangway::serve(
        dir.path(),
        &db,
        &[("GANGWAY_EXPIRY_INTERVAL_SECONDS", "1")],
        None,
    );
    let reserve = json!({"product_id": 107, "quantity": 1});
    let try_reserve = |key: &str| {
        server.call(
            "POST",
            "/api/ota/reserve",
            Some(&partner.key),
            Some(&reserve),
            &[("Idempotency-Key", key)],
        )
    };
    for i in 0..5 {
        assert_eq!(try_reserve(&format!("before-{i}")).0, 201);
    }
    let filler = fill(&mnt.0);

    // Writes go on while the WAL has room; the first that needs more space is refused cleanly.
    let mut acked = Vec::new();
    let mut refused = None;
    for i in 0..3000 {
        let key = format!("full-{i}");
        let (status, body) = try_reserve(&key);
        match status {
            201 => acked.push(body["reservation_id"].as_str().unwrap().to_owned()),
            503 => {
                assert_eq!(body["code"], "STORAGE_UNAVAILABLE", "{body}");
                refused = Some(key);
                break;
            }
            other => panic!("a full disk answered {other}: {body}"),
        }
    }
    let refused = refused.expect("the disk never filled up");
    let (status, _) = try_reserve(&refused);
    assert_eq!(status, 503, "still full: the retry is refused too");
    let health = server.wait_health(503);
    assert_eq!(health["reason"], "database_unwritable", "{health}");
    let (status, _) = server.call("GET", "/api/ota/inventory", Some(&partner.key), None, &[]);
    assert_eq!(status, 200, "reads go on");
    std::thread::sleep(Duration::from_secs(2));

    // Space is back: the refused request, retried with its key, happens exactly once.
    fs::remove_file(&filler).unwrap();
    let (status, first) = try_reserve(&refused);
    assert_eq!(status, 201, "{first}");
    let (status, again) = try_reserve(&refused);
    assert_eq!(
        (status, &again),
        (201, &first),
        "the retry replays the first answer"
    );
    server.wait_health(200);
    for id in &acked {
        let (status, r) = server.call(
            "GET",
            &format!("/api/ota/reservations/{id}"),
            Some(&partner.key),
            None,
            &[],
        );
        assert_eq!(
            (status, r["status"].as_str()),
            (200, Some("ACTIVE")),
            "{id}"
        );
    }
    let log = server.stop();
    let reports = log.matches("WAL checkpoint failed").count();
    assert!(
        reports <= 1,
        "checkpoint failures reported {reports} times:\n{log}"
    );

    // And after a restart on the same file, everything acknowledged is there, once.
    let check = Db::open(&db, 1).unwrap();
    let rows = scalar(
        &check,
        "SELECT COUNT(*) FROM reservations WHERE product_id = 107",
    );
    assert_eq!(rows, 5 + acked.len() as i64 + 1);
    let held = scalar(
        &check,
        "SELECT held FROM inventory WHERE product_id = 107 AND channel = 'ota'",
    );
    assert_eq!(held, rows);
    assert_consistent(&check);
}
