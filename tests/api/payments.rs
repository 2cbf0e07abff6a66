use gangway::domain::users::Role;
use rocket::http::ContentType;
use serde_json::{json, Value};

use crate::helpers::*;

fn direct_order(app: &TestApp) -> (String, i64) {
    let me = app.user("ana@example.com", Role::Customer);
    let o = app.post("/api/orders").bearer(&me).json(&json!({"visit_date": weekday_ahead(), "items": [{"product_id": 106, "customer_type": "adult", "count": 1}]})).send().expect(201);
    (
        o.text("order_id"),
        o.body["payment_required"]["amount_cents"].as_i64().unwrap(),
    )
}

fn send_signed(app: &TestApp, body: &Value, header: String) -> Resp {
    app.post("/payments/notify")
        .raw(serde_json::to_vec(body).unwrap(), Some(ContentType::JSON))
        .header("X-Gangway-Signature", &header)
        .send()
}

#[test]
fn notifications_must_be_signed_recently_with_our_secret() {
    let app = spawn_app();
    let (oid, amount) = direct_order(&app);
    let n = json!({"order_id": oid, "payment_reference": "GW-1", "status": "SUCCESS", "amount_cents": amount, "currency": "USD"});
    let raw = serde_json::to_vec(&n).unwrap();
    app.post("/payments/notify")
        .json(&n)
        .send()
        .problem(401, "UNAUTHENTICATED");
    send_signed(&app, &n, signature(&raw, now_unix() - 301)).problem(401, "UNAUTHENTICATED");
    send_signed(&app, &n, signature(&raw, now_unix() + 301)).problem(401, "UNAUTHENTICATED");
    let wrong = format!(
        "t={},v1={}",
        now_unix(),
        hex::encode(gangway::domain::gateway::sign(
            "another-secret-entirely",
            now_unix(),
            &raw
        ))
    );
    send_signed(&app, &n, wrong).problem(401, "UNAUTHENTICATED");
    // Signed over another body: the signature does not carry over.
    let other = serde_json::to_vec(&json!({"order_id": oid, "payment_reference": "GW-1", "status": "SUCCESS", "amount_cents": 1, "currency": "USD"})).unwrap();
    send_signed(&app, &n, signature(&other, now_unix())).problem(401, "UNAUTHENTICATED");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM payments"), 0);
    app.notify(&n).expect(200);
}

#[test]
fn a_wrong_amount_is_recorded_and_issues_nothing() {
    let app = spawn_app();
    let (oid, amount) = direct_order(&app);
    let n = json!({"order_id": oid, "payment_reference": "GW-1", "status": "SUCCESS", "amount_cents": amount - 1, "currency": "USD"});
    app.notify(&n).problem(422, "VALIDATION_FAILED");
    app.notify(&n).problem(422, "VALIDATION_FAILED");
    let n2 = json!({"order_id": oid, "payment_reference": "GW-2", "status": "SUCCESS", "amount_cents": amount, "currency": "EUR"});
    app.notify(&n2).problem(422, "VALIDATION_FAILED");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM payments WHERE outcome = 'mismatch'"),
        2
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM tickets"), 0);
}

#[test]
fn failed_then_successful_payments_in_any_order_issue_once() {
    let app = spawn_app();
    let (oid, amount) = direct_order(&app);
    let failed = json!({"order_id": oid, "payment_reference": "GW-1", "status": "FAILED", "amount_cents": amount, "currency": "USD"});
    let r = app.notify(&failed).expect(200);
    assert_eq!(
        (
            r.body["order_status"].as_str(),
            r.body["tickets_issued"].as_i64()
        ),
        (Some("PENDING_PAYMENT"), Some(0))
    );
    let ok = json!({"order_id": oid, "payment_reference": "GW-2", "status": "SUCCESS", "amount_cents": amount, "currency": "USD"});
    assert_eq!(app.notify(&ok).expect(200).body["tickets_issued"], 1);
    // A late FAILED for the paid reference changes nothing.
    let late_failed = json!({"order_id": oid, "payment_reference": "GW-2", "status": "FAILED", "amount_cents": amount, "currency": "USD"});
    assert_eq!(
        app.notify(&late_failed).expect(200).body["order_status"],
        "PAID"
    );
    // A second, different successful payment is refused (and recorded for refund).
    let twice = json!({"order_id": oid, "payment_reference": "GW-3", "status": "SUCCESS", "amount_cents": amount, "currency": "USD"});
    app.notify(&twice).problem(409, "ORDER_ALREADY_PAID");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM tickets"), 1);
    app.notify(&json!({"order_id": "nope", "payment_reference": "x", "status": "SUCCESS", "amount_cents": 1, "currency": "USD"})).problem(404, "NOT_FOUND");
    app.assert_consistent();
}

#[test]
fn ota_orders_can_be_paid_by_the_gateway_too() {
    let app = spawn_app();
    let p = app.partner("P");
    let rid = app.held(&p, 107, 2);
    let o = app.order(&p, &rid, &[("family", 2)]).expect(201);
    let n = json!({"order_id": o.body["order_id"], "payment_reference": "GW-7", "status": "SUCCESS", "amount_cents": o.body["payment_required"]["amount_cents"], "currency": "USD"});
    assert_eq!(app.notify(&n).expect(200).body["tickets_issued"], 2);
    // The OTA then activating with the same reference gets the same tickets.
    let act = app
        .ota_post(
            &p,
            "/api/ota/activate",
            &json!({"order_id": o.body["order_id"], "payment_reference": "GW-7"}),
        )
        .expect(200);
    assert_eq!(act.body["tickets"].as_array().unwrap().len(), 2);
    assert_eq!(app.stock(107, "ota"), (0, 2, 1500));
}
