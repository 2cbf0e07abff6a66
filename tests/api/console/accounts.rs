//! Accounts in a real browser: an admin creates a venue account (its password shown once),
//! disables it (its session ends at once), enables it and resets its password; a user changes their
//! own password from the header; the API docs work under the console's Content-Security-Policy.

use serde_json::json;

use super::browser::*;
use super::steps::*;
use crate::helpers::*;
use gangway::domain::users::Role;

#[test]
fn accounts_are_managed_in_the_console() {
    let Some((chromedriver, chromium)) = browser_binaries() else {
        return;
    };
    let server = Server::start();
    let agent = http();
    let base = server.base.clone();
    create_user(&server, "admin@example.com", Role::Admin);
    create_user(&server, "scanner@example.com", Role::Venue);
    let b = Browser::start(&chromedriver, &chromium);
    b.goto(&format!("{base}/"));
    log_in(&b, "admin@example.com", "admin");

    // --- users: create a venue account with a generated password, disable, enable, reset
    b.click("a[href=\"#/users\"]");
    b.find("[data-testid=users-table] tr[data-email=\"scanner@example.com\"]");
    b.type_into("#new-user-email", "gate3@example.com");
    b.type_into("#new-user-name", "Gate 3");
    b.click("#new-user-role option[value=venue]");
    b.click("[data-testid=create-user]");
    let password = shown_once(
        &b,
        "the new user's password",
        "[data-testid=new-password] [data-testid=new-password-value]",
    );
    let gate_row = "[data-testid=users-table] tr[data-email=\"gate3@example.com\"]";
    b.find(gate_row);
    let (status, gate_token) = login(&agent, &base, "gate3@example.com", &password);
    assert_eq!(status, 200, "the shown password works");
    b.screenshot("accounts-01-new-password");
    // The confirmation dialogs say yes.
    b.js("window.confirm = () => true", json!([]));
    b.click(&format!("{gate_row} [data-testid=disable-user]"));
    b.find(&format!("{gate_row}[data-status=disabled]"));
    assert_eq!(
        me_status(&agent, &base, &gate_token),
        401,
        "the disabled user's session ended"
    );
    assert_eq!(login(&agent, &base, "gate3@example.com", &password).0, 401);
    b.click(&format!("{gate_row} [data-testid=enable-user]"));
    b.find(&format!("{gate_row}[data-status=active]"));
    b.click(&format!("{gate_row} [data-testid=reset-password]"));
    let reset = b.wait_js(
        "the reset password",
        "const v = document.querySelector('[data-testid=new-password] [data-testid=new-password-value]')?.textContent; return v !== arguments[0] && v",
        json!([password]),
    );
    assert_eq!(login(&agent, &base, "gate3@example.com", &password).0, 401);
    assert_eq!(
        login(&agent, &base, "gate3@example.com", reset.as_str().unwrap()).0,
        200
    );
    assert_no_error(&b);
    b.both_sizes("accounts-02-users", "[data-testid=users-table]");

    // --- the venue user changes their own password (their email in the header leads there)
    b.click("[data-testid=logout]");
    b.find("#email");
    log_in(&b, "scanner@example.com", "venue");
    b.click("[data-testid=user-email]");
    b.type_into("#current-password", PASSWORD);
    b.type_into("#new-password", "the scanner's new passphrase");
    b.type_into("#confirm-password", "the scanner's new passphrase");
    b.click("[data-testid=change-password]");
    b.find("[data-testid=password-changed]");
    assert_eq!(login(&agent, &base, "scanner@example.com", PASSWORD).0, 401);
    let new = login(
        &agent,
        &base,
        "scanner@example.com",
        "the scanner's new passphrase",
    );
    assert_eq!(new.0, 200);
    b.both_sizes(
        "accounts-03-your-password",
        "[data-testid=password-changed]",
    );

    // --- the docs page works under the console's Content-Security-Policy
    b.goto(&format!("{base}/docs/index.html"));
    b.wait_js(
        "the API docs",
        "return document.querySelector('.swagger-ui .info .title')?.textContent.includes('Gangway')",
        json!([]),
    );
    b.find(".swagger-ui .opblock");
    b.screenshot("accounts-04-docs");
    assert_console_clean(&b, "status of 401");
}
