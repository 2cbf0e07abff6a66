//! Steps the console scenarios share: an OTA call, a user, signing in through the form, a token,
//! and the check that a view shows no error.

use gangway::domain::users::Role;
use serde_json::{json, Value};

use super::browser::Browser;
use crate::helpers::*;

pub fn api(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    key: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = match method {
        "GET" => agent.get(url).header("X-API-Key", key).call(),
        _ => agent
            .post(url)
            .header("X-API-Key", key)
            .send_json(body.unwrap_or_else(|| json!({}))),
    }
    .expect("server answers");
    let status = r.status().as_u16();
    (status, r.body_mut().read_json().unwrap_or(Value::Null))
}

pub fn create_user(server: &Server, email: &str, role: Role) {
    new_user(&server.db(), email, role);
}

/// Logs in through the form and waits for the console to show the user's role.
pub fn log_in(b: &Browser, email: &str, role: &str) {
    b.type_into("#email", email);
    b.type_into("#password", PASSWORD);
    b.click("form.login-form button[type=submit]");
    b.wait_js(
        &format!("the console to show the {role} role"),
        "return document.querySelector('[data-testid=user-role]')?.textContent === arguments[0]",
        json!([role]),
    );
}

/// No view shows an error box, or a missing value as the word null or undefined.
#[track_caller]
/// A secret the console shows only once (a new password, a new API key): the text of `selector`
/// once it is there.
pub fn shown_once(b: &Browser, what: &str, selector: &str) -> String {
    let script = format!("return document.querySelector('{selector}')?.textContent");
    let value = b.wait_js(what, &script, json!([]));
    value.as_str().expect("a text").to_owned()
}

/// Nothing failed in the browser's console, except answers containing `expected` (e.g. the 401
/// of a deliberate logout, or the 4xx of refusals shown on purpose).
pub fn assert_console_clean(b: &Browser, expected: &str) {
    let errors: Vec<String> = b
        .console_log()
        .into_iter()
        .filter(|l| l.starts_with("SEVERE") && !l.contains(expected))
        .collect();
    assert!(errors.is_empty(), "browser console errors: {errors:#?}");
}

pub fn assert_no_error(b: &Browser) {
    let errors = b.js(
        "return [...document.querySelectorAll('#main .alert-error')].map((e) => e.textContent)",
        json!([]),
    );
    assert_eq!(
        errors,
        json!([]),
        "on {}",
        b.js("return location.hash", json!([]))
    );
    let text = b.text("#main");
    assert!(
        !text
            .split_whitespace()
            .any(|w| w == "null" || w == "undefined"),
        "a missing value printed as text on {}: {text}",
        b.js("return location.hash", json!([]))
    );
}

/// A login over the API: the status and the token.
pub fn login(agent: &ureq::Agent, base: &str, email: &str, password: &str) -> (u16, String) {
    let mut r = agent
        .post(&format!("{base}/api/auth/login"))
        .send_json(json!({"email": email, "password": password}))
        .unwrap();
    let status = r.status().as_u16();
    let v: Value = r.body_mut().read_json().unwrap_or(Value::Null);
    (status, v["token"].as_str().unwrap_or_default().to_owned())
}

/// `GET /api/me` with a bearer token: 200 while the session lives.
pub fn me_status(agent: &ureq::Agent, base: &str, token: &str) -> u16 {
    agent
        .get(&format!("{base}/api/me"))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap()
        .status()
        .as_u16()
}

pub fn login_token(agent: &ureq::Agent, base: &str, email: &str) -> String {
    let (status, token) = login(agent, base, email, PASSWORD);
    assert_eq!(status, 200, "login of {email}");
    token
}
