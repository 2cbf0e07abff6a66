//! The day's fixtures for the browser tests of the pier and the desk: a partner's sales for today
//! and another day (a family with a child, an elderly guest, a later visit), a batch with one
//! voucher sold, an order owed a refund; a fake camera filming a ticket; PDF page sizes.

use gangway::domain::users::Role;
use serde_json::{json, Value};

use super::browser::*;
use super::steps::*;
use crate::helpers::*;

/// What the day starts with.
pub struct Day {
    pub server: Server,
    pub family: Value,
    pub child: Value,
    pub adult_code: String,
    pub later_token: String,
    pub bid: String,
    pub sold_voucher: String,
    pub refund_order: String,
}

impl Day {
    pub fn begins() -> Day {
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
        let of_type = |t: &str| {
            family["tickets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["customer_type"] == t)
                .unwrap()
                .clone()
        };
        let (child, adult_code) = (of_type("child"), text_of(&of_type("adult"), "ticket_code"));
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
        let later_token = text_of(&later["tickets"][0], "qr_token");
        let new_batch =
            json!({"product_id": 106, "quantity": 5, "distribution_mode": "reseller_batch"});
        let (_, batch) = server.call(
            "POST",
            "/api/ota/tickets/bulk-generate",
            &key,
            Some(&new_batch),
            &[],
        );
        let sold_voucher = text_of(&batch["tickets"][0], "ticket_code");
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
        Day {
            bid: text_of(&batch, "batch_id"),
            server,
            family,
            child,
            adult_code,
            later_token,
            sold_voucher,
            refund_order,
        }
    }

    /// The console, signed in as `email`.
    pub fn sign_in(&self, b: &Browser, email: &str, role: &str) {
        b.goto(&format!("{}/", self.server.base));
        log_in(b, email, role);
    }
}

/// Goes to a route of the console.
pub fn go(b: &Browser, hash: &str) {
    b.js("location.hash = arguments[0]", json!([hash]));
}

/// One paid order of `product` for these customer types, visiting on `date`: its answer.
pub fn sell(
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
pub fn order_owed_a_refund(server: &Server, key: &Cred) -> String {
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
pub fn fake_camera_of(token: &str, path: &std::path::Path) {
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

pub fn bearer(server: &Server, email: &str) -> Cred {
    Cred::Bearer(login_token(&http(), &server.base, email))
}

/// The size in millimetres of each page of a PDF, from its `/MediaBox [0 0 w h]` (in points;
/// Chromium writes page dictionaries uncompressed).
pub fn pdf_pages(pdf: &[u8]) -> Vec<(f64, f64)> {
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
pub fn about(v: f64, mm: f64) -> bool {
    (v - mm).abs() < 1.0
}
