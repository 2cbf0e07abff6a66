//! What an OCTO reseller does, end to end, and what the operator's books say about it.

use gangway::domain::expiry;
use gangway::domain::qr::TokenKind;
use rocket::http::Method;
use serde_json::{json, Value};

use super::*;
use crate::helpers::*;

/// The date `n` days after `date` (`YYYY-MM-DD`).
fn days_after(date: &str, n: i64) -> String {
    gangway::clock::date_to_db(gangway::clock::parse_date(date).unwrap() + time::Duration::days(n))
}

fn get_booking(app: &TestApp, p: &TestPartner, uuid: &str) -> Value {
    app.octo(p, Method::Get, &format!("/bookings/{uuid}"))
        .send()
        .expect(200)
        .body
}

/// What the audit log says a partner did, in order.
fn audit_actions(app: &TestApp, p: &TestPartner) -> Vec<String> {
    app.db()
        .read(|c| {
            let mut stmt =
                c.prepare("SELECT action FROM audit_log WHERE partner_id = ?1 ORDER BY id")?;
            let rows = stmt.query_map([p.partner_id], |r| r.get(0))?;
            Ok(rows.collect::<Result<Vec<String>, _>>()?)
        })
        .unwrap()
}

#[test]
fn the_supplier_and_its_products_are_the_packages_and_customer_types() {
    let app = spawn_app();
    let p = app.partner("Reseller");
    let supplier = app.octo(&p, Method::Get, "/supplier").send().expect(200);
    assert_eq!(supplier.body["id"], "gangway");
    assert_eq!(supplier.body["name"], "Gangway");
    assert!(supplier.text("endpoint").ends_with("/octo"));
    assert_eq!(
        supplier.body["contact"],
        json!({"website": null, "email": null, "telephone": null, "address": null})
    );
    assert_eq!(supplier.header("Octo-Capabilities"), Some(""));

    let products = app
        .octo(&p, Method::Get, "/products")
        .send()
        .expect(200)
        .body;
    let ids: Vec<&str> = products
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["106", "107", "108"]);
    let p108 = app
        .octo(&p, Method::Get, "/products/108")
        .send()
        .expect(200)
        .body;
    assert_eq!(p108, products[2]);
    assert_eq!(
        (
            &p108["internalName"],
            &p108["timeZone"],
            &p108["availabilityType"]
        ),
        (
            &json!("Deluxe Plan"),
            &json!("UTC"),
            &json!("OPENING_HOURS")
        )
    );
    assert_eq!(p108["deliveryMethods"], json!(["TICKET"]));
    assert_eq!(p108["deliveryFormats"], json!(["QRCODE"]));
    let option = &p108["options"][0];
    assert_eq!(
        (&option["id"], &option["default"]),
        (&json!("DEFAULT"), &json!(true))
    );
    assert_eq!(option["availabilityLocalStartTimes"], json!([]));
    let units: Vec<(&str, &str)> = option["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["id"].as_str().unwrap(), u["type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        units,
        [("adult", "ADULT"), ("vip", "OTHER"), ("elderly", "SENIOR")]
    );
    let p107 = &products[1]["options"][0]["units"];
    assert_eq!(p107[2]["id"], "family");
    assert_eq!(p107[2]["type"], "FAMILY");
    let p106 = &products[0]["options"][0]["units"];
    assert_eq!(
        (&p106[1]["type"], &p106[3]["type"]),
        (&json!("CHILD"), &json!("STUDENT"))
    );
    // The routes are documented under their own tag, with the bearer key as their security.
    let spec = app.get("/openapi.json").send().expect(200).body;
    for (path, method) in [
        ("/octo/bookings", "post"),
        ("/octo/bookings/{uuid}/confirm", "post"),
        ("/octo/products/{id}", "get"),
    ] {
        let op = &spec["paths"][path][method];
        assert_eq!(op["tags"], json!(["OCTO"]), "{path}");
        assert!(op["security"][0]["OctoBearer"].is_array(), "{path}: {op}");
        assert!(op["responses"]["400"].is_object(), "{path}");
    }
    // Without octo/pricing there are no prices anywhere.
    assert!(p108.get("pricingPer").is_none() && option["units"][0].get("pricingFrom").is_none());
}

#[test]
fn availability_is_one_all_day_slot_per_local_date_with_the_ota_channels_stock() {
    let app = spawn_app_with(|f| f.merge(("timezone", "Asia/Hong_Kong")));
    let p = app.partner("Reseller");
    let today = gangway::domain::venue::VenueClock::new("Asia/Hong_Kong")
        .unwrap()
        .today();
    let date = |days: i64| gangway::clock::date_to_db(today + time::Duration::days(days));
    let body = json!({"productId": "106", "optionId": "DEFAULT", "localDateStart": date(-1), "localDateEnd": date(2)});
    let slots = app
        .octo(&p, Method::Post, "/availability")
        .json(&body)
        .send()
        .expect(200)
        .body;
    // Yesterday is not bookable and left out; today and the next two days are.
    let slots = slots.as_array().unwrap();
    assert_eq!(slots.len(), 3);
    let first = &slots[0];
    assert_eq!(first["id"], format!("{}T00:00:00+08:00", date(0)));
    assert_eq!(first["localDateTimeStart"], first["id"]);
    assert_eq!(
        first["localDateTimeEnd"],
        format!("{}T00:00:00+08:00", date(1))
    );
    assert_eq!(first["utcCutoffAt"], format!("{}T16:00:00Z", date(0)));
    assert_eq!(
        (&first["allDay"], &first["available"]),
        (&json!(true), &json!(true))
    );
    assert_eq!(
        (&first["vacancies"], &first["capacity"]),
        (&json!(2000), &json!(2000))
    );
    assert_eq!(
        first["openingHours"],
        json!([{"from": "00:00", "to": "23:59"}])
    );

    // A classic hold takes from the same stock.
    app.reserve(&p, 106, 1990).expect(201);
    let by_id =
        json!({"productId": "106", "optionId": "DEFAULT", "availabilityIds": [first["id"]]});
    let again = app
        .octo(&p, Method::Post, "/availability")
        .json(&by_id)
        .send()
        .expect(200)
        .body;
    assert_eq!(again.as_array().unwrap().len(), 1);
    assert_eq!(
        (&again[0]["vacancies"], &again[0]["status"]),
        (&json!(10), &json!("LIMITED"))
    );
    app.reserve(&p, 106, 10).expect(201);
    let calendar = app
        .octo(&p, Method::Post, "/availability/calendar")
        .json(&body)
        .send()
        .expect(200)
        .body;
    assert_eq!(calendar.as_array().unwrap().len(), 3);
    assert_eq!(calendar[0]["localDate"], date(0));
    assert_eq!(
        (
            &calendar[0]["status"],
            &calendar[0]["available"],
            &calendar[0]["vacancies"]
        ),
        (&json!("SOLD_OUT"), &json!(false), &json!(0))
    );
    // Sold out: a booking is refused and nothing is held.
    let mut book = octo_reservation("106", &date(1), &["adult"]);
    book["availabilityId"] = json!(format!("{}T00:00:00+08:00", date(1)));
    let sold_out = app.octo(&p, Method::Post, "/bookings").json(&book).send();
    refused(sold_out, "UNPROCESSABLE_ENTITY");
    assert_eq!(app.stock(106, "ota"), (2000, 0, 2000));
    app.assert_consistent();
}

#[test]
fn an_octo_reseller_holds_confirms_and_gets_printable_tickets_from_the_one_inventory() {
    let app = spawn_app();
    let p = app.partner("Reseller");
    let visit = weekday_ahead();
    let held = app
        .octo_book(&p, "106", &visit, &["adult", "adult", "child"])
        .expect(200);
    let b = &held.body;
    let uuid = uuid_of(&held);
    assert_eq!(b["status"], "ON_HOLD");
    assert_eq!(uuid, uuid.to_lowercase());
    assert_eq!(b["availabilityId"], slot(&visit));
    assert_eq!(b["availability"]["id"], slot(&visit));
    assert_eq!(
        (&b["productId"], &b["product"]["id"]),
        (&json!("106"), &json!("106"))
    );
    assert!(b["utcConfirmedAt"].is_null() && b["cancellation"].is_null());
    let expires = time_of(&b["utcExpiresAt"]);
    let in_30 = time::OffsetDateTime::now_utc() + time::Duration::minutes(30);
    assert!(
        (expires - in_30).abs() < time::Duration::seconds(5),
        "default hold is 30 min"
    );
    for item in b["unitItems"].as_array().unwrap() {
        assert_eq!(item["status"], "ON_HOLD");
        assert_eq!(item["ticket"]["deliveryOptions"], json!([]));
        assert!(item["contact"]["locales"].is_array());
    }
    // One inventory: the OCTO hold is an OTA reservation.
    assert_eq!(app.stock(106, "ota"), (3, 0, 2000));
    let inventory = app
        .ota_get(&p, "/api/ota/inventory?product_ids=106")
        .expect(200);
    assert_eq!(inventory.body["available_quantities"]["106"], 1997);
    let rid = reservation_of(&app, &uuid);
    assert_eq!(app.reservation_status(&p, &rid), "ACTIVE");

    let done = confirm(&app, &p, &uuid, &guest()).expect(200);
    let c = &done.body;
    assert_eq!(c["status"], "CONFIRMED");
    assert!(c["utcExpiresAt"].is_null() && c["utcConfirmedAt"].is_string());
    assert_eq!(c["resellerReference"], "RES-1");
    assert_eq!(c["contact"]["fullName"], "Mei Chen");
    assert_eq!(c["contact"]["notes"], "Window seat");
    assert_eq!(c["contact"]["emailAddress"], "mei@example.com");
    assert!(c["contact"]["phoneNumber"].is_null());
    assert_eq!(app.stock(106, "ota"), (0, 3, 2000));
    assert_eq!(app.reservation_status(&p, &rid), "ACTIVATED");
    // One ticket per person, on the classic API too, for the booked date and the right type.
    let tickets = app.ota_get(&p, "/api/ota/tickets").expect(200).body;
    assert_eq!(tickets["total_count"], 3);
    let items = c["unitItems"].as_array().unwrap();
    for item in items {
        assert_eq!(item["status"], "CONFIRMED");
        let code = item["supplierReference"].as_str().unwrap();
        let t = app
            .ota_get(&p, &format!("/api/ota/tickets/{code}"))
            .expect(200)
            .body;
        assert_eq!(
            (&t["status"], &t["visit_date"]),
            (&json!("ACTIVE"), &json!(visit))
        );
        assert_eq!(t["customer_type"], item["unitId"]);
    }
    let amount = app.scalar(&format!(
        "SELECT amount_cents FROM orders WHERE reservation_id = '{rid}'"
    ));
    assert_eq!(amount, 2 * 28800 + 18800);

    // The QR values are stable, printable, valid through the visit date and no longer.
    let codes = qr_codes(c);
    assert_eq!(qr_codes(&get_booking(&app, &p, &uuid)), codes);
    let signer = &app.state().ctx.qr;
    let day = gangway::clock::parse_date(&visit).unwrap();
    let late_on_the_day = day.with_hms(23, 59, 0).unwrap().assume_utc();
    let next_day = day.next_day().unwrap().midnight().assume_utc();
    assert_eq!(
        signer.verify(&codes[0], late_on_the_day).unwrap().1,
        TokenKind::Dated
    );
    assert!(signer.verify(&codes[0], next_day).is_err());
    // ...and on the visit date it opens the gate (a dated ticket enters only on its day).
    let scanner = venue(&app);
    app.redeem(&scanner, &codes[0], "buffet")
        .problem(409, "WRONG_VISIT_DATE");
    app.visit_day_comes();
    app.redeem(&scanner, &codes[0], "buffet").expect(200);

    // The audit log names the surface.
    let actions = audit_actions(&app, &p);
    for action in [
        "octo.booking.reserve",
        "order.create",
        "order.paid",
        "octo.booking.confirm",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    let surface = app.scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'octo.%' AND json_extract(summary, '$.surface') = 'octo'",
    );
    assert_eq!(surface, 2);
    // Confirming again changes nothing.
    let again = confirm(&app, &p, &uuid, &guest()).expect(200);
    assert_eq!(
        again.body["unitItems"],
        get_booking(&app, &p, &uuid)["unitItems"]
    );
    assert_eq!(app.stock(106, "ota"), (0, 3, 2000));
    app.assert_consistent();
}

#[test]
fn confirm_may_change_the_people_and_needs_only_a_name() {
    let app = spawn_app();
    let p = app.partner("Reseller");
    let uuid = uuid_of(
        &app.octo_book(&p, "107", &weekday_ahead(), &["adult", "adult"])
            .expect(200),
    );
    let body = json!({"contact": {"fullName": "John Doe"},
        "unitItems": [{"unitId": "adult"}, {"unitId": "child"}, {"unitId": "family"}]});
    let c = confirm(&app, &p, &uuid, &body).expect(200).body;
    assert_eq!(c["status"], "CONFIRMED");
    assert_eq!(c["unitItems"].as_array().unwrap().len(), 3);
    assert_eq!(c["contact"]["fullName"], "John Doe");
    assert!(c["contact"]["firstName"].is_null());
    assert_eq!(app.stock(107, "ota"), (0, 3, 1500));
    let units: Vec<&str> = c["unitItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["unitId"].as_str().unwrap())
        .collect();
    assert_eq!(units, ["adult", "child", "family"]);
    app.assert_consistent();
}

#[test]
fn redeeming_every_ticket_at_the_gate_makes_the_booking_redeemed() {
    let app = spawn_app();
    let p = app.partner("Reseller");
    let uuid = uuid_of(
        &app.octo_book(&p, "107", &weekday_ahead(), &["adult", "child"])
            .expect(200),
    );
    let booking = confirm(&app, &p, &uuid, &guest()).expect(200).body;
    let codes = qr_codes(&booking);
    let scanner = venue(&app);
    app.visit_day_comes();
    // Package 107: a round-trip ferry (2 uses) and the pet area.
    for function_code in ["ferry", "ferry", "pet_area"] {
        app.redeem(&scanner, &codes[0], function_code).expect(200);
    }
    let half = get_booking(&app, &p, &uuid);
    assert_eq!(half["status"], "CONFIRMED");
    assert_eq!(half["unitItems"][0]["status"], "REDEEMED");
    assert!(half["unitItems"][0]["utcRedeemedAt"].is_string());
    assert_eq!(half["unitItems"][1]["status"], "CONFIRMED");
    // Once someone went through the gate, the booking cannot be cancelled.
    assert_eq!(half["cancellable"], false);
    let cancel = app
        .octo(&p, Method::Post, &format!("/bookings/{uuid}/cancel"))
        .json(&json!({"reason": "too late"}))
        .send();
    refused(cancel, "UNPROCESSABLE_ENTITY");
    app.redeem(&scanner, &codes[1], "ferry").expect(200);
    app.redeem(&scanner, &codes[1], "pet_area").expect(200);
    assert_eq!(get_booking(&app, &p, &uuid)["status"], "CONFIRMED");
    app.redeem(&scanner, &codes[1], "ferry").expect(200);
    let all = get_booking(&app, &p, &uuid);
    assert_eq!(all["status"], "REDEEMED");
    assert!(all["utcRedeemedAt"].is_string());
    assert_eq!(
        all["unitItems"][1]["ticket"]["utcRedeemedAt"],
        all["unitItems"][1]["utcRedeemedAt"]
    );
    app.assert_consistent();
}

#[test]
fn cancelling_a_hold_releases_it_and_cancelling_a_booking_cancels_its_tickets() {
    let app = spawn_app();
    let p = app.partner("Reseller");
    let hold = uuid_of(
        &app.octo_book(&p, "106", &weekday_ahead(), &["adult", "child"])
            .expect(200),
    );
    let cancel = |uuid: &str| {
        app.octo(&p, Method::Post, &format!("/bookings/{uuid}/cancel"))
            .json(&json!({"reason": "Customer changed plans"}))
            .send()
    };
    let c = cancel(&hold).expect(200).body;
    assert_eq!(c["status"], "CANCELLED");
    assert_eq!(c["cancellation"]["reason"], "Customer changed plans");
    assert_eq!(c["cancellation"]["refund"], "FULL");
    assert!(c["utcExpiresAt"].is_null() && c["utcConfirmedAt"].is_null());
    assert_eq!(app.stock(106, "ota"), (0, 0, 2000));
    assert_eq!(
        app.reservation_status(&p, &reservation_of(&app, &hold)),
        "CANCELLED"
    );
    // Again: the same answer, nothing released twice.
    assert_eq!(cancel(&hold).expect(200).body["status"], "CANCELLED");
    refused(confirm(&app, &p, &hold, &guest()), "UNPROCESSABLE_ENTITY");

    let booked = uuid_of(
        &app.octo_book(&p, "106", &weekday_ahead(), &["adult", "adult"])
            .expect(200),
    );
    let codes = qr_codes(&confirm(&app, &p, &booked, &guest()).expect(200).body);
    let codes_of_tickets: Vec<String> = get_booking(&app, &p, &booked)["unitItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["supplierReference"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(app.stock(106, "ota"), (0, 2, 2000));
    let c = cancel(&booked).expect(200).body;
    assert_eq!(c["status"], "CANCELLED");
    assert!(c["utcConfirmedAt"].is_string());
    for item in c["unitItems"].as_array().unwrap() {
        assert_eq!(item["status"], "CANCELLED");
        assert_eq!(item["ticket"]["deliveryOptions"], json!([]));
    }
    assert_eq!(app.stock(106, "ota"), (0, 0, 2000));
    for code in &codes_of_tickets {
        let t = app
            .ota_get(&p, &format!("/api/ota/tickets/{code}"))
            .expect(200);
        assert_eq!(t.body["status"], "CANCELLED");
    }
    let order_status: String = app
        .db()
        .read(|c| {
            Ok(c.query_row(
                "SELECT o.status FROM orders o JOIN octo_bookings b ON b.order_id = o.id WHERE b.uuid = ?1",
                [&booked],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(order_status, "CANCELLED");
    // One person of a confirmed booking called off on the classic API: that item shows it, and
    // cancelling the booking then cancels the rest.
    let third = uuid_of(
        &app.octo_book(&p, "106", &weekday_ahead(), &["adult", "child"])
            .expect(200),
    );
    let items = confirm(&app, &p, &third, &guest()).expect(200).body["unitItems"].clone();
    let child = items[1]["supplierReference"].as_str().unwrap();
    app.ota_post_empty(&p, &format!("/api/ota/tickets/{child}/cancel"))
        .expect(200);
    let one_off = get_booking(&app, &p, &third);
    assert_eq!(one_off["status"], "CONFIRMED");
    assert_eq!(
        (
            &one_off["unitItems"][0]["status"],
            &one_off["unitItems"][1]["status"]
        ),
        (&json!("CONFIRMED"), &json!("CANCELLED"))
    );
    assert_eq!(app.stock(106, "ota"), (0, 1, 2000));
    assert_eq!(cancel(&third).expect(200).body["status"], "CANCELLED");
    assert_eq!(app.stock(106, "ota"), (0, 0, 2000));
    // A cancelled ticket's printed code no longer opens the gate.
    let scanner = venue(&app);
    app.redeem(&scanner, &codes[0], "buffet")
        .problem(409, "TICKET_NOT_ACTIVE");
    app.assert_consistent();
}

#[test]
fn a_hold_nobody_confirms_expires_and_gives_its_units_back() {
    let app = spawn_app();
    let p = app.partner("Reseller");
    let uuid = uuid_of(
        &app.octo_book(&p, "108", &weekday_ahead(), &["vip", "vip", "adult"])
            .expect(200),
    );
    assert_eq!(app.stock(108, "ota"), (3, 0, 1500));
    app.expire_reservation(&reservation_of(&app, &uuid));
    // Due but not yet swept: shown as what it is, and its units are not on offer as taken.
    let due = get_booking(&app, &p, &uuid);
    assert_eq!(due["status"], "EXPIRED");
    assert_eq!(due["availability"]["vacancies"], 1500);
    let released = expiry::run_once(app.db()).unwrap();
    assert_eq!(released.reservations, 1);
    assert_eq!(app.stock(108, "ota"), (0, 0, 1500));
    let expired = get_booking(&app, &p, &uuid);
    assert_eq!(expired["status"], "EXPIRED");
    assert!(expired["utcExpiresAt"].is_string() && expired["cancellation"].is_object());
    for item in expired["unitItems"].as_array().unwrap() {
        assert_eq!(item["status"], "EXPIRED");
    }
    refused(confirm(&app, &p, &uuid, &guest()), "INVALID_BOOKING_UUID");
    let extend = app
        .octo(&p, Method::Post, &format!("/bookings/{uuid}/extend"))
        .json(&json!({"expirationMinutes": 30}))
        .send();
    refused(extend, "UNPROCESSABLE_ENTITY");
    let patch = app
        .octo(&p, Method::Patch, &format!("/bookings/{uuid}"))
        .json(&json!({"unitItems": [{"unitId": "adult"}]}))
        .send();
    refused(patch, "UNPROCESSABLE_ENTITY");
    assert_eq!(app.stock(108, "ota"), (0, 0, 1500));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'reservation.expire'"),
        1
    );
    app.assert_consistent();
}

#[test]
fn extend_moves_the_expiry_from_now() {
    let app = spawn_app();
    let p = app.partner("Reseller");
    let held = app
        .octo_book(&p, "106", &weekday_ahead(), &["adult"])
        .expect(200);
    let uuid = uuid_of(&held);
    let extend = |body: Value| {
        app.octo(&p, Method::Post, &format!("/bookings/{uuid}/extend"))
            .json(&body)
            .send()
    };
    let longer = extend(json!({"expirationMinutes": 120})).expect(200).body;
    assert_eq!(longer["status"], "ON_HOLD");
    assert!(time_of(&longer["utcExpiresAt"]) > time_of(&held.body["utcExpiresAt"]));
    let until: String = app
        .db()
        .read(|c| {
            Ok(c.query_row(
                "SELECT reserved_until FROM reservations WHERE id = ?1",
                [reservation_of(&app, &uuid)],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(json!(until), longer["utcExpiresAt"]);
    for bad in [0, -5, 10081] {
        refused(extend(json!({"expirationMinutes": bad})), "BAD_REQUEST");
    }
    assert_eq!(extend(json!({})).status, 200, "the default hold again");
    app.assert_consistent();
}

#[test]
fn patch_changes_people_date_and_product_and_the_hold_follows_atomically() {
    let app = spawn_app();
    let p = app.partner("Reseller");
    let held = app
        .octo_book(&p, "106", &weekday_ahead(), &["adult", "adult"])
        .expect(200);
    let uuid = uuid_of(&held);
    let first = held.body["unitItems"][0]["uuid"].clone();
    let patch = |body: Value| {
        app.octo(&p, Method::Patch, &format!("/bookings/{uuid}"))
            .json(&body)
            .send()
    };
    // Four people now; the first keeps its uuid.
    let four = patch(
        json!({"unitItems": [{"uuid": first, "unitId": "adult"}, {"unitId": "adult"},
        {"unitId": "student"}, {"unitId": "elderly"}]}),
    )
    .expect(200)
    .body;
    assert_eq!(four["unitItems"].as_array().unwrap().len(), 4);
    assert_eq!(four["unitItems"][0]["uuid"], first);
    assert_eq!(app.stock(106, "ota"), (4, 0, 2000));
    // Another date.
    let saturday = saturday_ahead();
    let moved = patch(json!({"availabilityId": slot(&saturday)}))
        .expect(200)
        .body;
    assert_eq!(
        (&moved["availabilityId"], &moved["availability"]["id"]),
        (&json!(slot(&saturday)), &json!(slot(&saturday)))
    );
    // Another package: the units move from 106 to 107.
    let other = patch(json!({"productId": "107", "optionId": "DEFAULT",
        "unitItems": [{"unitId": "adult"}, {"unitId": "family"}]}))
    .expect(200)
    .body;
    assert_eq!(
        (&other["productId"], &other["product"]["id"]),
        (&json!("107"), &json!("107"))
    );
    assert_eq!(app.stock(106, "ota"), (0, 0, 2000));
    assert_eq!(app.stock(107, "ota"), (2, 0, 1500));
    // Package 108 has no family unit: refused, nothing moves.
    let wrong = patch(json!({"productId": "108"}));
    assert_eq!(refused(wrong, "INVALID_UNIT_ID").body["unitId"], "family");
    // More people than the channel has left: refused, the hold stays as it was.
    app.sql("UPDATE inventory SET allocated = 3 WHERE product_id = 107 AND channel = 'ota'");
    let too_many = patch(
        json!({"unitItems": [{"unitId": "adult"}, {"unitId": "adult"}, {"unitId": "adult"}, {"unitId": "adult"}]}),
    );
    refused(too_many, "UNPROCESSABLE_ENTITY");
    assert_eq!(app.stock(107, "ota"), (2, 0, 3));
    let kept = app
        .octo(&p, Method::Get, &format!("/bookings/{uuid}"))
        .send()
        .expect(200)
        .body;
    assert_eq!(kept["unitItems"].as_array().unwrap().len(), 2);
    assert_eq!(kept["availabilityId"], slot(&saturday));
    // Contact and notes; then, once confirmed, only those may change.
    let contact = json!({"fullName": "John Doe", "firstName": "John", "lastName": "Doe", "emailAddress": "johndoe@email.com",
        "phoneNumber": "+00000000", "country": "GB", "notes": "Test notes contact", "locales": ["en"], "postalCode": null});
    let noted = patch(json!({"contact": contact, "notes": "Test note"}))
        .expect(200)
        .body;
    assert_eq!(
        (&noted["contact"], &noted["notes"]),
        (&contact, &json!("Test note"))
    );
    confirm(&app, &p, &uuid, &json!({"contact": contact})).expect(200);
    let cleared = patch(json!({"notes": null, "resellerReference": "AFTER"}))
        .expect(200)
        .body;
    assert!(cleared["notes"].is_null());
    assert_eq!(cleared["resellerReference"], "AFTER");
    refused(
        patch(json!({"unitItems": [{"unitId": "adult"}]})),
        "UNPROCESSABLE_ENTITY",
    );
    refused(
        patch(json!({"availabilityId": slot(&weekday_ahead())})),
        "UNPROCESSABLE_ENTITY",
    );
    assert_eq!(app.stock(107, "ota"), (0, 2, 3));
    app.assert_consistent();
}

#[test]
fn a_retried_reservation_with_the_same_uuid_is_the_same_booking_and_holds_once() {
    let app = spawn_app();
    let p = app.partner("Reseller");
    let uuid = "0F8FAD5B-D9CB-469F-A165-70867728950E";
    let mut body = octo_reservation("106", &weekday_ahead(), &["adult", "child"]);
    body["uuid"] = json!(uuid);
    let send = |body: &Value| app.octo(&p, Method::Post, "/bookings").json(body).send();
    let first = send(&body).expect(200);
    let again = send(&body).expect(200);
    assert_eq!(first.body["uuid"], uuid.to_lowercase());
    assert_eq!(first.body["id"], again.body["id"]);
    assert_eq!(first.body["unitItems"], again.body["unitItems"]);
    assert_eq!(app.stock(106, "ota"), (2, 0, 2000));
    // The retry still answers once the booking moved on.
    confirm(&app, &p, &uuid.to_lowercase(), &guest()).expect(200);
    assert_eq!(send(&body).expect(200).body["status"], "CONFIRMED");
    // The same uuid for another booking is refused; nothing more is held.
    let mut other = body.clone();
    other["unitItems"] = json!([{"unitId": "adult"}]);
    refused(send(&other), "INVALID_BOOKING_UUID");
    assert_eq!(app.stock(106, "ota"), (0, 2, 2000));
    // Another partner's uuids are its own.
    let q = app.partner("Other");
    app.octo(&q, Method::Post, "/bookings")
        .json(&body)
        .send()
        .expect(200);
    assert_eq!(app.stock(106, "ota"), (2, 2, 2000));
    app.assert_consistent();
}

#[test]
fn bookings_are_listed_by_reference_or_date_and_only_to_their_partner() {
    let app = spawn_app();
    let p = app.partner("Reseller");
    let q = app.partner("Other");
    let wed = weekday_ahead();
    let sat = days_after(&wed, 3);
    let a = uuid_of(&app.octo_book(&p, "106", &wed, &["adult"]).expect(200));
    let confirmed = confirm(&app, &p, &a, &guest()).expect(200).body;
    let b = uuid_of(&app.octo_book(&p, "107", &sat, &["adult"]).expect(200));
    app.octo_book(&q, "106", &wed, &["adult"]).expect(200);
    let list = |query: &str, who: &TestPartner| {
        app.octo(who, Method::Get, &format!("/bookings?{query}"))
            .send()
    };
    let uuids = |r: Resp| -> Vec<String> {
        r.expect(200)
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["uuid"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(uuids(list("resellerReference=RES-1", &p)), [a.as_str()]);
    let reference = confirmed["supplierReference"].as_str().unwrap();
    assert_eq!(
        uuids(list(&format!("supplierReference={reference}"), &p)),
        [a.as_str()]
    );
    assert_eq!(uuids(list(&format!("localDate={wed}"), &p)), [a.as_str()]);
    let both = uuids(list(
        &format!("localDateStart={wed}&localDateEnd={sat}"),
        &p,
    ));
    assert_eq!(both.len(), 2);
    assert!(both.contains(&a) && both.contains(&b));
    assert_eq!(
        uuids(list(
            &format!("localDateStart={wed}&localDateEnd={sat}&productId=107"),
            &p
        )),
        [b.as_str()]
    );
    assert!(uuids(list(&format!("supplierReference={reference}"), &q)).is_empty());
    refused(list("", &p), "BAD_REQUEST");
    refused(list("productId=106", &p), "BAD_REQUEST");
    refused(list("localDate=tomorrow", &p), "BAD_REQUEST");
    refused(list(&format!("localDateStart={wed}"), &p), "BAD_REQUEST");
    refused(
        list(&format!("localDate={wed}&productId=999"), &p),
        "INVALID_PRODUCT_ID",
    );
    refused(
        list(&format!("localDate={wed}&optionId=X"), &p),
        "INVALID_OPTION_ID",
    );
    // Another partner's booking does not exist for it.
    let theirs = app.octo(&q, Method::Get, &format!("/bookings/{a}")).send();
    assert_eq!(refused(theirs, "INVALID_BOOKING_UUID").body["uuid"], a);
}

#[test]
fn octo_pricing_prices_units_availability_and_bookings_per_date() {
    let app = spawn_app();
    let p = app.partner("Reseller");
    let priced = |method: Method, path: &str, body: Option<Value>| {
        let mut req = app
            .octo(&p, method, path)
            .header("Octo-Capabilities", "octo/pricing");
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().expect(200)
    };
    let product = priced(Method::Get, "/products/106", None);
    assert_eq!(product.header("Octo-Capabilities"), Some("octo/pricing"));
    let b = &product.body;
    assert_eq!(
        (&b["defaultCurrency"], &b["pricingPer"]),
        (&json!("USD"), &json!("UNIT"))
    );
    assert_eq!(b["availableCurrencies"], json!(["USD"]));
    let adult = &b["options"][0]["units"][0];
    assert_eq!(
        adult["pricingFrom"],
        json!([{"original": 28800, "retail": 28800, "net": 28800, "currency": "USD", "currencyPrecision": 2, "includedTaxes": []}])
    );
    // Weekday, weekend and a holiday on a weekday (priced as weekend).
    let (wed, sat) = (weekday_ahead(), saturday_ahead());
    let holiday = days_after(&wed, 7);
    app.sql(&format!(
        "INSERT INTO holidays (date, name) VALUES ('{holiday}', 'Harbour Day')"
    ));
    let adult_price = |date: &str| {
        let body =
            json!({"productId": "106", "optionId": "DEFAULT", "availabilityIds": [slot(date)]});
        let slots = priced(Method::Post, "/availability", Some(body)).body;
        let unit = slots[0]["unitPricing"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unitId"] == "adult")
            .cloned()
            .unwrap();
        let body = json!({"productId": "106", "optionId": "DEFAULT", "localDateStart": date, "localDateEnd": date});
        let day = priced(Method::Post, "/availability/calendar", Some(body)).body;
        assert_eq!(day[0]["unitPricingFrom"][0], unit);
        unit["retail"].as_i64().unwrap()
    };
    assert_eq!(
        (adult_price(&wed), adult_price(&sat), adult_price(&holiday)),
        (28800, 31800, 31800)
    );
    // A booking on the Saturday: each person at that day's price, the booking their sum.
    let held = priced(
        Method::Post,
        "/bookings",
        Some(octo_reservation("106", &sat, &["adult", "child"])),
    );
    let prices: Vec<i64> = held.body["unitItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["pricing"]["retail"].as_i64().unwrap())
        .collect();
    assert_eq!(prices, [31800, 21800]);
    assert_eq!(held.body["pricing"]["retail"], 31800 + 21800);
    assert_eq!(
        held.body["unitItems"][0]["unit"]["pricing"][0]["retail"],
        31800
    );
    let uuid = uuid_of(&held);
    let path = format!("/bookings/{uuid}/confirm");
    let done = priced(Method::Post, &path, Some(guest()));
    assert_eq!(done.body["pricing"]["retail"], 53600);
    let rid = reservation_of(&app, &uuid);
    assert_eq!(
        app.scalar(&format!(
            "SELECT amount_cents FROM orders WHERE reservation_id = '{rid}'"
        )),
        53600
    );
    // Without the capability, no prices; an empty or unknown capability is fine.
    for caps in ["", "octo/content"] {
        let plain = app
            .octo(&p, Method::Get, &format!("/bookings/{uuid}"))
            .header("Octo-Capabilities", caps)
            .send()
            .expect(200);
        assert_eq!(plain.header("Octo-Capabilities"), Some(""));
        assert!(
            plain.body.get("pricing").is_none()
                && plain.body["unitItems"][0].get("pricing").is_none()
        );
    }
}
