use std::io::Read;

use rocket::http::Method;
use serde_json::{json, Value};

use crate::helpers::*;

fn bulk(app: &TestApp, p: &TestPartner, body: Value) -> Resp {
    app.ota_post(p, "/api/ota/tickets/bulk-generate", &body)
}

#[test]
fn a_partner_pre_generates_a_batch_held_against_the_ota_allocation() {
    let app = spawn_app();
    let p = app.partner("P");
    let r = bulk(&app, &p, json!({"product_id": 107, "quantity": 50, "distribution_mode": "reseller_batch", "reseller_metadata": {"intended_reseller": "Kowloon Kiosk", "batch_purpose": "CNY"}})).expect(201);
    let tickets = r.body["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 50);
    assert!(tickets.iter().all(
        |t| t["status"] == "PRE_GENERATED" && t["voucher_token"].as_str().unwrap().len() >= 40
    ));
    let created = time_of(&r.body["created_at"]);
    let expires = time_of(&r.body["expires_at"]);
    assert_eq!((expires - created).whole_days(), 30);
    assert_eq!(app.stock(107, "ota"), (50, 0, 1500));
    let bid = r.body["batch_id"].as_str().unwrap();
    let b = app
        .ota_get(&p, &format!("/api/ota/batches/{bid}"))
        .expect(200);
    assert_eq!(b.body["status_counts"]["PRE_GENERATED"], 50);
    assert_eq!(
        app.ota_get(&p, "/api/ota/batches").expect(200).body["total_count"],
        1
    );
    let short = bulk(
        &app,
        &p,
        json!({"product_id": 107, "quantity": 1451, "distribution_mode": "direct_sale"}),
    );
    short.problem(409, "INSUFFICIENT_INVENTORY");
    let ds = bulk(
        &app,
        &p,
        json!({"product_id": 107, "quantity": 1, "distribution_mode": "direct_sale"}),
    )
    .expect(201);
    let days = (time_of(&ds.body["expires_at"]) - time_of(&ds.body["created_at"])).whole_days();
    assert_eq!(days, 7);
    for bad in [
        json!({"product_id": 107, "quantity": 0, "distribution_mode": "direct_sale"}),
        json!({"product_id": 107, "quantity": 1, "distribution_mode": "gift"}),
        json!({"product_id": 107, "quantity": 1, "distribution_mode": "direct_sale", "reseller_id": 99}),
    ] {
        bulk(&app, &p, bad).problem(422, "VALIDATION_FAILED");
    }
    app.assert_consistent();
}

#[test]
fn a_reseller_sells_a_pre_generated_ticket_and_it_redeems() {
    let app = spawn_app();
    let p = app.partner("P");
    let reseller = app.ota_post(&p, "/api/ota/resellers", &json!({"reseller_code": "KK-01", "reseller_name": "Kowloon Kiosk", "commission_rate": 0.15})).expect(201);
    let rid = reseller.body["id"].as_i64().unwrap();
    let batch = bulk(&app, &p, json!({"product_id": 106, "quantity": 3, "distribution_mode": "reseller_batch", "reseller_id": rid})).expect(201);
    let t = &batch.body["tickets"][0];
    let code = t["ticket_code"].as_str().unwrap();
    let voucher = t["voucher_token"].as_str().unwrap();
    let scanner = venue(&app);
    // A voucher redeems only once its ticket is sold.
    app.redeem(&scanner, voucher, "ferry")
        .problem(409, "TICKET_NOT_ACTIVE");

    let sale = json!({"customer_details": {"name": "Wai Lun", "email": "wl@example.com"}, "customer_type": "child", "visit_date": weekday_ahead(), "payment_reference": "KK-0001"});
    let r = app
        .ota_post(&p, &format!("/api/ota/tickets/{code}/activate"), &sale)
        .expect(200);
    assert_eq!(
        (r.body["status"].as_str(), r.body["price_cents"].as_i64()),
        (Some("ACTIVE"), Some(18800))
    );
    let chain = &r.body["distribution_chain"];
    assert_eq!(
        (
            chain["partner_id"].as_i64(),
            chain["reseller_id"].as_i64(),
            chain["reseller_code"].as_str()
        ),
        (Some(p.partner_id), Some(rid), Some("KK-01"))
    );
    assert_eq!(chain["customer"]["name"], "Wai Lun");
    assert_eq!(app.stock(106, "ota"), (2, 1, 2000));
    // The identical request again is a no-op; a different one is refused.
    assert_eq!(
        app.ota_post(&p, &format!("/api/ota/tickets/{code}/activate"), &sale)
            .expect(200)
            .body["activated_at"],
        r.body["activated_at"]
    );
    let mut other = sale.clone();
    other["customer_type"] = json!("adult");
    app.ota_post(&p, &format!("/api/ota/tickets/{code}/activate"), &other)
        .problem(409, "INVALID_STATE");
    assert_eq!(app.stock(106, "ota"), (2, 1, 2000));

    app.visit_day_comes();
    let ok = app.redeem(&scanner, voucher, "ferry").expect(200);
    assert_eq!(ok.body["remaining_uses"], 1);
    let got = app
        .ota_get(&p, &format!("/api/ota/tickets/{code}"))
        .expect(200);
    assert_eq!(
        got.body["distribution_chain"]["batch_id"],
        batch.body["batch_id"]
    );

    // Cancel an unsold one: its held unit is released.
    let spare = batch.body["tickets"][1]["ticket_code"].as_str().unwrap();
    app.ota_post_empty(&p, &format!("/api/ota/tickets/{spare}/cancel"))
        .expect(200);
    assert_eq!(app.stock(106, "ota"), (1, 1, 2000));
    // A redeemed ticket cannot be cancelled.
    app.ota_post_empty(&p, &format!("/api/ota/tickets/{code}/cancel"))
        .problem(409, "INVALID_STATE");
    app.assert_consistent();
}

#[test]
fn the_batch_archive_holds_one_scannable_png_per_ticket_and_a_manifest() {
    let app = spawn_app();
    let p = app.partner("P");
    let batch = bulk(
        &app,
        &p,
        json!({"product_id": 108, "quantity": 5, "distribution_mode": "direct_sale"}),
    )
    .expect(201);
    let bid = batch.body["batch_id"].as_str().unwrap();
    let r = app
        .ota_get(&p, &format!("/api/ota/batches/{bid}/archive.zip"))
        .expect(200);
    assert_eq!(r.header("Content-Type"), Some("application/zip"));
    assert!(r
        .header("Content-Disposition")
        .unwrap()
        .contains("attachment"));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(r.bytes)).expect("a valid ZIP");
    assert_eq!(zip.len(), 6);
    let mut manifest = String::new();
    zip.by_name("manifest.csv")
        .unwrap()
        .read_to_string(&mut manifest)
        .unwrap();
    // UTF-8 with a BOM for spreadsheets; the contract's six columns first, then the package's
    // name and the batch's sales-period end.
    let manifest = manifest
        .strip_prefix('\u{feff}')
        .expect("a UTF-8 BOM")
        .to_owned();
    let lines: Vec<&str> = manifest.lines().collect();
    assert_eq!(
        lines[0],
        "ticket_code,product_id,status,voucher_token,batch_id,reseller_code,package_name,sales_period_end"
    );
    assert_eq!(lines.len(), 6);
    let expires = batch.body["expires_at"].as_str().unwrap();
    assert!(
        lines[1].ends_with(&format!(",,Deluxe Plan,{expires}")),
        "{}",
        lines[1]
    );
    for t in batch.body["tickets"].as_array().unwrap() {
        let code = t["ticket_code"].as_str().unwrap();
        let mut png = Vec::new();
        zip.by_name(&format!("{code}.png"))
            .unwrap()
            .read_to_end(&mut png)
            .unwrap();
        assert_eq!(decode_qr(&png), t["voucher_token"].as_str().unwrap());
        assert!(manifest.contains(&format!(
            "{code},108,PRE_GENERATED,{},{bid},",
            t["voucher_token"].as_str().unwrap()
        )));
    }
    // Staff download the same archive with their session; another partner cannot.
    let staff = app.user("staff@example.com", gangway::domain::users::Role::Staff);
    app.get(&format!("/api/admin/batches/{bid}/archive.zip"))
        .bearer(&staff)
        .send()
        .expect(200);
    app.get(&format!("/api/ota/batches/{bid}/archive.zip"))
        .key(&app.partner("Q").key)
        .send()
        .problem(404, "NOT_FOUND");
    let listed = app
        .get("/api/admin/batches")
        .bearer(&staff)
        .send()
        .expect(200);
    assert_eq!(listed.body["batches"][0]["partner_name"], "P");
    let detail = app
        .get(&format!("/api/admin/batches/{bid}"))
        .bearer(&staff)
        .send()
        .expect(200);
    assert_eq!(detail.body["tickets"].as_array().unwrap().len(), 5);
}

#[test]
fn resellers_are_a_per_partner_registry_with_soft_delete() {
    let app = spawn_app();
    let p = app.partner("P");
    let q = app.partner("Q");
    let r = app.ota_post(&p, "/api/ota/resellers", &json!({"reseller_code": "R1", "reseller_name": "Pier Shop", "contract_start_date": "2026-01-01", "contract_end_date": "2026-12-31", "region": "HK", "tier": "gold"})).expect(201);
    assert_eq!(
        (
            r.body["commission_rate"].as_f64(),
            r.body["settlement_cycle"].as_str(),
            r.body["status"].as_str()
        ),
        (Some(0.10), Some("monthly"), Some("active"))
    );
    let id = r.body["id"].as_i64().unwrap();
    app.ota_post(
        &p,
        "/api/ota/resellers",
        &json!({"reseller_code": "R1", "reseller_name": "Other"}),
    )
    .problem(409, "DUPLICATE_RESELLER_CODE");
    app.ota_post(
        &q,
        "/api/ota/resellers",
        &json!({"reseller_code": "R1", "reseller_name": "Q's own R1"}),
    )
    .expect(201);
    for (bad, field) in [
        (json!({"reseller_name": "No code"}), "reseller_code"),
        (json!({"reseller_code": "R2"}), "reseller_name"),
        (
            json!({"reseller_code": "R2", "reseller_name": "X", "commission_rate": 1.5}),
            "commission_rate",
        ),
        (
            json!({"reseller_code": "R2", "reseller_name": "X", "settlement_cycle": "daily"}),
            "settlement_cycle",
        ),
        (
            json!({"reseller_code": "R2", "reseller_name": "X", "contract_start_date": "2026-05-01", "contract_end_date": "2026-04-01"}),
            "contract_end_date",
        ),
    ] {
        let r = app
            .ota_post(&p, "/api/ota/resellers", &bad)
            .problem(422, "VALIDATION_FAILED");
        assert_eq!(r.body["field"], field);
    }
    let patched = app
        .req(Method::Patch, &format!("/api/ota/resellers/{id}"))
        .key(&p.key)
        .json(&json!({"commission_rate": 0.2, "settlement_cycle": "weekly"}))
        .send()
        .expect(200);
    assert_eq!(
        (
            patched.body["commission_rate"].as_f64(),
            patched.body["reseller_name"].as_str()
        ),
        (Some(0.2), Some("Pier Shop"))
    );
    app.ota_get(&q, &format!("/api/ota/resellers/{id}"))
        .problem(404, "NOT_FOUND");
    app.req(Method::Patch, &format!("/api/ota/resellers/{id}"))
        .key(&q.key)
        .json(&json!({"tier": "x"}))
        .send()
        .problem(404, "NOT_FOUND");
    let deleted = app
        .req(Method::Delete, &format!("/api/ota/resellers/{id}"))
        .key(&p.key)
        .send()
        .expect(200);
    assert_eq!(deleted.body["status"], "inactive");
    assert_eq!(
        app.ota_get(&p, "/api/ota/resellers?status=active")
            .expect(200)
            .body["total_count"],
        0
    );
    assert_eq!(
        app.ota_get(&p, "/api/ota/resellers").expect(200).body["total_count"],
        1
    );
    // An inactive reseller cannot get new batches.
    bulk(&app, &p, json!({"product_id": 106, "quantity": 1, "distribution_mode": "reseller_batch", "reseller_id": id})).problem(422, "VALIDATION_FAILED");
}

#[test]
fn billing_settles_per_reseller_and_in_total() {
    let app = spawn_app();
    let p = app.partner("P");
    let rid = app.reseller(
        &p,
        &json!({"reseller_code": "R1", "reseller_name": "Pier Shop", "commission_rate": 0.1}),
    );
    let batch = bulk(&app, &p, json!({"product_id": 106, "quantity": 4, "distribution_mode": "reseller_batch", "reseller_id": rid})).expect(201);
    let codes: Vec<String> = batch.body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["ticket_code"].as_str().unwrap().to_owned())
        .collect();
    for (code, kind) in [(&codes[0], "adult"), (&codes[1], "child")] {
        let sale = json!({"customer_details": {"name": "C", "email": "c@example.com"}, "customer_type": kind, "visit_date": weekday_ahead()});
        app.ota_post(&p, &format!("/api/ota/tickets/{code}/activate"), &sale)
            .expect(200);
    }
    app.ota_post_empty(&p, &format!("/api/ota/tickets/{}/cancel", codes[3]))
        .expect(200);
    // Use every entitlement of the adult ticket: USED still counts in settlement.
    let scanner = venue(&app);
    let voucher = batch.body["tickets"][0]["voucher_token"].as_str().unwrap();
    app.visit_day_comes();
    for f in ["ferry", "ferry", "buffet", "playground"] {
        app.redeem(&scanner, voucher, f).expect(200);
    }
    app.paid_order(&p, 107, 1); // unassigned: an order, no reseller

    let s = app.ota_get(&p, "/api/ota/billing/summary").expect(200).body;
    let line = &s["resellers"][0];
    assert_eq!(
        (
            line["tickets_generated"].as_i64(),
            line["tickets_activated"].as_i64(),
            line["tickets_used"].as_i64(),
            line["tickets_cancelled"].as_i64()
        ),
        (Some(4), Some(2), Some(1), Some(1))
    );
    assert_eq!(
        (
            line["gross_cents"].as_i64(),
            line["commission_cents"].as_i64(),
            line["net_cents"].as_i64()
        ),
        (Some(47600), Some(4760), Some(42840))
    );
    assert_eq!(s["unassigned"]["gross_cents"], 18800);
    assert_eq!(s["totals"]["gross_cents"], 47600 + 18800);
    assert_eq!(s["currency"], "USD");
    let empty = app
        .ota_get(
            &p,
            "/api/ota/billing/summary?period_start=2020-01-01&period_end=2020-01-31",
        )
        .expect(200)
        .body;
    assert_eq!(empty["totals"]["tickets_generated"], 0);
    app.ota_get(&p, "/api/ota/billing/summary?period_start=2020-13-01")
        .problem(422, "VALIDATION_FAILED");
    // The operator sees the same settlement.
    let staff = app.user("staff@example.com", gangway::domain::users::Role::Staff);
    let op = app
        .get(&format!(
            "/api/admin/partners/{}/billing/summary",
            p.partner_id
        ))
        .bearer(&staff)
        .send()
        .expect(200)
        .body;
    assert_eq!(op["totals"], s["totals"]);
    app.assert_consistent();
}

#[test]
fn resellers_named_only_in_old_batch_metadata_are_migrated_into_the_registry() {
    // A database as the release before the registry left it (schema V2), with batches that name
    // their reseller only in free metadata; then the current binary opens (and migrates) it.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    gangway::db::migrate(&mut conn, Some(2)).unwrap();
    conn.execute_batch(
        "INSERT INTO partners (id, name, created_at) VALUES (1, 'Old OTA', '2025-01-01T00:00:00Z'), (2, 'Other OTA', '2025-01-01T00:00:00Z');
         INSERT INTO batches (id, partner_id, product_id, quantity, distribution_mode, reseller_metadata, expires_at, created_at) VALUES
           ('b1', 1, 106, 1, 'reseller_batch', '{\"intended_reseller\":\"Star Ferry Kiosk\"}', '2025-02-01T00:00:00Z', '2025-01-01T00:00:00Z'),
           ('b2', 1, 106, 1, 'reseller_batch', '{\"intended_reseller\":\" Star Ferry Kiosk \"}', '2025-02-01T00:00:00Z', '2025-01-02T00:00:00Z'),
           ('b3', 1, 106, 1, 'reseller_batch', '{\"intended_reseller\":\"Peak Tram Desk\"}', '2025-02-01T00:00:00Z', '2025-01-03T00:00:00Z'),
           ('b4', 1, 106, 1, 'direct_sale', NULL, '2025-02-01T00:00:00Z', '2025-01-04T00:00:00Z'),
           ('b5', 2, 106, 1, 'reseller_batch', '{\"intended_reseller\":\"Star Ferry Kiosk\"}', '2025-02-01T00:00:00Z', '2025-01-05T00:00:00Z');",
    )
    .unwrap();
    drop(conn);
    let db = gangway::db::Db::open(&path, 1).unwrap();
    let rows: Vec<(i64, String, String)> = db
        .read(|c| {
            Ok(c.prepare("SELECT partner_id, reseller_code, reseller_name FROM ota_resellers ORDER BY partner_id, reseller_code")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?)
        })
        .unwrap();
    assert_eq!(
        rows,
        vec![
            (1, "MIGRATED-001".to_owned(), "Star Ferry Kiosk".to_owned()),
            (1, "MIGRATED-002".to_owned(), "Peak Tram Desk".to_owned()),
            (2, "MIGRATED-001".to_owned(), "Star Ferry Kiosk".to_owned()),
        ]
    );
    let links: Vec<(String, Option<String>)> = db
        .read(|c| {
            Ok(c.prepare("SELECT b.id, r.reseller_code FROM batches b LEFT JOIN ota_resellers r ON r.id = b.reseller_id ORDER BY b.id")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?)
        })
        .unwrap();
    let code = |s: &str| Some(s.to_owned());
    assert_eq!(
        links,
        vec![
            ("b1".into(), code("MIGRATED-001")),
            ("b2".into(), code("MIGRATED-001")),
            ("b3".into(), code("MIGRATED-002")),
            ("b4".into(), None),
            ("b5".into(), code("MIGRATED-001"))
        ]
    );
    // Opening again applies nothing twice.
    drop(db);
    gangway::db::Db::open(&path, 1).unwrap();
}

#[test]
fn a_5000_ticket_batch_pages_replays_and_stays_consistent() {
    let app = spawn_app();
    let p = app.partner("P");
    let body = json!({"product_id": 106, "quantity": 5000, "distribution_mode": "direct_sale"});
    app.sql("UPDATE inventory SET allocated = 2000 WHERE product_id = 106 AND channel = 'direct'; UPDATE inventory SET allocated = 3000 WHERE product_id = 106 AND channel = 'ota';");
    bulk(&app, &p, body.clone()).problem(409, "INSUFFICIENT_INVENTORY");
    app.sql("UPDATE inventory SET allocated = 0 WHERE product_id = 106 AND channel = 'direct'; UPDATE inventory SET allocated = 5000 WHERE product_id = 106 AND channel = 'ota';");
    let send = || {
        app.post("/api/ota/tickets/bulk-generate")
            .key(&p.key)
            .header("Idempotency-Key", "big-one")
            .json(&body)
            .send()
    };
    let first = send().expect(201);
    assert_eq!(first.body["tickets"].as_array().unwrap().len(), 5000);
    let again = send().expect(201);
    assert_eq!(again.body["batch_id"], first.body["batch_id"]);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM tickets"),
        5000,
        "the replay created nothing"
    );
    assert_eq!(app.stock(106, "ota"), (5000, 0, 5000));
    let bid = first.body["batch_id"].as_str().unwrap();
    let page = app
        .ota_get(
            &p,
            &format!("/api/ota/tickets?batch_id={bid}&page=50&limit=100"),
        )
        .expect(200);
    assert_eq!(
        (
            page.body["total_count"].as_i64(),
            page.body["tickets"].as_array().unwrap().len()
        ),
        (Some(5000), 100)
    );
    let past_end = app
        .ota_get(
            &p,
            &format!("/api/ota/tickets?batch_id={bid}&page=51&limit=100"),
        )
        .expect(200);
    assert_eq!(past_end.body["tickets"].as_array().unwrap().len(), 0);
    assert_eq!(
        app.ota_get(&p, &format!("/api/ota/batches/{bid}"))
            .expect(200)
            .body["status_counts"]["PRE_GENERATED"],
        5000
    );
    app.assert_consistent();
}

#[test]
fn billing_counts_only_what_falls_inside_the_period() {
    let app = spawn_app();
    let p = app.partner("P");
    let rid = app.reseller(
        &p,
        &json!({"reseller_code": "R1", "reseller_name": "Pier Shop"}),
    );
    let batch = bulk(&app, &p, json!({"product_id": 106, "quantity": 2, "distribution_mode": "reseller_batch", "reseller_id": rid})).expect(201);
    for t in batch.body["tickets"].as_array().unwrap() {
        let sale = json!({"customer_details": {"name": "C", "email": "c@example.com"}, "customer_type": "adult", "visit_date": weekday_ahead()});
        app.ota_post(
            &p,
            &format!(
                "/api/ota/tickets/{}/activate",
                t["ticket_code"].as_str().unwrap()
            ),
            &sale,
        )
        .expect(200);
    }
    // One ticket was generated and sold on the last day of March, the other on the first of April.
    let codes: Vec<&str> = batch.body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["ticket_code"].as_str().unwrap())
        .collect();
    app.sql(&format!("UPDATE tickets SET created_at = '2026-03-31T23:59:59Z', activated_at = '2026-03-31T23:59:59Z' WHERE code = '{}'", codes[0]));
    app.sql(&format!("UPDATE tickets SET created_at = '2026-04-01T00:00:00Z', activated_at = '2026-04-01T00:00:00Z' WHERE code = '{}'", codes[1]));
    let month = |start: &str, end: &str| {
        app.ota_get(
            &p,
            &format!("/api/ota/billing/summary?period_start={start}&period_end={end}"),
        )
        .expect(200)
        .body
    };
    let march = month("2026-03-01", "2026-03-31");
    let april = month("2026-04-01", "2026-04-30");
    assert_eq!(
        (
            march["totals"]["tickets_activated"].as_i64(),
            march["totals"]["gross_cents"].as_i64()
        ),
        (Some(1), Some(28800))
    );
    assert_eq!(
        (
            april["totals"]["tickets_activated"].as_i64(),
            april["totals"]["gross_cents"].as_i64()
        ),
        (Some(1), Some(28800))
    );
    // Recomputed independently from the rows: commission at 10 %, rounded half up.
    let gross = app.scalar("SELECT SUM(price_cents) FROM tickets WHERE activated_at >= '2026-03-01T00:00:00Z' AND activated_at < '2026-04-01T00:00:00Z'");
    assert_eq!(march["resellers"][0]["gross_cents"].as_i64(), Some(gross));
    assert_eq!(
        march["resellers"][0]["commission_cents"].as_i64(),
        Some((gross * 1000 + 5000) / 10000)
    );
    app.ota_get(
        &p,
        "/api/ota/billing/summary?period_start=2026-04-01&period_end=2026-03-01",
    )
    .problem(422, "VALIDATION_FAILED");
}
