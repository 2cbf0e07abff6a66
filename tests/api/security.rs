//! Issue 14's hardening, through the real app: whose address a login is limited by, the
//! per-account lockout and its audit, answers that are never cached, the Secure cookie, the docs
//! page's headers, and CSV cells a spreadsheet would run as formulas.

use std::io::Read;

use gangway::api::guards::LOGIN_ATTEMPTS_PER_MINUTE;
use gangway::api::rate_limit::ACCOUNT_FAILURES;
use gangway::domain::users::Role;
use serde_json::{json, Value};

use crate::helpers::*;

const GUESS: &str = "guess-guess-guess";

fn guess(app: &TestApp, from: &str, email: &str, headers: &[(&str, &str)]) -> Resp {
    let mut req = app
        .post("/api/auth/login")
        .from(from)
        .json(&json!({"email": email, "password": GUESS}));
    for (n, v) in headers {
        req = req.header(n, v);
    }
    req.send()
}

#[test]
fn rotating_x_real_ip_or_x_forwarded_for_does_not_get_around_the_login_limit() {
    let app = spawn_app();
    let statuses: Vec<u16> = (0..LOGIN_ATTEMPTS_PER_MINUTE + 5)
        .map(|i| {
            let fake = format!("10.9.{}.{}", i / 250, i % 250 + 1);
            guess(
                &app,
                "192.0.2.10",
                &format!("someone{i}@example.com"),
                &[("X-Real-IP", &fake), ("X-Forwarded-For", &fake)],
            )
            .status
        })
        .collect();
    let limit = LOGIN_ATTEMPTS_PER_MINUTE as usize;
    assert!(statuses[..limit].iter().all(|s| *s == 401), "{statuses:?}");
    assert!(statuses[limit..].iter().all(|s| *s == 429), "{statuses:?}");
}

#[test]
fn nobody_can_spend_another_address_s_login_budget() {
    let app = spawn_app();
    let victim = "198.51.100.23";
    for i in 0..LOGIN_ATTEMPTS_PER_MINUTE + 5 {
        guess(
            &app,
            "203.0.113.66",
            &format!("someone{i}@example.com"),
            &[("X-Real-IP", victim), ("X-Forwarded-For", victim)],
        );
    }
    app.user("victim@example.com", Role::Staff);
    app.post("/api/auth/login")
        .from(victim)
        .json(&json!({"email": "victim@example.com", "password": PASSWORD}))
        .send()
        .expect(200);
}

#[test]
fn behind_a_trusted_proxy_the_forwarded_address_is_the_client() {
    let app = spawn_app_with(|f| f.merge(("trusted_proxies", ["127.0.0.1", "10.0.0.0/8"])));
    let attempt = std::cell::Cell::new(0);
    let email = || {
        // A different account each time: only the per-address limit is at work here.
        attempt.set(attempt.get() + 1);
        format!("someone{}@example.com", attempt.get())
    };
    let through_proxy = |client: &str| {
        // A client-supplied entry on the left, then the client as our proxies saw it.
        let chain = format!("6.6.6.6, {client}, 10.1.2.3");
        guess(&app, "127.0.0.1", &email(), &[("X-Forwarded-For", &chain)]).status
    };
    for _ in 0..LOGIN_ATTEMPTS_PER_MINUTE {
        assert_eq!(through_proxy("198.51.100.1"), 401);
    }
    assert_eq!(through_proxy("198.51.100.1"), 429, "that client is limited");
    assert_eq!(
        through_proxy("198.51.100.2"),
        401,
        "another client behind the same proxy is not"
    );
    // X-Real-IP, when the proxy sends that instead.
    let real_ip = guess(
        &app,
        "127.0.0.1",
        &email(),
        &[("X-Real-IP", "198.51.100.1")],
    );
    assert_eq!(real_ip.status, 429);
    // A peer that is not a trusted proxy is its own client, whatever it claims.
    let direct = guess(
        &app,
        "192.0.2.99",
        &email(),
        &[("X-Forwarded-For", "198.51.100.2")],
    );
    assert_eq!(direct.status, 401);
    let addresses: Vec<String> = audit_rows(&app, "auth.login_failed")
        .iter()
        .map(|s| s["address"].to_string())
        .collect();
    assert!(
        addresses.contains(&"\"198.51.100.1\"".to_owned()),
        "{addresses:?}"
    );
    assert!(
        addresses.contains(&"\"192.0.2.99\"".to_owned()),
        "{addresses:?}"
    );
    assert!(
        !addresses.iter().any(|a| a.contains("6.6.6.6")),
        "{addresses:?}"
    );
}

#[test]
fn rotating_x_real_ip_over_real_http_still_hits_the_wall() {
    let server = Server::start();
    let statuses: Vec<u16> = (0..LOGIN_ATTEMPTS_PER_MINUTE + 5)
        .map(|i| {
            let fake = format!("10.0.0.{}", i + 1);
            let guess = json!({"email": format!("someone{i}@example.com"), "password": GUESS});
            server
                .call(
                    "POST",
                    "/api/auth/login",
                    &Cred::None,
                    Some(&guess),
                    &[("X-Real-IP", &fake)],
                )
                .0
        })
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        5,
        "{statuses:?}"
    );
}

fn audit_rows(app: &TestApp, action: &str) -> Vec<Value> {
    app.db()
        .read(|c| {
            Ok(
                c.prepare("SELECT summary FROM audit_log WHERE action = ?1 ORDER BY id")?
                    .query_map([action], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?,
            )
        })
        .unwrap()
        .iter()
        .map(|s| serde_json::from_str(s).unwrap())
        .collect()
}

#[test]
fn ten_wrong_passwords_lock_the_account_whatever_the_address_until_an_admin_unlocks_it() {
    let app = spawn_app();
    let admin = app.admin();
    let ann = new_user(app.db(), "ann@example.com", Role::Staff);
    for i in 0..ACCOUNT_FAILURES {
        guess(
            &app,
            &format!("198.51.100.{}", i + 1),
            "ann@example.com",
            &[],
        )
        .expect(401);
    }
    // Now even the right password, from an address never seen, is refused for a while.
    let locked = app
        .post("/api/auth/login")
        .from("203.0.113.200")
        .json(&json!({"email": "ANN@example.com", "password": PASSWORD}))
        .send()
        .problem(429, "RATE_LIMITED");
    let retry: u64 = locked.header("Retry-After").unwrap().parse().unwrap();
    assert!((800..=900).contains(&retry), "Retry-After {retry}");
    // Other accounts are not affected.
    app.user("bo@example.com", Role::Staff);

    // Every failure is audited with the email tried and the address; so is the lock.
    let failed = audit_rows(&app, "auth.login_failed");
    assert_eq!(failed.len(), ACCOUNT_FAILURES);
    assert_eq!(failed[0]["email"], "ann@example.com");
    assert_eq!(failed[0]["address"], "198.51.100.1");
    assert_eq!(failed[9]["address"], "198.51.100.10");
    assert_eq!(failed[0]["reason"], "wrong_password");
    let locks = audit_rows(&app, "auth.account_locked");
    assert_eq!(locks.len(), 1);
    assert_eq!(locks[0]["address"], "198.51.100.10");

    // The admin sees the lock and lifts it.
    let row = crate::users::listed_user(&app, &admin, ann);
    assert!(row["locked_until"].is_string(), "{row}");
    let unlocked = app
        .post(&format!("/api/admin/users/{ann}/unlock"))
        .bearer(&admin)
        .send()
        .expect(200);
    assert!(unlocked.body["locked_until"].is_null());
    assert_eq!(audit_rows(&app, "user.unlock").len(), 1);
    app.login("ann@example.com");
}

#[test]
fn unknown_emails_lock_like_real_ones_so_a_lock_tells_nothing() {
    let app = spawn_app();
    for i in 0..ACCOUNT_FAILURES {
        guess(
            &app,
            &format!("198.51.100.{}", i + 1),
            "nobody@example.com",
            &[],
        )
        .expect(401);
    }
    guess(&app, "203.0.113.1", "nobody@example.com", &[]).problem(429, "RATE_LIMITED");
    let failed = audit_rows(&app, "auth.login_failed");
    assert_eq!(failed[0]["reason"], "unknown_email");
}

#[test]
fn a_right_password_forgets_earlier_failures() {
    let app = spawn_app();
    new_user(app.db(), "cy@example.com", Role::Staff);
    for round in 0..2 {
        for i in 0..ACCOUNT_FAILURES - 1 {
            guess(
                &app,
                &format!("198.51.{round}.{}", i + 1),
                "cy@example.com",
                &[],
            )
            .expect(401);
        }
        app.login("cy@example.com");
    }
}

#[test]
fn registration_is_behind_the_same_per_address_limit() {
    let app = spawn_app();
    let register = |i: u32| {
        app.post("/api/auth/register")
            .from("192.0.2.50")
            .json(&json!({"email": format!("c{i}@example.com"), "password": PASSWORD}))
            .send()
    };
    for i in 0..LOGIN_ATTEMPTS_PER_MINUTE {
        register(i).expect(201);
    }
    let r = register(999).problem(429, "RATE_LIMITED");
    assert!(r.header("Retry-After").is_some());
    // Logins from that address share the budget; other addresses do not.
    guess(&app, "192.0.2.50", "c1@example.com", &[]).problem(429, "RATE_LIMITED");
    guess(&app, "192.0.2.51", "c1@example.com", &[]).expect(401);
}

#[test]
fn answers_that_carry_someones_data_are_never_cached() {
    let app = spawn_app();
    let admin = app.admin();
    let p = app.partner("P");
    let login = app.try_login("admin@example.com", PASSWORD).expect(200);
    assert_eq!(login.header("Cache-Control"), Some("no-store"));
    let wrong = app.try_login("admin@example.com", "wrong password!");
    assert_eq!(wrong.header("Cache-Control"), Some("no-store"));
    for path in [
        "/api/me",
        "/api/admin/users",
        "/api/admin/inventory",
        "/api/admin/audit",
    ] {
        let r = app.get(path).bearer(&admin).send().expect(200);
        assert_eq!(r.header("Cache-Control"), Some("no-store"), "{path}");
    }
    let r = app.get("/api/ota/inventory").key(&p.key).send().expect(200);
    assert_eq!(r.header("Cache-Control"), Some("no-store"));
    let cookie = login
        .header("Set-Cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let r = app
        .get("/api/me")
        .header("Cookie", &cookie)
        .send()
        .expect(200);
    assert_eq!(r.header("Cache-Control"), Some("no-store"));
    let r = app
        .get("/api/admin/users")
        .bearer("forged")
        .send()
        .expect(401);
    assert_eq!(r.header("Cache-Control"), Some("no-store"));
}

#[test]
fn the_session_cookie_is_secure_when_the_public_url_is_https() {
    let cookie_of = |app: &TestApp| {
        app.user("staff@example.com", Role::Staff);
        app.try_login("staff@example.com", PASSWORD)
            .expect(200)
            .header("Set-Cookie")
            .unwrap()
            .to_owned()
    };
    let https = spawn_app_with(|f| f.merge(("public_url", "https://tickets.example.com")));
    let cookie = cookie_of(&https);
    assert!(
        cookie.contains("Secure")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let plain = spawn_app_with(|f| f.merge(("public_url", "http://127.0.0.1:8000")));
    assert!(!cookie_of(&plain).contains("Secure"));
    assert!(!cookie_of(&spawn_app()).contains("Secure"));
    let dir = tempfile::tempdir().unwrap();
    let bad = figment(&dir).merge(("public_url", "tickets.example.com"));
    assert!(gangway::config::Config::from_figment(&bad).is_err());
}

#[test]
fn the_docs_page_gets_the_consoles_security_headers() {
    let app = spawn_app();
    let console = app.get("/").send().expect(200);
    let console_csp = console
        .header("Content-Security-Policy")
        .unwrap()
        .to_owned();
    for path in [
        "/docs/index.html",
        "/docs/swagger-ui-bundle.js",
        "/docs/favicon-32x32.png",
    ] {
        let docs = app.get(path).send().expect(200);
        for h in ["Referrer-Policy", "X-Content-Type-Options"] {
            assert!(docs.header(h).is_some(), "{path} has no {h}");
            assert_eq!(docs.header(h), console.header(h), "{path}: {h}");
        }
        // The console's policy, plus exactly one hashed <style> of Swagger UI: no inline script,
        // no 'unsafe-inline' anything.
        let csp = docs.header("Content-Security-Policy").unwrap();
        let extra = csp
            .strip_prefix(console_csp.as_str())
            .unwrap_or_else(|| panic!("{path}: {csp}"));
        assert!(
            extra.starts_with("; style-src 'self' 'sha256-") && !csp.contains("unsafe"),
            "{csp}"
        );
    }
}

/// The manifest of a batch as a staff member downloads it.
fn manifest(app: &TestApp, batch_id: &str) -> String {
    let admin = app.admin();
    let zip = app
        .get(&format!("/api/admin/batches/{batch_id}/archive.zip"))
        .bearer(&admin)
        .send()
        .expect(200)
        .bytes;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut text = String::new();
    archive
        .by_name("manifest.csv")
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn ticket_codes_never_start_like_a_formula_and_manifests_defuse_the_old_ones() {
    let app = spawn_app();
    let p = app.partner("P");
    let reseller = app.reseller(
        &p,
        &json!({"reseller_code": "-1-1", "reseller_name": "Minus"}),
    );
    let batch = app
        .ota_post(
            &p,
            "/api/ota/tickets/bulk-generate",
            &json!({"product_id": 106, "quantity": 300, "distribution_mode": "reseller_batch", "reseller_id": reseller}),
        )
        .expect(201);
    let tickets = batch.body["tickets"].as_array().unwrap();
    for t in tickets {
        let code = text_of(t, "ticket_code");
        assert!(
            !code.starts_with(['-', '=', '+', '@']) && code.len() <= 24,
            "{code}"
        );
    }
    // A code issued before the prefix may begin with '-': its voucher still works, and in the
    // manifest the cell is defused like every text cell.
    let batch_id = batch.text("batch_id");
    let old = "-Ab_cDeFgHiJkLmN";
    let first = text_of(&tickets[0], "ticket_code");
    app.sql(&format!(
        "UPDATE tickets SET code = '{old}' WHERE code = '{first}'"
    ));
    let csv = manifest(&app, &batch_id);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 301);
    let old_row = rows
        .iter()
        .find(|r| r.contains(old))
        .expect("the old code's row");
    assert!(old_row.starts_with(&format!("'{old},")), "{old_row}");
    let reseller_cell = old_row.split(',').nth(5);
    assert_eq!(reseller_cell, Some("'-1-1"), "{old_row}");
    for row in &rows[1..] {
        assert!(!row.starts_with(['-', '=', '+', '@']), "{row}");
    }
    let voucher = app.state().ctx.qr.voucher_token(old).unwrap();
    app.post(&format!("/api/ota/tickets/{old}/activate"))
        .key(&p.key)
        .json(&json!({"customer_details": {"name": "Old Code", "email": "old@example.com"}, "customer_type": "adult", "visit_date": weekday_ahead()}))
        .send()
        .expect(200);
    app.visit_day_comes();
    let scanner = venue(&app);
    app.redeem(&scanner, &voucher, "ferry").expect(200);
}
