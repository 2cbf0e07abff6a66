//! The real `gangway` binary as a child process (alone, or under a supervisor such as Litestream's
//! `-exec`), and a load of OTA clients that remember what the server acknowledged and when. The
//! crash and replication tests kill these processes and then check what survived.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gangway::db::Db;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::oversell::Rng;

pub const BIN: &str = env!("CARGO_BIN_EXE_gangway");

/// The environment of a test server on `db` and `port`: a known webhook secret, no rate limit to
/// speak of, quiet logs.
pub fn server_env(db: &Path, port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("GANGWAY_DATABASE_PATH", db.display().to_string()),
        ("GANGWAY_PAYMENT_WEBHOOK_SECRET", WEBHOOK_SECRET.to_owned()),
        ("GANGWAY_RATE_LIMIT_PER_MINUTE", "1000000000".to_owned()),
        ("ROCKET_ADDRESS", "127.0.0.1".to_owned()),
        ("ROCKET_PORT", port.to_string()),
        ("ROCKET_LOG_LEVEL", "off".to_owned()),
        ("ROCKET_CLI_COLORS", "false".to_owned()),
    ]
}

/// A server process answering on `base`; killed (with its whole process group, when it has its
/// own) when dropped.
pub struct Proc {
    pub child: Child,
    pub base: String,
    pub port: u16,
    own_group: bool,
}

impl Proc {
    /// `gangway serve` on `db`, on a free port; its stderr goes to `<db>.log`.
    pub fn start(db: &Path) -> Proc {
        let port = free_port();
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .current_dir(db.parent().unwrap())
            .envs(server_env(db, port));
        Proc::spawn(cmd, port, &db.with_extension("log"), false)
    }

    /// Starts `cmd` (which serves on `port`) with stdout discarded and stderr appended to `log`,
    /// in a process group of its own when `own_group`, and waits until it is healthy.
    pub fn spawn(mut cmd: Command, port: u16, log: &Path, own_group: bool) -> Proc {
        use std::os::unix::process::CommandExt;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        if own_group {
            cmd.process_group(0);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {cmd:?}: {e}"));
        let base = format!("http://127.0.0.1:{port}");
        let proc = Proc {
            child,
            base,
            port,
            own_group,
        };
        wait_healthy(&proc.base);
        proc
    }

    pub fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// Sends `signal` (`TERM`, `KILL`, …) to the process, or to its whole group.
    pub fn signal(&self, signal: &str, whole_group: bool) {
        let target = if whole_group {
            format!("-{}", self.child.id())
        } else {
            self.pid()
        };
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), "--", &target])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{signal} {target}");
    }

    /// SIGKILL to the process and, when it has its own group, to every process in it (a
    /// supervisor and its child die at the same instant, like a machine that loses power).
    pub fn kill_hard(&mut self) {
        if self.own_group {
            self.signal("KILL", true);
        } else {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        if self.own_group {
            wait_group_gone(self.child.id());
        }
    }

    /// Waits up to `limit` for the process to exit.
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let t0 = Instant::now();
        while t0.elapsed() < limit {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.own_group {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Until no process of group `pgid` is left (zombies of other parents aside).
fn wait_group_gone(pgid: u32) {
    let t0 = Instant::now();
    loop {
        let out = Command::new("ps")
            .args(["-o", "stat=", "-g", &pgid.to_string()])
            .output()
            .unwrap();
        let alive = String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|stat| !stat.trim_start().starts_with('Z'));
        if !alive {
            return;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "process group {pgid} still alive"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What `gangway check --database FILE` said, and how it ended.
pub struct Checked {
    pub code: i32,
    pub report: String,
}

/// Runs `gangway check --database file`.
pub fn gangway_check(file: &Path) -> Checked {
    let out = Command::new(BIN)
        .args(["check", "--database"])
        .arg(file)
        .output()
        .unwrap();
    Checked {
        code: out.status.code().expect("exited, not killed"),
        report: String::from_utf8_lossy(&out.stdout).into_owned(),
    }
}

/// `gangway check` must pass on `file`: exit 0, every check ok.
pub fn assert_check_passes(file: &Path) {
    let c = gangway_check(file);
    assert_eq!(c.code, 0, "gangway check failed:\n{}", c.report);
    assert!(c.report.contains("All 3 checks passed."), "{}", c.report);
}

/// A new database with one partner; returns its path and the partner's API key.
pub fn fresh_db(dir: &Path) -> (PathBuf, String) {
    let path = dir.join("gangway.db");
    let key = new_partner(&Db::open(&path, 1).unwrap(), "Crash Travel").key;
    (path, key)
}

/// What the server acknowledged to one client before it went away, and when.
#[derive(Default)]
pub struct Acked {
    pub reservations: Vec<(String, Instant)>,
    /// Paid orders and the ticket codes the activation returned.
    pub paid: Vec<(String, Vec<String>, Instant)>,
    /// Answers with a status the client did not expect (5xx above all).
    pub odd: Vec<String>,
}

impl Acked {
    pub fn extend(&mut self, other: Acked) {
        self.reservations.extend(other.reservations);
        self.paid.extend(other.paid);
        self.odd.extend(other.odd);
    }
}

/// Reserve, and every other time order and activate, until the connection breaks or `stop`.
fn load_client(base: &str, key: &str, seed: u64, stop: &AtomicBool, acks: &AtomicUsize) -> Acked {
    let agent = http();
    let mut rng = Rng(seed);
    let mut acked = Acked::default();
    let visit_date = weekday_ahead();
    let post = |path: &str, body: Value| -> Option<(u16, Value)> {
        let mut r = agent
            .post(format!("{base}{path}"))
            .header("X-API-Key", key)
            .send_json(body)
            .ok()?;
        let status = r.status().as_u16();
        let body = r.body_mut().read_json().ok()?;
        Some((status, body))
    };
    while !stop.load(Ordering::Relaxed) {
        let product = [106, 107, 108][rng.below(3) as usize];
        let q = 1 + rng.below(3) as i64;
        let Some((status, r)) = post(
            "/api/ota/reserve",
            json!({"product_id": product, "quantity": q}),
        ) else {
            break;
        };
        if status != 201 {
            acked.odd.push(format!("reserve {status} {r}"));
            continue;
        }
        let rid = r["reservation_id"].as_str().unwrap().to_owned();
        acked.reservations.push((rid.clone(), Instant::now()));
        acks.fetch_add(1, Ordering::Relaxed);
        if rng.below(2) == 0 {
            continue;
        }
        let order = json!({"reservation_id": rid, "customer_details": {"name": "Crash Test", "email": "crash@example.com"},
            "pricing_context": {"visit_date": visit_date, "customer_breakdown": [{"customer_type": "adult", "count": q}]}});
        let Some((status, o)) = post("/api/ota/orders", order) else {
            break;
        };
        if status != 201 {
            acked.odd.push(format!("order {status} {o}"));
            continue;
        }
        let oid = o["order_id"].as_str().unwrap().to_owned();
        let Some((status, a)) = post(
            "/api/ota/activate",
            json!({"order_id": oid, "payment_reference": format!("PAY-{oid}")}),
        ) else {
            break;
        };
        if status != 200 {
            acked.odd.push(format!("activate {status} {a}"));
            continue;
        }
        let codes = a["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["ticket_code"].as_str().unwrap().to_owned())
            .collect();
        acked.paid.push((oid, codes, Instant::now()));
        acks.fetch_add(1, Ordering::Relaxed);
    }
    acked
}

/// `clients` OTA clients against `base` until `stop` (or the server goes away).
pub struct Load {
    pub stop: Arc<AtomicBool>,
    pub acks: Arc<AtomicUsize>,
    clients: Vec<std::thread::JoinHandle<Acked>>,
}

impl Load {
    pub fn start(base: &str, key: &str, clients: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let acks = Arc::new(AtomicUsize::new(0));
        let clients = (0..clients)
            .map(|i| {
                let (base, key, stop, acks) =
                    (base.to_owned(), key.to_owned(), stop.clone(), acks.clone());
                std::thread::spawn(move || {
                    load_client(&base, &key, 0xC0FFEE + i as u64, &stop, &acks)
                })
            })
            .collect();
        Load {
            stop,
            acks,
            clients,
        }
    }

    /// Waits (at most 60 s) until the clients have `n` acknowledgements between them.
    pub fn wait_for_acks(&self, n: usize) {
        let t0 = Instant::now();
        while self.acks.load(Ordering::Relaxed) < n {
            assert!(
                t0.elapsed() < Duration::from_secs(60),
                "only {} acknowledgements in 60 s",
                self.acks.load(Ordering::Relaxed)
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Stops the clients and collects what each was told.
    pub fn finish(self) -> Acked {
        self.stop.store(true, Ordering::Relaxed);
        let mut acked = Acked::default();
        for c in self.clients {
            acked.extend(c.join().unwrap());
        }
        acked
    }
}
