use base64::Engine;
use serde_json::json;

use crate::helpers::*;

#[test]
fn a_ticket_is_redeemed_use_by_use_until_it_is_used() {
    let app = spawn_app();
    let p = app.partner("P");
    let paid = app.paid_order_on(&p, 107, 1, &today());
    let code = paid["tickets"][0]["ticket_code"].as_str().unwrap();
    let scanner = venue(&app);

    let qr = app
        .post(&format!("/qr/{code}"))
        .key(&p.key)
        .send()
        .expect(201);
    let token = qr.text("qr_token");
    let png = base64::engine::general_purpose::STANDARD
        .decode(qr.body["png_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(decode_qr(&png), token, "the PNG carries the token");
    let image = app
        .ota_get(&p, &format!("/qr/{code}/image.png"))
        .expect(200);
    assert_eq!(
        (image.header("Content-Type"), image.header("Cache-Control")),
        (Some("image/png"), Some("no-store"))
    );
    decode_qr(&image.bytes);

    let redeem = |f: &str| {
        let scan = json!({"qr_token": token, "function_code": f, "venue_code": "PIER-1"});
        app.scan(&scanner, &scan)
    };
    assert_eq!(redeem("ferry").expect(200).body["remaining_uses"], 1);
    assert_eq!(redeem("ferry").expect(200).body["remaining_uses"], 0);
    redeem("ferry").problem(409, "NO_REMAINING_USES");
    let r = redeem("buffet").problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["field"], "function_code");
    let last = redeem("pet_area").expect(200);
    assert_eq!(
        (
            last.body["ticket_status"].as_str(),
            last.body["remaining_uses"].as_i64()
        ),
        (Some("USED"), Some(0))
    );
    redeem("ferry").problem(409, "TICKET_NOT_ACTIVE");

    let info = app.ota_get(&p, &format!("/qr/{code}/info")).expect(200);
    assert_eq!(
        (
            info.body["status"].as_str(),
            info.body["ticket_type"].as_str(),
            info.body["can_generate_qr"].as_bool()
        ),
        (Some("USED"), Some("OTA"), Some(false))
    );
    assert_eq!(
        info.body["product_info"],
        json!({"id": 107, "name": "Pet Plan"})
    );
    app.post(&format!("/qr/{code}"))
        .key(&p.key)
        .send()
        .problem(409, "TICKET_NOT_ACTIVE");
    assert_eq!(
        app.scalar("SELECT used FROM inventory WHERE product_id = 107 AND channel = 'ota'"),
        1
    );
    app.assert_consistent();
}

#[test]
fn a_repeated_scan_id_consumes_nothing_more() {
    let app = spawn_app();
    let p = app.partner("P");
    let token = text_of(&app.sold_ticket(&p, 106), "qr_token");
    let scanner = venue(&app);
    let body = json!({"qr_token": token, "function_code": "buffet", "scan_id": "scan-42"});
    let first = app.scan(&scanner, &body).expect(200);
    let again = app.scan(&scanner, &body).expect(200);
    assert_eq!(first.body, again.body);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM redemptions"), 1);
}

#[test]
fn forged_expired_and_truncated_tokens_are_refused() {
    let app = spawn_app();
    let p = app.partner("P");
    let token = text_of(&app.sold_ticket(&p, 106), "qr_token");
    let scanner = venue(&app);
    let redeem = |t: &str| app.redeem(&scanner, t, "ferry");
    redeem(&token[..token.len() - 3]).problem(422, "QR_INVALID");
    redeem("hello").problem(422, "QR_INVALID");
    let mut bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&token)
        .unwrap();
    bytes[3] ^= 0x40; // another ticket code, same signature
    redeem(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes))
        .problem(422, "QR_INVALID");
    let code = app.ota_get(&p, "/api/ota/tickets").body["tickets"][0]["ticket_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let expired = app
        .state()
        .ctx
        .qr
        .live_token(
            &code,
            time::OffsetDateTime::now_utc() - time::Duration::minutes(1),
        )
        .unwrap();
    redeem(&expired).problem(422, "QR_EXPIRED");
    // API keys and customers cannot redeem.
    app.ota_post(
        &p,
        "/venue/redeem",
        &json!({"qr_token": token, "function_code": "ferry"}),
    )
    .problem(401, "UNAUTHENTICATED");
    let customer = app.user("c@example.com", gangway::domain::users::Role::Customer);
    app.redeem(&customer, &token, "ferry")
        .problem(403, "FORBIDDEN");
    assert_eq!(
        app.scalar("SELECT SUM(remaining_uses) FROM ticket_entitlements"),
        4
    );
}

#[test]
fn ten_scanners_on_a_two_use_function_succeed_exactly_twice() {
    let server = Server::start();
    let db = server.db();
    let key = new_partner(&db, "P").key;
    let agent = http();
    let post = |path: &str, auth: (&str, String), body: serde_json::Value| {
        let mut r = agent
            .post(&format!("{}{path}", server.base))
            .header(auth.0, &auth.1)
            .send_json(body)
            .unwrap();
        (
            r.status().as_u16(),
            r.body_mut().read_json::<serde_json::Value>().unwrap(),
        )
    };
    let (_, res) = post(
        "/api/ota/reserve",
        ("X-API-Key", key.clone()),
        json!({"product_id": 106, "quantity": 1}),
    );
    let rid = res["reservation_id"].as_str().unwrap().to_owned();
    let (_, order) = post(
        "/api/ota/orders",
        ("X-API-Key", key.clone()),
        json!({"reservation_id": rid, "customer_details": {"name": "A", "email": "a@example.com"}, "pricing_context": {"visit_date": today(), "customer_breakdown": [{"customer_type": "adult", "count": 1}]}}),
    );
    let (_, act) = post(
        "/api/ota/activate",
        ("X-API-Key", key.clone()),
        json!({"order_id": order["order_id"], "payment_reference": "R"}),
    );
    let qr = act["tickets"][0]["qr_token"].as_str().unwrap().to_owned();
    new_user(&db, "v@example.com", gangway::domain::users::Role::Venue);
    let (_, login) = post(
        "/api/auth/login",
        ("X-Nothing", String::new()),
        json!({"email": "v@example.com", "password": PASSWORD}),
    );
    let bearer = format!("Bearer {}", login["token"].as_str().unwrap());
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..10)
            .map(|_| {
                s.spawn(|| {
                    post(
                        "/venue/redeem",
                        ("Authorization", bearer.clone()),
                        json!({"qr_token": qr, "function_code": "ferry"}),
                    )
                    .0
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        8,
        "{statuses:?}"
    );
}
