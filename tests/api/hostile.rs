//! Hostile input. Every JSON route gets malformed, mistyped, oversized and nonsensical bodies;
//! every id in a path gets odd segments and other partners' ids; queries and credential headers
//! get garbage. The answer is always a 4xx `application/problem+json` with a `code`, never a 5xx,
//! and nothing stored changes. At the end, property tests of the pricing engine.

use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use rocket::http::{ContentType, Method};
use serde_json::{json, Value};

use crate::access::World;
use crate::helpers::*;

const SQL: &str = "'; DROP TABLE tickets; --";

/// Every table but `audit_log` and `sessions` (which logins and refusals may touch): its row
/// count and a digest of every value in it.
pub(crate) type Snapshot = BTreeMap<String, (usize, u64)>;

pub(crate) fn snapshot(app: &TestApp) -> Snapshot {
    app.db()
        .read(|c| {
            let tables: Vec<String> = c
                .prepare(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
                     AND name NOT IN ('audit_log', 'sessions') ORDER BY name",
                )?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let mut out = BTreeMap::new();
            for table in tables {
                let mut stmt = c.prepare(&format!("SELECT * FROM \"{table}\""))?;
                let columns = stmt.column_count();
                let mut rows = stmt.query([])?;
                let (mut count, mut digest) = (0, DefaultHasher::new());
                while let Some(row) = rows.next()? {
                    count += 1;
                    for i in 0..columns {
                        format!("{:?}", row.get_ref(i)?).hash(&mut digest);
                    }
                }
                out.insert(table, (count, digest.finish()));
            }
            Ok(out)
        })
        .unwrap()
}

/// Sends bad requests and collects every answer that is not a clean refusal.
pub(crate) struct Checker<'a> {
    app: &'a TestApp,
    before: Snapshot,
    wrong: Vec<String>,
    sent: usize,
    /// Refusals in OCTO's shape (`/octo`) instead of problem+json.
    octo: bool,
}

impl<'a> Checker<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Checker<'a> {
        Checker {
            app,
            before: snapshot(app),
            wrong: Vec::new(),
            sent: 0,
            octo: false,
        }
    }

    /// A checker of OCTO routes: refusals are `{error, errorMessage}` JSON.
    pub(crate) fn octo(app: &'a TestApp) -> Checker<'a> {
        Checker {
            octo: true,
            ..Checker::new(app)
        }
    }

    /// A 4xx refusal in the routes' shape (and this status, when given), and no stored change.
    pub(crate) fn refused(&mut self, what: &str, r: Resp, status: Option<u16>) {
        self.sent += 1;
        let what: String = what.chars().take(160).collect();
        let problem = if self.octo {
            r.header("Content-Type") == Some("application/json")
                && r.body["error"].is_string()
                && r.body["errorMessage"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty())
        } else {
            r.header("Content-Type") == Some("application/problem+json")
                && r.body["code"].is_string()
        };
        if !(400..500).contains(&r.status) || !problem || status.is_some_and(|s| s != r.status) {
            let body: String = r.body.to_string().chars().take(300).collect();
            self.wrong.push(format!(
                "{what}: expected a {} problem, got {} {:?} {body}",
                status.map_or("4xx".to_owned(), |s| s.to_string()),
                r.status,
                r.header("Content-Type"),
            ));
        }
        let after = snapshot(self.app);
        if after != self.before {
            let changed: Vec<&String> = after
                .iter()
                .filter(|(t, v)| self.before.get(*t) != Some(v))
                .map(|(t, _)| t)
                .collect();
            self.wrong.push(format!("{what}: changed {changed:?}"));
            self.before = after;
        }
    }

    #[track_caller]
    pub(crate) fn finish(self) {
        assert!(self.sent > 0);
        assert!(
            self.wrong.is_empty(),
            "{} of {} bad requests were not refused cleanly:\n{}",
            self.wrong.len(),
            self.sent,
            self.wrong.join("\n")
        );
    }
}

/// What a field holds, which decides the nonsense it gets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    /// A quantity, count or id: 0 and negatives are invalid.
    Count,
    /// An integer where 0 is allowed, negatives are not.
    Int,
    /// A rate between 0 and 1.
    Rate,
    /// An identifier, code, enum, date or email: must match something.
    Key,
    /// Free text (names, labels, references): any printable text of bounded length.
    Text,
    Object,
    List,
    /// Only the type is checked here (the webhook records a wrong amount or currency by design).
    IntType,
    StrType,
}

/// One change to a valid body.
#[derive(Debug, Clone)]
pub(crate) enum Edit {
    Set(Value),
    /// Raw JSON text, for what `Value` cannot hold (1e309, 2^63).
    Raw(&'static str),
    Remove,
}

pub(crate) fn edits(kind: Kind, required: bool) -> Vec<Edit> {
    use Edit::*;
    let long = "x".repeat(100_000);
    let mut out = match kind {
        Kind::Count | Kind::Int | Kind::IntType => vec![
            Set(json!("1")),
            Set(json!(true)),
            Raw("1.5"),
            Raw("1e309"),
            Raw("9223372036854775808"),
            Raw("-9223372036854775809"),
        ],
        Kind::Rate => vec![
            Set(json!("0.1")),
            Set(json!(true)),
            Raw("1e309"),
            Raw("-1e309"),
        ],
        Kind::Key | Kind::Text | Kind::StrType => {
            vec![Set(json!(123)), Set(json!([])), Set(json!({}))]
        }
        Kind::Object => vec![Set(json!("x")), Set(json!(42)), Set(json!([]))],
        Kind::List => vec![
            Set(json!("x")),
            Set(json!({})),
            Set(json!([])),
            Set(json!([42])),
        ],
    };
    match kind {
        Kind::Count => out.extend([Set(json!(-1)), Set(json!(0)), Set(json!(i64::MAX))]),
        Kind::Int => out.extend([Set(json!(-1)), Set(json!(i64::MAX))]),
        Kind::Rate => out.extend([Set(json!(-0.5)), Set(json!(1.5))]),
        Kind::Key => out.extend([
            Set(json!("")),
            Set(json!(long)),
            Set(json!("a\u{0}b")),
            Set(json!(SQL)),
            Set(json!("../../etc/passwd")),
            Set(json!("\u{202e}ｔｉｃｋｅｔ 🎫")),
        ]),
        Kind::Text => out.extend([Set(json!(long)), Set(json!("a\u{0}b"))]),
        _ => {}
    }
    if required {
        out.extend([Remove, Set(Value::Null)]);
    }
    out
}

const RAW: &str = "@@raw@@";

/// Applies `edit` at the JSON pointer `at` and serializes.
pub(crate) fn edited(body: &Value, at: &str, edit: &Edit) -> Vec<u8> {
    let mut body = body.clone();
    let (parent, key) = at.rsplit_once('/').unwrap();
    let parent = body.pointer_mut(parent).expect("parent of the field");
    let value = match edit {
        Edit::Set(v) => Some(v.clone()),
        Edit::Raw(_) => Some(json!(RAW)),
        Edit::Remove => None,
    };
    match (parent, value) {
        (Value::Object(m), Some(v)) => {
            m.insert(key.to_owned(), v);
        }
        (Value::Object(m), None) => {
            m.remove(key);
        }
        (Value::Array(a), Some(v)) => a[key.parse::<usize>().unwrap()] = v,
        (Value::Array(a), None) => {
            a.remove(key.parse::<usize>().unwrap());
        }
        (other, _) => panic!("{at} is not in an object or array: {other}"),
    }
    let text = serde_json::to_string(&body).unwrap();
    match edit {
        Edit::Raw(raw) => text.replace(&format!("\"{RAW}\""), raw).into_bytes(),
        _ => text.into_bytes(),
    }
}

/// A JSON route, the credential that may call it, a body it would accept, and its fields.
struct Target {
    method: Method,
    path: String,
    cred: Cred,
    body: Value,
    fields: Vec<(&'static str, Kind, bool)>,
    /// The payment webhook: every body is signed, so the body (not the signature) is tested.
    signed: bool,
}

impl Target {
    fn send(&self, app: &TestApp, bytes: Vec<u8>, content_type: Option<ContentType>) -> Resp {
        let mut req = app.req(self.method, &self.path).cred(&self.cred);
        if self.signed {
            req = req.header("X-Gangway-Signature", &signature(&bytes, now_unix()));
        }
        req.raw(bytes, content_type).send()
    }

    fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

fn targets(w: &World) -> Vec<Target> {
    use Kind::*;
    let key_a = Cred::Key(w.a.key.clone());
    let customer = Cred::Bearer(w.session(0));
    let venue = Cred::Bearer(w.session(1));
    let admin = Cred::Bearer(w.session(3));
    let visit = w.ids["visit"].as_str();
    let customer_details = [
        ("/customer_details", Object, true),
        ("/customer_details/name", Text, true),
        ("/customer_details/email", Key, true),
        ("/customer_details/phone", Text, false),
    ];
    let reseller_fields = |required| {
        vec![
            ("/reseller_code", Key, required),
            ("/reseller_name", Text, required),
            ("/contact_email", Key, false),
            ("/contact_phone", Text, false),
            ("/commission_rate", Rate, false),
            ("/contract_start_date", Key, false),
            ("/contract_end_date", Key, false),
            ("/status", Key, false),
            ("/settlement_cycle", Key, false),
            ("/region", Text, false),
            ("/tier", Text, false),
        ]
    };
    let reseller = json!({"reseller_code": "NEW-1", "reseller_name": "New Kiosk", "contact_email": "k@example.com",
        "contact_phone": "+852 1234 5678", "commission_rate": 0.1, "contract_start_date": "2026-01-01",
        "contract_end_date": "2026-12-31", "status": "active", "settlement_cycle": "weekly", "region": "Kowloon", "tier": "gold"});
    let t = |method, path: String, cred: &Cred, body, fields: Vec<_>| Target {
        method,
        path,
        cred: cred.clone(),
        body,
        fields,
        signed: false,
    };
    vec![
        t(
            Method::Post,
            "/api/auth/register".into(),
            &Cred::None,
            json!({"email": "new@example.com", "password": "a long password", "name": "New"}),
            vec![
                ("/email", Key, true),
                ("/password", Text, true),
                ("/name", Text, false),
            ],
        ),
        t(
            Method::Post,
            "/api/auth/login".into(),
            &Cred::None,
            json!({"email": "customer@example.com", "password": PASSWORD}),
            vec![("/email", Key, true), ("/password", Text, true)],
        ),
        t(
            Method::Post,
            "/api/ota/reserve".into(),
            &key_a,
            json!({"product_id": 106, "quantity": 1}),
            vec![
                ("/product_id", Count, true),
                ("/quantity", Count, true),
                ("/reservation_expires_at", Key, false),
            ],
        ),
        t(
            Method::Post,
            "/api/ota/orders".into(),
            &key_a,
            json!({"reservation_id": w.ids["res_ord"], "customer_details": {"name": "Mei", "email": "mei@example.com", "phone": "+852 5555 0101"},
                   "pricing_context": {"visit_date": visit, "customer_breakdown": [{"customer_type": "adult", "count": 1}]}}),
            [
                ("/reservation_id", Key, true),
                ("/pricing_context", Object, true),
                ("/pricing_context/visit_date", Key, true),
                ("/pricing_context/customer_breakdown", List, true),
                (
                    "/pricing_context/customer_breakdown/0/customer_type",
                    Key,
                    true,
                ),
                ("/pricing_context/customer_breakdown/0/count", Count, true),
            ]
            .into_iter()
            .chain(customer_details)
            .collect(),
        ),
        t(
            Method::Post,
            "/api/ota/activate".into(),
            &key_a,
            json!({"order_id": w.ids["order_pending"], "payment_reference": "PAY-H"}),
            vec![("/order_id", Key, true), ("/payment_reference", Text, true)],
        ),
        t(
            Method::Post,
            "/api/ota/tickets/bulk-generate".into(),
            &key_a,
            json!({"product_id": 106, "quantity": 1, "distribution_mode": "reseller_batch", "reseller_id": w.ids["reseller"].parse::<i64>().unwrap(),
                   "reseller_metadata": {"batch_purpose": "test"}}),
            vec![
                ("/product_id", Count, true),
                ("/quantity", Count, true),
                ("/distribution_mode", Key, true),
                ("/reseller_id", Count, false),
                ("/reseller_metadata", Object, false),
            ],
        ),
        t(
            Method::Post,
            format!("/api/ota/tickets/{}/activate", w.ids["pre"]),
            &key_a,
            json!({"customer_details": {"name": "Ana", "email": "ana@example.com", "phone": "+852 5555 0102"},
                   "customer_type": "adult", "visit_date": visit, "payment_reference": "PAY-PRE"}),
            [
                ("/customer_type", Key, true),
                ("/visit_date", Key, true),
                ("/payment_reference", Text, false),
            ]
            .into_iter()
            .chain(customer_details)
            .collect(),
        ),
        t(
            Method::Post,
            "/api/ota/resellers".into(),
            &key_a,
            reseller.clone(),
            reseller_fields(true),
        ),
        t(
            Method::Patch,
            format!("/api/ota/resellers/{}", w.ids["reseller"]),
            &key_a,
            {
                // Every field, under a code the create above does not take.
                let mut patch = reseller.clone();
                patch["reseller_code"] = json!("NEW-2");
                patch
            },
            reseller_fields(false),
        ),
        t(
            Method::Post,
            "/venue/redeem".into(),
            &venue,
            json!({"qr_token": w.ids["live_token"], "function_code": "buffet", "session_code": "S1", "venue_code": "PIER-1", "scan_id": "hostile-1"}),
            vec![
                ("/qr_token", Key, true),
                ("/function_code", Key, true),
                ("/session_code", Text, false),
                ("/venue_code", Text, false),
                ("/scan_id", Text, false),
            ],
        ),
        Target {
            signed: true,
            ..t(
                Method::Post,
                "/payments/notify".into(),
                &Cred::None,
                json!({"order_id": w.ids["order_pending_2"], "payment_reference": "GW-H", "status": "SUCCESS", "amount_cents": 28800, "currency": "USD"}),
                vec![
                    ("/order_id", Key, true),
                    ("/payment_reference", Text, true),
                    ("/status", Key, true),
                    ("/amount_cents", IntType, true),
                    ("/currency", StrType, true),
                ],
            )
        },
        t(
            Method::Post,
            "/api/orders".into(),
            &customer,
            json!({"visit_date": visit, "items": [{"product_id": 106, "customer_type": "adult", "count": 1}]}),
            vec![
                ("/visit_date", Key, true),
                ("/items", List, true),
                ("/items/0/product_id", Count, true),
                ("/items/0/customer_type", Key, true),
                ("/items/0/count", Count, true),
            ],
        ),
        t(
            Method::Post,
            "/api/admin/partners".into(),
            &admin,
            json!({"name": "New Partner", "contact_email": "p@example.com"}),
            vec![("/name", Text, true), ("/contact_email", Text, false)],
        ),
        t(
            Method::Patch,
            format!("/api/admin/partners/{}", w.b.partner_id),
            &admin,
            json!({"status": "suspended"}),
            vec![("/status", Key, true)],
        ),
        t(
            Method::Post,
            format!("/api/admin/partners/{}/api-keys", w.a.partner_id),
            &admin,
            json!({"label": "k", "rate_limit_per_minute": 10}),
            vec![
                ("/label", Text, false),
                ("/rate_limit_per_minute", Count, false),
            ],
        ),
        t(
            Method::Post,
            "/api/admin/users".into(),
            &admin,
            json!({"email": "u@example.com", "password": "a long password", "role": "staff", "name": "U"}),
            vec![
                ("/email", Key, true),
                // Optional: left out, the server generates one.
                ("/password", Text, false),
                ("/role", Key, true),
                ("/name", Text, false),
            ],
        ),
        t(
            Method::Post,
            format!("/api/admin/tickets/{}/cancel", w.ids["pre_2"]),
            &admin,
            json!({"reason": "guest changed plans"}),
            vec![("/reason", Text, true)],
        ),
        t(
            Method::Put,
            "/api/admin/inventory/106".into(),
            &admin,
            json!({"capacity": 5001, "allocations": {"direct": 3000, "ota": 2001}}),
            vec![
                ("/capacity", Count, true),
                ("/allocations", Object, true),
                ("/allocations/direct", Int, true),
                ("/allocations/ota", Int, true),
            ],
        ),
        t(
            Method::Put,
            "/api/admin/holidays/2031-03-03".into(),
            &admin,
            json!({"name": "Hostile Day"}),
            vec![("/name", Text, false)],
        ),
    ]
}

/// Bodies that are not JSON, not an object, or hold what no JSON string may, made from a valid
/// body and its fields.
pub(crate) fn broken_bodies(
    body: &Value,
    fields: &[(&'static str, Kind, bool)],
) -> Vec<(&'static str, Vec<u8>)> {
    let valid = serde_json::to_vec(body).unwrap();
    let mut bad: Vec<(&'static str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("not json", b"not json".to_vec()),
        ("truncated", valid[..valid.len() / 2].to_vec()),
        ("trailing garbage", [&valid[..], b" x"].concat()),
        ("null", b"null".to_vec()),
        ("an array", b"[]".to_vec()),
        ("a number", b"42".to_vec()),
        ("a string", b"\"x\"".to_vec()),
        ("a byte order mark", [&b"\xef\xbb\xbf"[..], &valid].concat()),
        ("10k [", "[".repeat(10_000).into_bytes()),
        ("10k nested objects", "{\"a\":".repeat(10_000).into_bytes()),
        ("a raw NUL", [&valid[..1], b"\0", &valid[1..]].concat()),
    ];
    // Escapes and bytes that no JSON string may hold, in a field the route reads.
    let string_field = fields
        .iter()
        .find(|f| matches!(f.1, Kind::Key | Kind::Text | Kind::StrType));
    if let Some((field, ..)) = string_field {
        for (label, raw) in [
            ("a lone surrogate", r#""\ud800""#),
            ("a lone low surrogate", r#""x\udc00y""#),
            ("an invalid escape", r#""\x41""#),
            ("a short \\u escape", r#""\u12""#),
            ("a raw control character", "\"a\u{1}b\""),
        ] {
            bad.push((label, edited(body, field, &Edit::Raw(raw))));
        }
        let marker = edited(body, field, &Edit::Set(json!("@@utf8@@")));
        let text = String::from_utf8(marker).unwrap();
        let (before, after) = text.split_once("@@utf8@@").unwrap();
        bad.push((
            "invalid UTF-8",
            [before.as_bytes(), b"a\xff\xfeb", after.as_bytes()].concat(),
        ));
    }
    let (first, ..) = fields[0];
    let first_key = first.trim_start_matches('/').split('/').next().unwrap();
    let dup = format!(
        "{{\"{first_key}\":null,{}",
        &String::from_utf8_lossy(&valid)[1..]
    );
    bad.push(("a duplicate field", dup.into_bytes()));
    bad
}

#[test]
fn json_routes_refuse_bodies_that_are_not_json_or_too_big_or_not_json_typed() {
    let w = World::build();
    let mut check = Checker::new(&w.app);
    for target in targets(&w) {
        let valid = serde_json::to_vec(&target.body).unwrap();
        let bad = broken_bodies(&target.body, &target.fields);
        for (label, bytes) in bad {
            let r = target.send(&w.app, bytes, Some(ContentType::JSON));
            check.refused(&format!("{} with {label}", target.name()), r, Some(400));
        }

        let mut padded = target.body.clone();
        padded["zz_padding"] = json!("x".repeat(1 << 20));
        let r = target.send(
            &w.app,
            serde_json::to_vec(&padded).unwrap(),
            Some(ContentType::JSON),
        );
        check.refused(&format!("{} over 1 MiB", target.name()), r, Some(413));
        for content_type in [
            Some(ContentType::Plain),
            Some(ContentType::Form),
            Some(ContentType::XML),
            Some(ContentType::new("application", "jsonp")),
            None,
        ] {
            let r = target.send(&w.app, valid.clone(), content_type.clone());
            check.refused(
                &format!("{} as {content_type:?}", target.name()),
                r,
                Some(415),
            );
        }
    }
    check.finish();
}

/// The bodies the refusals start from are accepted as they are: every refusal above is due to the
/// one thing changed.
#[test]
fn the_valid_bodies_are_accepted() {
    let w = World::build();
    for target in targets(&w) {
        let r = target.send(
            &w.app,
            serde_json::to_vec(&target.body).unwrap(),
            Some(ContentType::JSON),
        );
        assert!(r.status < 300, "{}: {} {}", target.name(), r.status, r.body);
    }
    w.app.assert_consistent();
}

#[test]
fn every_field_refuses_wrong_types_and_nonsense_values() {
    let w = World::build();
    let mut check = Checker::new(&w.app);
    for target in targets(&w) {
        for (at, kind, required) in &target.fields {
            for edit in edits(*kind, *required) {
                let bytes = edited(&target.body, at, &edit);
                let r = target.send(&w.app, bytes, Some(ContentType::JSON));
                let shown = format!("{edit:?}");
                let shown: String = shown.chars().take(60).collect();
                // A value of another JSON type: the body does not have the route's shape.
                let status = match (&edit, kind) {
                    (Edit::Set(v), Kind::Count | Kind::Int | Kind::Rate | Kind::IntType)
                        if !v.is_number() && !v.is_null() =>
                    {
                        Some(400)
                    }
                    (Edit::Set(v), Kind::Key | Kind::Text | Kind::StrType)
                        if !v.is_string() && !v.is_null() =>
                    {
                        Some(400)
                    }
                    _ => None,
                };
                check.refused(&format!("{} {at} = {shown}", target.name()), r, status);
            }
        }
    }
    // A few whole-body mistakes no single field shows.
    let key_a = Cred::Key(w.a.key.clone());
    let customer = Cred::Bearer(w.session(0));
    let visit = w.ids["visit"].clone();
    for (path, cred, body) in [
        (
            "/api/ota/reserve",
            &key_a,
            json!({"product_id": 106, "quantity": 1, "reservation_expires_at": "9999-12-31T23:59:59-01:00"}),
        ),
        (
            "/api/ota/reserve",
            &key_a,
            json!({"product_id": 106, "quantity": 1, "reservation_expires_at": "2020-01-01T00:00:00Z"}),
        ),
        (
            "/api/ota/reserve",
            &key_a,
            json!({"product_id": 106, "quantity": 2001}),
        ),
        (
            "/api/ota/orders",
            &key_a,
            json!({"reservation_id": w.ids["res_ord"], "customer_details": {"name": "Mei", "email": "mei@example.com"},
            "pricing_context": {"visit_date": visit, "customer_breakdown": vec![json!({"customer_type": "adult", "count": 1}); 10_000]}}),
        ),
        (
            "/api/ota/orders",
            &key_a,
            json!({"reservation_id": w.ids["b_res"], "customer_details": {"name": "Mei", "email": "mei@example.com"},
            "pricing_context": {"visit_date": visit, "customer_breakdown": [{"customer_type": "adult", "count": 1}]}}),
        ),
        (
            "/api/ota/activate",
            &key_a,
            json!({"order_id": w.ids["b_order"], "payment_reference": "PAY-H"}),
        ),
        (
            "/api/ota/tickets/bulk-generate",
            &key_a,
            json!({"product_id": 106, "quantity": 1, "distribution_mode": "direct_sale",
            "reseller_metadata": {"intended_reseller": "x".repeat(100_000)}}),
        ),
        (
            "/api/ota/tickets/bulk-generate",
            &key_a,
            json!({"product_id": 106, "quantity": 1, "distribution_mode": "reseller_batch",
            "reseller_id": w.ids["b_reseller"].parse::<i64>().unwrap()}),
        ),
        (
            "/api/orders",
            &customer,
            json!({"visit_date": visit, "items": vec![json!({"product_id": 106, "customer_type": "adult", "count": 1}); 51]}),
        ),
        (
            "/api/orders",
            &customer,
            json!({"visit_date": "2020-01-01", "items": [{"product_id": 106, "customer_type": "adult", "count": 1}]}),
        ),
    ] {
        let r = w.app.post(path).cred(cred).json(&body).send();
        check.refused(&format!("POST {path} with {body}"), r, None);
    }
    check.finish();
}

#[test]
fn odd_path_segments_and_other_partners_ids_are_refused() {
    let w = World::build();
    let mut check = Checker::new(&w.app);
    let key_a = Cred::Key(w.a.key.clone());
    let customer = Cred::Bearer(w.session(0));
    let admin = Cred::Bearer(w.session(3));
    let sell = json!({"customer_details": {"name": "Ana", "email": "ana@example.com"}, "customer_type": "adult", "visit_date": w.ids["visit"]});
    let alloc = json!({"capacity": 5001, "allocations": {"direct": 3000, "ota": 2001}});
    use Method::*;
    let partner_routes: Vec<(Method, &str, &Cred, Option<Value>)> = vec![
        (Get, "/api/ota/reservations/{x}", &key_a, None),
        (Delete, "/api/ota/reservations/{x}", &key_a, None),
        (Get, "/api/ota/orders/{x}", &key_a, None),
        (Get, "/api/ota/tickets/{x}", &key_a, None),
        (Post, "/api/ota/tickets/{x}/activate", &key_a, Some(sell)),
        (Post, "/api/ota/tickets/{x}/cancel", &key_a, None),
        (Get, "/api/ota/batches/{x}", &key_a, None),
        (Get, "/api/ota/batches/{x}/archive.zip", &key_a, None),
        (Get, "/api/ota/resellers/{x}", &key_a, None),
        (
            Patch,
            "/api/ota/resellers/{x}",
            &key_a,
            Some(json!({"region": "North"})),
        ),
        (Delete, "/api/ota/resellers/{x}", &key_a, None),
        (Post, "/qr/{x}", &key_a, None),
        (Get, "/qr/{x}/image.png", &key_a, None),
        (Get, "/qr/{x}/info", &key_a, None),
        (Post, "/qr/{x}", &customer, None),
        (Get, "/api/orders/{x}", &customer, None),
    ];
    let admin_routes: Vec<(Method, &str, &Cred, Option<Value>)> = vec![
        (Get, "/api/admin/batches/{x}", &admin, None),
        (Get, "/api/admin/batches/{x}/archive.zip", &admin, None),
        (
            Patch,
            "/api/admin/partners/{x}",
            &admin,
            Some(json!({"status": "suspended"})),
        ),
        (
            Post,
            "/api/admin/partners/{x}/api-keys",
            &admin,
            Some(json!({"label": "x"})),
        ),
        (Get, "/api/admin/partners/{x}/resellers", &admin, None),
        (Get, "/api/admin/partners/{x}/billing/summary", &admin, None),
        (Delete, "/api/admin/api-keys/{x}", &admin, None),
        (Put, "/api/admin/inventory/{x}", &admin, Some(alloc)),
        (
            Put,
            "/api/admin/holidays/{x}",
            &admin,
            Some(json!({"name": "x"})),
        ),
        (Delete, "/api/admin/holidays/{x}", &admin, None),
    ];
    let long = "A".repeat(10_000);
    let odd: Vec<&str> = vec![
        "%00",
        "..%2f..%2fetc%2fpasswd",
        "%2e%2e",
        "..",
        &long,
        "%F0%9F%8E%AB",
        "%E2%80%AE%E2%80%8B",
        "%FF%FE",
        "'%3B%20DROP%20TABLE%20tickets%3B%20--",
        "-1",
        "0",
        "99999999999999999999",
        "1e3",
        "%20",
    ];
    // Someone else's objects: B's for A's key; A's and B's orders and tickets for the customer.
    let others =
        |names: &[&str]| -> Vec<String> { names.iter().map(|k| w.ids[*k].clone()).collect() };
    let of_b = others(&["b_res", "b_order", "b_ticket", "b_batch", "b_reseller"]);
    let of_others = others(&["order", "b_order", "ticket", "b_ticket"]);
    let admin_routes = admin_routes.iter().map(|r| (r, &[][..]));
    let partner_routes = partner_routes.iter().map(|r| {
        let foreign = if matches!(r.2, Cred::Key(_)) {
            &of_b
        } else {
            &of_others
        };
        (r, &foreign[..])
    });
    for ((method, template, cred, body), foreign) in partner_routes.chain(admin_routes) {
        for segment in odd
            .iter()
            .copied()
            .chain(foreign.iter().map(String::as_str))
        {
            let path = template.replace("{x}", segment);
            let mut req = w.app.req(*method, &path).cred(cred);
            if let Some(body) = body {
                req = req.json(body);
            }
            check.refused(&format!("{method} {path}"), req.send(), None);
        }
    }
    check.finish();
}

#[test]
fn odd_queries_and_credential_headers_are_refused() {
    let w = World::build();
    let mut check = Checker::new(&w.app);
    let key_a = Cred::Key(w.a.key.clone());
    let admin = Cred::Bearer(w.session(3));
    let queries: Vec<(&str, &Cred)> = vec![
        ("/api/ota/tickets?limit=99999999999999999999", &key_a),
        ("/api/ota/tickets?limit=1e3", &key_a),
        ("/api/ota/tickets?page=-1", &key_a),
        ("/api/ota/tickets?page=0", &key_a),
        ("/api/ota/tickets?status=%00", &key_a),
        ("/api/ota/tickets?status=active", &key_a),
        (
            "/api/ota/tickets?status=ACTIVE%27%3B%20DROP%20TABLE%20tickets%3B--",
            &key_a,
        ),
        (
            "/api/ota/tickets?created_after=9999-12-31T23:59:59-01:00",
            &key_a,
        ),
        (
            "/api/ota/tickets?created_before=2026-02-30T00:00:00Z",
            &key_a,
        ),
        ("/api/ota/inventory?product_ids=", &key_a),
        ("/api/ota/inventory?product_ids=106,-1", &key_a),
        ("/api/ota/inventory?product_ids=106,,107", &key_a),
        (
            "/api/ota/inventory?product_ids=99999999999999999999",
            &key_a,
        ),
        ("/api/ota/inventory?date_from=2026-02-30", &key_a),
        (
            "/api/ota/inventory?date_from=2027-01-01&date_to=2026-01-01",
            &key_a,
        ),
        (
            "/api/ota/inventory?date_from=0000-01-01&date_to=9999-12-31",
            &key_a,
        ),
        ("/api/ota/batches?limit=0", &key_a),
        ("/api/ota/resellers?status=%27%20OR%201%3D1", &key_a),
        ("/api/ota/resellers?limit=-5", &key_a),
        ("/api/ota/billing/summary?period_start=2026-13-01", &key_a),
        ("/api/ota/billing/summary?reseller_id=abc", &key_a),
        (
            "/api/ota/billing/summary?period_start=2026-02-01&period_end=2026-01-01",
            &key_a,
        ),
        ("/api/admin/audit?from=9999-12-31T23:59:59-01:00", &admin),
        ("/api/admin/audit?partner_id=x", &admin),
        ("/api/admin/audit?to=yesterday", &admin),
        ("/api/admin/reports/sales?days=0", &admin),
        ("/api/admin/reports/sales?days=99999999999999999999", &admin),
        ("/api/admin/batches?page=0", &admin),
        ("/api/admin/partners/1/resellers?status=bogus", &admin),
    ];
    for (path, cred) in queries {
        check.refused(
            &format!("GET {path}"),
            w.app.get(path).cred(cred).send(),
            None,
        );
    }
    let key_prefix = &w.a.key[..8];
    let keys = [
        String::new(),
        " ".into(),
        "gw_live_".into(),
        format!("{key_prefix}abcé{}", "x".repeat(30)),
        format!("{key_prefix}{}", "é".repeat(20)),
        "é".repeat(40),
        format!("{}{}", w.a.key, "x".repeat(10_000)),
        SQL.into(),
    ];
    for key in keys {
        let r = w.app.get("/api/ota/inventory").key(&key).send();
        check.refused(
            &format!("X-API-Key {:?}", key.chars().take(40).collect::<String>()),
            r,
            Some(401),
        );
    }
    for auth in [
        "Bearer".to_owned(),
        "Bearer ".into(),
        "Basic Zm9vOmJhcg==".into(),
        format!("Bearer {}", "é".repeat(50)),
        format!("Bearer {}", "x".repeat(10_000)),
        format!("Bearer {SQL}"),
        w.a.key.clone(),
    ] {
        let r = w.app.get("/api/me").header("Authorization", &auth).send();
        check.refused(
            &format!(
                "Authorization {:?}",
                auth.chars().take(40).collect::<String>()
            ),
            r,
            Some(401),
        );
    }
    for idem in ["", &"k".repeat(256), "a\u{7f}b"] {
        let r = w
            .app
            .post("/api/ota/reserve")
            .key(&w.a.key)
            .header("Idempotency-Key", idem)
            .json(&json!({"product_id": 106, "quantity": 1}))
            .send();
        check.refused(
            &format!("Idempotency-Key of {} chars", idem.len()),
            r,
            Some(422),
        );
    }
    check.finish();
}

#[test]
fn sql_looking_text_is_stored_verbatim() {
    let app = spawn_app();
    let p = app.partner("P");
    let r = app
        .post("/api/ota/resellers")
        .key(&p.key)
        .json(&json!({"reseller_code": "R-1", "reseller_name": SQL, "region": "Robert'); DROP TABLE resellers;--"}))
        .send()
        .expect(201);
    let got = app
        .get(&format!("/api/ota/resellers/{}", r.body["id"]))
        .key(&p.key)
        .send()
        .expect(200);
    assert_eq!(got.body["reseller_name"], SQL);
    assert_eq!(got.body["region"], "Robert'); DROP TABLE resellers;--");
    app.paid_order(&p, 106, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM tickets"), 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM ota_resellers"), 1);
}

/// Property tests of the pricing engine: pure functions, so no server.
mod pricing {
    use std::collections::BTreeSet;

    use gangway::domain::pricing::{day_type, price_lines, total_cents, with_savings, DayType};
    use gangway::error::AppError;
    use proptest::prelude::*;
    use time::{Date, Duration, Weekday};

    const TYPES: [&str; 6] = ["adult", "child", "elderly", "student", "family", "vip"];

    /// A package's price matrix: some customer types (with or without adult), each with a
    /// weekday and a weekend price.
    fn matrix() -> impl Strategy<Value = Vec<(String, i64, i64)>> {
        proptest::sample::subsequence(TYPES.to_vec(), 1..=TYPES.len())
            .prop_flat_map(|types| {
                let n = types.len();
                (
                    Just(types),
                    proptest::collection::vec((0i64..=200_000, 0i64..=200_000), n),
                )
            })
            .prop_map(|(types, prices)| {
                types
                    .into_iter()
                    .zip(prices)
                    .map(|(t, (weekday, weekend))| (t.to_owned(), weekday, weekend))
                    .collect()
            })
    }

    fn date(offset: i64) -> Date {
        time::macros::date!(2024 - 01 - 01) + Duration::days(offset)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn a_total_is_the_sum_of_count_times_unit_price(
            raw in matrix(),
            picks in proptest::collection::vec((0usize..6, 1i64..=5000), 1..8),
            weekend in any::<bool>(),
        ) {
            let prices = with_savings(raw.clone());
            let breakdown: Vec<(String, i64)> =
                picks.iter().map(|(i, n)| (raw[i % raw.len()].0.clone(), *n)).collect();
            let day = if weekend { DayType::Weekend } else { DayType::Weekday };
            let unit = |t: &str| {
                let r = raw.iter().find(|r| r.0 == t).unwrap();
                if weekend { r.2 } else { r.1 }
            };
            let lines = price_lines(&prices, &breakdown, day, "customer_breakdown").unwrap();
            let expected: i64 = breakdown.iter().map(|(t, n)| n * unit(t)).sum();
            prop_assert_eq!(total_cents(&lines), expected);
            let types: BTreeSet<&str> = lines.iter().map(|l| l.customer_type.as_str()).collect();
            prop_assert_eq!(types.len(), lines.len(), "one line per customer type");
            for l in &lines {
                prop_assert_eq!(l.day_type, day);
                prop_assert_eq!(l.unit_price_cents, unit(&l.customer_type));
                prop_assert_eq!(l.subtotal_cents, l.count * l.unit_price_cents);
                let asked: i64 = breakdown.iter().filter(|b| b.0 == l.customer_type).map(|b| b.1).sum();
                prop_assert_eq!(l.count, asked);
            }
        }

        #[test]
        fn bad_counts_and_unknown_types_are_refused_naming_the_field(
            raw in matrix(),
            count in prop_oneof![i64::MIN..=0, 5001..=i64::MAX],
            stranger in "[a-z]{1,12}",
        ) {
            let prices = with_savings(raw.clone());
            let t = raw[0].0.clone();
            for breakdown in [vec![(t.clone(), count)], vec![(t.clone(), 1), (t, count)], vec![]] {
                let err = price_lines(&prices, &breakdown, DayType::Weekday, "items").unwrap_err();
                let named = matches!(err, AppError::Validation { ref field, .. } if field == "items");
                prop_assert!(named, "{:?}", err);
            }
            if !TYPES.contains(&stranger.as_str()) {
                let err = price_lines(&prices, &[(stranger, 1)], DayType::Weekend, "items").unwrap_err();
                let named = matches!(err, AppError::Validation { ref field, .. } if field == "items");
                prop_assert!(named, "{:?}", err);
            }
        }

        #[test]
        fn savings_are_the_adult_price_minus_the_price(raw in matrix()) {
            let prices = with_savings(raw.clone());
            prop_assert_eq!(prices.len(), raw.len());
            let adult = raw.iter().find(|r| r.0 == "adult");
            for (p, (t, weekday, weekend)) in prices.iter().zip(&raw) {
                prop_assert_eq!(&p.customer_type, t);
                prop_assert_eq!((p.weekday_cents, p.weekend_cents), (*weekday, *weekend));
                let (aw, ae) = adult.map_or((*weekday, *weekend), |a| (a.1, a.2));
                prop_assert_eq!(p.weekday_savings_cents, aw - weekday);
                prop_assert_eq!(p.weekend_savings_cents, ae - weekend);
            }
            if adult.is_none() {
                prop_assert!(prices.iter().all(|p| p.weekday_savings_cents == 0 && p.weekend_savings_cents == 0));
            }
        }

        #[test]
        fn saturdays_sundays_and_holidays_price_as_weekend(
            day in 0i64..3660,
            holidays in proptest::collection::btree_set(0i64..3660, 0..20),
        ) {
            let d = date(day);
            let none = BTreeSet::new();
            let holidays: BTreeSet<Date> = holidays.into_iter().map(date).collect();
            // Without holidays: a weekly rhythm with exactly two weekend days.
            prop_assert_eq!(day_type(d, &none), day_type(d + Duration::days(7), &none));
            let weekend_days = (0..7)
                .filter(|i| day_type(d + Duration::days(*i), &none) == DayType::Weekend)
                .count();
            prop_assert_eq!(weekend_days, 2);
            let is_weekend_day = matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday);
            prop_assert_eq!(day_type(d, &none) == DayType::Weekend, is_weekend_day);
            // A holiday turns its own date into a weekend day and no other date.
            let expected = if holidays.contains(&d) { DayType::Weekend } else { day_type(d, &none) };
            prop_assert_eq!(day_type(d, &holidays), expected);
        }
    }
}
