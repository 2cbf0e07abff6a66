//! Crash safety of the real binary: whatever the server acknowledged survives a SIGKILL mid-load,
//! and SIGTERM lets requests in flight finish before the process exits cleanly.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use gangway::db::Db;
use gangway::domain::reconciliation;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::procs::{fresh_db, Acked, Load, Proc};

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
    let (path, key) = fresh_db(dir.path());
    let mut server = Proc::start(&path);
    let load = Load::start(&server.base, &key, 16);
    load.wait_for_acks(400);

    server.kill_hard(); // SIGKILL: no shutdown, no flush, mid-transaction for some
    let acked = load.finish();
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
    for (rid, _) in &acked.reservations {
        let (status, r) = get(format!("/api/ota/reservations/{rid}"));
        assert_eq!(status, 200, "acknowledged reservation {rid} lost: {r}");
        assert!(
            ["ACTIVE", "ORDERED", "ACTIVATED"].contains(&r["status"].as_str().unwrap()),
            "{r}"
        );
    }
    for (oid, codes, _) in &acked.paid {
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
    let (path, key) = fresh_db(dir.path());
    let mut server = Proc::start(&path);
    let load = Load::start(&server.base, &key, 8);
    load.wait_for_acks(40);

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
    // Twice, as it arrives under Litestream when systemd signals the whole group: Litestream
    // passes its own on. The second must change nothing (Litestream needs exit code 0).
    server.signal("TERM", false);
    std::thread::sleep(Duration::from_millis(50));
    server.signal("TERM", false);
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
    // Let the other clients run into the shutdown (they are stopped below).
    std::thread::sleep(Duration::from_millis(200));

    let status = server
        .wait_for_exit(Duration::from_secs(10))
        .expect("gangway did not exit within 10 s of SIGTERM");
    assert!(status.success(), "exit status {status:?}");
    eprintln!(
        "crash: SIGTERM → exit code {:?} after {:?}",
        status.code(),
        signalled.elapsed()
    );

    let acked: Acked = load.finish();
    assert!(
        acked.odd.is_empty(),
        "answers other than success during shutdown: {:?}",
        acked.odd
    );
    let mut reservations: Vec<String> = acked.reservations.into_iter().map(|(r, _)| r).collect();
    reservations.push(rid);
    let db = Db::open(&path, 1).unwrap();
    for rid in &reservations {
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
