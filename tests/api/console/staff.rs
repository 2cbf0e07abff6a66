//! The staff console in a real browser: log in, read the dashboard, create a partner and a key,
//! download a batch ZIP, log out, scan a voucher as venue staff.

use std::io::Read;
use std::path::Path;
use std::time::Instant;

use gangway::domain::audit::Actor;
use gangway::domain::partners;
use gangway::domain::users::Role;
use serde_json::{json, Value};

use super::browser::*;
use super::steps::*;
use crate::helpers::*;

// =====================================================================================
// The scenario
// =====================================================================================

#[test]
fn staff_console_in_a_real_browser() {
    let Some((chromedriver, chromium)) = browser_binaries() else {
        return;
    };
    let started = Instant::now();
    let server = Server::start();
    let agent = http();
    let base = server.base.clone();

    // --- fixtures: an admin, a venue scanner, a partner with a key, a batch with one sold ticket
    create_user(&server, "admin@example.com", Role::Admin);
    create_user(&server, "scanner@example.com", Role::Venue);
    let db = server.db();
    let harbour = partners::create(&db, "Harbour Travel", "ops@harbour.example", Actor::System)
        .expect("partner");
    let key = partners::create_key(&db, harbour.partner_id, "test", None, Actor::System)
        .expect("key")
        .api_key;
    let (status, batch) = api(
        &agent,
        "POST",
        &format!("{base}/api/ota/tickets/bulk-generate"),
        &key,
        Some(json!({"product_id": 106, "quantity": 5, "distribution_mode": "direct_sale"})),
    );
    assert_eq!(status, 201, "{batch}");
    let quantity = batch["quantity"].as_u64().unwrap() as usize;
    let ticket = &batch["tickets"][0];
    let code = ticket["ticket_code"].as_str().unwrap().to_owned();
    let voucher = ticket["voucher_token"].as_str().unwrap().to_owned();
    let (status, sold) = api(
        &agent,
        "POST",
        &format!("{base}/api/ota/tickets/{code}/activate"),
        &key,
        Some(json!({
            "customer_details": {"name": "Mei Chen", "email": "mei@example.com"},
            "customer_type": "adult",
            "visit_date": today(),
            "payment_reference": "KIOSK-0001",
        })),
    );
    assert_eq!(
        (status, sold["status"].as_str()),
        (200, Some("ACTIVE")),
        "{sold}"
    );

    let b = Browser::start(&chromedriver, &chromium);

    // --- login
    b.goto(&format!("{base}/"));
    b.find("#email");
    b.screenshot("01-login");
    log_in(&b, "admin@example.com", "admin");

    // --- dashboard: every figure of every row equals GET /api/admin/inventory
    b.wait_js(
        "the dashboard",
        "return location.hash === '#/dashboard'",
        json!([]),
    );
    let cookie = b.js("return document.cookie", json!([]));
    assert_eq!(cookie, "", "the session cookie is HttpOnly");
    let token = login_token(&agent, &base, "admin@example.com");
    let mut r = agent
        .get(&format!("{base}/api/admin/inventory"))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    let inventory: Value = r.body_mut().read_json().unwrap();
    let rows = inventory["inventory"].as_array().unwrap();
    assert!(!rows.is_empty());
    let ota106 = rows
        .iter()
        .find(|r| r["product_id"] == 106 && r["channel"] == "ota")
        .expect("an OTA row for 106");
    assert_eq!(
        (ota106["held"].as_i64(), ota106["sold"].as_i64()),
        (Some(4), Some(1))
    );
    let fields = ["available", "allocated", "held", "sold", "used", "capacity"];
    let shown = b.wait_js(
        "the inventory table",
        "const rows = document.querySelectorAll('[data-testid=inventory-table] tr[data-product]');
         if (!rows.length) return null;
         return [...rows].map((tr) => {
           const o = {product_id: Number(tr.dataset.product), channel: tr.dataset.channel};
           for (const f of arguments[0]) o[f] = tr.querySelector(`td[data-field=${f}]`)?.textContent ?? null;
           return o;
         });",
        json!([fields]),
    );
    let shown = shown.as_array().unwrap();
    assert_eq!(
        shown.len(),
        rows.len(),
        "one table row per package and channel"
    );
    for row in rows {
        let tr = shown
            .iter()
            .find(|t| t["product_id"] == row["product_id"] && t["channel"] == row["channel"])
            .unwrap_or_else(|| panic!("no table row for {row}"));
        for f in fields {
            assert_eq!(
                tr[f].as_str(),
                Some(row[f].to_string().as_str()),
                "{f} of {} / {}",
                row["product_id"],
                row["channel"]
            );
        }
    }
    assert_eq!(
        b.text("tr[data-product=\"106\"][data-channel=\"ota\"] td[data-field=\"available\"]"),
        ota106["available"].to_string()
    );
    b.find("[data-testid=reconciliation][data-consistent=true]");
    b.find("[data-testid=sales-chart]");
    b.screenshot("02-dashboard");

    // --- partners: create one, give it a key, and the key works
    b.click("a[href=\"#/partners\"]");
    b.find("#partner-name");
    b.type_into("#partner-name", "Lantau Tours");
    b.type_into("#partner-email", "it@lantau.example");
    b.click("[data-testid=create-partner]");
    b.wait_js(
        "the new partner's detail",
        "return document.querySelector('[data-testid=partner-detail] h2')?.textContent === 'Lantau Tours'",
        json!([]),
    );
    b.type_into("#key-label", "production");
    b.click("[data-testid=create-key]");
    let new_key = shown_once(
        &b,
        "the new API key",
        "[data-testid=new-api-key] [data-testid=new-api-key-value]",
    );
    assert!(new_key.len() >= 20, "a full key: {new_key}");
    assert!(
        b.text("[data-testid=new-api-key]").contains(&new_key),
        "the key is shown in the new-key box"
    );
    b.find("[data-testid=keys-table] tr[data-key]");
    b.screenshot("03-partners-new-key");
    let (status, inv) = api(
        &agent,
        "GET",
        &format!("{base}/api/ota/inventory"),
        &new_key,
        None,
    );
    assert_eq!(status, 200, "the console's key works: {inv}");
    assert_eq!(inv["channel"], "ota");

    // --- batches: download the ZIP
    b.click("a[href=\"#/batches\"]");
    let batch_id = batch["batch_id"].as_str().unwrap();
    b.find(&format!("tr[data-batch=\"{batch_id}\"]"));
    b.screenshot("04-batches");
    b.click(&format!(
        "tr[data-batch=\"{batch_id}\"] [data-testid=download-zip]"
    ));
    let file = b.downloaded();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&file).unwrap()).expect("a ZIP file");
    assert_eq!(zip.len(), quantity + 1, "a PNG per ticket and the manifest");
    let names: Vec<String> = zip
        .file_names()
        .map(|n| n.expect("a file name").into_owned())
        .collect();
    assert_eq!(
        names.iter().filter(|n| n.ends_with(".png")).count(),
        quantity
    );
    assert!(names.contains(&format!("{code}.png")));
    let mut manifest = String::new();
    zip.by_name("manifest.csv")
        .expect("manifest.csv")
        .read_to_string(&mut manifest)
        .unwrap();
    assert_eq!(manifest.lines().count(), quantity + 1, "{manifest}");
    assert!(manifest.contains(&voucher));

    // --- the other staff pages render their data without an error
    b.click(&format!(
        "tr[data-batch=\"{batch_id}\"] a[href^=\"#/batches/\"]"
    ));
    let status = b.text(&format!(
        "[data-testid=batch-tickets] tr[data-ticket=\"{code}\"] .badge"
    ));
    assert_eq!(status, "Active");
    b.find("[data-testid=download-zip]");
    b.screenshot("05-batch-detail");
    b.click("a[href=\"#/resellers\"]");
    b.find("[data-testid=billing-table] tr[data-reseller=totals]");
    assert_no_error(&b);
    b.click("a[href=\"#/audit\"]");
    b.find("[data-testid=audit-table] tr[data-audit]");
    assert!(b
        .text("[data-testid=audit-table]")
        .contains("partner.create"));
    assert_no_error(&b);
    b.screenshot("06-audit");

    // --- log out, log in as venue staff: the scanner redeems the sold voucher
    b.click("[data-testid=logout]");
    b.find("#email");
    log_in(&b, "scanner@example.com", "venue");
    b.wait_js(
        "the scanner",
        "return location.hash === '#/scanner'",
        json!([]),
    );
    let nav = b.js(
        "return [...document.querySelectorAll('#nav-list a')].map((a) => a.getAttribute('href'))",
        json!([]),
    );
    assert_eq!(
        nav,
        json!(["#/scanner", "#/manifest"]),
        "venue staff see the scanner and the passenger list only"
    );
    assert_eq!(
        b.js(
            "return document.getElementById('toasts').children.length",
            json!([])
        ),
        0,
        "no message of the admin's session is left over"
    );
    b.find("#function-code option[value=ferry]");
    b.wait_js(
        "the function list",
        "return !document.getElementById('function-code').disabled",
        json!([]),
    );
    b.click("#function-code option[value=ferry]");
    assert_eq!(
        b.js(
            "return document.getElementById('function-code').value",
            json!([])
        ),
        "ferry"
    );
    b.type_into("#qr-token", &voucher);
    b.click("[data-testid=redeem]");
    b.find("[data-testid=scan-result].accepted");
    assert_eq!(
        b.text("[data-testid=scan-result] [data-field=remaining_uses]"),
        "1"
    );
    assert!(b.text("[data-testid=scan-result]").contains("ACCEPTED"));
    b.screenshot("07-scanner-accepted");

    // --- the server agrees
    let (status, t) = api(
        &agent,
        "GET",
        &format!("{base}/api/ota/tickets/{code}"),
        &key,
        None,
    );
    assert_eq!(status, 200);
    let ferry = t["entitlements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["function_code"] == "ferry")
        .expect("a ferry entitlement");
    assert_eq!(ferry["remaining_uses"], 1);

    assert_console_clean(&b, "status of 401");
    drop(b);
    eprintln!(
        "console browser test took {:.1}s; screenshots in {}",
        started.elapsed().as_secs_f64(),
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/screenshots")
            .display()
    );
}
