//! A day at the pier in a real browser. The venue scanner, on a phone whose browser has no
//! BarcodeDetector, scans a child's ticket with the (fake) camera — the frame is read by the
//! server — and sees who the ticket is for; a ticket for another day is refused in plain words;
//! the passenger list matches the API. Then staff: the dashboard's vouchers, a visit-date
//! override, lookup, a ticket's history and its cancellation, the refund queue, an order, printing
//! vouchers (A4 and 80 mm receipts, checked in the PDF), a ZIP download's progress, and the audit
//! log by action name. Every new screen is photographed at desktop and phone size.

use std::io::Read;

use gangway::domain::users::Role;
use serde_json::{json, Value};

use super::browser::*;
use crate::helpers::*;

/// One paid order of `product` for these customer types, visiting on `date`: its answer.
fn sell(
    server: &Server,
    key: &Cred,
    product: i64,
    types: &[(&str, i64)],
    date: &str,
    holder: (&str, &str),
) -> Value {
    let n: i64 = types.iter().map(|(_, n)| n).sum();
    let (s, r) = server.call(
        "POST",
        "/api/ota/reserve",
        key,
        Some(&json!({"product_id": product, "quantity": n})),
        &[],
    );
    assert_eq!(s, 201, "{r}");
    let breakdown: Vec<Value> = types
        .iter()
        .map(|(t, n)| json!({"customer_type": t, "count": n}))
        .collect();
    let body = json!({"reservation_id": r["reservation_id"], "customer_details": {"name": holder.0, "email": holder.1},
        "pricing_context": {"visit_date": date, "customer_breakdown": breakdown}});
    let (s, o) = server.call("POST", "/api/ota/orders", key, Some(&body), &[]);
    assert_eq!(s, 201, "{o}");
    let pay = json!({"order_id": o["order_id"], "payment_reference": format!("PAY-{}", o["order_id"].as_str().unwrap())});
    let (s, paid) = server.call("POST", "/api/ota/activate", key, Some(&pay), &[]);
    assert_eq!(s, 200, "{paid}");
    paid
}

/// An order paid after its hold expired and its units went to someone else: REFUND_REQUIRED.
fn order_owed_a_refund(server: &Server, key: &Cred) -> String {
    let hold = json!({"product_id": 108, "quantity": 1500});
    let (_, r) = server.call("POST", "/api/ota/reserve", key, Some(&hold), &[]);
    let rid = r["reservation_id"].as_str().unwrap().to_owned();
    let body = json!({"reservation_id": rid, "customer_details": {"name": "Late Payer", "email": "late@example.com"},
        "pricing_context": {"visit_date": weekday_ahead(), "customer_breakdown": [{"customer_type": "adult", "count": 1500}]}});
    let (_, o) = server.call("POST", "/api/ota/orders", key, Some(&body), &[]);
    server.sql(&format!(
        "UPDATE reservations SET reserved_until = '2020-01-01T00:00:00Z' WHERE id = '{rid}'"
    ));
    let (s, _) = server.call("POST", "/api/ota/reserve", key, Some(&hold), &[]);
    assert_eq!(s, 201);
    let note = json!({"order_id": o["order_id"], "payment_reference": "GW-LATE-1", "status": "SUCCESS",
        "amount_cents": o["payment_required"]["amount_cents"], "currency": "USD"});
    let raw = serde_json::to_vec(&note).unwrap();
    let sig = signature(&raw, now_unix());
    let (s, n) = server.call(
        "POST",
        "/payments/notify",
        &Cred::None,
        Some(&note),
        &[("X-Gangway-Signature", &sig)],
    );
    assert_eq!(
        (s, n["order_status"].as_str()),
        (200, Some("REFUND_REQUIRED")),
        "{n}"
    );
    o["order_id"].as_str().unwrap().to_owned()
}

/// A Y4M video (what Chromium's fake camera plays, looped) of a QR code held up on a grey card:
/// `YUV4MPEG2` header, then frames of planar Y, U and V (4:2:0, so U and V are quarter size).
fn fake_camera_of(token: &str, path: &std::path::Path) {
    let png = gangway::domain::qr::png(token).unwrap();
    let code = image::load_from_memory(&png).unwrap().to_luma8();
    let (w, h) = (640u32, 480u32);
    let mut y = image::GrayImage::from_pixel(w, h, image::Luma([200]));
    image::imageops::overlay(
        &mut y,
        &code,
        i64::from((w - code.width()) / 2),
        i64::from((h - code.height()) / 2),
    );
    let mut out = format!("YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n").into_bytes();
    for _ in 0..2 {
        out.extend_from_slice(b"FRAME\n");
        out.extend_from_slice(y.as_raw());
        out.extend(std::iter::repeat_n(128u8, (w * h / 2) as usize)); // U then V: no colour
    }
    std::fs::write(path, out).unwrap();
}

fn bearer(server: &Server, email: &str) -> Cred {
    Cred::Bearer(login_token(&http(), &server.base, email))
}

/// The size in millimetres of each page of a PDF, from its `/MediaBox [0 0 w h]` (in points;
/// Chromium writes page dictionaries uncompressed).
fn pdf_pages(pdf: &[u8]) -> Vec<(f64, f64)> {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/MediaBox")
        .map(|(i, _)| {
            let open = text[i..].find('[').unwrap() + i + 1;
            let close = text[open..].find(']').unwrap() + open;
            let n: Vec<f64> = text[open..close]
                .split_whitespace()
                .map(|v| v.parse().unwrap())
                .collect();
            let mm = |pt: f64| pt * 25.4 / 72.0;
            (mm(n[2] - n[0]), mm(n[3] - n[1]))
        })
        .collect()
}

/// Within a millimetre.
fn about(v: f64, mm: f64) -> bool {
    (v - mm).abs() < 1.0
}

#[test]
fn a_day_at_the_pier_in_a_real_browser() {
    let Some((chromedriver, chromium)) = browser_binaries() else {
        return;
    };
    let server = Server::start();
    let db = server.db();
    let partner = new_partner(&db, "Harbour Travel");
    let key = Cred::Key(partner.key.clone());
    for (email, role) in [
        ("scanner@example.com", Role::Venue),
        ("desk@example.com", Role::Staff),
    ] {
        create_user(&server, email, role);
    }
    let day = today();
    let family = sell(
        &server,
        &key,
        106,
        &[("adult", 2), ("child", 1)],
        &day,
        ("Mei Chen", "chan@example.com"),
    );
    let family_tickets = family["tickets"].as_array().unwrap().clone();
    let child = family_tickets
        .iter()
        .find(|t| t["customer_type"] == "child")
        .unwrap()
        .clone();
    let adult_code = family_tickets
        .iter()
        .find(|t| t["customer_type"] == "adult")
        .unwrap()["ticket_code"]
        .as_str()
        .unwrap()
        .to_owned();
    sell(
        &server,
        &key,
        107,
        &[("elderly", 1)],
        &day,
        ("Ana Lopes", "ana@example.com"),
    );
    let later = sell(
        &server,
        &key,
        106,
        &[("adult", 1)],
        &weekday_ahead(),
        ("Wai Lun", "wl@example.com"),
    );
    let later_token = later["tickets"][0]["qr_token"].as_str().unwrap().to_owned();
    let (_, batch) = server.call(
        "POST",
        "/api/ota/tickets/bulk-generate",
        &key,
        Some(&json!({"product_id": 106, "quantity": 5, "distribution_mode": "reseller_batch"})),
        &[],
    );
    let bid = batch["batch_id"].as_str().unwrap().to_owned();
    let sold_voucher = batch["tickets"][0]["ticket_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let sale = json!({"customer_details": {"name": "Kiosk Buyer", "email": "kb@example.com"}, "customer_type": "student", "visit_date": weekday_ahead()});
    let (s, _) = server.call(
        "POST",
        &format!("/api/ota/tickets/{sold_voucher}/activate"),
        &key,
        Some(&sale),
        &[],
    );
    assert_eq!(s, 200);
    let refund_order = order_owed_a_refund(&server, &key);

    // The fake camera films the child's live QR code; BarcodeDetector is taken away, so the
    // scanner must send frames to the server.
    let video = server.dir.path().join("camera.y4m");
    fake_camera_of(child["qr_token"].as_str().unwrap(), &video);
    let b = Browser::start_with(
        &chromedriver,
        &chromium,
        &[
            "--use-fake-ui-for-media-stream".into(),
            "--use-fake-device-for-media-stream".into(),
            format!("--use-file-for-fake-video-capture={}", video.display()),
        ],
    );
    b.before_each_page("delete window.BarcodeDetector;");
    let base = server.base.clone();
    let go = |hash: &str| b.js("location.hash = arguments[0]", json!([hash]));

    // ---------- 7 am, the pier: a venue scanner on a phone ----------
    b.phone();
    b.goto(&format!("{base}/"));
    log_in(&b, "scanner@example.com", "venue");
    b.wait_js(
        "the scanner",
        "return location.hash === '#/scanner'",
        json!([]),
    );
    assert_eq!(b.js("return 'BarcodeDetector' in window", json!([])), false);
    assert_eq!(
        b.js(
            "return document.getElementById('override-visit-date')",
            json!([])
        ),
        Value::Null,
        "no override for venue scanners"
    );
    b.wait_js(
        "the functions",
        "return !document.getElementById('function-code').disabled",
        json!([]),
    );
    b.click("#function-code option[value=ferry]");
    b.click("[data-testid=scan-camera]");
    b.find("[data-testid=scan-result].accepted");
    assert_eq!(
        b.js(
            "return document.querySelector('video.camera').dataset.mode",
            json!([])
        ),
        "server"
    );
    let shown = b.text("[data-testid=scan-result]");
    for expected in [
        "ACCEPTED",
        "CHILD",
        "Mei Chen",
        "Premium Plan",
        &format!("{day} · today"),
        "1 of 2 left",
    ] {
        assert!(shown.contains(expected), "{expected:?} not in {shown}");
    }
    b.find("[data-testid=scan-result] .ctype-child[data-customer-type=child]");
    assert_eq!(
        b.text("[data-testid=scan-result] [data-field=remaining_uses]"),
        "1"
    );
    assert_eq!(
        server.scalar("SELECT COUNT(*) FROM redemptions"),
        1,
        "one frame redeemed once"
    );
    b.both_sizes(
        "venue-01-scanner-camera",
        "[data-testid=scan-result].accepted",
    );

    // A ticket for another day: refused, in words, with the code small underneath.
    b.phone();
    b.type_into("#qr-token", &later_token);
    b.click("[data-testid=redeem]");
    b.find("[data-testid=scan-result].refused");
    let refusal = b.text("[data-testid=refusal]");
    assert!(
        refusal.starts_with(&format!("This ticket is for {}", weekday_ahead())),
        "{refusal}"
    );
    assert_eq!(b.text("[data-testid=refusal-code]"), "WRONG_VISIT_DATE");
    assert!(b
        .text("[data-testid=scan-result] [data-field=visit_date]")
        .contains("not yet"));
    b.both_sizes(
        "venue-02-scanner-refused",
        "[data-testid=scan-result].refused",
    );

    // The passenger list, as the API has it.
    go("#/manifest");
    b.find("[data-testid=manifest-groups]");
    let (_, m) = server.call(
        "GET",
        "/api/admin/manifest",
        &bearer(&server, "scanner@example.com"),
        None,
        &[],
    );
    assert_eq!(m["totals"]["tickets"], 4);
    for (k, v) in m["totals"].as_object().unwrap() {
        assert_eq!(
            b.text(&format!("[data-total={k}] .total-value")),
            v.to_string(),
            "total {k}"
        );
    }
    for g in m["groups"].as_array().unwrap() {
        let row = format!(
            "[data-testid=manifest-groups] tr[data-product=\"{}\"][data-customer-type=\"{}\"]",
            g["product_id"],
            g["customer_type"].as_str().unwrap()
        );
        for f in ["tickets", "redeemed", "not_yet"] {
            assert_eq!(
                b.text(&format!("{row} td[data-field={f}]")),
                g[f].to_string(),
                "{row} {f}"
            );
        }
    }
    let rows = b.js(
        "return document.querySelectorAll('[data-testid=manifest-passengers] tbody tr').length",
        json!([]),
    );
    assert_eq!(rows, json!(m["passengers"].as_array().unwrap().len()));
    b.find(&format!(
        "[data-testid=manifest-passengers] tr[data-ticket=\"{}\"][data-redeemed=true]",
        child["ticket_code"].as_str().unwrap()
    ));
    let csv = b.js(
        "return document.querySelector('[data-testid=manifest-csv]').getAttribute('href')",
        json!([]),
    );
    assert_eq!(csv, format!("/api/admin/manifest.csv?date={day}"));
    b.both_sizes("venue-03-passengers", "[data-testid=manifest-passengers]");
    assert_no_error(&b);

    // ---------- the desk: staff ----------
    b.desktop();
    b.click("[data-testid=logout]");
    b.find("#email");
    log_in(&b, "desk@example.com", "staff");
    let (_, inv) = server.call(
        "GET",
        "/api/admin/inventory",
        &bearer(&server, "desk@example.com"),
        None,
        &[],
    );
    let premium = inv["inventory"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["product_id"] == 106 && r["channel"] == "ota")
        .unwrap()
        .clone();
    assert_eq!(premium["pre_generated"], 4);
    let cell = "tr[data-product=\"106\"][data-channel=\"ota\"]";
    assert_eq!(b.text(&format!("{cell} td[data-field=pre_generated]")), "4");
    assert!(b
        .text(&format!("{cell} [data-field=vouchers-pct]"))
        .contains("vouchers"));
    b.screenshot("venue-04-dashboard-desktop");

    // Staff may let the later ticket in today, and are told they did.
    go("#/scanner");
    b.wait_js(
        "the functions",
        "return !document.getElementById('function-code').disabled",
        json!([]),
    );
    b.click("#function-code option[value=buffet]");
    b.type_into("#qr-token", &later_token);
    b.click("#override-visit-date");
    b.click("[data-testid=redeem]");
    b.find("[data-testid=scan-result].accepted [data-testid=overridden]");
    assert_eq!(
        b.js(
            "return document.getElementById('override-visit-date').checked",
            json!([])
        ),
        false,
        "decided scan by scan"
    );

    // Lookup by the booking email; the refund queue below it.
    go("#/lookup");
    b.type_into("#lookup-q", "CHAN@example.com");
    b.click("[data-testid=lookup-submit]");
    b.find("[data-testid=lookup-tickets]");
    assert_eq!(
        b.js(
            "return document.querySelectorAll('[data-testid=lookup-tickets] tbody tr').length",
            json!([])
        ),
        3
    );
    b.find(&format!(
        "[data-testid=lookup-orders] tr[data-order=\"{}\"]",
        family["order_id"].as_str().unwrap()
    ));
    b.find(&format!(
        "[data-testid=refund-queue] tr[data-order=\"{refund_order}\"]"
    ));
    b.both_sizes("venue-05-lookup", "[data-testid=lookup-tickets]");
    assert_no_error(&b);

    // The child's history names the scanner; the unused adult ticket is cancelled for the guest.
    b.click(&format!(
        "[data-testid=lookup-tickets] tr[data-ticket=\"{}\"] a",
        child["ticket_code"].as_str().unwrap()
    ));
    b.find("[data-testid=ticket-history] li[data-kind=redeemed]");
    assert!(b
        .text("[data-testid=ticket-history] li[data-kind=redeemed]")
        .contains("by scanner@example.com"));
    go(&format!("#/tickets/{adult_code}"));
    b.type_into("#cancel-reason", "guest missed the boat");
    b.click("[data-testid=cancel-ticket]");
    b.accept_dialog();
    b.find("[data-testid=ticket-history] li[data-kind=cancelled]");
    let cancelled = b.text("[data-testid=ticket-history] li[data-kind=cancelled]");
    assert!(
        cancelled.contains("Reason: guest missed the boat.")
            && cancelled.contains("by desk@example.com"),
        "{cancelled}"
    );
    let (_, t) = server.call(
        "GET",
        &format!("/api/admin/tickets/{adult_code}"),
        &bearer(&server, "desk@example.com"),
        None,
        &[],
    );
    assert_eq!(t["ticket"]["status"], "CANCELLED");
    b.both_sizes("venue-06-ticket", "[data-testid=ticket-history]");
    assert_no_error(&b);

    // The family's order, and its tickets as vouchers (the cancelled one left out).
    go(&format!(
        "#/orders/{}",
        family["order_id"].as_str().unwrap()
    ));
    b.find("[data-testid=order-tickets]");
    b.both_sizes("venue-07-order", "[data-testid=order-tickets]");
    assert_no_error(&b);
    b.click("[data-testid=print-order]");
    b.find("[data-testid=voucher-sheet] article.voucher");
    assert_eq!(
        b.js(
            "return document.querySelectorAll('article.voucher').length",
            json!([])
        ),
        2
    );

    // The batch's vouchers: QR, code, package, entitlements, validity; A4 and receipt paper.
    go(&format!("#/print/batch/{bid}"));
    b.wait_js(
        "five vouchers with their QR codes drawn",
        "const v = document.querySelectorAll('article.voucher'); return v.length === 5 && [...document.querySelectorAll('img.v-qr')].every((i) => i.complete && i.naturalWidth > 0)",
        json!([]),
    );
    let sheet = b.text("[data-testid=voucher-sheet]");
    for expected in [
        "Premium Plan",
        "Ferry ride (round trip) × 2",
        "Buffet lunch × 1",
        &format!("Valid on {} only", weekday_ahead()),
        "Open date: valid once sold (sell by",
        &sold_voucher,
        "STUDENT",
    ] {
        assert!(sheet.contains(expected), "{expected:?} not on the sheet");
    }
    b.cdp("Emulation.setEmulatedMedia", json!({"media": "print"}));
    let hidden = b.js("return ['.topbar', '.print-controls', '.crumbs'].map((s) => getComputedStyle(document.querySelector(s)).display)", json!([]));
    assert_eq!(
        hidden,
        json!(["none", "none", "none"]),
        "only the vouchers print"
    );
    let clipped = b.js(
        "return [...document.querySelectorAll('article.voucher')].filter((v) => v.scrollHeight > v.clientHeight + 1).length",
        json!([]),
    );
    assert_eq!(clipped, 0, "every voucher fits its place on the A4 sheet");
    b.screenshot("venue-08-print-a4-as-printed");
    b.cdp("Emulation.setEmulatedMedia", json!({"media": ""}));
    let a4 = pdf_pages(&b.pdf());
    assert_eq!(a4.len(), 1, "5 vouchers fit one A4 page: {a4:?}");
    assert!(about(a4[0].0, 210.0) && about(a4[0].1, 297.0), "A4: {a4:?}");
    b.both_sizes(
        "venue-08-print",
        "[data-testid=voucher-sheet] article.voucher",
    );
    assert_no_error(&b);
    b.click("#print-layout option[value=receipt]");
    b.wait_js("the receipt layout", "return document.body.classList.contains('print-receipt') && document.querySelectorAll('article.voucher').length === 5", json!([]));
    let slips = pdf_pages(&b.pdf());
    assert_eq!(slips.len(), 5, "one voucher per receipt slip: {slips:?}");
    assert!(
        slips
            .iter()
            .all(|(w, h)| about(*w, 80.0) && about(*h, 150.0)),
        "80 mm slips: {slips:?}"
    );

    // The batch ZIP, with its progress.
    go(&format!("#/batches/{bid}"));
    b.click("[data-testid=download-zip]");
    b.wait_js(
        "the download to finish",
        "return document.querySelector('[data-testid=download-status]').dataset.done === 'true'",
        json!([]),
    );
    assert!(b
        .text("[data-testid=download-status]")
        .starts_with("Downloaded "));
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(b.downloaded()).unwrap()).expect("a ZIP");
    let mut manifest = String::new();
    zip.by_name("manifest.csv")
        .unwrap()
        .read_to_string(&mut manifest)
        .unwrap();
    assert!(
        manifest.starts_with('\u{feff}') && manifest.contains(",Premium Plan,"),
        "{manifest}"
    );

    // The audit log by an action's name, with who did it.
    go("#/audit?action=Ticket%20cancelled");
    b.find("[data-testid=audit-table] tr[data-audit]");
    assert_eq!(
        b.text("[data-testid=audit-table] tr[data-audit] td[data-field=actor]"),
        "desk@example.com"
    );
    assert!(b
        .text("[data-testid=audit-table] tr[data-audit] td[data-field=action]")
        .starts_with("Ticket cancelled"));
    assert_no_error(&b);

    // Refusals and frames without a code answer 4xx by design; nothing else may fail.
    let errors: Vec<String> = b
        .console_log()
        .into_iter()
        .filter(|l| l.starts_with("SEVERE") && !l.contains("status of 4"))
        .collect();
    assert!(errors.is_empty(), "browser console errors: {errors:#?}");
}
