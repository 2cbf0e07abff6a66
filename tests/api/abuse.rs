//! Abuse of the payment webhook and of QR tokens, beyond the basics in payments.rs and
//! qr_redeem.rs: replayed and reordered notifications, signature header games; spliced, foreign,
//! cancelled, used, garbage and oversized tokens.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use gangway::domain::gateway::sign;
use gangway::domain::qr::QrSigner;
use rocket::http::ContentType;
use serde_json::{json, Value};

use crate::helpers::*;

/// An unpaid OTA order of `quantity` adults of package 106, and its notification body.
fn unpaid(app: &TestApp, p: &TestPartner, quantity: i64, reference: &str) -> (String, Value) {
    let rid = app.reserve(p, 106, quantity).expect(201).body["reservation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let o = app.order(p, &rid, &[("adult", quantity)]).expect(201);
    let oid = o.body["order_id"].as_str().unwrap().to_owned();
    let n = json!({"order_id": oid, "payment_reference": reference, "status": "SUCCESS",
        "amount_cents": o.body["payment_required"]["amount_cents"], "currency": "USD"});
    (oid, n)
}

fn send(app: &TestApp, raw: &[u8], header: &str) -> Resp {
    app.post("/payments/notify")
        .raw(raw.to_vec(), Some(ContentType::JSON))
        .header("X-Gangway-Signature", header)
        .send()
}

fn v1(secret: &str, t: i64, raw: &[u8]) -> String {
    hex::encode(sign(secret, t, raw))
}

/// (payments, tickets) rows.
fn counts(app: &TestApp) -> (i64, i64) {
    (
        app.scalar("SELECT COUNT(*) FROM payments"),
        app.scalar("SELECT COUNT(*) FROM tickets"),
    )
}

#[test]
fn a_replayed_notification_gets_the_first_answer_and_issues_nothing_more() {
    let app = spawn_app();
    let p = app.partner("P");
    let (oid, n) = unpaid(&app, &p, 2, "GW-1");
    let raw = serde_json::to_vec(&n).unwrap();
    // Captured a couple of minutes ago and sent again: still inside the 300 s window.
    let header = signature(&raw, now_unix() - 120);
    let first = send(&app, &raw, &header).expect(200);
    assert_eq!(first.body["tickets_issued"], 2);
    assert_eq!(counts(&app), (1, 2));
    for _ in 0..3 {
        assert_eq!(send(&app, &raw, &header).expect(200).body, first.body);
    }
    // Re-signed now, and re-serialized with other whitespace: the same payment all the same.
    assert_eq!(
        send(&app, &raw, &signature(&raw, now_unix()))
            .expect(200)
            .body,
        first.body
    );
    let spaced = serde_json::to_vec_pretty(&n).unwrap();
    assert_eq!(
        send(&app, &spaced, &signature(&spaced, now_unix()))
            .expect(200)
            .body,
        first.body
    );
    assert_eq!(counts(&app), (1, 2));
    assert_eq!(app.stock(106, "ota"), (0, 2, 2000));
    // The partner activating with the gateway's reference sees the same two tickets.
    let act = app
        .post("/api/ota/activate")
        .key(&p.key)
        .json(&json!({"order_id": oid, "payment_reference": "GW-1"}))
        .send()
        .expect(200);
    assert_eq!(act.body["tickets"].as_array().unwrap().len(), 2);
    assert_eq!(counts(&app).1, 2);
    app.assert_consistent();
}

#[test]
fn signatures_must_be_ours_over_this_body_at_this_time() {
    let app = spawn_app();
    let p = app.partner("P");
    let (_, n) = unpaid(&app, &p, 1, "GW-1");
    let raw = serde_json::to_vec(&n).unwrap();
    let now = now_unix();
    let mut almost = WEBHOOK_SECRET.to_owned();
    almost.pop();
    let good = v1(WEBHOOK_SECRET, now, &raw);
    let headers = vec![
        // Other secrets.
        format!("t={now},v1={}", v1("", now, &raw)),
        format!("t={now},v1={}", v1(&almost, now, &raw)),
        format!(
            "t={now},v1={}",
            v1(&format!("{WEBHOOK_SECRET}x"), now, &raw)
        ),
        format!(
            "t={now},v1={}",
            v1(&WEBHOOK_SECRET.to_uppercase(), now, &raw)
        ),
        // Our secret, but another time than the header says, or no time in the MAC.
        format!("t={now},v1={}", v1(WEBHOOK_SECRET, now - 1, &raw)),
        format!("t={},v1={good}", now + 1),
        format!("t={now},v1={}", {
            use hmac::{KeyInit, Mac};
            let mut mac =
                hmac::Hmac::<sha2::Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).unwrap();
            mac.update(&raw);
            hex::encode(mac.finalize().into_bytes())
        }),
        // Truncated or extended MACs.
        format!("t={now},v1={}", &good[..32]),
        format!("t={now},v1={good}00"),
        format!("t={now},v1={}", &good[..good.len() - 1]),
        // Times far from now, at the edges of i64, or not integers.
        format!("t=0,v1={}", v1(WEBHOOK_SECRET, 0, &raw)),
        format!("t=-1,v1={}", v1(WEBHOOK_SECRET, -1, &raw)),
        format!(
            "t={},v1={}",
            now + 1_000_000_000,
            v1(WEBHOOK_SECRET, now + 1_000_000_000, &raw)
        ),
        format!("t={},v1={}", i64::MAX, v1(WEBHOOK_SECRET, i64::MAX, &raw)),
        format!("t={},v1={}", i64::MIN, v1(WEBHOOK_SECRET, i64::MIN, &raw)),
        format!(
            "t={},v1={}",
            i64::MIN + 1,
            v1(WEBHOOK_SECRET, i64::MIN + 1, &raw)
        ),
        format!("t=99999999999999999999,v1={good}"),
        format!("t={now}.0,v1={good}"),
        format!("t=now,v1={good}"),
    ];
    for h in &headers {
        send(&app, &raw, h).problem(401, "UNAUTHENTICATED");
    }
    assert_eq!(counts(&app), (0, 0));
    send(&app, &raw, &format!("t={now},v1={good}")).expect(200);
}

#[test]
fn one_valid_v1_among_several_is_enough() {
    let app = spawn_app();
    let p = app.partner("P");
    let now = now_unix();
    let bogus = "ab".repeat(32);
    let other_secret = |raw: &[u8]| v1("rotated-out-secret", now, raw);
    for (i, shape) in ["bad,good", "good,bad", "other,good,bad"]
        .iter()
        .enumerate()
    {
        let (_, n) = unpaid(&app, &p, 1, &format!("GW-{i}"));
        let raw = serde_json::to_vec(&n).unwrap();
        let good = v1(WEBHOOK_SECRET, now, &raw);
        let values: Vec<String> = shape
            .split(',')
            .map(|s| match s {
                "good" => good.clone(),
                "bad" => bogus.clone(),
                _ => other_secret(&raw),
            })
            .collect();
        let header = format!(
            "t={now},{}",
            values
                .iter()
                .map(|v| format!("v1={v}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        assert_eq!(
            send(&app, &raw, &header).expect(200).body["tickets_issued"],
            1,
            "{shape}"
        );
    }
    // Only wrong ones: refused, however many.
    let (_, n) = unpaid(&app, &p, 1, "GW-X");
    let raw = serde_json::to_vec(&n).unwrap();
    let many = format!("t={now},{}", vec![format!("v1={bogus}"); 2000].join(","));
    send(&app, &raw, &many).problem(401, "UNAUTHENTICATED");
    send(
        &app,
        &raw,
        &format!("t={now},v1={bogus},v1={}", other_secret(&raw)),
    )
    .problem(401, "UNAUTHENTICATED");
    // A valid MAC under another scheme name is not a v1 signature.
    let good = v1(WEBHOOK_SECRET, now, &raw);
    send(&app, &raw, &format!("t={now},v0={good}")).problem(401, "UNAUTHENTICATED");
    assert_eq!(counts(&app), (3, 3));
}

#[test]
fn malformed_signature_headers_are_refused_and_change_nothing() {
    let app = spawn_app();
    let p = app.partner("P");
    let (_, n) = unpaid(&app, &p, 1, "GW-1");
    let raw = serde_json::to_vec(&n).unwrap();
    let now = now_unix();
    let good = v1(WEBHOOK_SECRET, now, &raw);
    for h in [
        String::new(),
        " ".into(),
        ",".into(),
        "garbage".into(),
        "t=".into(),
        "v1=".into(),
        "t=,v1=".into(),
        format!("t={now}"),
        format!("v1={good}"),
        format!("t={now};v1={good}"),
        format!("t={now} v1={good}"),
        format!("T={now},V1={good}"),
        format!("t = {now} , v1 = {good}"),
        format!("t={now},v1="),
        format!("t={now},v1=zz{}", &good[2..]),
        format!("t={now},v1={}", good.to_uppercase()),
        format!("t={now},v1={good}é"),
        format!(
            "t={now},v1={}",
            STANDARD.encode(sign(WEBHOOK_SECRET, now, &raw))
        ),
        format!("{{\"t\":{now},\"v1\":\"{good}\"}}"),
        format!("t={now},v1={}", "0".repeat(100_000)),
    ] {
        let r = send(&app, &raw, &h);
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (401, Some("UNAUTHENTICATED")),
            "{}",
            h.chars().take(80).collect::<String>()
        );
    }
    assert_eq!(counts(&app), (0, 0));
}

#[test]
fn success_and_failure_reports_arriving_out_of_order_issue_once() {
    let app = spawn_app();
    let p = app.partner("P");
    let (oid, success_r2) = unpaid(&app, &p, 1, "R2");
    let report = |reference: &str, status: &str| {
        let mut n = success_r2.clone();
        n["payment_reference"] = json!(reference);
        n["status"] = json!(status);
        n
    };
    // The retry's success arrives before the first attempt's failure, and then everything again.
    let sequence = [
        report("R2", "SUCCESS"),
        report("R1", "FAILED"),
        report("R2", "FAILED"),
        report("R1", "SUCCESS"),
    ];
    let answers: Vec<(u16, Value)> = sequence
        .iter()
        .map(|n| {
            let r = app.notify(n);
            (r.status, r.body)
        })
        .collect();
    assert_eq!(answers[0].0, 200);
    assert_eq!(answers[0].1["tickets_issued"], 1);
    for late_failure in &answers[1..3] {
        assert_eq!(late_failure.0, 200);
        assert_eq!(
            (
                late_failure.1["order_status"].as_str(),
                late_failure.1["tickets_issued"].as_i64()
            ),
            (Some("PAID"), Some(0))
        );
    }
    assert_eq!(
        (answers[3].0, answers[3].1["code"].as_str()),
        (409, Some("ORDER_ALREADY_PAID"))
    );
    for (n, (status, body)) in sequence.iter().zip(&answers).rev() {
        let again = app.notify(n);
        assert_eq!((again.status, &again.body), (*status, body), "{n}");
    }
    assert_eq!(counts(&app), (4, 1));
    let order = app
        .get(&format!("/api/ota/orders/{oid}"))
        .key(&p.key)
        .send()
        .expect(200);
    assert_eq!(
        (
            order.body["status"].as_str(),
            order.body["payment_reference"].as_str()
        ),
        (Some("PAID"), Some("R2"))
    );
    assert_eq!(app.stock(106, "ota"), (0, 1, 2000));
    app.assert_consistent();
}

fn redeem(
    app: &TestApp,
    scanner: &str,
    token: &str,
    function: &str,
    scan_id: Option<&str>,
) -> Resp {
    let mut body = json!({"qr_token": token, "function_code": function});
    if let Some(id) = scan_id {
        body["scan_id"] = json!(id);
    }
    app.scan(scanner, &body)
}

fn uses_left(app: &TestApp) -> i64 {
    app.scalar("SELECT COALESCE(SUM(remaining_uses), 0) FROM ticket_entitlements")
}

#[test]
fn a_token_speaks_for_exactly_one_ticket() {
    let app = spawn_app();
    let p = app.partner("P");
    let paid = app.paid_order_on(&p, 106, 2, &today());
    let (x, y) = (&paid["tickets"][0], &paid["tickets"][1]);
    let token_x = x["qr_token"].as_str().unwrap();
    let token_y = y["qr_token"].as_str().unwrap();
    let scanner = venue(&app);
    let before = uses_left(&app);

    // X's token with Y's ticket code spliced in, X's signature kept.
    let mut spliced = URL_SAFE_NO_PAD.decode(token_x).unwrap();
    // A ticket code is `T` and the base64url of the 12 random bytes a token carries.
    let code_y = URL_SAFE_NO_PAD
        .decode(&y["ticket_code"].as_str().unwrap()[1..])
        .unwrap();
    spliced[2..14].copy_from_slice(&code_y);
    redeem(
        &app,
        &scanner,
        &URL_SAFE_NO_PAD.encode(&spliced),
        "ferry",
        None,
    )
    .problem(422, "QR_INVALID");
    // X's live token turned into a voucher (expiry dropped, signature kept).
    let mut as_voucher = URL_SAFE_NO_PAD.decode(token_x).unwrap();
    as_voucher[0] = 2;
    as_voucher.drain(14..18);
    redeem(
        &app,
        &scanner,
        &URL_SAFE_NO_PAD.encode(&as_voucher),
        "ferry",
        None,
    )
    .problem(422, "QR_INVALID");
    assert_eq!(uses_left(&app), before);

    // A scan id answers only for the scan it was first used for: reusing it for another ticket,
    // or another function code, is refused, and consumes nothing.
    let first = redeem(&app, &scanner, token_x, "ferry", Some("scan-1")).expect(200);
    assert_eq!(first.body["ticket_code"], x["ticket_code"]);
    let r =
        redeem(&app, &scanner, token_y, "ferry", Some("scan-1")).problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["field"], "scan_id");
    redeem(&app, &scanner, token_x, "buffet", Some("scan-1")).problem(422, "VALIDATION_FAILED");
    assert_eq!(
        redeem(&app, &scanner, token_x, "ferry", Some("scan-1"))
            .expect(200)
            .body,
        first.body
    );
    assert_eq!(uses_left(&app), before - 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM redemptions"), 1);
    // Y is untouched and still redeems with a fresh scan id.
    assert_eq!(
        redeem(&app, &scanner, token_y, "ferry", Some("scan-2"))
            .expect(200)
            .body["remaining_uses"],
        1
    );
}

#[test]
fn a_voucher_stops_working_once_its_ticket_is_cancelled() {
    let app = spawn_app();
    let p = app.partner("P");
    let batch = app
        .post("/api/ota/tickets/bulk-generate")
        .key(&p.key)
        .json(&json!({"product_id": 106, "quantity": 2, "distribution_mode": "direct_sale"}))
        .send()
        .expect(201)
        .body;
    let scanner = venue(&app);
    let before = uses_left(&app);
    // One cancelled while pre-generated, one sold and then cancelled.
    let sold = &batch["tickets"][1];
    app.post(&format!("/api/ota/tickets/{}/activate", sold["ticket_code"].as_str().unwrap()))
        .key(&p.key)
        .json(&json!({"customer_details": {"name": "Ana", "email": "ana@example.com"}, "customer_type": "adult", "visit_date": weekday_ahead()}))
        .send()
        .expect(200);
    for t in batch["tickets"].as_array().unwrap() {
        let code = t["ticket_code"].as_str().unwrap();
        app.ota_post_empty(&p, &format!("/api/ota/tickets/{code}/cancel"))
            .expect(200);
        let voucher = t["voucher_token"].as_str().unwrap();
        for function in ["ferry", "buffet"] {
            redeem(&app, &scanner, voucher, function, None).problem(409, "TICKET_NOT_ACTIVE");
        }
        app.post(&format!("/qr/{code}"))
            .key(&p.key)
            .send()
            .problem(409, "TICKET_NOT_ACTIVE");
    }
    assert_eq!(uses_left(&app), before);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM redemptions"), 0);
    assert_eq!(app.stock(106, "ota"), (0, 0, 2000));
    app.assert_consistent();
}

#[test]
fn no_token_of_a_used_ticket_redeems_again() {
    let app = spawn_app();
    let p = app.partner("P");
    let paid = app.paid_order_on(&p, 107, 1, &today());
    let code = paid["tickets"][0]["ticket_code"].as_str().unwrap();
    // Two live tokens: the one issued with the ticket, and a later one.
    let issued = paid["tickets"][0]["qr_token"].as_str().unwrap();
    let later = app
        .post(&format!("/qr/{code}"))
        .key(&p.key)
        .send()
        .expect(201)
        .body["qr_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let scanner = venue(&app);
    for f in ["ferry", "ferry", "pet_area"] {
        redeem(&app, &scanner, &later, f, None).expect(200);
    }
    let minted_after = app.state().ctx.qr.fresh(code).unwrap().0;
    for token in [issued, later.as_str(), minted_after.as_str()] {
        for f in ["ferry", "pet_area"] {
            redeem(&app, &scanner, token, f, None).problem(409, "TICKET_NOT_ACTIVE");
        }
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM redemptions"), 3);
    assert_eq!(uses_left(&app), 0);
    app.assert_consistent();
}

#[test]
fn tokens_signed_with_another_key_are_invalid() {
    let app = spawn_app();
    let p = app.partner("P");
    let code = text_of(&app.sold_ticket(&p, 106), "ticket_code");
    let scanner = venue(&app);
    for key in [[0u8; 32], [7u8; 32], [255u8; 32]] {
        let other = QrSigner::new(key, time::Duration::minutes(30));
        let live = other.fresh(&code).unwrap().0;
        let voucher = other.voucher_token(&code).unwrap();
        for token in [live, voucher] {
            redeem(&app, &scanner, &token, "ferry", None).problem(422, "QR_INVALID");
        }
    }
    assert_eq!(uses_left(&app), 4);
}

#[test]
fn garbage_tokens_are_invalid_never_a_server_error() {
    let app = spawn_app();
    let p = app.partner("P");
    let token = text_of(&app.sold_ticket(&p, 106), "qr_token");
    let scanner = venue(&app);
    let raw = URL_SAFE_NO_PAD.decode(&token).unwrap();
    let mut garbage: Vec<String> = (0..token.len()).map(|n| token[..n].to_owned()).collect();
    garbage.extend([
        format!("{token}="),
        format!("{token}A"),
        format!("{token}{token}"),
        STANDARD.encode(&raw),
        token.replace('-', "+").replace('_', "/") + "+/",
        format!("{} {}", &token[..20], &token[20..]),
        format!("{}\u{0}{}", &token[..20], &token[20..]),
        "====".into(),
        "\u{0}".into(),
        "😀".repeat(10),
        "x".repeat(10_000),
        URL_SAFE_NO_PAD.encode("x".repeat(100_000)),
    ]);
    // Right length and layout, wrong bytes: another kind, another key id, random MACs.
    for (i, value) in [(0, 3u8), (0, 0), (1, 2), (1, 255)] {
        let mut b = raw.clone();
        b[i] = value;
        garbage.push(URL_SAFE_NO_PAD.encode(&b));
    }
    for n in 0..8 {
        let mut b = raw.clone();
        let last = b.len() - 1 - n;
        b[last] ^= 0x55;
        garbage.push(URL_SAFE_NO_PAD.encode(&b));
    }
    for g in &garbage {
        let r = redeem(&app, &scanner, g, "ferry", None);
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (422, Some("QR_INVALID")),
            "{}",
            g.chars().take(60).collect::<String>()
        );
    }
    assert_eq!(uses_left(&app), 4);
    redeem(&app, &scanner, &token, "ferry", None).expect(200);
}

#[test]
fn a_retried_scan_gets_its_answer_even_after_the_live_token_expired() {
    let app = spawn_app();
    let p = app.partner("P");
    let paid = app.paid_order_on(&p, 106, 1, &today());
    let code = paid["tickets"][0]["ticket_code"].as_str().unwrap();
    let scanner = venue(&app);
    let now = time::OffsetDateTime::now_utc();
    // Scanned a minute ago with a token that has expired since; the scanner retries now.
    let token = app
        .state()
        .ctx
        .qr
        .live_token(code, now - time::Duration::seconds(10))
        .unwrap();
    let minute_ago = gangway::clock::to_db(now - time::Duration::minutes(1));
    let first = redeem(
        &app,
        &scanner,
        paid["tickets"][0]["qr_token"].as_str().unwrap(),
        "ferry",
        Some("scan-9"),
    )
    .expect(200);
    app.sql(&format!(
        "UPDATE redemptions SET response = json_set(response, '$.redeemed_at', '{minute_ago}') WHERE scan_id = 'scan-9'"
    ));
    let again = redeem(&app, &scanner, &token, "ferry", Some("scan-9")).expect(200);
    assert_eq!(again.body["remaining_uses"], first.body["remaining_uses"]);
    assert_eq!(again.body["redeemed_at"], minute_ago.as_str());
    // As a new scan, the expired token is refused.
    redeem(&app, &scanner, &token, "ferry", None).problem(422, "QR_EXPIRED");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM redemptions"), 1);
}
