//! The OCTO supplier API under `/octo` (issue 18): what a reseller sees (`flows`), one inventory
//! with the classic OTA API under concurrency (`races`), and every kind of bad input refused in
//! OCTO's shape with nothing held (`refusals`).

mod flows;
mod races;
mod refusals;

use rocket::http::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// Asserts an OCTO error: this HTTP status and `error` code, a message, JSON.
#[track_caller]
pub fn octo_error(r: Resp, status: u16, code: &str) -> Resp {
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (status, Some(code)),
        "body: {}",
        r.body
    );
    assert!(
        r.body["errorMessage"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        r.body
    );
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert!(r.body.get("code").is_none(), "not problem+json: {}", r.body);
    r
}

/// An OCTO refusal: HTTP 400 with this code.
#[track_caller]
pub fn refused(r: Resp, code: &str) -> Resp {
    octo_error(r, 400, code)
}

/// A confirmation with a contact, as a reseller sends it.
pub fn confirm(app: &TestApp, p: &TestPartner, uuid: &str, body: &Value) -> Resp {
    app.octo(p, Method::Post, &format!("/bookings/{uuid}/confirm"))
        .json(body)
        .send()
}

pub fn guest() -> Value {
    json!({"contact": {"firstName": "Mei", "lastName": "Chen", "fullName": "Mei Chen",
        "emailAddress": "mei@example.com", "notes": "Window seat"}, "resellerReference": "RES-1"})
}

/// The OCTO booking uuid of an answer.
#[track_caller]
pub fn uuid_of(r: &Resp) -> String {
    r.text("uuid")
}

/// The reservation underneath an OCTO booking.
pub fn reservation_of(app: &TestApp, uuid: &str) -> String {
    app.db()
        .read(|c| {
            Ok(c.query_row(
                "SELECT reservation_id FROM octo_bookings WHERE uuid = ?1",
                [uuid],
                |r| r.get(0),
            )?)
        })
        .unwrap()
}

/// The QR codes of a confirmed booking's unit items.
#[track_caller]
pub fn qr_codes(booking: &Value) -> Vec<String> {
    booking["unitItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let option = &u["ticket"]["deliveryOptions"][0];
            assert_eq!(option["deliveryFormat"], "QRCODE", "{u}");
            option["deliveryValue"].as_str().unwrap().to_owned()
        })
        .collect()
}
