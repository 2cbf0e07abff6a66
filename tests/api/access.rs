//! The access-control matrix: every mounted route, asked by every kind of credential, answers as
//! one table says. The objects in the paths are real and belong to partner A or to customer A, so
//! a wrong answer cannot hide behind "not found".

use std::collections::{BTreeMap, BTreeSet};

use gangway::domain::users::Role;
use rocket::http::{ContentType, Method};
use serde_json::{json, Value};

use crate::helpers::*;

/// The credential kinds, in the column order of [`MATRIX`].
pub const CREDS: [&str; 11] = [
    "none",
    "forged key",
    "forged bearer",
    "key A",
    "key B",
    "revoked key",
    "suspended key",
    "customer",
    "venue",
    "staff",
    "admin",
];
/// Columns whose answers must never mention one of A's objects.
const OUTSIDERS: [usize; 7] = [0, 1, 2, 4, 5, 6, 7];

const RESERVE: &str = r#"{"product_id":106,"quantity":1}"#;
const OTA_ORDER: &str = r#"{"reservation_id":"{res_ord}","customer_details":{"name":"Mei Chen","email":"mei@example.com"},"pricing_context":{"visit_date":"{visit}","customer_breakdown":[{"customer_type":"adult","count":1}]}}"#;
const ACTIVATE: &str = r#"{"order_id":"{order_pending}","payment_reference":"PAY-MATRIX"}"#;
const BULK: &str = r#"{"product_id":106,"quantity":1,"distribution_mode":"direct_sale"}"#;
const SELL_PRE: &str = r#"{"customer_details":{"name":"Ana","email":"ana@example.com"},"customer_type":"adult","visit_date":"{visit}"}"#;
const RESELLER: &str = r#"{"reseller_code":"MATRIX-1","reseller_name":"Matrix Kiosk"}"#;
const RESELLER_PATCH: &str = r#"{"region":"Kowloon"}"#;
const REDEEM: &str =
    r#"{"qr_token":"{live_token}","function_code":"buffet","scan_id":"matrix-scan"}"#;
/// A camera frame showing this token's QR code (sent as `image/png`, see [`body_of`]).
const FRAME: &str = "frame:{live_token}";
const NOTIFY: &str = r#"{"order_id":"{order_pending}","payment_reference":"GW-M","status":"SUCCESS","amount_cents":28800,"currency":"USD"}"#;
const DIRECT_ORDER: &str =
    r#"{"visit_date":"{visit}","items":[{"product_id":106,"customer_type":"adult","count":1}]}"#;
const REGISTER_TAKEN: &str =
    r#"{"email":"customer@example.com","password":"long enough password"}"#;
const LOGIN: &str = r#"{"email":"customer@example.com","password":"correct horse battery"}"#;
const NEW_PARTNER: &str = r#"{"name":"Matrix Partner"}"#;
const PARTNER_ACTIVE: &str = r#"{"status":"active"}"#;
const NEW_KEY: &str = r#"{"label":"matrix"}"#;
const NEW_USER: &str =
    r#"{"email":"matrix@example.com","password":"matrix password 1","role":"venue"}"#;
const USER_PATCH: &str = r#"{"name":"Matrix Target"}"#;
/// A wrong current password: 422 for whoever is logged in, and no fixture's password changes.
const PASSWORD_CHANGE: &str =
    r#"{"current_password":"not the password","new_password":"another long password"}"#;
/// The seeded split of package 106: an allowed, unchanged allocation.
const ALLOCATE: &str = r#"{"capacity":5000,"allocations":{"direct":3000,"ota":2000}}"#;
const HOLIDAY: &str = r#"{"name":"Matrix Day"}"#;
const DESK_CANCEL: &str = r#"{"reason":"guest changed plans"}"#;
const OCTO_DATES: &str = r#"{"productId":"106","optionId":"DEFAULT","localDateStart":"{visit}","localDateEnd":"{visit}"}"#;
const OCTO_RESERVE: &str = r#"{"productId":"106","optionId":"DEFAULT","availabilityId":"{visit}T00:00:00+00:00","unitItems":[{"unitId":"adult"}]}"#;
const OCTO_PATCH: &str = r#"{"notes":"Matrix note"}"#;
const OCTO_EXTEND: &str = r#"{"expirationMinutes":20}"#;
const OCTO_CONFIRM: &str = r#"{"contact":{"fullName":"Matrix Guest"}}"#;
const OCTO_CANCEL: &str = r#"{"reason":"Matrix"}"#;

type Row = (Method, &'static str, Option<&'static str>, [u16; 11]);

/// Route, body, and the expected status for each credential kind (columns as in [`CREDS`]).
/// `{name}` is a fixture id (see [`World::build`]). Writes are sent with bodies valid for the
/// permitted credential, so its column shows the success status; the others must be refused
/// before anything happens. Another partner naming one of A's objects in a *body* gets 422
/// (`reservation_id`/`order_id`/`reseller_id` "no such ..."), as everywhere in the OTA API.
#[rustfmt::skip]
pub const MATRIX: &[Row] = &[
    //                                                                          none fkey fbea keyA keyB revk susp cust venu staf admn
    // Public: credentials are ignored.
    (Method::Get,    "/health",                                   None,                 [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    (Method::Get,    "/api/catalog",                              None,                 [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    (Method::Get,    "/openapi.json",                             None,                 [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    (Method::Get,    "/",                                         None,                 [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    (Method::Get,    "/{asset}",                                  None,                 [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    (Method::Post,   "/api/auth/register",                        Some(REGISTER_TAKEN), [409, 409, 409, 409, 409, 409, 409, 409, 409, 409, 409]),
    (Method::Post,   "/api/auth/login",                           Some(LOGIN),          [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    // The payment webhook authenticates by signature only (none here): 401 whoever calls.
    (Method::Post,   "/payments/notify",                          Some(NOTIFY),         [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401]),
    // Any logged-in user.
    (Method::Get,    "/api/me",                                   None,                 [401, 401, 401, 401, 401, 401, 401, 200, 200, 200, 200]),
    (Method::Post,   "/api/auth/logout",                          None,                 [401, 401, 401, 401, 401, 401, 401, 200, 200, 200, 200]),
    // OTA: API key only; bearer tokens are not OTA credentials.
    (Method::Get,    "/api/ota/inventory",                        None,                 [401, 401, 401, 200, 200, 403, 403, 401, 401, 401, 401]),
    (Method::Post,   "/api/ota/reserve",                          Some(RESERVE),        [401, 401, 401, 201, 201, 403, 403, 401, 401, 401, 401]),
    (Method::Get,    "/api/ota/reservations/{res}",               None,                 [401, 401, 401, 200, 404, 403, 403, 401, 401, 401, 401]),
    (Method::Delete, "/api/ota/reservations/{res_del}",           None,                 [401, 401, 401, 200, 404, 403, 403, 401, 401, 401, 401]),
    (Method::Post,   "/api/ota/orders",                           Some(OTA_ORDER),      [401, 401, 401, 201, 422, 403, 403, 401, 401, 401, 401]),
    (Method::Get,    "/api/ota/orders/{order}",                   None,                 [401, 401, 401, 200, 404, 403, 403, 401, 401, 401, 401]),
    (Method::Post,   "/api/ota/activate",                         Some(ACTIVATE),       [401, 401, 401, 200, 422, 403, 403, 401, 401, 401, 401]),
    (Method::Get,    "/api/ota/tickets",                          None,                 [401, 401, 401, 200, 200, 403, 403, 401, 401, 401, 401]),
    (Method::Get,    "/api/ota/tickets?batch_id={batch}",         None,                 [401, 401, 401, 200, 200, 403, 403, 401, 401, 401, 401]),
    (Method::Get,    "/api/ota/tickets/{ticket}",                 None,                 [401, 401, 401, 200, 404, 403, 403, 401, 401, 401, 401]),
    (Method::Post,   "/api/ota/tickets/bulk-generate",            Some(BULK),           [401, 401, 401, 201, 201, 403, 403, 401, 401, 401, 401]),
    (Method::Post,   "/api/ota/tickets/{pre}/activate",           Some(SELL_PRE),       [401, 401, 401, 200, 404, 403, 403, 401, 401, 401, 401]),
    (Method::Post,   "/api/ota/tickets/{ticket_cancel}/cancel",   None,                 [401, 401, 401, 200, 404, 403, 403, 401, 401, 401, 401]),
    (Method::Get,    "/api/ota/batches",                          None,                 [401, 401, 401, 200, 200, 403, 403, 401, 401, 401, 401]),
    (Method::Get,    "/api/ota/batches/{batch}",                  None,                 [401, 401, 401, 200, 404, 403, 403, 401, 401, 401, 401]),
    (Method::Get,    "/api/ota/batches/{batch}/archive.zip",      None,                 [401, 401, 401, 200, 404, 403, 403, 401, 401, 401, 401]),
    (Method::Get,    "/api/ota/resellers",                        None,                 [401, 401, 401, 200, 200, 403, 403, 401, 401, 401, 401]),
    (Method::Post,   "/api/ota/resellers",                        Some(RESELLER),       [401, 401, 401, 201, 201, 403, 403, 401, 401, 401, 401]),
    (Method::Get,    "/api/ota/resellers/{reseller}",             None,                 [401, 401, 401, 200, 404, 403, 403, 401, 401, 401, 401]),
    (Method::Patch,  "/api/ota/resellers/{reseller}",             Some(RESELLER_PATCH), [401, 401, 401, 200, 404, 403, 403, 401, 401, 401, 401]),
    (Method::Delete, "/api/ota/resellers/{reseller_del}",         None,                 [401, 401, 401, 200, 404, 403, 403, 401, 401, 401, 401]),
    (Method::Get,    "/api/ota/billing/summary",                  None,                 [401, 401, 401, 200, 200, 403, 403, 401, 401, 401, 401]),
    (Method::Get,    "/api/ota/billing/summary?reseller_id={reseller}", None,           [401, 401, 401, 200, 422, 403, 403, 401, 401, 401, 401]),
    // QR: the owning partner's key or the owning customer's bearer; anyone else authenticated: 404.
    (Method::Post,   "/qr/{ticket}",                              None,                 [401, 401, 401, 201, 404, 403, 403, 404, 404, 404, 404]),
    (Method::Get,    "/qr/{ticket}/image.png",                    None,                 [401, 401, 401, 200, 404, 403, 403, 404, 404, 404, 404]),
    (Method::Get,    "/qr/{ticket}/info",                         None,                 [401, 401, 401, 200, 404, 403, 403, 404, 404, 404, 404]),
    (Method::Post,   "/qr/{dticket}",                             None,                 [401, 401, 401, 404, 404, 403, 403, 201, 404, 404, 404]),
    (Method::Get,    "/qr/{dticket}/image.png",                   None,                 [401, 401, 401, 404, 404, 403, 403, 200, 404, 404, 404]),
    (Method::Get,    "/qr/{dticket}/info",                        None,                 [401, 401, 401, 404, 404, 403, 403, 200, 404, 404, 404]),
    // Redemption: venue, staff, admin. The scan_id makes the 2nd and 3rd a replay of the 1st.
    (Method::Post,   "/venue/redeem",                             Some(REDEEM),         [401, 401, 401, 401, 401, 401, 401, 403, 200, 200, 200]),
    (Method::Post,   "/venue/scan-image?function_code=ferry&scan_id=matrix-frame", Some(FRAME), [401, 401, 401, 401, 401, 401, 401, 403, 200, 200, 200]),
    (Method::Get,    "/venue/today",                              None,                 [401, 401, 401, 401, 401, 401, 401, 403, 200, 200, 200]),
    // Direct channel: any logged-in user may order (see the report); reads are owner-scoped.
    (Method::Post,   "/api/orders",                               Some(DIRECT_ORDER),   [401, 401, 401, 401, 401, 401, 401, 201, 403, 403, 403]),
    (Method::Get,    "/api/orders/{dorder}",                      None,                 [401, 401, 401, 401, 401, 401, 401, 200, 404, 404, 404]),
    (Method::Get,    "/api/my/tickets",                           None,                 [401, 401, 401, 401, 401, 401, 401, 200, 200, 200, 200]),
    // Admin: staff read, admins write.
    (Method::Post,   "/api/admin/partners",                       Some(NEW_PARTNER),    [401, 401, 401, 401, 401, 401, 401, 403, 403, 403, 201]),
    (Method::Get,    "/api/admin/partners",                       None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 200, 200]),
    (Method::Patch,  "/api/admin/partners/{partner_b}",           Some(PARTNER_ACTIVE), [401, 401, 401, 401, 401, 401, 401, 403, 403, 403, 200]),
    (Method::Post,   "/api/admin/partners/{partner_a}/api-keys",  Some(NEW_KEY),        [401, 401, 401, 401, 401, 401, 401, 403, 403, 403, 201]),
    (Method::Delete, "/api/admin/api-keys/{revoked_key_id}",      None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 403, 200]),
    (Method::Post,   "/api/admin/users",                          Some(NEW_USER),       [401, 401, 401, 401, 401, 401, 401, 403, 403, 403, 201]),
    (Method::Get,    "/api/admin/users",                          None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 403, 200]),
    (Method::Get,    "/api/admin/users/{user}",                   None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 403, 200]),
    (Method::Patch,  "/api/admin/users/{user}",                   Some(USER_PATCH),     [401, 401, 401, 401, 401, 401, 401, 403, 403, 403, 200]),
    (Method::Post,   "/api/admin/users/{user}/reset-password",    None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 403, 200]),
    (Method::Post,   "/api/admin/users/{user}/disable",           None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 403, 200]),
    (Method::Post,   "/api/admin/users/{user}/enable",            None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 403, 200]),
    (Method::Post,   "/api/admin/users/{user}/unlock",            None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 403, 200]),
    (Method::Post,   "/api/me/password",                          Some(PASSWORD_CHANGE), [401, 401, 401, 401, 401, 401, 401, 422, 422, 422, 422]),
    (Method::Get,    "/api/admin/inventory",                      None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 200, 200]),
    (Method::Put,    "/api/admin/inventory/{product}",            Some(ALLOCATE),       [401, 401, 401, 401, 401, 401, 401, 403, 403, 403, 200]),
    (Method::Get,    "/api/admin/reports/reconciliation",         None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 200, 200]),
    (Method::Get,    "/api/admin/reports/sales",                  None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 200, 200]),
    (Method::Get,    "/api/admin/audit",                          None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 200, 200]),
    (Method::Get,    "/api/admin/backups",                        None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 200, 200]),
    // Operations: staff, or a scraper's metrics_token (tested in operations.rs).
    (Method::Get,    "/metrics",                                  None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 200, 200]),
    (Method::Get,    "/api/admin/audit/actions",                  None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 200, 200]),
    (Method::Get,    "/api/admin/batches",                        None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 200, 200]),
    (Method::Get,    "/api/admin/batches/{batch}",                None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 200, 200]),
    (Method::Get,    "/api/admin/batches/{batch}/archive.zip",    None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 200, 200]),
    (Method::Get,    "/api/admin/partners/{partner_a}/resellers", None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 200, 200]),
    (Method::Get,    "/api/admin/partners/{partner_a}/billing/summary", None,           [401, 401, 401, 401, 401, 401, 401, 403, 403, 200, 200]),
    (Method::Get,    "/api/admin/partners/{partner_a}/billing/summary.csv", None,       [401, 401, 401, 401, 401, 401, 401, 403, 403, 200, 200]),
    // The venue's day: the pier reads the passenger list; the desk (staff) does the rest. The
    // second cancellation of the same ticket is refused as a state error.
    (Method::Get,    "/api/admin/manifest",                       None,                 [401, 401, 401, 401, 401, 401, 401, 403, 200, 200, 200]),
    (Method::Get,    "/api/admin/manifest.csv",                   None,                 [401, 401, 401, 401, 401, 401, 401, 403, 200, 200, 200]),
    (Method::Get,    "/api/admin/lookup?q={ticket}",              None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 200, 200]),
    (Method::Get,    "/api/admin/tickets/{ticket}",               None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 200, 200]),
    (Method::Post,   "/api/admin/tickets/{pre_2}/cancel",         Some(DESK_CANCEL),    [401, 401, 401, 401, 401, 401, 401, 403, 403, 200, 409]),
    (Method::Get,    "/api/admin/orders",                         None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 200, 200]),
    (Method::Get,    "/api/admin/orders/{order}",                 None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 200, 200]),
    (Method::Get,    "/api/admin/orders/{order}/vouchers",        None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 200, 200]),
    (Method::Get,    "/api/admin/batches/{batch}/vouchers",       None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 200, 200]),
    (Method::Get,    "/api/admin/holidays",                       None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 200, 200]),
    (Method::Put,    "/api/admin/holidays/{new_holiday}",         Some(HOLIDAY),        [401, 401, 401, 401, 401, 401, 401, 403, 403, 403, 200]),
    (Method::Delete, "/api/admin/holidays/{holiday}",             None,                 [401, 401, 401, 401, 401, 401, 401, 403, 403, 403, 200]),
    // OCTO: the partner's API key as a bearer token (under /octo the key columns send it so); a
    // session token is no key. Another partner's booking is OCTO's 400 INVALID_BOOKING_UUID.
    (Method::Get,    "/octo/supplier",                            None,                 [401, 401, 401, 200, 200, 403, 403, 401, 401, 401, 401]),
    (Method::Get,    "/octo/products",                            None,                 [401, 401, 401, 200, 200, 403, 403, 401, 401, 401, 401]),
    (Method::Get,    "/octo/products/{product}",                  None,                 [401, 401, 401, 200, 200, 403, 403, 401, 401, 401, 401]),
    (Method::Post,   "/octo/availability/calendar",               Some(OCTO_DATES),     [401, 401, 401, 200, 200, 403, 403, 401, 401, 401, 401]),
    (Method::Post,   "/octo/availability",                        Some(OCTO_DATES),     [401, 401, 401, 200, 200, 403, 403, 401, 401, 401, 401]),
    (Method::Post,   "/octo/bookings",                            Some(OCTO_RESERVE),   [401, 401, 401, 200, 200, 403, 403, 401, 401, 401, 401]),
    (Method::Get,    "/octo/bookings?resellerReference=MATRIX-A", None,                 [401, 401, 401, 200, 200, 403, 403, 401, 401, 401, 401]),
    (Method::Get,    "/octo/bookings/{booking}",                  None,                 [401, 401, 401, 200, 400, 403, 403, 401, 401, 401, 401]),
    (Method::Patch,  "/octo/bookings/{booking}",                  Some(OCTO_PATCH),     [401, 401, 401, 200, 400, 403, 403, 401, 401, 401, 401]),
    (Method::Post,   "/octo/bookings/{booking}/extend",           Some(OCTO_EXTEND),    [401, 401, 401, 200, 400, 403, 403, 401, 401, 401, 401]),
    (Method::Post,   "/octo/bookings/{booking_confirm}/confirm",  Some(OCTO_CONFIRM),   [401, 401, 401, 200, 400, 403, 403, 401, 401, 401, 401]),
    (Method::Post,   "/octo/bookings/{booking_cancel}/cancel",    Some(OCTO_CANCEL),    [401, 401, 401, 200, 400, 403, 403, 401, 401, 401, 401]),
];

/// Mounted routes the matrix need not list: the interactive docs' assets.
fn exempt(path: &str) -> bool {
    path == "/docs" || path.starts_with("/docs/")
}

/// A route path with every dynamic segment (`<id>` in Rocket, `{id}` in the matrix) as `*`, and
/// without its query.
fn shape(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    path.split('/')
        .map(|s| {
            if s.starts_with('<') || s.starts_with('{') {
                "*"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Partner A with objects in every state the matrix needs, partner B with its own, a revoked key,
/// a suspended partner, and one user of each role.
pub struct World {
    pub app: TestApp,
    pub a: TestPartner,
    pub b: TestPartner,
    pub revoked_key: String,
    pub suspended_key: String,
    /// user ids: customer, venue, staff, admin
    pub users: [i64; 4],
    /// `{name}` placeholders: A's objects (and a few of B's, prefixed `b_`).
    pub ids: BTreeMap<&'static str, String>,
}

fn id_of(v: &Value, field: &str) -> String {
    match &v[field] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("no {field} in {other}"),
    }
}

impl World {
    pub fn build() -> World {
        // The matrix sends many requests with A's key: no rate limit in the way.
        let app = spawn_app_with(|f| f.merge(("rate_limit_per_minute", 1_000_000)));
        let a = app.partner("Partner A");
        let b = app.partner("Partner B");
        let (revoked_key, revoked_key_id, suspended_key) = app.refused_keys(&a);
        let users = [
            ("customer@example.com", Role::Customer),
            ("venue@example.com", Role::Venue),
            ("staff@example.com", Role::Staff),
            ("admin@example.com", Role::Admin),
        ]
        .map(|(email, role)| new_user(app.db(), email, role));
        let mut ids = BTreeMap::new();
        ids.insert("partner_a", a.partner_id.to_string());
        ids.insert("partner_b", b.partner_id.to_string());
        ids.insert("revoked_key_id", revoked_key_id.to_string());
        ids.insert("visit", weekday_ahead());
        ids.insert("asset", "app.js".to_owned());
        ids.insert("holiday", "2031-12-26".to_owned());
        ids.insert("new_holiday", "2031-01-02".to_owned());
        ids.insert("product", "106".to_owned());
        ids.insert(
            "user",
            new_user(app.db(), "target@example.com", Role::Venue).to_string(),
        );
        app.sql("INSERT INTO holidays (date, name) VALUES ('2031-12-26', 'Boxing Day')");

        for (name, p) in [("res", &a), ("res_del", &a), ("res_ord", &a), ("b_res", &b)] {
            ids.insert(
                name,
                id_of(&app.reserve(p, 106, 1).expect(201).body, "reservation_id"),
            );
        }
        for name in ["order_pending", "order_pending_2"] {
            let held = app.reserve(&a, 106, 1).expect(201).body;
            let pending = app
                .order(&a, &id_of(&held, "reservation_id"), &[("adult", 1)])
                .expect(201);
            ids.insert(name, id_of(&pending.body, "order_id"));
        }

        for name in ["booking", "booking_confirm", "booking_cancel"] {
            let held = app
                .octo_book(&a, "106", &weekday_ahead(), &["adult"])
                .expect(200);
            ids.insert(name, id_of(&held.body, "uuid"));
        }
        let confirmed = app
            .octo_book(&a, "106", &weekday_ahead(), &["adult"])
            .expect(200);
        app.octo(
            &a,
            Method::Post,
            &format!("/bookings/{}/confirm", id_of(&confirmed.body, "uuid")),
        )
        .json(&json!({"contact": {"fullName": "Matrix A"}, "resellerReference": "MATRIX-A"}))
        .send()
        .expect(200);

        let paid = app.paid_order(&a, 106, 3);
        ids.insert("order", id_of(&paid, "order_id"));
        ids.insert("ticket", id_of(&paid["tickets"][0], "ticket_code"));
        ids.insert("ticket_cancel", id_of(&paid["tickets"][1], "ticket_code"));
        ids.insert("ticket_redeem", id_of(&paid["tickets"][2], "ticket_code"));
        ids.insert("live_token", id_of(&paid["tickets"][2], "qr_token"));
        let paid_b = app.paid_order(&b, 106, 1);
        ids.insert("b_order", id_of(&paid_b, "order_id"));
        ids.insert("b_ticket", id_of(&paid_b["tickets"][0], "ticket_code"));
        app.visit_day_comes();

        for (name, p, code) in [
            ("reseller", &a, "ACC-A1"),
            ("reseller_del", &a, "ACC-A2"),
            ("b_reseller", &b, "ACC-B1"),
        ] {
            let r = app
                .post("/api/ota/resellers")
                .key(&p.key)
                .json(&json!({"reseller_code": code, "reseller_name": "Kiosk"}))
                .send()
                .expect(201);
            ids.insert(name, id_of(&r.body, "id"));
        }
        for (name, p) in [("batch", &a), ("b_batch", &b)] {
            let reseller = &ids[if name == "batch" {
                "reseller"
            } else {
                "b_reseller"
            }];
            let batch = app
                .post("/api/ota/tickets/bulk-generate")
                .key(&p.key)
                .json(&json!({"product_id": 106, "quantity": 2, "distribution_mode": "reseller_batch", "reseller_id": reseller.parse::<i64>().unwrap()}))
                .send()
                .expect(201)
                .body;
            ids.insert(name, id_of(&batch, "batch_id"));
            if name == "batch" {
                ids.insert("pre", id_of(&batch["tickets"][0], "ticket_code"));
                ids.insert("pre_voucher", id_of(&batch["tickets"][1], "voucher_token"));
                ids.insert("pre_2", id_of(&batch["tickets"][1], "ticket_code"));
            }
        }

        let mut world = World {
            app,
            a,
            b,
            revoked_key,
            suspended_key,
            users,
            ids,
        };
        let customer = world.session(0);
        let order = world
            .app
            .post("/api/orders")
            .bearer(&customer)
            .raw(world.fill(DIRECT_ORDER), Some(ContentType::JSON))
            .send()
            .expect(201)
            .body;
        let oid = id_of(&order, "order_id");
        world
            .app
            .notify(&json!({"order_id": oid, "payment_reference": "GW-CUSTOMER", "status": "SUCCESS", "amount_cents": order["payment_required"]["amount_cents"], "currency": "USD"}))
            .expect(200);
        let tickets = world
            .app
            .get("/api/my/tickets")
            .bearer(&customer)
            .send()
            .expect(200)
            .body;
        world.ids.insert("dorder", oid);
        world
            .ids
            .insert("dticket", id_of(&tickets["tickets"][0], "ticket_code"));
        world
    }

    /// A fresh session of one of the users (0 customer, 1 venue, 2 staff, 3 admin), made directly
    /// in the database: no password hashing per request, and logging out one does not end another.
    pub fn session(&self, user: usize) -> String {
        let token = gangway::ids::new_session_token();
        let hash = gangway::ids::sha256_hex(token.as_bytes());
        self.app.sql(&format!(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
             VALUES ('{hash}', {}, '2020-01-01T00:00:00Z', '2999-01-01T00:00:00Z')",
            self.users[user]
        ));
        token
    }

    /// One credential of each kind, in [`CREDS`] order.
    pub fn creds(&self) -> [Cred; 11] {
        // Same prefix as A's key, so the lookup finds a candidate and must reject the hash.
        let forged_key = format!("{}{}", &self.a.key[..12], gangway::ids::random_base62(36));
        [
            Cred::None,
            Cred::Key(forged_key),
            Cred::Bearer(gangway::ids::new_session_token()),
            Cred::Key(self.a.key.clone()),
            Cred::Key(self.b.key.clone()),
            Cred::Key(self.revoked_key.clone()),
            Cred::Key(self.suspended_key.clone()),
            Cred::Bearer(self.session(0)),
            Cred::Bearer(self.session(1)),
            Cred::Bearer(self.session(2)),
            Cred::Bearer(self.session(3)),
        ]
    }

    /// Replaces every `{name}` with the fixture's id.
    pub fn fill(&self, template: &str) -> String {
        let mut out = template.to_owned();
        for (name, value) in &self.ids {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        let unfilled = out.match_indices('{').any(|(i, _)| {
            let rest = &out[i + 1..];
            let n = rest
                .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
                .unwrap_or(rest.len());
            n > 0 && rest[n..].starts_with('}')
        });
        assert!(!unfilled, "a placeholder has no fixture: {out}");
        out
    }

    /// Ids of A's objects that no outsider may ever see (B's are not secrets to B).
    fn secrets_of_a(&self) -> Vec<&str> {
        self.ids
            .iter()
            .filter(|(name, _)| {
                matches!(
                    **name,
                    "res"
                        | "res_del"
                        | "res_ord"
                        | "order_pending"
                        | "order_pending_2"
                        | "order"
                        | "ticket"
                        | "ticket_cancel"
                        | "ticket_redeem"
                        | "batch"
                        | "pre"
                        | "pre_2"
                        | "live_token"
                )
            })
            .map(|(_, v)| v.as_str())
            .chain(["ACC-A1", "ACC-A2"])
            .collect()
    }
}

/// A body as sent: JSON, or for `frame:<token>` a PNG of the token's QR code.
fn body_of(filled: &str) -> (Vec<u8>, ContentType) {
    match filled.strip_prefix("frame:") {
        Some(token) => (
            gangway::domain::qr::png(token).expect("a QR PNG"),
            ContentType::PNG,
        ),
        None => (filled.as_bytes().to_vec(), ContentType::JSON),
    }
}

#[test]
fn every_route_answers_every_kind_of_credential_as_the_matrix_says() {
    let w = World::build();
    let secrets = w.secrets_of_a();
    let mut wrong = Vec::new();
    for (method, template, body, expected) in MATRIX {
        let path = w.fill(template);
        let octo = path.starts_with("/octo");
        for (col, cred) in w.creds().iter().enumerate() {
            // OCTO resellers send the API key as a bearer token.
            let cred = match cred {
                Cred::Key(k) if octo => Cred::Bearer(k.clone()),
                other => other.clone(),
            };
            let mut req = w.app.req(*method, &path).cred(&cred);
            if let Some(body) = body {
                let (bytes, content_type) = body_of(&w.fill(body));
                req = req.raw(bytes, Some(content_type));
            }
            let r = req.send();
            let who = CREDS[col];
            if r.status != expected[col] {
                wrong.push(format!(
                    "{method} {template} as {who}: expected {}, got {} {}",
                    expected[col], r.status, r.body
                ));
                continue;
            }
            let code = match (r.status, octo) {
                (401, false) => Some("UNAUTHENTICATED"),
                (403, _) => Some("FORBIDDEN"),
                (404, false) => Some("NOT_FOUND"),
                (401, true) => Some("UNAUTHORIZED"),
                (400, true) => Some("INVALID_BOOKING_UUID"),
                _ => None,
            };
            if let (Some(code), true) = (code, octo) {
                if r.body["error"] != code || r.header("Content-Type") != Some("application/json") {
                    wrong.push(format!(
                        "{method} {template} as {who}: not an OCTO {code}: {:?} {}",
                        r.header("Content-Type"),
                        r.body
                    ));
                }
            } else if let Some(code) = code {
                if r.body["code"] != code
                    || r.header("Content-Type") != Some("application/problem+json")
                {
                    wrong.push(format!(
                        "{method} {template} as {who}: not a {code} problem: {:?} {}",
                        r.header("Content-Type"),
                        r.body
                    ));
                }
            }
            if OUTSIDERS.contains(&col) {
                let text = String::from_utf8_lossy(&r.bytes);
                if let Some(leak) = secrets.iter().find(|s| text.contains(*s)) {
                    wrong.push(format!(
                        "{method} {template} as {who} shows A's {leak}: {text}"
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // B's collections were not empty: "only its own data" was really tested above.
    let b_tickets = w.app.get("/api/ota/tickets").key(&w.b.key).send().body;
    assert!(
        b_tickets["total_count"].as_i64().unwrap() >= 3,
        "{b_tickets}"
    );
    w.app.assert_consistent();
}

#[test]
fn the_matrix_lists_every_mounted_route_and_nothing_else() {
    let app = spawn_app();
    let listed: BTreeSet<(String, String)> = MATRIX
        .iter()
        .map(|(m, p, ..)| (m.to_string(), shape(p)))
        .collect();
    let mounted: BTreeSet<(String, String)> = app
        .client
        .rocket()
        .routes()
        .filter(|r| !exempt(r.uri.path()))
        .map(|r| (r.method.to_string(), shape(r.uri.path())))
        .collect();
    let unlisted: Vec<_> = mounted.difference(&listed).collect();
    assert!(
        unlisted.is_empty(),
        "routes missing from MATRIX: {unlisted:?}"
    );
    let stale: Vec<_> = listed.difference(&mounted).collect();
    assert!(stale.is_empty(), "MATRIX rows with no route: {stale:?}");
}
