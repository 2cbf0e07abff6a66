use gangway::domain::users::Role;
use rocket::http::Method;
use serde_json::json;

use crate::helpers::*;

#[test]
fn a_customer_registers_logs_in_and_sees_themselves() {
    let app = spawn_app();
    let r = app
        .post("/api/auth/register")
        .json(&json!({"email": "ana@example.com", "password": PASSWORD, "name": "Ana"}))
        .send()
        .expect(201);
    assert_eq!(r.body["role"], "customer");
    assert!(r.body["user_id"].is_i64());
    let login = app.try_login("ANA@example.com", PASSWORD).expect(200);
    let cookie = login
        .header("Set-Cookie")
        .expect("session cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let token = login.body["token"].as_str().unwrap();
    let me = app.get("/api/me").bearer(token).send().expect(200);
    assert_eq!(
        (me.body["email"].as_str(), me.body["role"].as_str()),
        (Some("ana@example.com"), Some("customer"))
    );
    // The cookie authenticates too (the console's way in).
    let session = cookie.split(';').next().unwrap().to_owned();
    app.get("/api/me")
        .header("Cookie", &session)
        .send()
        .expect(200);
    app.post("/api/auth/logout")
        .bearer(token)
        .send()
        .expect(200);
    app.get("/api/me")
        .bearer(token)
        .send()
        .problem(401, "UNAUTHENTICATED");
}

#[test]
fn wrong_email_and_wrong_password_get_the_same_answer() {
    let app = spawn_app();
    app.user("bo@example.com", Role::Customer);
    let wrong_password = app
        .try_login("bo@example.com", "not the password")
        .problem(401, "UNAUTHENTICATED");
    let wrong_email = app
        .try_login("nobody@example.com", PASSWORD)
        .problem(401, "UNAUTHENTICATED");
    assert_eq!(wrong_password.body, wrong_email.body);
}

#[test]
fn registration_refuses_duplicates_and_bad_values() {
    let app = spawn_app();
    let body = json!({"email": "cy@example.com", "password": PASSWORD, "name": "Cy"});
    app.post("/api/auth/register")
        .json(&body)
        .send()
        .expect(201);
    app.post("/api/auth/register")
        .json(&body)
        .send()
        .problem(409, "INVALID_STATE");
    let r = app
        .post("/api/auth/register")
        .json(&json!({"email": "not-an-email", "password": PASSWORD}))
        .send()
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["field"], "email");
    let r = app
        .post("/api/auth/register")
        .json(&json!({"email": "dee@example.com", "password": "short"}))
        .send()
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["field"], "password");
}

#[test]
fn roles_gate_the_admin_api() {
    let app = spawn_app();
    let customer = app.user("cust@example.com", Role::Customer);
    let staff = app.user("staff@example.com", Role::Staff);
    let admin = app.admin();
    app.get("/api/admin/inventory")
        .send()
        .problem(401, "UNAUTHENTICATED");
    app.get("/api/admin/inventory")
        .bearer(&customer)
        .send()
        .problem(403, "FORBIDDEN");
    app.get("/api/admin/inventory")
        .bearer(&staff)
        .send()
        .expect(200);
    app.post("/api/admin/partners")
        .bearer(&staff)
        .json(&json!({"name": "X"}))
        .send()
        .problem(403, "FORBIDDEN");
    app.post("/api/admin/partners")
        .bearer(&admin)
        .json(&json!({"name": "X"}))
        .send()
        .expect(201);
}

#[test]
fn admin_creates_partners_and_keys_that_work_until_revoked() {
    let app = spawn_app();
    let admin = app.admin();
    let p = app
        .post("/api/admin/partners")
        .bearer(&admin)
        .json(&json!({"name": "Harbour Trips", "contact_email": "ops@harbour.example"}))
        .send()
        .expect(201);
    let id = p.body["partner_id"].as_i64().unwrap();
    let k = app
        .post(&format!("/api/admin/partners/{id}/api-keys"))
        .bearer(&admin)
        .json(&json!({"label": "prod"}))
        .send()
        .expect(201);
    let key = k.text("api_key");
    assert!(key.starts_with("gw_live_") && key.len() >= 40);
    assert!(key.starts_with(k.body["prefix"].as_str().unwrap()));
    // Only the hash is stored.
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM api_keys WHERE key_hash = '{key}' OR prefix = '{key}'"
        )),
        0
    );
    app.get("/api/ota/inventory").key(&key).send().expect(200);
    let listed = app
        .get("/api/admin/partners")
        .bearer(&admin)
        .send()
        .expect(200);
    assert!(
        !listed.body.to_string().contains(&key),
        "a listing must never show a key"
    );

    // A suspension shuts the key out at once; reactivating lets it in again.
    for (status, answer) in [("suspended", 403), ("active", 200)] {
        app.req(Method::Patch, &format!("/api/admin/partners/{id}"))
            .bearer(&admin)
            .json(&json!({ "status": status }))
            .send()
            .expect(200);
        let r = app.get("/api/ota/inventory").key(&key).send();
        assert_eq!(r.status, answer, "{status}: {}", r.body);
        if answer == 403 {
            assert_eq!(r.body["code"], "FORBIDDEN");
        }
    }

    let key_id = k.body["key_id"].as_i64().unwrap();
    app.req(Method::Delete, &format!("/api/admin/api-keys/{key_id}"))
        .bearer(&admin)
        .send()
        .expect(200);
    app.get("/api/ota/inventory")
        .key(&key)
        .send()
        .problem(403, "FORBIDDEN");
    app.get("/api/ota/inventory")
        .key("gw_live_forgedforgedforgedforgedforgedforged")
        .send()
        .problem(401, "UNAUTHENTICATED");
    app.get("/api/ota/inventory")
        .send()
        .problem(401, "UNAUTHENTICATED");
}

#[test]
fn public_routes_answer() {
    let app = spawn_app();
    assert_eq!(
        app.get("/health").send().expect(200).body,
        json!({"status": "ok"})
    );
    let catalog = app.get("/api/catalog").send().expect(200).body;
    assert_eq!(catalog["currency"], "USD");
    let p106 = &catalog["products"][0];
    assert_eq!(
        (p106["product_id"].as_i64(), p106["available"].as_i64()),
        (Some(106), Some(3000))
    );
    let child = p106["prices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["customer_type"] == "child")
        .unwrap();
    assert_eq!(
        (
            child["weekday_cents"].as_i64(),
            child["weekday_savings_cents"].as_i64()
        ),
        (Some(18800), Some(10000))
    );
    for p in catalog["products"].as_array().unwrap() {
        let e = p["entitlements"].as_array().unwrap();
        assert!(e.len() >= 2 && e.iter().any(|e| e["uses"] == 2), "{p}");
    }
    let spec = app.get("/openapi.json").send().expect(200).body;
    for path in [
        "/api/ota/reserve",
        "/api/ota/tickets/{code}",
        "/venue/redeem",
        "/payments/notify",
        "/api/admin/inventory/{product_id}",
    ] {
        assert!(
            spec["paths"][path].is_object(),
            "{path} missing from OpenAPI"
        );
    }
    assert!(spec["components"]["securitySchemes"]["ApiKeyAuth"].is_object());
    assert_eq!(app.get("/docs/index.html").send().status, 200);
    let index = app.get("/").send().expect(200);
    assert!(String::from_utf8_lossy(&index.bytes).contains("<html"));
    app.get("/no/such/thing").send().problem(404, "NOT_FOUND");
}

#[test]
fn admins_move_units_between_channels_but_never_below_what_is_taken() {
    let app = spawn_app();
    let admin = app.admin();
    let p = app.partner("P");
    app.reserve(&p, 106, 1200).expect(201);
    let put = |body: serde_json::Value| {
        app.req(Method::Put, "/api/admin/inventory/106")
            .bearer(&admin)
            .json(&body)
            .send()
    };
    // Swap most of the split: direct down, OTA up, same capacity.
    let r =
        put(json!({"capacity": 5000, "allocations": {"direct": 1000, "ota": 4000}})).expect(200);
    let ota = r.body["inventory"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["channel"] == "ota")
        .unwrap()
        .clone();
    assert_eq!(
        (
            ota["allocated"].as_i64(),
            ota["held"].as_i64(),
            ota["available"].as_i64()
        ),
        (Some(4000), Some(1200), Some(2800))
    );
    put(json!({"capacity": 5000, "allocations": {"direct": 1000, "ota": 1199}}))
        .problem(409, "INVALID_STATE");
    put(json!({"capacity": 4000, "allocations": {"direct": 1000, "ota": 4000}}))
        .problem(422, "VALIDATION_FAILED");
    put(json!({"capacity": 6000, "allocations": {"direct": 3000, "ota": 3000}})).expect(200);
    app.req(Method::Put, "/api/admin/inventory/999")
        .bearer(&admin)
        .json(&json!({"capacity": 1, "allocations": {"direct": 0, "ota": 0}}))
        .send()
        .problem(404, "NOT_FOUND");
    let staff = app.user("staff@example.com", Role::Staff);
    app.req(Method::Put, "/api/admin/inventory/106")
        .bearer(&staff)
        .json(&json!({"capacity": 6000, "allocations": {"direct": 3000, "ota": 3000}}))
        .send()
        .problem(403, "FORBIDDEN");
    assert_eq!(app.stock(106, "ota"), (1200, 0, 3000));
    app.assert_consistent();
}

#[test]
fn the_openapi_document_describes_every_api_route() {
    let app = spawn_app();
    let spec = app.get("/openapi.json").send().expect(200).body;
    let documented =
        |method: &str, path: &str| spec["paths"][path][method.to_ascii_lowercase()].is_object();
    let mut checked = 0;
    for route in app.client.rocket().routes() {
        let path = route.uri.path().to_string();
        let public_api = ["/api", "/qr", "/venue", "/payments", "/health", "/octo"]
            .iter()
            .any(|p| path.starts_with(p));
        if !public_api {
            continue; // console files, Swagger UI assets, /openapi.json itself
        }
        let openapi_path = path.replace('<', "{").replace('>', "}");
        assert!(
            documented(route.method.as_str(), &openapi_path),
            "{} {openapi_path} is not in /openapi.json",
            route.method
        );
        checked += 1;
    }
    assert!(checked > 50, "only {checked} routes checked");
    // Types of the same name in two APIs keep two schemas (a merge would keep only one of them).
    let schema = |name: &str| spec["components"]["schemas"][name]["properties"].clone();
    assert!(schema("CalendarDay")["day_type"].is_object());
    assert!(schema("OctoCalendarDay")["localDate"].is_object());
    assert!(schema("Cancellation")["reason"].is_object());
    assert!(schema("OctoCancellation")["utcCancelledAt"].is_object());
    // Every operation that takes credentials says so.
    assert!(spec["paths"]["/api/ota/reserve"]["post"]["security"].is_array());
    assert!(spec["paths"]["/venue/redeem"]["post"]["security"].is_array());
}
