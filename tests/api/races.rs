//! Concurrency over real HTTP: many clients at once never take more than there is, and retries
//! that arrive together still happen once.

use serde_json::json;

use crate::helpers::*;

fn shrink_ota_allocation(server: &Server, product_id: i64, allocated: i64) {
    server.sql(&format!(
        "UPDATE inventory SET allocated = {allocated} WHERE product_id = {product_id} AND channel = 'ota'"
    ));
}

#[test]
fn sixty_four_clients_racing_for_more_than_the_allocation_take_exactly_the_allocation() {
    let server = Server::start();
    let p = server.partner("P");
    shrink_ota_allocation(&server, 107, 100);
    let cred = Cred::Key(p.key.clone());
    let won: Vec<i64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..64)
            .map(|i| {
                let (server, cred) = (&server, &cred);
                s.spawn(move || {
                    let quantity = 1 + (i % 3);
                    let (status, body) = server.call(
                        "POST",
                        "/api/ota/reserve",
                        cred,
                        Some(&json!({"product_id": 107, "quantity": quantity})),
                        &[],
                    );
                    match status {
                        201 => quantity,
                        409 => {
                            assert_eq!(body["code"], "INSUFFICIENT_INVENTORY");
                            0
                        }
                        other => panic!("unexpected {other}: {body}"),
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let taken: i64 = won.iter().sum();
    // 64 clients ask for 128 units in all; exactly the 100 allocated can be held.
    assert!((98..=100).contains(&taken), "taken {taken}");
    let (held, rows): (i64, i64) = server
        .db()
        .read(|c| {
            Ok((
                c.query_row(
                    "SELECT held FROM inventory WHERE product_id = 107 AND channel = 'ota'",
                    [],
                    |r| r.get(0),
                )?,
                c.query_row(
                    "SELECT COALESCE(SUM(quantity), 0) FROM reservations WHERE status = 'ACTIVE'",
                    [],
                    |r| r.get(0),
                )?,
            ))
        })
        .unwrap();
    assert_eq!((held, rows), (taken, taken));
    assert!(
        server
            .db()
            .read(gangway::domain::reconciliation::reconcile)
            .unwrap()
            .consistent
    );
}

#[test]
fn eight_concurrent_retries_with_one_idempotency_key_reserve_once() {
    let server = Server::start();
    let p = server.partner("P");
    let cred = Cred::Key(p.key.clone());
    let answers: Vec<(u16, serde_json::Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    server.call(
                        "POST",
                        "/api/ota/reserve",
                        &cred,
                        Some(&json!({"product_id": 106, "quantity": 7})),
                        &[("Idempotency-Key", "retry-storm")],
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        answers.iter().all(|(s, b)| *s == 201 && *b == answers[0].1),
        "{answers:?}"
    );
    let held =
        server.scalar("SELECT held FROM inventory WHERE product_id = 106 AND channel = 'ota'");
    assert_eq!(held, 7);
}

#[test]
fn six_concurrent_duplicate_webhooks_issue_tickets_once() {
    let server = Server::start();
    let p = server.partner("P");
    let cred = Cred::Key(p.key.clone());
    let (_, r) = server.call(
        "POST",
        "/api/ota/reserve",
        &cred,
        Some(&json!({"product_id": 108, "quantity": 3})),
        &[],
    );
    let order_body = json!({"reservation_id": r["reservation_id"], "customer_details": {"name": "A", "email": "a@example.com"},
        "pricing_context": {"visit_date": weekday_ahead(), "customer_breakdown": [{"customer_type": "adult", "count": 3}]}});
    let (_, order) = server.call("POST", "/api/ota/orders", &cred, Some(&order_body), &[]);
    let n = json!({"order_id": order["order_id"], "payment_reference": "GW-1", "status": "SUCCESS", "amount_cents": order["payment_required"]["amount_cents"], "currency": "USD"});
    let raw = serde_json::to_vec(&n).unwrap();
    let sig = signature(&raw, now_unix());
    let answers: Vec<(u16, serde_json::Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|_| {
                s.spawn(|| {
                    server.call(
                        "POST",
                        "/payments/notify",
                        &Cred::None,
                        Some(&n),
                        &[("X-Gangway-Signature", &sig)],
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        answers
            .iter()
            .all(|(s, b)| *s == 200 && b["tickets_issued"] == 3),
        "{answers:?}"
    );
    let tickets = server.scalar("SELECT COUNT(*) FROM tickets");
    assert_eq!(tickets, 3);
}

#[test]
fn the_background_job_releases_expired_holds_on_its_own() {
    let server = Server::start_with(|f| f.merge(("expiry_interval_seconds", 1)));
    let p = server.partner("P");
    let in_a_minute = (time::OffsetDateTime::now_utc() + time::Duration::seconds(61))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let (status, r) = server.call(
        "POST",
        "/api/ota/reserve",
        &Cred::Key(p.key.clone()),
        Some(&json!({"product_id": 106, "quantity": 9, "reservation_expires_at": in_a_minute})),
        &[],
    );
    assert_eq!(status, 201, "{r}");
    // Let the minute pass without waiting for it.
    let id = r["reservation_id"].as_str().unwrap().to_owned();
    server.sql(&format!(
        "UPDATE reservations SET reserved_until = '2020-01-01T00:00:00Z' WHERE id = '{id}'"
    ));
    let held =
        || server.scalar("SELECT held FROM inventory WHERE product_id = 106 AND channel = 'ota'");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while held() != 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the job did not release the hold"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let status: String = server
        .db()
        .read(|c| {
            Ok(c.query_row(
                "SELECT status FROM reservations WHERE id = ?1",
                [&id],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(status, "EXPIRED");
}

#[test]
fn password_guessing_from_one_address_hits_a_wall() {
    let server = Server::start();
    // A different email each time: the per-account lock is not what stops this.
    let guess = |n: u32| json!({"email": format!("someone{n}@example.com"), "password": "guess-guess-guess"});
    for attempt in 1..=gangway::api::guards::LOGIN_ATTEMPTS_PER_MINUTE {
        let (status, body) = server.call(
            "POST",
            "/api/auth/login",
            &Cred::None,
            Some(&guess(attempt)),
            &[],
        );
        assert_eq!(status, 401, "attempt {attempt}: {body}");
    }
    let (status, body) = server.call("POST", "/api/auth/login", &Cred::None, Some(&guess(0)), &[]);
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("RATE_LIMITED")),
        "{body}"
    );
}
