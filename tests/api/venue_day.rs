//! The venue's day away from the gate: the passenger list of a visit date (and its CSV), the
//! dashboard's vouchers apart from live holds, and the batch page that pages its tickets.

use gangway::domain::users::Role;
use serde_json::{json, Value};

use crate::helpers::*;

/// A paid order of `product` for these customer types, visiting on `date`, for `holder`.
fn sell(
    app: &TestApp,
    p: &TestPartner,
    product: i64,
    types: &[(&str, i64)],
    date: &str,
    holder: &str,
) -> Value {
    app.sell(p, product, types, date, (holder, "h@example.com"))
}

/// The CSV text without its BOM (which it must have), as lines.
#[track_caller]
fn csv_lines(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8(bytes.to_vec()).expect("UTF-8");
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a UTF-8 byte-order mark");
    assert!(text.ends_with("\r\n"), "CRLF lines");
    text.lines().map(str::to_owned).collect()
}

#[test]
fn the_passenger_list_counts_the_day_by_package_and_customer_type() {
    let app = spawn_app();
    let p = app.partner("P");
    let scanner = venue(&app);
    let day = today();
    let family = sell(
        &app,
        &p,
        106,
        &[("adult", 2), ("child", 1)],
        &day,
        "Chan Family",
    );
    sell(&app, &p, 107, &[("elderly", 1)], &day, "=HYPERLINK(\"x\")");
    sell(
        &app,
        &p,
        106,
        &[("adult", 1)],
        &weekday_ahead(),
        "Another Day",
    );
    let cancelled = sell(&app, &p, 107, &[("adult", 1)], &day, "Changed Plans");
    app.ota_post_empty(
        &p,
        &format!(
            "/api/ota/tickets/{}/cancel",
            text_of(&cancelled["tickets"][0], "ticket_code")
        ),
    )
    .expect(200);
    let child = family["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["customer_type"] == "child")
        .unwrap();
    app.redeem(&scanner, &text_of(child, "qr_token"), "ferry")
        .expect(200);

    // The pier reads it (default date: the venue's today).
    let m = app
        .get("/api/admin/manifest")
        .bearer(&scanner)
        .send()
        .expect(200)
        .body;
    assert_eq!(m["date"], day.as_str());
    assert_eq!(
        m["totals"],
        json!({"tickets": 4, "redeemed": 1, "not_yet": 3, "cancelled": 1})
    );
    let groups: Vec<(i64, String, i64, i64)> = m["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["product_id"].as_i64().unwrap(),
                text_of(g, "customer_type"),
                g["tickets"].as_i64().unwrap(),
                g["redeemed"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            (106, "adult".into(), 2, 0),
            (106, "child".into(), 1, 1),
            (107, "elderly".into(), 1, 0)
        ]
    );
    assert_eq!(m["total_count"], 4);
    let names: Vec<&str> = m["passengers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["holder_name"].as_str().unwrap())
        .collect();
    assert!(
        !names.contains(&"Another Day") && !names.contains(&"Changed Plans"),
        "{names:?}"
    );
    assert!(
        !m.to_string().contains("h@example.com"),
        "no contact details on the boarding list"
    );

    // Filters and pages.
    let not_yet = app
        .get(&format!(
            "/api/admin/manifest?date={day}&redeemed=false&limit=2&page=2"
        ))
        .bearer(&scanner)
        .send()
        .expect(200)
        .body;
    assert_eq!(
        (
            not_yet["total_count"].as_i64(),
            not_yet["passengers"].as_array().unwrap().len()
        ),
        (Some(3), 1)
    );
    let done = app
        .get(&format!("/api/admin/manifest?date={day}&redeemed=true"))
        .bearer(&scanner)
        .send()
        .expect(200)
        .body;
    assert_eq!(done["passengers"][0]["ticket_code"], child["ticket_code"]);
    assert!(done["passengers"][0]["first_redeemed_at"].is_string());
    let pet = app
        .get(&format!("/api/admin/manifest?date={day}&product_id=107"))
        .bearer(&scanner)
        .send()
        .expect(200)
        .body;
    assert_eq!(pet["total_count"], 1);
    let later = app
        .get(&format!("/api/admin/manifest?date={}", weekday_ahead()))
        .bearer(&scanner)
        .send()
        .expect(200)
        .body;
    assert_eq!(later["totals"]["tickets"], 1);
    for bad in [
        "date=2026-13-01",
        "redeemed=maybe",
        "product_id=x",
        "limit=0",
    ] {
        app.get(&format!("/api/admin/manifest?{bad}"))
            .bearer(&scanner)
            .send()
            .problem(422, "VALIDATION_FAILED");
    }
    let customer = app.user("c@example.com", Role::Customer);
    app.get("/api/admin/manifest")
        .bearer(&customer)
        .send()
        .problem(403, "FORBIDDEN");

    // The CSV: every passenger, money in currency units, formulas defused.
    let r = app
        .get(&format!("/api/admin/manifest.csv?date={day}"))
        .bearer(&scanner)
        .send()
        .expect(200);
    assert_eq!(r.header("Content-Type"), Some("text/csv; charset=utf-8"));
    assert!(r
        .header("Content-Disposition")
        .unwrap()
        .contains(&format!("passengers-{day}.csv")));
    let lines = csv_lines(&r.bytes);
    assert_eq!(lines[0], "visit_date,package,product_id,customer_type,holder_name,ticket_code,status,redeemed,first_redeemed_at,uses_left,order_id,batch_id,price,currency");
    assert_eq!(lines.len(), 5);
    let child_line = lines
        .iter()
        .find(|l| l.contains(child["ticket_code"].as_str().unwrap()))
        .unwrap();
    let cents = child["price_cents"].as_i64().unwrap();
    assert!(
        child_line.ends_with(&format!(",{}.{:02},USD", cents / 100, cents % 100)),
        "{child_line}"
    );
    assert!(
        child_line.contains(",yes,") && child_line.contains(&format!("{day} ")),
        "{child_line}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains(",\"'=HYPERLINK(\"\"x\"\")\",")),
        "{lines:#?}"
    );
}

#[test]
fn the_dashboard_tells_pre_generated_vouchers_from_live_holds() {
    let app = spawn_app();
    let p = app.partner("P");
    let staff = app.user("staff@example.com", Role::Staff);
    let batch = app.batch(&p, 107, 1400);
    app.sell_voucher(
        &p,
        &text_of(&batch["tickets"][0], "ticket_code"),
        "adult",
        &today(),
    );
    app.reserve(&p, 107, 3).expect(201);
    let inv = app
        .get("/api/admin/inventory")
        .bearer(&staff)
        .send()
        .expect(200)
        .body;
    let row = inv["inventory"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["product_id"] == 107 && r["channel"] == "ota")
        .unwrap()
        .clone();
    assert_eq!(
        (
            row["held"].as_i64(),
            row["pre_generated"].as_i64(),
            row["sold"].as_i64(),
            row["available"].as_i64(),
            row["allocated"].as_i64()
        ),
        (Some(1402), Some(1399), Some(1), Some(97), Some(1500))
    );
    for field in [
        "product_id",
        "product_name",
        "channel",
        "capacity",
        "allocated",
        "held",
        "sold",
        "used",
        "available",
    ] {
        assert!(!row[field].is_null(), "the existing field {field} stays");
    }
    let direct = inv["inventory"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["product_id"] == 107 && r["channel"] == "direct")
        .unwrap();
    assert_eq!(direct["pre_generated"], 0);
    app.assert_consistent();
}

#[test]
fn the_batch_page_pages_filters_and_still_lists_everything_unasked() {
    let app = spawn_app();
    let p = app.partner("P");
    let staff = app.user("staff@example.com", Role::Staff);
    let batch = app.batch(&p, 106, 250);
    let bid = batch["batch_id"].as_str().unwrap();
    let first = text_of(&batch["tickets"][0], "ticket_code");
    app.ota_post_empty(&p, &format!("/api/ota/tickets/{first}/cancel"))
        .expect(200);
    let get = |q: &str| {
        app.get(&format!("/api/admin/batches/{bid}{q}"))
            .bearer(&staff)
            .send()
    };

    let all = get("").expect(200).body;
    assert_eq!(
        (
            all["tickets"].as_array().unwrap().len(),
            all["ticket_count"].as_i64()
        ),
        (250, Some(250))
    );
    assert!(all.get("page").is_none());
    let third = get("?page=3&limit=100").expect(200).body;
    assert_eq!(
        (
            third["tickets"].as_array().unwrap().len(),
            third["ticket_count"].as_i64(),
            third["page"].as_i64(),
            third["page_size"].as_i64()
        ),
        (50, Some(250), Some(3), Some(100))
    );
    assert_eq!(
        third["tickets"][0]["ticket_code"],
        batch["tickets"][200]["ticket_code"]
    );
    assert_eq!(
        get("?limit=10").expect(200).body["tickets"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
    let cancelled = get("?status=CANCELLED&limit=10").expect(200).body;
    assert_eq!(
        (
            cancelled["ticket_count"].as_i64(),
            cancelled["tickets"][0]["ticket_code"].as_str()
        ),
        (Some(1), Some(first.as_str()))
    );
    let by_code = get(&format!("?q={}&limit=10", &first[..6]))
        .expect(200)
        .body;
    assert!(by_code["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["ticket_code"].as_str().unwrap().starts_with(&first[..6])));
    assert!(by_code["ticket_count"].as_i64().unwrap() >= 1);
    // `%` and `_` are not wildcards in the code search.
    assert_eq!(get("?q=%25&limit=10").expect(200).body["ticket_count"], 0);
    assert_eq!(
        all["status_counts"]["PRE_GENERATED"], 249,
        "the counts are the whole batch's"
    );
    get("?status=SOLD").problem(422, "VALIDATION_FAILED");
    get("?limit=5000").problem(422, "VALIDATION_FAILED");
}

#[test]
fn settlement_downloads_as_csv_in_currency_units() {
    let app = spawn_app();
    let p = app.partner("P");
    let staff = app.user("staff@example.com", Role::Staff);
    let rid = app.reseller(
        &p,
        &json!({"reseller_code": "R1", "reseller_name": "@Pier, Shop", "commission_rate": 0.1}),
    );
    let batch = app
        .ota_post(&p, "/api/ota/tickets/bulk-generate", &json!({"product_id": 106, "quantity": 1, "distribution_mode": "reseller_batch", "reseller_id": rid}))
        .expect(201);
    let code = text_of(&batch.body["tickets"][0], "ticket_code");
    let sold = app.sell_voucher(&p, &code, "adult", &weekday_ahead());
    assert_eq!(sold["price_cents"], 28800);
    let r = app
        .get(&format!(
            "/api/admin/partners/{}/billing/summary.csv",
            p.partner_id
        ))
        .bearer(&staff)
        .send()
        .expect(200);
    let lines = csv_lines(&r.bytes);
    assert_eq!(lines[0], "reseller_code,reseller_name,commission_rate,tickets_generated,tickets_activated,tickets_used,tickets_cancelled,gross,commission,net,currency");
    assert_eq!(
        lines[1],
        "R1,\"'@Pier, Shop\",0.1000,1,1,0,0,288.00,28.80,259.20,USD"
    );
    assert_eq!(lines[3], ",Totals,,1,1,0,0,288.00,28.80,259.20,USD");
}
