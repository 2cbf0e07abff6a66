//! The gate at 7 am: a dated ticket enters only on its visit date (the venue's local day), staff
//! may override and are audited, and every answer about a genuine ticket shows who it is for.

use gangway::domain::users::Role;
use gangway::domain::venue::VenueClock;
use serde_json::{json, Value};

use crate::helpers::*;

/// A paid ticket of `product` for `customer_type`, visiting on `visit_date`.
fn ticket_for(
    app: &TestApp,
    p: &TestPartner,
    product: i64,
    customer_type: &str,
    visit_date: &str,
) -> Value {
    app.sell(p, product, &[(customer_type, 1)], visit_date, MEI)["tickets"][0].clone()
}

fn uses_left(app: &TestApp, code: &str) -> i64 {
    app.scalar(&format!(
        "SELECT SUM(e.remaining_uses) FROM ticket_entitlements e JOIN tickets t ON t.id = e.ticket_id WHERE t.code = '{code}'"
    ))
}

#[test]
fn a_ticket_for_another_day_is_refused_naming_its_date_and_consumes_nothing() {
    let app = spawn_app();
    let p = app.partner("P");
    let scanner = venue(&app);
    let visit = weekday_ahead();
    let later = ticket_for(&app, &p, 106, "adult", &visit);
    let code = text_of(&later, "ticket_code");

    let r = app
        .redeem(&scanner, &text_of(&later, "qr_token"), "ferry")
        .problem(409, "WRONG_VISIT_DATE");
    let detail = text_of(&r.body, "detail");
    assert!(
        detail.contains(&visit) && detail.contains(&today()),
        "{detail}"
    );
    assert_eq!(r.body["ticket"]["visit_date"], visit.as_str());
    assert_eq!(r.body["ticket"]["ticket_code"], code.as_str());
    assert_eq!(uses_left(&app, &code), 4, "nothing consumed");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM redemptions"), 0);

    // The same ticket on its day enters; so does today's.
    let today_ticket = ticket_for(&app, &p, 106, "adult", &today());
    app.redeem(&scanner, &text_of(&today_ticket, "qr_token"), "ferry")
        .expect(200);
    app.visit_day_comes();
    app.redeem(&scanner, &text_of(&later, "qr_token"), "ferry")
        .expect(200);
}

#[test]
fn the_grace_setting_widens_the_day_on_both_sides() {
    let app = spawn_app_with(|f| f.merge(("visit_grace_days", 1)));
    let p = app.partner("P");
    let scanner = venue(&app);
    let day = |n: i64| {
        gangway::clock::date_to_db(time::OffsetDateTime::now_utc().date() + time::Duration::days(n))
    };
    let tomorrow = ticket_for(&app, &p, 107, "adult", &day(1));
    app.redeem(&scanner, &text_of(&tomorrow, "qr_token"), "ferry")
        .expect(200);
    let in_two_days = ticket_for(&app, &p, 107, "adult", &day(2));
    let r = app
        .redeem(&scanner, &text_of(&in_two_days, "qr_token"), "ferry")
        .problem(409, "WRONG_VISIT_DATE");
    let detail = text_of(&r.body, "detail");
    assert!(
        detail.contains(&format!("valid from {} to {}", day(1), day(3))),
        "{detail}"
    );
    // Yesterday's ticket (sold then, so moved back here) is within the grace; the day before is not.
    let code = text_of(&in_two_days, "ticket_code");
    app.sql(&format!(
        "UPDATE tickets SET visit_date = '{}' WHERE code = '{code}'",
        day(-1)
    ));
    app.redeem(&scanner, &text_of(&in_two_days, "qr_token"), "ferry")
        .expect(200);
    app.sql(&format!(
        "UPDATE tickets SET visit_date = '{}' WHERE code = '{code}'",
        day(-2)
    ));
    let r = app
        .redeem(&scanner, &text_of(&in_two_days, "qr_token"), "ferry")
        .problem(409, "WRONG_VISIT_DATE");
    assert!(text_of(&r.body, "detail").contains("no longer valid"));
}

#[test]
fn staff_may_override_the_visit_date_audited_and_venue_scanners_may_not() {
    let app = spawn_app();
    let p = app.partner("P");
    let scanner = venue(&app);
    let staff = app.user("duty@example.com", Role::Staff);
    let t = ticket_for(&app, &p, 106, "adult", &weekday_ahead());
    let (token, code) = (text_of(&t, "qr_token"), text_of(&t, "ticket_code"));
    let body = json!({"qr_token": token, "function_code": "buffet", "override_visit_date": true});

    app.scan(&scanner, &body).problem(403, "FORBIDDEN");
    app.redeem(&staff, &token, "buffet")
        .problem(409, "WRONG_VISIT_DATE");
    assert_eq!(uses_left(&app, &code), 4);
    let ok = app.scan(&staff, &body).expect(200);
    assert_eq!(ok.body["visit_date_overridden"], true);
    assert_eq!(ok.body["remaining_uses"], 0);
    let audit = app
        .get("/api/admin/audit?action=ticket.redeem_override")
        .bearer(&staff)
        .send()
        .expect(200);
    let entry = &audit.body["entries"][0];
    assert_eq!(
        (
            entry["object_id"].as_str(),
            entry["summary"]["visit_date"].as_str(),
            entry["actor_email"].as_str()
        ),
        (
            Some(code.as_str()),
            Some(weekday_ahead().as_str()),
            Some("duty@example.com")
        )
    );
    // An override on the right day is an ordinary redemption.
    let today_ticket = ticket_for(&app, &p, 106, "adult", &today());
    let again = json!({"qr_token": text_of(&today_ticket, "qr_token"), "function_code": "buffet", "override_visit_date": true});
    let r = app.scan(&staff, &again).expect(200);
    assert!(r.body.get("visit_date_overridden").is_none(), "{}", r.body);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'ticket.redeem_override'"),
        1
    );
}

#[test]
fn vouchers_keep_their_rules_and_open_dated_tickets_enter_any_day() {
    let app = spawn_app();
    let p = app.partner("P");
    let scanner = venue(&app);
    let batch = app.batch(&p, 107, 1);
    let (code, voucher) = (
        text_of(&batch["tickets"][0], "ticket_code"),
        text_of(&batch["tickets"][0], "voucher_token"),
    );
    // Unsold: not active, whatever the day; the card says it is an open-dated voucher.
    let r = app
        .redeem(&scanner, &voucher, "ferry")
        .problem(409, "TICKET_NOT_ACTIVE");
    assert!(
        text_of(&r.body, "detail").contains("not been sold"),
        "{}",
        r.body
    );
    assert_eq!(
        (
            r.body["ticket"]["visit_date"].clone(),
            r.body["ticket"]["origin"].as_str()
        ),
        (Value::Null, Some("batch"))
    );
    // Sold for a later day: that day's rule.
    app.sell_voucher(&p, &code, "child", &weekday_ahead());
    app.redeem(&scanner, &voucher, "ferry")
        .problem(409, "WRONG_VISIT_DATE");
    // A ticket with no visit date at all enters any day.
    app.sql(&format!(
        "UPDATE tickets SET visit_date = NULL WHERE code = '{code}'"
    ));
    let ok = app.redeem(&scanner, &voucher, "ferry").expect(200);
    assert_eq!(ok.body["ticket"]["visit_date"], Value::Null);
}

#[test]
fn the_visit_date_is_the_venues_local_day_not_utcs() {
    // A zone whose date differs from UTC's right now (UTC+14 or UTC−12: one of them always does).
    let utc = time::OffsetDateTime::now_utc().date();
    let zone = ["Etc/GMT-14", "Etc/GMT+12"]
        .into_iter()
        .find(|z| VenueClock::new(z).unwrap().today() != utc)
        .unwrap();
    let local = VenueClock::new(zone).unwrap().today();
    let app = spawn_app_with(|f| f.merge(("timezone", zone)));
    let p = app.partner("P");
    let scanner = venue(&app);
    let t = ticket_for(&app, &p, 106, "adult", &gangway::clock::date_to_db(local));
    app.redeem(&scanner, &text_of(&t, "qr_token"), "ferry")
        .expect(200);
    app.sql(&format!(
        "UPDATE tickets SET visit_date = '{}'",
        gangway::clock::date_to_db(utc)
    ));
    let r = app
        .redeem(&scanner, &text_of(&t, "qr_token"), "ferry")
        .problem(409, "WRONG_VISIT_DATE");
    assert!(
        text_of(&r.body, "detail").contains(&gangway::clock::date_to_db(local)),
        "{}",
        r.body
    );
    let day = app.get("/venue/today").bearer(&scanner).send().expect(200);
    assert_eq!(
        (day.body["date"].as_str(), day.body["timezone"].as_str()),
        (Some(gangway::clock::date_to_db(local).as_str()), Some(zone))
    );
}

#[test]
fn the_answer_shows_who_the_ticket_is_for_and_what_is_left() {
    let app = spawn_app();
    let p = app.partner("P");
    let scanner = venue(&app);
    let t = ticket_for(&app, &p, 106, "child", &today());
    let ok = app
        .redeem(&scanner, &text_of(&t, "qr_token"), "ferry")
        .expect(200);
    let card = &ok.body["ticket"];
    assert_eq!(
        (
            card["product_name"].as_str(),
            card["customer_type"].as_str(),
            card["holder_name"].as_str(),
            card["visit_date"].as_str()
        ),
        (
            Some("Premium Plan"),
            Some("child"),
            Some("Mei Chen"),
            Some(today().as_str())
        )
    );
    let left: Vec<(String, i64, i64)> = card["entitlements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                text_of(e, "function_code"),
                e["remaining_uses"].as_i64().unwrap(),
                e["total_uses"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        left,
        [
            ("ferry".to_owned(), 1, 2),
            ("buffet".to_owned(), 1, 1),
            ("playground".to_owned(), 1, 1)
        ]
    );
    assert_eq!(card["entitlements"][0]["name"], "Ferry ride (round trip)");
    assert!(card["entitlements"][0]["last_used_at"].is_string());
}

#[test]
fn refusals_speak_plainly_about_genuine_tickets_and_forgeries_learn_nothing() {
    let app = spawn_app();
    let p = app.partner("P");
    let scanner = venue(&app);
    let t = ticket_for(&app, &p, 106, "elderly", &today());
    let token = text_of(&t, "qr_token");
    let first = app.redeem(&scanner, &token, "buffet").expect(200);
    let r = app
        .redeem(&scanner, &token, "buffet")
        .problem(409, "NO_REMAINING_USES");
    let detail = text_of(&r.body, "detail");
    // The venue is in UTC here: its clock time is the stored one.
    let at = text_of(&first.body, "redeemed_at");
    let hhmm = &at[11..16];
    assert_eq!(detail, format!("Already used at {hhmm} for Buffet lunch."));
    assert_eq!(r.body["ticket"]["customer_type"], "elderly");
    app.redeem(&scanner, &token, "ferry").expect(200);
    app.redeem(&scanner, &token, "ferry").expect(200);
    let r = app
        .redeem(&scanner, &token, "ferry")
        .problem(409, "NO_REMAINING_USES");
    assert!(
        text_of(&r.body, "detail").starts_with("All 2 uses of Ferry ride (round trip) are taken"),
        "{}",
        r.body
    );
    let r = app
        .redeem(&scanner, &token, "pet_area")
        .problem(422, "VALIDATION_FAILED");
    assert!(
        text_of(&r.body, "detail").ends_with(
            "not on this ticket: Premium Plan includes Ferry ride (round trip), Buffet lunch, Playground visit"
        ),
        "{}",
        r.body
    );
    assert_eq!(r.body["ticket"]["product_id"], 106);

    // A forged token, or one of another key, is refused with nothing about any ticket.
    let mut forged = token.clone();
    forged.replace_range(10..11, if &token[10..11] == "A" { "B" } else { "A" });
    for bad in [forged.as_str(), "not-a-token", &token[..20]] {
        let r = app
            .redeem(&scanner, bad, "ferry")
            .problem(422, "QR_INVALID");
        assert!(r.body.get("ticket").is_none(), "{}", r.body);
        assert!(
            !String::from_utf8_lossy(&r.bytes).contains("Premium"),
            "{}",
            r.body
        );
    }

    // A cancelled ticket says so.
    let c = ticket_for(&app, &p, 107, "adult", &today());
    app.ota_post_empty(
        &p,
        &format!("/api/ota/tickets/{}/cancel", text_of(&c, "ticket_code")),
    )
    .expect(200);
    let r = app
        .redeem(&scanner, &text_of(&c, "qr_token"), "ferry")
        .problem(409, "TICKET_NOT_ACTIVE");
    assert!(
        text_of(&r.body, "detail").starts_with("This ticket was cancelled at "),
        "{}",
        r.body
    );
    assert_eq!(r.body["ticket"]["status"], "CANCELLED");
}
