//! Crash safety of the real binary: whatever the server acknowledged survives a SIGKILL mid-load,
//! and SIGTERM lets requests in flight finish before the process exits cleanly.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gangway::db::Db;
use gangway::domain::reconciliation;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::oversell::Rng;

const BIN: &str = env!("CARGO_BIN_EXE_gangway");

/// The `gangway` binary serving one database file on a free port.
struct Proc {
    child: Child,
    base: String,
    port: u16,
}

impl Proc {
    fn start(db: &Path) -> Proc {
        let port = free_port();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(db.with_extension("log"))
            .unwrap();
        let child = Command::new(BIN)
            .arg("serve")
            .current_dir(db.parent().unwrap())
            .env("GANGWAY_DATABASE_PATH", db)
            .env("GANGWAY_PAYMENT_WEBHOOK_SECRET", WEBHOOK_SECRET)
            .env("GANGWAY_RATE_LIMIT_PER_MINUTE", "1000000000")
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_PORT", port.to_string())
            .env("ROCKET_LOG_LEVEL", "off")
            .env("ROCKET_CLI_COLORS", "false")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start gangway");
        let base = format!("http://127.0.0.1:{port}");
        wait_healthy(&base);
        Proc { child, base, port }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// Waits up to `limit` for the process to exit.
    fn wait_for_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
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
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A new database with one partner; returns its path and the partner's API key.
fn fresh_db(dir: &tempfile::TempDir) -> (PathBuf, String) {
    let path = dir.path().join("gangway.db");
    let key = new_partner(&Db::open(&path, 1).unwrap(), "Crash Travel").key;
    (path, key)
}

/// What the server acknowledged to one client before it went away.
#[derive(Default)]
struct Acked {
    reservations: Vec<String>,
    /// Paid orders and the ticket codes the activation returned.
    paid: Vec<(String, Vec<String>)>,
    /// Answers with a status the client did not expect (5xx above all).
    odd: Vec<String>,
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
        acked.reservations.push(rid.clone());
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
        acked.paid.push((oid, codes));
        acks.fetch_add(1, Ordering::Relaxed);
    }
    acked
}

fn run_load(
    base: &str,
    key: &str,
    clients: usize,
    stop: &Arc<AtomicBool>,
    acks: &Arc<AtomicUsize>,
) -> Vec<std::thread::JoinHandle<Acked>> {
    (0..clients)
        .map(|i| {
            let (base, key, stop, acks) =
                (base.to_owned(), key.to_owned(), stop.clone(), acks.clone());
            std::thread::spawn(move || load_client(&base, &key, 0xC0FFEE + i as u64, &stop, &acks))
        })
        .collect()
}

fn wait_for_acks(acks: &AtomicUsize, n: usize) {
    let t0 = Instant::now();
    while acks.load(Ordering::Relaxed) < n {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "only {} acknowledgements in 30 s",
            acks.load(Ordering::Relaxed)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn assert_books_balance(path: &Path) {
    let db = Db::open(path, 1).unwrap();
    let rec = db.read(reconciliation::reconcile).unwrap();
    assert!(rec.consistent, "after restart: {rec:?}");
    let integrity: String = db
        .read(|c| Ok(c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(integrity, "ok");
}

#[test]
fn everything_acknowledged_survives_a_sigkill_mid_load() {
    let dir = tempfile::tempdir().unwrap();
    let (path, key) = fresh_db(&dir);
    let mut server = Proc::start(&path);
    let stop = Arc::new(AtomicBool::new(false));
    let acks = Arc::new(AtomicUsize::new(0));
    let clients = run_load(&server.base, &key, 16, &stop, &acks);
    wait_for_acks(&acks, 400);

    server.child.kill().unwrap(); // SIGKILL: no shutdown, no flush, mid-transaction for some
    server.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    let mut acked = Acked::default();
    for c in clients {
        let a = c.join().unwrap();
        acked.reservations.extend(a.reservations);
        acked.paid.extend(a.paid);
        acked.odd.extend(a.odd);
    }
    assert!(acked.odd.is_empty(), "{:?}", acked.odd);
    assert!(acked.reservations.len() >= 100 && !acked.paid.is_empty());
    eprintln!(
        "crash: SIGKILL after {} acknowledged reservations and {} paid orders",
        acked.reservations.len(),
        acked.paid.len()
    );

    let server = Proc::start(&path);
    let agent = http();
    let get = |path: String| -> (u16, Value) {
        let mut r = agent
            .get(format!("{}{path}", server.base))
            .header("X-API-Key", &key)
            .call()
            .unwrap();
        (
            r.status().as_u16(),
            r.body_mut().read_json().unwrap_or(Value::Null),
        )
    };
    for rid in &acked.reservations {
        let (status, r) = get(format!("/api/ota/reservations/{rid}"));
        assert_eq!(status, 200, "acknowledged reservation {rid} lost: {r}");
        assert!(
            ["ACTIVE", "ORDERED", "ACTIVATED"].contains(&r["status"].as_str().unwrap()),
            "{r}"
        );
    }
    for (oid, codes) in &acked.paid {
        let (status, o) = get(format!("/api/ota/orders/{oid}"));
        assert_eq!(status, 200, "acknowledged order {oid} lost: {o}");
        assert_eq!(o["status"], "PAID", "{o}");
        let stored: Vec<&str> = o["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["ticket_code"].as_str().unwrap())
            .collect();
        assert_eq!(stored, *codes, "tickets of {oid}");
    }
    assert_books_balance(&path);
    // And the restarted server still takes writes.
    let r = agent
        .post(format!("{}/api/ota/reserve", server.base))
        .header("X-API-Key", &key)
        .send_json(json!({"product_id": 106, "quantity": 1}))
        .unwrap();
    assert_eq!(r.status(), 201);
}

#[test]
fn sigterm_finishes_requests_in_flight_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (path, key) = fresh_db(&dir);
    let mut server = Proc::start(&path);
    let stop = Arc::new(AtomicBool::new(false));
    let acks = Arc::new(AtomicUsize::new(0));
    let clients = run_load(&server.base, &key, 8, &stop, &acks);
    wait_for_acks(&acks, 40);

    // A request that is certainly in flight: its head is in, its body only half sent.
    let body = serde_json::to_vec(&json!({"product_id": 108, "quantity": 2})).unwrap();
    let mut conn = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        conn,
        "POST /api/ota/reserve HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    conn.write_all(&body[..body.len() / 2]).unwrap();
    conn.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));

    let signalled = Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &server.pid()])
        .status()
        .unwrap();
    assert!(kill.success());
    std::thread::sleep(Duration::from_millis(300));
    conn.write_all(&body[body.len() / 2..]).unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 201"),
        "the in-flight request was not finished: {answer:?}"
    );
    let rid = answer
        .split("\"reservation_id\":\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    // Let the other clients run into the shutdown, then stop them.
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);

    let status = server
        .wait_for_exit(Duration::from_secs(10))
        .expect("gangway did not exit within 10 s of SIGTERM");
    assert!(status.success(), "exit status {status:?}");
    eprintln!(
        "crash: SIGTERM → exit code {:?} after {:?}",
        status.code(),
        signalled.elapsed()
    );

    let mut acked = Acked::default();
    for c in clients {
        let a = c.join().unwrap();
        acked.reservations.extend(a.reservations);
        acked.odd.extend(a.odd);
    }
    assert!(
        acked.odd.is_empty(),
        "answers other than success during shutdown: {:?}",
        acked.odd
    );
    acked.reservations.push(rid);
    let db = Db::open(&path, 1).unwrap();
    for rid in &acked.reservations {
        let found: i64 = db
            .read(|c| {
                Ok(c.query_row(
                    "SELECT COUNT(*) FROM reservations WHERE id = ?1",
                    [rid],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert_eq!(found, 1, "acknowledged reservation {rid} lost");
    }
    assert_books_balance(&path);
}
