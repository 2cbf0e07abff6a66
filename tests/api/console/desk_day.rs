//! The desk through the day, in a real browser: the dashboard's vouchers apart from live holds, a
//! staff override of the visit date, lookup by email, a ticket's history and its cancellation,
//! the refund queue, an order, printing vouchers (A4 and 80 mm receipts, checked in the PDF), a
//! ZIP download's progress, and the audit log by action name. Each new screen is photographed at
//! desktop and phone size.

use std::io::Read;

use serde_json::json;

use super::browser::*;
use super::pier::*;
use super::steps::*;
use crate::helpers::*;

#[test]
fn the_desk_through_the_day() {
    let Some((chromedriver, chromium)) = browser_binaries() else {
        return;
    };
    let d = Day::begins();
    let Day {
        server,
        family,
        child,
        adult_code,
        later_token,
        bid,
        sold_voucher,
        refund_order,
    } = &d;
    // The child boarded the ferry at 7 am.
    let scan = json!({"qr_token": child["qr_token"], "function_code": "ferry"});
    let (s, _) = server.call(
        "POST",
        "/venue/redeem",
        &bearer(server, "scanner@example.com"),
        Some(&scan),
        &[],
    );
    assert_eq!(s, 200);
    let b = Browser::start(&chromedriver, &chromium);
    let go = |hash: &str| go(&b, hash);
    d.sign_in(&b, "desk@example.com", "staff");
    let (_, inv) = server.call(
        "GET",
        "/api/admin/inventory",
        &bearer(server, "desk@example.com"),
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
    b.type_into("#qr-token", later_token);
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
        &bearer(server, "desk@example.com"),
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
        sold_voucher,
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
    assert_console_clean(&b, "status of 4");
}
