//! Accounts have a life: passwords change, admins reset and disable accounts, sessions end when
//! they must, the last admin is never locked out, and the command line can rescue a locked-out
//! operator.

use std::process::{Command, Stdio};

use gangway::domain::users::Role;
use rocket::http::Method;
use serde_json::{json, Value};

use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_gangway");
const NEW_PASSWORD: &str = "a brand new passphrase";

fn me(app: &TestApp, token: &str) -> u16 {
    app.get("/api/me").bearer(token).send().status
}

fn change(app: &TestApp, token: &str, current: &str, new: &str) -> Resp {
    app.post("/api/me/password")
        .bearer(token)
        .json(&json!({"current_password": current, "new_password": new}))
        .send()
}

#[test]
fn changing_ones_password_ends_every_other_session_of_that_user() {
    let app = spawn_app();
    let here = app.user("ann@example.com", Role::Staff);
    let elsewhere = app.login("ann@example.com");
    let someone_else = app.user("bo@example.com", Role::Staff);
    let r = change(&app, &here, "not my password", NEW_PASSWORD).problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["field"], "current_password");
    let r = change(&app, &here, PASSWORD, "short").problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["field"], "new_password");
    assert_eq!(me(&app, &elsewhere), 200, "nothing changed yet");

    let r = change(&app, &here, PASSWORD, NEW_PASSWORD).expect(200);
    assert_eq!(r.body["other_sessions_ended"], 1);
    assert_eq!(me(&app, &here), 200, "the session that changed it goes on");
    assert_eq!(me(&app, &elsewhere), 401);
    assert_eq!(me(&app, &someone_else), 200);
    app.try_login("ann@example.com", PASSWORD)
        .problem(401, "UNAUTHENTICATED");
    app.try_login("ann@example.com", NEW_PASSWORD).expect(200);
    change(&app, "forged", PASSWORD, NEW_PASSWORD).problem(401, "UNAUTHENTICATED");
}

#[test]
fn guessing_the_current_password_with_a_stolen_session_hits_the_account_lock() {
    let app = spawn_app();
    let token = app.user("ann@example.com", Role::Staff);
    for _ in 0..gangway::api::rate_limit::ACCOUNT_FAILURES {
        change(&app, &token, "a wrong guess", NEW_PASSWORD).expect(422);
    }
    change(&app, &token, PASSWORD, NEW_PASSWORD).problem(429, "RATE_LIMITED");
    app.try_login("ann@example.com", PASSWORD)
        .problem(429, "RATE_LIMITED");
}

fn admin_post(app: &TestApp, admin: &str, path: &str) -> Resp {
    app.post(path).bearer(admin).send()
}

/// One user as `GET /api/admin/users` lists them.
pub fn listed_user(app: &TestApp, admin: &str, user_id: i64) -> Value {
    let all = app
        .get("/api/admin/users?limit=1000")
        .bearer(admin)
        .send()
        .expect(200);
    all.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user_id"] == user_id)
        .cloned()
        .unwrap_or_else(|| panic!("user {user_id} is not listed: {}", all.body))
}

#[test]
fn a_disabled_users_sessions_end_at_once_and_they_cannot_log_in_until_enabled() {
    let app = spawn_app();
    let admin = app.admin();
    let staff_id = new_user(app.db(), "staff@example.com", Role::Staff);
    let staff = app.login("staff@example.com");
    let bearer_too = app.login("staff@example.com");
    app.get("/api/admin/inventory")
        .bearer(&staff)
        .send()
        .expect(200);

    let r = admin_post(
        &app,
        &admin,
        &format!("/api/admin/users/{staff_id}/disable"),
    )
    .expect(200);
    assert_eq!(r.body["status"], "disabled");
    assert!(r.body["disabled_at"].is_string());
    for token in [&staff, &bearer_too] {
        app.get("/api/admin/inventory")
            .bearer(token)
            .send()
            .problem(401, "UNAUTHENTICATED");
    }
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM sessions WHERE user_id = {staff_id}"
        )),
        0
    );
    // The right password of a disabled account gets the answer a wrong one gets.
    let refused = app
        .try_login("staff@example.com", PASSWORD)
        .problem(401, "UNAUTHENTICATED");
    let wrong = app
        .try_login("staff@example.com", "wrong password!")
        .problem(401, "UNAUTHENTICATED");
    assert_eq!(refused.body, wrong.body);
    // Repeating is harmless.
    admin_post(
        &app,
        &admin,
        &format!("/api/admin/users/{staff_id}/disable"),
    )
    .expect(200);

    let r = admin_post(&app, &admin, &format!("/api/admin/users/{staff_id}/enable")).expect(200);
    assert_eq!(r.body["status"], "active");
    let staff = app.login("staff@example.com");
    assert_eq!(me(&app, &staff), 200);
    let actions: Vec<String> = app
        .get("/api/admin/audit?limit=100")
        .bearer(&admin)
        .send()
        .expect(200)
        .body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert!(actions.contains(&"user.disable".to_owned()), "{actions:?}");
    assert!(actions.contains(&"user.enable".to_owned()), "{actions:?}");
    admin_post(&app, &admin, "/api/admin/users/999999/disable").problem(404, "NOT_FOUND");
}

#[test]
fn the_last_enabled_admin_can_be_neither_disabled_nor_demoted() {
    let app = spawn_app();
    let first = app.admin();
    let first_id = app.scalar("SELECT id FROM users WHERE email = 'admin@example.com'");
    let demote = |token: &str, id: i64| {
        app.req(Method::Patch, &format!("/api/admin/users/{id}"))
            .bearer(token)
            .json(&json!({"role": "staff"}))
            .send()
    };
    admin_post(
        &app,
        &first,
        &format!("/api/admin/users/{first_id}/disable"),
    )
    .problem(409, "INVALID_STATE");
    demote(&first, first_id).problem(409, "INVALID_STATE");
    // A disabled admin does not count as the other one.
    let second_id = new_user(app.db(), "second@example.com", Role::Admin);
    let second = app.login("second@example.com");
    admin_post(
        &app,
        &first,
        &format!("/api/admin/users/{second_id}/disable"),
    )
    .expect(200);
    admin_post(
        &app,
        &first,
        &format!("/api/admin/users/{first_id}/disable"),
    )
    .problem(409, "INVALID_STATE");
    admin_post(
        &app,
        &first,
        &format!("/api/admin/users/{second_id}/enable"),
    )
    .expect(200);
    let second = if me(&app, &second) == 200 {
        second
    } else {
        app.login("second@example.com")
    };
    // With two, either may go; then the remaining one is the last again.
    let r = demote(&first, second_id).expect(200);
    assert_eq!(r.body["role"], "staff");
    assert_eq!(
        app.get("/api/admin/users").bearer(&second).send().status,
        403,
        "a new role applies to the next request"
    );
    admin_post(
        &app,
        &first,
        &format!("/api/admin/users/{first_id}/disable"),
    )
    .problem(409, "INVALID_STATE");
    let r = app
        .req(Method::Patch, &format!("/api/admin/users/{second_id}"))
        .bearer(&first)
        .json(&json!({"role": "boss"}))
        .send()
        .problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["field"], "role");
}

#[test]
fn an_admin_resets_a_password_shown_once_and_the_users_sessions_end() {
    let app = spawn_app();
    let admin = app.admin();
    let id = new_user(app.db(), "pier@example.com", Role::Venue);
    let scanner = app.login("pier@example.com");
    let r = admin_post(
        &app,
        &admin,
        &format!("/api/admin/users/{id}/reset-password"),
    )
    .expect(200);
    let password = r.text("password");
    assert!(password.len() >= 16);
    assert_eq!(me(&app, &scanner), 401);
    app.try_login("pier@example.com", PASSWORD)
        .problem(401, "UNAUTHENTICATED");
    app.try_login("pier@example.com", &password).expect(200);
    let listed = app
        .get("/api/admin/users")
        .bearer(&admin)
        .send()
        .expect(200);
    assert!(!listed.body.to_string().contains(&password));
    assert!(!listed.body.to_string().contains("argon2"));
    let user = listed_user(&app, &admin, id);
    assert!(user["password_changed_at"].is_string(), "{user}");
    let staff = app.user("staff@example.com", Role::Staff);
    admin_post(
        &app,
        &staff,
        &format!("/api/admin/users/{id}/reset-password"),
    )
    .problem(403, "FORBIDDEN");
}

#[test]
fn admins_list_users_with_their_last_login_and_create_users_with_generated_passwords() {
    let app = spawn_app();
    let admin = app.admin();
    let created = app
        .post("/api/admin/users")
        .bearer(&admin)
        .json(&json!({"email": "gate2@example.com", "role": "venue", "name": "Gate 2"}))
        .send()
        .expect(201);
    let generated = created.text("password");
    assert_eq!(created.body["role"], "venue");
    let chosen = app
        .post("/api/admin/users")
        .bearer(&admin)
        .json(&json!({"email": "ops@example.com", "role": "staff", "password": PASSWORD}))
        .send()
        .expect(201);
    assert!(
        chosen.body.get("password").is_none(),
        "a chosen password is never echoed"
    );
    let list = |query: &str| -> Vec<Value> {
        app.get(&format!("/api/admin/users{query}"))
            .bearer(&admin)
            .send()
            .expect(200)
            .body["users"]
            .as_array()
            .unwrap()
            .clone()
    };
    let gate = |users: &[Value]| {
        users
            .iter()
            .find(|u| u["email"] == "gate2@example.com")
            .cloned()
            .unwrap()
    };
    assert!(gate(&list("")).get("last_login_at").unwrap().is_null());
    app.try_login("gate2@example.com", &generated).expect(200);
    let row = gate(&list(""));
    assert!(row["last_login_at"].is_string(), "{row}");
    assert_eq!(row["status"], "active");
    assert_eq!(row["name"], "Gate 2");
    let all = list("");
    assert_eq!(all[0]["role"], "admin", "staff accounts first");
    assert_eq!(list("?role=venue").len(), 1);
    assert_eq!(list("?status=disabled").len(), 0);
    let page = app
        .get("/api/admin/users?limit=1&page=2")
        .bearer(&admin)
        .send()
        .expect(200);
    assert_eq!(
        (
            page.body["total_count"].as_i64(),
            page.body["page_size"].as_i64()
        ),
        (Some(3), Some(1))
    );
    for bad in ["?role=boss", "?status=gone", "?limit=0"] {
        app.get(&format!("/api/admin/users{bad}"))
            .bearer(&admin)
            .send()
            .problem(422, "VALIDATION_FAILED");
    }
    let staff = app.login("ops@example.com");
    app.get("/api/admin/users")
        .bearer(&staff)
        .send()
        .problem(403, "FORBIDDEN");
}

#[test]
fn the_account_routes_are_in_the_openapi_document_with_descriptions() {
    let app = spawn_app();
    let spec = app.get("/openapi.json").send().expect(200).body;
    for (path, method) in [
        ("/api/me/password", "post"),
        ("/api/admin/users", "get"),
        ("/api/admin/users", "post"),
        ("/api/admin/users/{id}", "patch"),
        ("/api/admin/users/{id}/reset-password", "post"),
        ("/api/admin/users/{id}/disable", "post"),
        ("/api/admin/users/{id}/enable", "post"),
        ("/api/admin/users/{id}/unlock", "post"),
    ] {
        let op = &spec["paths"][path][method];
        assert!(op["security"].is_array(), "{method} {path}: {op}");
        let text = format!("{} {}", op["summary"], op["description"]);
        assert!(text.len() > 40, "{method} {path} has no description: {op}");
    }
}

/// `gangway <args>` on the database at `db`: (success, stdout, stderr).
fn cli(db: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("GANGWAY_DATABASE_PATH", db)
        .stdin(Stdio::null())
        .output()
        .expect("run gangway");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn can_log_in(db: &gangway::db::Db, email: &str, password: &str) -> bool {
    gangway::domain::accounts::login(db, email, password, time::Duration::hours(1), None).is_ok()
}

#[test]
fn the_command_line_resets_disables_and_enables_users_by_email() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gangway.db");
    let db = gangway::db::Db::open(&path, 1).unwrap();
    new_user(&db, "root@example.com", Role::Admin);
    new_user(&db, "pier@example.com", Role::Venue);
    let token = gangway::domain::accounts::login(
        &db,
        "pier@example.com",
        PASSWORD,
        time::Duration::hours(1),
        None,
    )
    .unwrap()
    .token;

    let (ok, out, err) = cli(
        &path,
        &["admin", "reset-password", "--email", "root@example.com"],
    );
    assert!(ok, "{out}{err}");
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("Password: "))
        .unwrap_or_else(|| panic!("no password in {out}"))
        .trim()
        .to_owned();
    assert!(can_log_in(&db, "root@example.com", &password));
    assert!(!can_log_in(&db, "root@example.com", PASSWORD));
    let (ok, _, _) = cli(
        &path,
        &[
            "admin",
            "reset-password",
            "--email",
            "root@example.com",
            "--password",
            NEW_PASSWORD,
        ],
    );
    assert!(ok);
    assert!(can_log_in(&db, "root@example.com", NEW_PASSWORD));

    let (ok, out, err) = cli(
        &path,
        &["admin", "disable-user", "--email", "pier@example.com"],
    );
    assert!(ok, "{out}{err}");
    assert!(
        gangway::domain::sessions::resolve(&db, &token)
            .unwrap()
            .is_none(),
        "the session ended"
    );
    assert!(!can_log_in(&db, "pier@example.com", PASSWORD));
    let (ok, out, err) = cli(
        &path,
        &["admin", "enable-user", "--email", "pier@example.com"],
    );
    assert!(ok, "{out}{err}");
    assert!(can_log_in(&db, "pier@example.com", PASSWORD));

    let (ok, _, err) = cli(
        &path,
        &["admin", "disable-user", "--email", "root@example.com"],
    );
    assert!(!ok, "the last admin was disabled");
    assert!(err.contains("last enabled admin"), "{err}");
    let (ok, _, err) = cli(
        &path,
        &["admin", "disable-user", "--email", "nobody@example.com"],
    );
    assert!(
        !ok && err.contains("no user has the email nobody@example.com"),
        "{err}"
    );
}

#[test]
fn the_first_admins_password_can_come_from_the_environment_or_a_file_and_is_never_printed() {
    let secret = "operator chosen passphrase 42";
    for how in ["GANGWAY_ADMIN_PASSWORD", "GANGWAY_ADMIN_PASSWORD_FILE"] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("admin-password");
        std::fs::write(&file, format!("{secret}\n")).unwrap();
        let value = if how == "GANGWAY_ADMIN_PASSWORD" {
            secret.to_owned()
        } else {
            file.display().to_string()
        };
        let db = dir.path().join("data/gangway.db");
        let server = crate::storage::Gangway::serve(dir.path(), &db, &[(how, &value)], None);
        let login = json!({"email": "admin@gangway.local", "password": secret});
        let (status, body) = call_at(
            &server.base,
            "POST",
            "/api/auth/login",
            &Cred::None,
            Some(&login),
            &[],
        );
        assert_eq!(
            (status, body["role"].as_str()),
            (200, Some("admin")),
            "{how}: {body}"
        );
        let printed = server.stdout();
        assert!(!printed.contains(secret), "{how}: the password was printed");
        assert!(printed.contains("admin@gangway.local"), "{printed}");
        assert!(!printed.contains("password: "), "{printed}");
    }
}
