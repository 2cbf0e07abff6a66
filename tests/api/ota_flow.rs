use rocket::http::Method;
use serde_json::json;

use crate::helpers::*;

#[test]
fn an_ota_holds_orders_pays_and_gets_tickets() {
    let app = spawn_app();
    let p = app.partner("Harbour Trips");

    let inv = app
        .ota_get(&p, "/api/ota/inventory?product_ids=106,107")
        .expect(200);
    assert_eq!(
        inv.body["available_quantities"],
        json!({"106": 2000, "107": 1500})
    );
    assert_eq!(
        inv.body["pricing_context"]["weekend_days"],
        json!(["saturday", "sunday"])
    );
    assert_eq!(
        inv.body["pricing_context"]["products"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(inv.header("RateLimit-Limit").is_some() && inv.header("RateLimit-Remaining").is_some());

    let r = app.reserve(&p, 106, 3).expect(201);
    assert_eq!(r.body["status"], "ACTIVE");
    assert_eq!(
        r.body["pricing_snapshot"]["prices"][1]["weekday_savings_cents"],
        10000
    );
    assert_eq!(app.stock(106, "ota"), (3, 0, 2000));
    let inv = app
        .ota_get(&p, "/api/ota/inventory?product_ids=106")
        .expect(200);
    assert_eq!(inv.body["available_quantities"]["106"], 1997);

    let rid = r.body["reservation_id"].as_str().unwrap();
    let order = app
        .order(&p, rid, &[("adult", 2), ("child", 1)])
        .expect(201);
    assert_eq!(order.body["status"], "PENDING_PAYMENT");
    assert_eq!(
        order.body["payment_required"],
        json!({"amount_cents": 2 * 28800 + 18800, "currency": "USD"})
    );
    assert_eq!(order.body["lines"][0]["day_type"], "weekday");
    assert_eq!(order.body["webhook_url"], "/payments/notify");
    let oid = order.body["order_id"].as_str().unwrap();
    assert_eq!(app.reservation_status(&p, rid), "ORDERED");

    let act = app
        .ota_post(
            &p,
            "/api/ota/activate",
            &json!({"order_id": oid, "payment_reference": "PAY-1"}),
        )
        .expect(200);
    assert_eq!(act.body["activation_status"], "success");
    let tickets = act.body["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 3);
    for t in tickets {
        assert_eq!(t["status"], "ACTIVE");
        assert!(t["qr_token"].is_string() && t["qr_expires_at"].is_string());
        assert!(t["ticket_code"].as_str().unwrap().len() >= 16);
        assert_eq!(
            t["entitlements"][0],
            json!({"function_code": "ferry", "remaining_uses": 2})
        );
    }
    assert_eq!(app.stock(106, "ota"), (0, 3, 2000));

    // Repeating with the same reference returns the same tickets and issues nothing more.
    let again = app
        .ota_post(
            &p,
            "/api/ota/activate",
            &json!({"order_id": oid, "payment_reference": "PAY-1"}),
        )
        .expect(200);
    let codes = |v: &serde_json::Value| {
        v["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["ticket_code"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(codes(&again.body), codes(&act.body));
    app.ota_post(
        &p,
        "/api/ota/activate",
        &json!({"order_id": oid, "payment_reference": "PAY-2"}),
    )
    .problem(409, "ORDER_ALREADY_PAID");

    let got = app
        .ota_get(&p, &format!("/api/ota/orders/{oid}"))
        .expect(200);
    assert_eq!(
        (
            got.body["status"].as_str(),
            got.body["tickets"].as_array().unwrap().len()
        ),
        (Some("PAID"), 3)
    );
    assert_eq!(app.reservation_status(&p, rid), "ACTIVATED");
    let list = app
        .ota_get(&p, "/api/ota/tickets?status=ACTIVE&limit=2")
        .expect(200);
    assert_eq!(
        (
            list.body["total_count"].as_i64(),
            list.body["tickets"].as_array().unwrap().len()
        ),
        (Some(3), 2)
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_log WHERE action IN ('reservation.create', 'order.create', 'order.paid')"), 3);
    app.assert_consistent();
}

#[test]
fn weekend_and_holiday_visits_price_as_weekend() {
    let app = spawn_app();
    let p = app.partner("P");
    let r = app.reserve(&p, 108, 2).expect(201);
    let rid = r.body["reservation_id"].as_str().unwrap();
    let body = json!({"reservation_id": rid, "customer_details": {"name": "A", "email": "a@example.com"},
        "pricing_context": {"visit_date": saturday_ahead(), "customer_breakdown": [{"customer_type": "vip", "count": 2}]}});
    let o = app.ota_post(&p, "/api/ota/orders", &body).expect(201);
    assert_eq!(o.body["lines"][0]["day_type"], "weekend");
    assert_eq!(o.body["payment_required"]["amount_cents"], 2 * 66800);

    // Through the admin API: a change made there is in the next inventory answer at once (the
    // catalog cache is cleared); one made behind the server's back shows within 10 s.
    let holiday = weekday_ahead();
    app.req(Method::Put, &format!("/api/admin/holidays/{holiday}"))
        .bearer(&app.admin())
        .json(&json!({"name": "Harbour Day"}))
        .send()
        .expect(200);
    let r = app.reserve(&p, 108, 1).expect(201);
    let body = json!({"reservation_id": r.body["reservation_id"], "customer_details": {"name": "A", "email": "a@example.com"},
        "pricing_context": {"visit_date": holiday, "customer_breakdown": [{"customer_type": "adult", "count": 1}]}});
    let o = app.ota_post(&p, "/api/ota/orders", &body).expect(201);
    assert_eq!(
        (
            o.body["lines"][0]["day_type"].as_str(),
            o.body["payment_required"]["amount_cents"].as_i64()
        ),
        (Some("weekend"), Some(86800))
    );
    let inv = app
        .ota_get(
            &p,
            &format!("/api/ota/inventory?date_from={holiday}&date_to={holiday}"),
        )
        .expect(200);
    assert_eq!(
        inv.body["calendar"],
        json!([{"date": holiday, "day_type": "weekend"}])
    );
    assert_eq!(inv.body["pricing_context"]["holidays"], json!([holiday]));
}

#[test]
fn orders_must_match_the_reservation() {
    let app = spawn_app();
    let p = app.partner("P");
    let rid = app.held(&p, 107, 3);
    let r = app
        .order(&p, &rid, &[("adult", 2)])
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["field"], "pricing_context.customer_breakdown");
    app.order(&p, &rid, &[("student", 3)])
        .problem(422, "VALIDATION_FAILED"); // not a Pet Plan type
    app.order(&p, &rid, &[("family", 3)]).expect(201);
    app.order(&p, &rid, &[("family", 3)])
        .problem(409, "RESERVATION_NOT_ACTIVE");
}

#[test]
fn not_enough_stock_is_409_and_holds_nothing() {
    let app = spawn_app();
    let p = app.partner("P");
    app.reserve(&p, 108, 1500).expect(201);
    app.reserve(&p, 108, 1)
        .problem(409, "INSUFFICIENT_INVENTORY");
    assert_eq!(app.stock(108, "ota"), (1500, 0, 1500));
    // The direct channel's units are untouched by the OTA running out.
    assert_eq!(app.stock(108, "direct"), (0, 0, 1500));
    for q in [0, -1, 5001] {
        let r = app.reserve(&p, 106, q).problem(422, "VALIDATION_FAILED");
        assert_eq!(r.body["field"], "quantity");
    }
    app.reserve(&p, 999, 1).problem(422, "VALIDATION_FAILED");
}

#[test]
fn cancelling_a_reservation_releases_its_units_once() {
    let app = spawn_app();
    let p = app.partner("P");
    let rid = app.held(&p, 106, 10);
    let r = app
        .req(Method::Delete, &format!("/api/ota/reservations/{rid}"))
        .key(&p.key)
        .send()
        .expect(200);
    assert_eq!(r.body["status"], "CANCELLED");
    assert_eq!(app.stock(106, "ota"), (0, 0, 2000));
    app.req(Method::Delete, &format!("/api/ota/reservations/{rid}"))
        .key(&p.key)
        .send()
        .problem(409, "RESERVATION_NOT_ACTIVE");
    assert_eq!(app.stock(106, "ota"), (0, 0, 2000));
}

#[test]
fn reservation_expiry_is_bounded_and_expired_holds_free_their_units() {
    let app = spawn_app();
    let p = app.partner("P");
    let soon = (time::OffsetDateTime::now_utc() + time::Duration::seconds(20))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let far = (time::OffsetDateTime::now_utc() + time::Duration::days(8))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    for bad in [soon.as_str(), far.as_str(), "tomorrow"] {
        let r = app
            .ota_post(
                &p,
                "/api/ota/reserve",
                &json!({"product_id": 106, "quantity": 1, "reservation_expires_at": bad}),
            )
            .problem(422, "VALIDATION_FAILED");
        assert_eq!(r.body["field"], "reservation_expires_at");
    }
    let r = app.reserve(&p, 108, 1500).expect(201);
    let rid = r.body["reservation_id"].as_str().unwrap();
    let default_hours =
        (time_of(&r.body["reserved_until"]) - time::OffsetDateTime::now_utc()).whole_minutes();
    assert!(
        (23 * 60..=24 * 60).contains(&default_hours),
        "{default_hours}"
    );
    // Time passes: the hold is due but the job has not run yet.
    app.expire_reservation(rid);
    let inv = app
        .ota_get(&p, "/api/ota/inventory?product_ids=108")
        .expect(200);
    assert_eq!(
        inv.body["available_quantities"]["108"], 1500,
        "an expired hold must not block stock"
    );
    assert_eq!(app.reservation_status(&p, rid), "EXPIRED");
    // A new hold reclaims the expired one at once.
    app.reserve(&p, 108, 1500).expect(201);
    assert_eq!(app.stock(108, "ota"), (1500, 0, 1500));
    app.order(&p, rid, &[("adult", 1500)])
        .problem(409, "RESERVATION_NOT_ACTIVE");
    app.assert_consistent();
}

#[test]
fn the_expiry_job_releases_due_holds() {
    let app = spawn_app();
    let p = app.partner("P");
    let rid = app.held(&p, 107, 5);
    app.expire_reservation(&rid);
    let released = gangway::domain::expiry::run_once(app.db()).unwrap();
    assert_eq!(released.reservations, 1);
    assert_eq!(app.stock(107, "ota"), (0, 0, 1500));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'reservation.expire'"),
        1
    );
    app.assert_consistent();
}

#[test]
fn a_late_payment_is_kept_and_issues_tickets_while_stock_remains() {
    let app = spawn_app();
    let p = app.partner("P");
    let rid = app.held(&p, 106, 2);
    let oid = app
        .order(&p, &rid, &[("adult", 2)])
        .expect(201)
        .text("order_id");
    app.expire_reservation(&rid);
    let act = app
        .ota_post(
            &p,
            "/api/ota/activate",
            &json!({"order_id": oid, "payment_reference": "LATE"}),
        )
        .expect(200);
    assert_eq!(
        (
            act.body["activation_status"].as_str(),
            act.body["tickets"].as_array().unwrap().len()
        ),
        (Some("success"), 2)
    );
    assert_eq!(app.stock(106, "ota"), (0, 2, 2000));
    app.assert_consistent();
}

#[test]
fn a_late_payment_without_stock_marks_the_order_for_refund() {
    let app = spawn_app();
    let p = app.partner("P");
    let (oid, amount) = app.order_whose_units_went(&p);
    let n = json!({"order_id": oid, "payment_reference": "GW-9", "status": "SUCCESS", "amount_cents": amount, "currency": "USD"});
    let r = app.notify(&n).expect(200);
    assert_eq!(
        (
            r.body["order_status"].as_str(),
            r.body["tickets_issued"].as_i64()
        ),
        (Some("REFUND_REQUIRED"), Some(0))
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM payments WHERE order_id = '{oid}'"
        )),
        1,
        "the payment is recorded"
    );
    assert_eq!(app.notify(&n).expect(200).body, r.body);
    assert_eq!(app.stock(108, "ota"), (1500, 0, 1500));
    app.assert_consistent();
}

#[test]
fn idempotency_keys_replay_and_refuse_reuse() {
    let app = spawn_app();
    let p = app.partner("P");
    let body = json!({"product_id": 106, "quantity": 4});
    let first = app
        .post("/api/ota/reserve")
        .key(&p.key)
        .header("Idempotency-Key", "k-1")
        .json(&body)
        .send()
        .expect(201);
    let again = app
        .post("/api/ota/reserve")
        .key(&p.key)
        .header("Idempotency-Key", "k-1")
        .json(&body)
        .send()
        .expect(201);
    assert_eq!(first.body, again.body);
    assert_eq!(app.stock(106, "ota"), (4, 0, 2000));
    app.post("/api/ota/reserve")
        .key(&p.key)
        .header("Idempotency-Key", "k-1")
        .json(&json!({"product_id": 106, "quantity": 5}))
        .send()
        .problem(422, "IDEMPOTENCY_KEY_REUSED");
    // Keys are scoped to the partner.
    let q = app.partner("Q");
    app.post("/api/ota/reserve")
        .key(&q.key)
        .header("Idempotency-Key", "k-1")
        .json(&body)
        .send()
        .expect(201);
    assert_eq!(app.stock(106, "ota"), (8, 0, 2000));
    let long = "x".repeat(256);
    app.post("/api/ota/reserve")
        .key(&p.key)
        .header("Idempotency-Key", &long)
        .json(&body)
        .send()
        .problem(422, "VALIDATION_FAILED");
}

#[test]
fn partners_never_see_each_others_objects() {
    let app = spawn_app();
    let a = app.partner("A");
    let b = app.partner("B");
    let paid = app.paid_order(&a, 106, 1);
    let code = paid["tickets"][0]["ticket_code"].as_str().unwrap();
    let oid = paid["order_id"].as_str().unwrap();
    let rid = app.held(&a, 106, 1);
    for path in [
        format!("/api/ota/orders/{oid}"),
        format!("/api/ota/reservations/{rid}"),
        format!("/api/ota/tickets/{code}"),
        format!("/qr/{code}/info"),
    ] {
        app.ota_get(&b, &path).problem(404, "NOT_FOUND");
        app.ota_get(&a, &path).expect(200);
    }
    app.req(Method::Delete, &format!("/api/ota/reservations/{rid}"))
        .key(&b.key)
        .send()
        .problem(404, "NOT_FOUND");
    app.post(&format!("/api/ota/tickets/{code}/cancel"))
        .key(&b.key)
        .send()
        .problem(404, "NOT_FOUND");
    app.post(&format!("/qr/{code}"))
        .key(&b.key)
        .send()
        .problem(404, "NOT_FOUND");
    assert_eq!(
        app.ota_get(&b, "/api/ota/tickets").expect(200).body["total_count"],
        0
    );
    app.ota_post(
        &b,
        "/api/ota/activate",
        &json!({"order_id": oid, "payment_reference": "x"}),
    )
    .problem(422, "VALIDATION_FAILED");
}

#[test]
fn ticket_queries_validate_their_parameters() {
    let app = spawn_app();
    let p = app.partner("P");
    for (query, field) in [
        ("status=SOLD", "status"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("created_after=yesterday", "created_after"),
    ] {
        let r = app
            .ota_get(&p, &format!("/api/ota/tickets?{query}"))
            .problem(422, "VALIDATION_FAILED");
        assert_eq!(r.body["field"], field, "{query}");
    }
    app.ota_get(&p, "/api/ota/inventory?product_ids=106,999")
        .problem(422, "VALIDATION_FAILED");
    app.ota_get(
        &p,
        "/api/ota/inventory?date_from=2026-01-01&date_to=2027-06-01",
    )
    .problem(422, "VALIDATION_FAILED");
}

#[test]
fn cancelling_an_unredeemed_ticket_returns_its_unit() {
    let app = spawn_app();
    let p = app.partner("P");
    let paid = app.paid_order(&p, 107, 2);
    let code = paid["tickets"][0]["ticket_code"].as_str().unwrap();
    let r = app
        .ota_post_empty(&p, &format!("/api/ota/tickets/{code}/cancel"))
        .expect(200);
    assert_eq!(r.body["status"], "CANCELLED");
    assert_eq!(app.stock(107, "ota"), (0, 1, 1500));
    app.ota_post_empty(&p, &format!("/api/ota/tickets/{code}/cancel"))
        .problem(409, "INVALID_STATE");
    app.assert_consistent();
}

#[test]
fn rate_limits_answer_429_with_retry_after() {
    let app = spawn_app_with(|f| f.merge(("rate_limit_per_minute", 5)));
    let p = app.partner("P");
    for _ in 0..5 {
        app.ota_get(&p, "/api/ota/inventory").expect(200);
    }
    let r = app
        .ota_get(&p, "/api/ota/inventory")
        .problem(429, "RATE_LIMITED");
    assert!(r.header("Retry-After").unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(r.header("RateLimit-Remaining"), Some("0"));
    // Another partner has its own budget.
    app.get("/api/ota/inventory")
        .key(&app.partner("Q").key)
        .send()
        .expect(200);
}

#[test]
fn a_holiday_set_by_an_admin_shows_in_the_next_inventory_answer() {
    let app = spawn_app();
    let p = app.partner("P");
    let admin = app.admin();
    let day = weekday_ahead();
    let calendar = |app: &TestApp| {
        let path = format!("/api/ota/inventory?date_from={day}&date_to={day}");
        app.ota_get(&p, &path).expect(200).body["calendar"][0]["day_type"].clone()
    };
    assert_eq!(calendar(&app), "weekday");
    app.req(Method::Put, &format!("/api/admin/holidays/{day}"))
        .bearer(&admin)
        .json(&json!({"name": "Harbour Day"}))
        .send()
        .expect(200);
    assert_eq!(calendar(&app), "weekend");
    app.req(Method::Delete, &format!("/api/admin/holidays/{day}"))
        .bearer(&admin)
        .send()
        .expect(200);
    assert_eq!(calendar(&app), "weekday");
}
