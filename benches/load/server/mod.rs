//! The `gangway` server under test: the release binary as a child process on a free port and a
//! fresh database in a temporary directory, and its CLI run on that same database.

pub mod sampling;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::generator::agent;

const BIN: &str = env!("CARGO_BIN_EXE_gangway");
const WEBHOOK_SECRET: &str = "bench-webhook-secret-0123456789";

/// The build named by `GANGWAY_BENCH_BIN`, when the run measures another build than this one.
pub fn other_build() -> Option<String> {
    std::env::var("GANGWAY_BENCH_BIN")
        .ok()
        .filter(|b| !b.is_empty())
}

fn bin() -> String {
    other_build().unwrap_or_else(|| BIN.to_owned())
}

pub struct Server {
    child: Child,
    pub pid: u32,
    base: String,
    db: PathBuf,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// The environment of every `gangway` process of the run. They start in the repository root, as
/// `cargo run --release` does, so the `Rocket.toml` there applies. The caller's environment passes
/// through (`ROCKET_MAX_BLOCKING`, `MALLOC_*`, …), which is how configurations are compared.
fn configure(cmd: &mut Command, db: &Path, port: u16) {
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("GANGWAY_DATABASE_PATH", db)
        .env("GANGWAY_PAYMENT_WEBHOOK_SECRET", WEBHOOK_SECRET)
        .env("GANGWAY_RATE_LIMIT_PER_MINUTE", "1000000000")
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env("ROCKET_PORT", port.to_string())
        .env("ROCKET_LOG_LEVEL", "off")
        .env("ROCKET_CLI_COLORS", "false");
}

impl Server {
    /// Starts `gangway serve` and waits until `/health` answers 200; panics with the server's log
    /// if it never does.
    pub fn start() -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("gangway.db");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log");
        let mut cmd = Command::new(bin());
        cmd.arg("serve");
        configure(&mut cmd, &db, port);
        let child = cmd
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start gangway");
        let server = Server {
            pid: child.id(),
            child,
            base: format!("http://127.0.0.1:{port}"),
            db,
            dir,
        };
        server.wait_until_healthy();
        server
    }

    fn wait_until_healthy(&self) {
        let agent = agent();
        for _ in 0..400 {
            if let Ok(r) = agent.get(self.url("/health")).call() {
                if r.status() == 200 {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        panic!("gangway did not become healthy; log:\n{log}");
    }

    /// Runs `gangway <args>` on the server's database; returns stdout.
    pub fn cli(&self, args: &[&str]) -> String {
        let mut cmd = Command::new(bin());
        cmd.args(args);
        configure(&mut cmd, &self.db, 0);
        let out = cmd.output().expect("run gangway CLI");
        assert!(
            out.status.success(),
            "gangway {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Size in MB of the database file (`""`) or one of its companions (`"-wal"`).
    pub fn file_mb(&self, suffix: &str) -> f64 {
        std::fs::metadata(format!("{}{suffix}", self.db.display()))
            .map(|m| m.len() as f64 / 1e6)
            .unwrap_or(0.0)
    }

    pub fn wal_mb(&self) -> f64 {
        self.file_mb("-wal")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
