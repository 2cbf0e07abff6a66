use gangway::domain::users::Role;
use serde_json::json;

use crate::helpers::*;

#[test]
fn a_customer_orders_pays_through_the_gateway_and_gets_tickets() {
    let app = spawn_app();
    let me = app.user("ana@example.com", Role::Customer);
    let body = json!({"visit_date": saturday_ahead(), "items": [{"product_id": 106, "customer_type": "adult", "count": 2}, {"product_id": 107, "customer_type": "child", "count": 1}]});
    let o = app
        .post("/api/orders")
        .bearer(&me)
        .json(&body)
        .send()
        .expect(201);
    assert_eq!(o.body["status"], "PENDING_PAYMENT");
    assert_eq!(o.body["payment_required"]["amount_cents"], 2 * 31800 + 7800);
    let minutes =
        (time_of(&o.body["expires_at"]) - time::OffsetDateTime::now_utc()).whole_minutes();
    assert!((14..=15).contains(&minutes));
    assert_eq!(app.stock(106, "direct"), (2, 0, 3000));
    assert_eq!(
        app.stock(106, "ota"),
        (0, 0, 2000),
        "direct holds never touch OTA stock"
    );
    let oid = o.body["order_id"].as_str().unwrap();

    let n = json!({"order_id": oid, "payment_reference": "GW-1", "status": "SUCCESS", "amount_cents": 2 * 31800 + 7800, "currency": "USD"});
    let paid = app.notify(&n).expect(200);
    assert_eq!(
        paid.body,
        json!({"order_id": oid, "order_status": "PAID", "tickets_issued": 3})
    );
    assert_eq!(
        app.notify(&n).expect(200).body,
        paid.body,
        "duplicates get the first answer"
    );
    assert_eq!(app.stock(106, "direct"), (0, 2, 3000));

    let mine = app.get("/api/my/tickets").bearer(&me).send().expect(200);
    let tickets = mine.body["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 3);
    let code = tickets[0]["ticket_code"].as_str().unwrap();
    let info = app
        .get(&format!("/qr/{code}/info"))
        .bearer(&me)
        .send()
        .expect(200);
    assert_eq!(info.body["ticket_type"], "NORMAL");
    app.post(&format!("/qr/{code}"))
        .bearer(&me)
        .send()
        .expect(201);
    // Same redemption path as OTA tickets, on the day of the visit.
    app.visit_day_comes();
    let token = tickets[0]["qr_token"].as_str().unwrap();
    app.post("/venue/redeem")
        .bearer(&venue(&app))
        .json(&json!({"qr_token": token, "function_code": "ferry"}))
        .send()
        .expect(200);
    // Another customer sees none of it.
    let other = app.user("bo@example.com", Role::Customer);
    app.get(&format!("/api/orders/{oid}"))
        .bearer(&other)
        .send()
        .problem(404, "NOT_FOUND");
    app.get(&format!("/qr/{code}/info"))
        .bearer(&other)
        .send()
        .problem(404, "NOT_FOUND");
    app.assert_consistent();
}

#[test]
fn unpaid_direct_orders_expire_and_release_their_units() {
    let app = spawn_app();
    let me = app.user("ana@example.com", Role::Customer);
    let o = app.post("/api/orders").bearer(&me).json(&json!({"visit_date": weekday_ahead(), "items": [{"product_id": 108, "customer_type": "vip", "count": 4}]})).send().expect(201);
    let oid = o.body["order_id"].as_str().unwrap();
    app.sql(&format!(
        "UPDATE orders SET expires_at = '2020-01-01T00:00:00Z' WHERE id = '{oid}'"
    ));
    assert_eq!(
        app.get("/api/catalog").send().body["products"][2]["available"],
        1500,
        "an expired hold never blocks stock"
    );
    assert_eq!(
        app.get(&format!("/api/orders/{oid}"))
            .bearer(&me)
            .send()
            .expect(200)
            .body["status"],
        "EXPIRED"
    );
    gangway::domain::expiry::run_once(app.db()).unwrap();
    assert_eq!(app.stock(108, "direct"), (0, 0, 1500));
    app.assert_consistent();
}

#[test]
fn direct_orders_validate_their_items() {
    let app = spawn_app();
    let me = app.user("ana@example.com", Role::Customer);
    for (body, field) in [
        (
            json!({"visit_date": "2020-01-01", "items": [{"product_id": 106, "customer_type": "adult", "count": 1}]}),
            "visit_date",
        ),
        (json!({"visit_date": weekday_ahead(), "items": []}), "items"),
        (
            json!({"visit_date": weekday_ahead(), "items": [{"product_id": 106, "customer_type": "pet", "count": 1}]}),
            "items",
        ),
        (
            json!({"visit_date": weekday_ahead(), "items": [{"product_id": 1, "customer_type": "adult", "count": 1}]}),
            "items.product_id",
        ),
        (
            json!({"visit_date": weekday_ahead(), "items": [{"product_id": 106, "customer_type": "adult", "count": 0}]}),
            "items",
        ),
    ] {
        let r = app
            .post("/api/orders")
            .bearer(&me)
            .json(&body)
            .send()
            .problem(422, "VALIDATION_FAILED");
        assert_eq!(r.body["field"], field, "{body}");
    }
    app.post("/api/orders")
        .json(&json!({"visit_date": weekday_ahead(), "items": []}))
        .send()
        .problem(401, "UNAUTHENTICATED");
    assert_eq!(app.stock(106, "direct"), (0, 0, 3000));
}

#[test]
fn each_channel_sells_on_when_the_other_runs_out() {
    let app = spawn_app();
    let p = app.partner("P");
    let me = app.user("ana@example.com", Role::Customer);
    let direct = |count: i64| {
        app.post("/api/orders").bearer(&me).json(&json!({"visit_date": weekday_ahead(), "items": [{"product_id": 108, "customer_type": "adult", "count": count}]})).send()
    };
    // OTA exhausted: direct still sells.
    app.reserve(&p, 108, 1500).expect(201);
    app.reserve(&p, 108, 1)
        .problem(409, "INSUFFICIENT_INVENTORY");
    direct(1500).expect(201);
    // Direct exhausted too: each is refused on its own channel only.
    direct(1).problem(409, "INSUFFICIENT_INVENTORY");
    assert_eq!(app.stock(108, "ota"), (1500, 0, 1500));
    assert_eq!(app.stock(108, "direct"), (1500, 0, 1500));
    // An OTA key cannot read a direct order, nor a customer an OTA one.
    let oid = direct_order_id(&app, &me);
    app.ota_get(&p, &format!("/api/orders/{oid}"))
        .problem(401, "UNAUTHENTICATED");
    app.ota_get(&p, &format!("/api/ota/orders/{oid}"))
        .problem(404, "NOT_FOUND");
    let ota = app.paid_order(&p, 106, 1);
    app.get(&format!(
        "/api/orders/{}",
        ota["order_id"].as_str().unwrap()
    ))
    .bearer(&me)
    .send()
    .problem(404, "NOT_FOUND");
    app.assert_consistent();
}

fn direct_order_id(app: &TestApp, token: &str) -> String {
    let o = app.post("/api/orders").bearer(token).json(&json!({"visit_date": weekday_ahead(), "items": [{"product_id": 106, "customer_type": "adult", "count": 1}]})).send().expect(201);
    o.text("order_id")
}
