//! 7 am at the pier, in a real browser on a phone whose browser has no BarcodeDetector: the venue
//! scanner scans a child's ticket with the (fake) camera — the frame is read by the server — and
//! sees who the ticket is for; a ticket for another day is refused in plain words; the passenger
//! list matches the API. Each screen is photographed at desktop and phone size.

use serde_json::{json, Value};

use super::browser::*;
use super::pier::*;
use super::steps::*;
use crate::helpers::*;

#[test]
fn the_pier_at_7_am_on_a_phone() {
    let Some((chromedriver, chromium)) = browser_binaries() else {
        return;
    };
    let d = Day::begins();
    let Day {
        server,
        child,
        later_token,
        ..
    } = &d;
    let day = today();
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
    let go = |hash: &str| go(&b, hash);

    b.phone();
    d.sign_in(&b, "scanner@example.com", "venue");
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
    b.type_into("#qr-token", later_token);
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
        &bearer(server, "scanner@example.com"),
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
}
