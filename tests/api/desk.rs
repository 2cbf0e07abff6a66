//! The staff desk: look up a guest's tickets and orders by whatever they have, read a ticket's
//! history, cancel a ticket (stock comes back, the reason is audited), work the refund queue, and
//! print vouchers.

use base64::Engine;
use gangway::domain::users::Role;
use serde_json::{json, Value};

use crate::helpers::*;

fn staff(app: &TestApp) -> String {
    app.user("desk@example.com", Role::Staff)
}

fn get(app: &TestApp, token: &str, path: &str) -> Resp {
    app.get(path).bearer(token).send()
}

#[test]
fn a_ticket_is_found_by_code_order_email_or_payment_reference() {
    let app = spawn_app();
    let p = app.partner("Harbour Travel");
    let desk = staff(&app);
    let paid = app.paid_order(&p, 106, 2);
    let order_id = text_of(&paid, "order_id");
    let code = text_of(&paid["tickets"][0], "ticket_code");
    app.paid_order(&p, 107, 1); // another order of the same email

    let codes = |q: &str| -> (Vec<String>, Vec<String>) {
        let r = get(&app, &desk, &format!("/api/admin/lookup?q={q}"))
            .expect(200)
            .body;
        let list = |k: &str, f: &str| {
            r[k].as_array()
                .unwrap()
                .iter()
                .map(|x| text_of(x, f))
                .collect::<Vec<_>>()
        };
        (list("tickets", "ticket_code"), list("orders", "order_id"))
    };
    let (t, o) = codes(&code);
    assert_eq!((t, o), (vec![code.clone()], vec![order_id.clone()]));
    let (t, o) = codes(&order_id);
    assert_eq!((t.len(), o), (2, vec![order_id.clone()]));
    let (t, o) = codes(&format!("pay-{order_id}"));
    assert_eq!((t.len(), o), (2, vec![order_id.clone()]));
    let (t, o) = codes("MEI@Example.com");
    assert_eq!((t.len(), o.len()), (3, 2), "by email, any case");
    let hit = &get(&app, &desk, &format!("/api/admin/lookup?q={code}")).body["tickets"][0];
    assert_eq!(
        (
            hit["product_name"].as_str(),
            hit["holder_email"].as_str(),
            hit["partner_name"].as_str()
        ),
        (
            Some("Premium Plan"),
            Some("mei@example.com"),
            Some("Harbour Travel")
        )
    );
    assert_eq!(codes("nobody@example.com"), (vec![], vec![]));
    get(&app, &desk, "/api/admin/lookup?q=").problem(422, "VALIDATION_FAILED");
    get(&app, &desk, "/api/admin/lookup").problem(422, "VALIDATION_FAILED");
    get(&app, &venue(&app), &format!("/api/admin/lookup?q={code}")).problem(403, "FORBIDDEN");
}

#[test]
fn the_history_tells_who_did_what_and_the_desk_cancels_with_a_reason() {
    let app = spawn_app();
    let p = app.partner("Harbour Travel");
    let desk = staff(&app);
    let scanner = venue(&app);
    let paid = app.paid_order_on(&p, 106, 2, &today());
    let (scanned, unused) = (&paid["tickets"][0], &paid["tickets"][1]);
    app.scan(
        &scanner,
        &json!({"qr_token": scanned["qr_token"], "function_code": "ferry", "venue_code": "PIER-1"}),
    )
    .expect(200);

    let h = get(
        &app,
        &desk,
        &format!("/api/admin/tickets/{}", text_of(scanned, "ticket_code")),
    )
    .expect(200)
    .body;
    assert_eq!(h["can_cancel"], false);
    assert_eq!(
        (h["holder"]["email"].as_str(), h["partner_name"].as_str()),
        (Some("mei@example.com"), Some("Harbour Travel"))
    );
    let kinds: Vec<&str> = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["issued", "redeemed"]);
    let scan = &h["events"][1];
    assert_eq!(scan["actor"], "scanner@example.com");
    assert_eq!(
        scan["summary"],
        "Ferry ride (round trip): 1 left (at PIER-1)."
    );
    // A redeemed ticket cannot be cancelled, by the desk either.
    let path = format!(
        "/api/admin/tickets/{}/cancel",
        text_of(scanned, "ticket_code")
    );
    app.post(&path)
        .bearer(&desk)
        .json(&json!({"reason": "guest asked"}))
        .send()
        .problem(409, "INVALID_STATE");

    // The unused one can: its unit goes back, the audit keeps the reason.
    let code = text_of(unused, "ticket_code");
    let before = app.stock(106, "ota");
    let path = format!("/api/admin/tickets/{code}/cancel");
    app.post(&path)
        .bearer(&desk)
        .json(&json!({}))
        .send()
        .problem(400, "MALFORMED_REQUEST");
    app.post(&path)
        .bearer(&desk)
        .json(&json!({"reason": "  "}))
        .send()
        .problem(422, "VALIDATION_FAILED");
    app.post(&path)
        .bearer(&scanner)
        .json(&json!({"reason": "x"}))
        .send()
        .problem(403, "FORBIDDEN");
    let t = app
        .post(&path)
        .bearer(&desk)
        .json(&json!({"reason": "guest missed the boat"}))
        .send()
        .expect(200);
    assert_eq!(t.body["status"], "CANCELLED");
    assert_eq!(app.stock(106, "ota"), (before.0, before.1 - 1, before.2));
    let h = get(&app, &desk, &format!("/api/admin/tickets/{code}"))
        .expect(200)
        .body;
    let last = h["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["kind"].as_str(), last["actor"].as_str()),
        (Some("cancelled"), Some("desk@example.com"))
    );
    assert!(
        last["summary"]
            .as_str()
            .unwrap()
            .contains("Reason: guest missed the boat."),
        "{last}"
    );
    let audit = get(&app, &desk, "/api/admin/audit?action=Ticket%20cancelled")
        .expect(200)
        .body;
    assert_eq!(
        audit["entries"][0]["summary"]["reason"],
        "guest missed the boat"
    );
    assert_eq!(audit["entries"][0]["actor_email"], "desk@example.com");
    get(&app, &desk, "/api/admin/tickets/nope").problem(404, "NOT_FOUND");
    app.assert_consistent();
}

#[test]
fn a_sold_voucher_shows_its_sale_in_the_history() {
    let app = spawn_app();
    let p = app.partner("Harbour Travel");
    let desk = staff(&app);
    let code = text_of(&app.batch(&p, 107, 1)["tickets"][0], "ticket_code");
    let h = get(&app, &desk, &format!("/api/admin/tickets/{code}"))
        .expect(200)
        .body;
    assert_eq!(
        (h["events"][0]["kind"].as_str(), h["can_cancel"].as_bool()),
        (Some("pre_generated"), Some(true))
    );
    app.sell_voucher(&p, &code, "child", &weekday_ahead());
    let h = get(&app, &desk, &format!("/api/admin/tickets/{code}"))
        .expect(200)
        .body;
    let sold = &h["events"][1];
    assert_eq!(
        (sold["kind"].as_str(), sold["actor"].as_str()),
        (Some("sold"), Some("Harbour Travel"))
    );
    assert_eq!(
        sold["summary"],
        format!("Sold as child for {}.", weekday_ahead())
    );
}

#[test]
fn orders_waiting_for_a_refund_are_queued_for_staff() {
    let app = spawn_app();
    let p = app.partner("P");
    let desk = staff(&app);
    let (oid, amount) = app.order_whose_units_went(&p);
    app.notify(&json!({"order_id": oid, "payment_reference": "GW-LATE", "status": "SUCCESS", "amount_cents": amount, "currency": "USD"})).expect(200);
    app.paid_order(&p, 106, 1); // paid normally: not in the queue

    let q = get(&app, &desk, "/api/admin/orders").expect(200).body;
    assert_eq!(q["total_count"], 1);
    let o = &q["orders"][0];
    assert_eq!(
        (
            o["order_id"].as_str(),
            o["status"].as_str(),
            o["payment_reference"].as_str(),
            o["amount_cents"].as_i64(),
            o["tickets"].as_i64()
        ),
        (
            Some(oid.as_str()),
            Some("REFUND_REQUIRED"),
            Some("GW-LATE"),
            Some(amount),
            Some(0)
        )
    );
    assert_eq!(
        get(&app, &desk, "/api/admin/orders?status=PAID")
            .expect(200)
            .body["total_count"],
        1
    );
    get(&app, &desk, "/api/admin/orders?status=REFUNDED").problem(422, "VALIDATION_FAILED");
    let one = get(&app, &desk, &format!("/api/admin/orders/{oid}"))
        .expect(200)
        .body;
    assert_eq!(one["status"], "REFUND_REQUIRED");
    // The lookup finds it by the gateway's reference.
    let hit = get(&app, &desk, "/api/admin/lookup?q=GW-LATE")
        .expect(200)
        .body;
    assert_eq!(hit["orders"][0]["order_id"], oid.as_str());
}

#[test]
fn vouchers_print_with_their_qr_what_they_entitle_to_and_when_they_are_valid() {
    let app = spawn_app();
    let p = app.partner("Harbour Travel");
    let desk = staff(&app);
    let batch = app.batch(&p, 107, 5);
    let bid = text_of(&batch, "batch_id");
    let tickets = batch["tickets"].as_array().unwrap();
    app.ota_post_empty(
        &p,
        &format!(
            "/api/ota/tickets/{}/cancel",
            text_of(&tickets[4], "ticket_code")
        ),
    )
    .expect(200);
    let sold = text_of(&tickets[0], "ticket_code");
    app.sell_voucher(&p, &sold, "child", &weekday_ahead());

    let sheet = get(
        &app,
        &desk,
        &format!("/api/admin/batches/{bid}/vouchers?limit=3"),
    )
    .expect(200)
    .body;
    assert_eq!(
        (
            sheet["total_count"].as_i64(),
            sheet["not_printable"].as_i64(),
            sheet["page_size"].as_i64()
        ),
        (Some(4), Some(1), Some(3))
    );
    let vouchers = sheet["vouchers"].as_array().unwrap();
    assert_eq!(vouchers.len(), 3);
    let sell_by = &batch["expires_at"].as_str().unwrap()[..10];
    assert_eq!(
        vouchers[0]["validity"],
        format!("Valid on {} only", weekday_ahead())
    );
    assert_eq!(
        (
            vouchers[0]["holder_name"].as_str(),
            vouchers[0]["customer_type"].as_str()
        ),
        (Some("Wai Lun"), Some("child"))
    );
    assert_eq!(
        vouchers[1]["validity"],
        format!("Open date: valid once sold (sell by {sell_by})")
    );
    assert_eq!(
        vouchers[1]["entitlements"],
        json!([{"function_code": "ferry", "name": "Ferry ride (round trip)", "uses": 2}, {"function_code": "pet_area", "name": "Pet area", "uses": 1}])
    );
    for (v, t) in vouchers.iter().zip(tickets) {
        let png = base64::engine::general_purpose::STANDARD
            .decode(v["qr_png_base64"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            decode_qr(&png),
            text_of(t, "voucher_token"),
            "the printed QR is the voucher"
        );
    }
    let page2 = get(
        &app,
        &desk,
        &format!("/api/admin/batches/{bid}/vouchers?limit=3&page=2"),
    )
    .expect(200)
    .body;
    assert_eq!(page2["vouchers"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'batch.print'"),
        2,
        "printing is audited"
    );

    // An order's tickets print as vouchers too: a voucher token, not a live one that expires.
    let paid = app.paid_order(&p, 106, 2);
    let oid = text_of(&paid, "order_id");
    let sheet = get(&app, &desk, &format!("/api/admin/orders/{oid}/vouchers"))
        .expect(200)
        .body;
    assert_eq!(sheet["vouchers"].as_array().unwrap().len(), 2);
    let v: &Value = &sheet["vouchers"][0];
    let scanner = venue(&app);
    app.visit_day_comes();
    app.redeem(&scanner, &text_of(v, "voucher_token"), "buffet")
        .expect(200);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'order.print'"),
        1
    );
    get(&app, &desk, "/api/admin/orders/nope/vouchers").problem(404, "NOT_FOUND");
    get(
        &app,
        &desk,
        &format!("/api/admin/batches/{bid}/vouchers?limit=501"),
    )
    .problem(422, "VALIDATION_FAILED");
}
