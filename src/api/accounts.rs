//! Accounts: register, login (bearer token + HttpOnly session cookie), logout, me, and changing
//! one's own password. Logins are limited per client address (`LoginThrottle`) and per account
//! (`AccountLockout`): ten wrong passwords in fifteen minutes lock the account for fifteen minutes,
//! whatever the address.

use rocket::http::{Cookie, CookieJar, SameSite};
use rocket::serde::json::Json;
use rocket::{get, post};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::body::Body;
use super::guards::{AuthUser, LoginThrottle, SessionToken, SESSION_COOKIE};
use super::{created, run, ApiResult, App, CreatedJson};
use crate::domain::accounts::{self, LoggedIn};
use crate::domain::users::{Role, User};
use crate::error::AppError;

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: register, login, logout]
}

pub fn me_routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: me, change_password]
}

#[derive(Deserialize, JsonSchema)]
pub struct Registration {
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Serialize, JsonSchema)]
pub struct Registered {
    pub user_id: i64,
    pub email: String,
    pub role: Role,
}

/// Creates a customer account. 409 `INVALID_STATE` if the email is taken. Shares the login's
/// limit of 20 attempts per client address and minute (429 with `Retry-After`).
#[openapi(tag = "Accounts")]
#[post("/register", data = "<body>")]
async fn register(
    app: App,
    _throttle: LoginThrottle,
    body: Body<Registration>,
) -> ApiResult<CreatedJson<Registered>> {
    let r = body.0;
    let user = run(&app, move |ctx| {
        accounts::register(&ctx.db, &r.email, &r.password, &r.name)
    })
    .await?;
    Ok(created(
        format!("/api/users/{}", user.user_id),
        Registered {
            user_id: user.user_id,
            email: user.email,
            role: user.role,
        },
    ))
}

#[derive(Deserialize, JsonSchema)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// Logs in. Wrong email, wrong password and a disabled account get the same 401. At most 20
/// attempts per client address and minute; after 10 wrong passwords within 15 minutes the account
/// answers 429 for 15 minutes whatever the address (an admin can lift it). 429s carry
/// `Retry-After`. Failures are in the audit log (`auth.login_failed`) with the email and address.
#[openapi(tag = "Accounts")]
#[post("/login", data = "<body>")]
async fn login(
    app: App,
    throttle: LoginThrottle,
    cookies: &CookieJar<'_>,
    body: Body<Credentials>,
) -> ApiResult<Json<LoggedIn>> {
    let c = body.0;
    let from = throttle.0;
    refuse_if_locked(&app, &c.email)?;
    let email = c.email.clone();
    let result = run(&app, move |ctx| {
        let ttl = time::Duration::hours(ctx.config.session_ttl_hours);
        accounts::login(&ctx.db, &c.email, &c.password, ttl, from)
    })
    .await;
    let session = counted(&app, &email, from, result).await?;
    cookies.add(session_cookie(
        &app,
        session.token.clone(),
        session.expires_at,
    ));
    Ok(Json(session))
}

/// 429 while the account is locked after too many wrong passwords.
fn refuse_if_locked(app: &App, email: &str) -> Result<(), AppError> {
    match app.lockout.locked_for(email) {
        Some(left) => Err(AppError::RateLimited {
            retry_after_secs: left.as_secs().max(1),
        }),
        None => Ok(()),
    }
}

/// Counts a password check towards the account's lockout: a wrong password is one failure more
/// (the one that locks the account is audited), a right one forgets the failures.
async fn counted<T>(
    app: &App,
    email: &str,
    from: Option<std::net::IpAddr>,
    result: Result<T, AppError>,
) -> Result<T, AppError> {
    let wrong_password = matches!(
        &result,
        Err(AppError::Unauthenticated) | Err(AppError::Validation { .. })
    );
    match &result {
        Ok(_) => app.lockout.succeeded(email),
        Err(_) if wrong_password && app.lockout.failed(email) => {
            let email = email.to_owned();
            run(app, move |ctx| {
                accounts::record_lockout(&ctx.db, &email, from)
            })
            .await?;
        }
        Err(_) => {}
    }
    result
}

/// The HttpOnly, SameSite=Strict session cookie; `Secure` when `public_url` is https.
fn session_cookie(app: &App, value: String, expires_at: time::OffsetDateTime) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(app.ctx.config.served_over_https())
        .path("/")
        .max_age(rocket::time::Duration::seconds(
            (expires_at - crate::clock::now()).whole_seconds(),
        ))
        .build()
}

#[derive(Serialize, JsonSchema)]
pub struct LoggedOut {
    pub logged_out: bool,
}

/// Ends the session of the presented token or cookie.
#[openapi(tag = "Accounts")]
#[post("/logout")]
async fn logout(
    app: App,
    _user: AuthUser,
    cookies: &CookieJar<'_>,
    token: SessionToken,
) -> ApiResult<Json<LoggedOut>> {
    if let Some(token) = token.0 {
        run(&app, move |ctx| accounts::logout(&ctx.db, &token)).await?;
    }
    cookies.remove(session_cookie(&app, String::new(), crate::clock::now()));
    Ok(Json(LoggedOut { logged_out: true }))
}

/// The logged-in user.
#[openapi(tag = "Accounts")]
#[get("/me")]
async fn me(user: AuthUser) -> Json<User> {
    let u = user.0;
    Json(User {
        user_id: u.user_id,
        email: u.email,
        name: u.name,
        role: u.role,
    })
}

#[derive(Deserialize, JsonSchema)]
pub struct PasswordChange {
    pub current_password: String,
    /// 10 to 200 characters.
    pub new_password: String,
}

#[derive(Serialize, JsonSchema)]
pub struct PasswordChanged {
    pub password_changed: bool,
    /// The user's other sessions (other browsers, bearer tokens) that ended; this one goes on.
    pub other_sessions_ended: usize,
}

/// Changes the logged-in user's password. Needs the current one (422 `VALIDATION_FAILED` naming
/// `current_password` otherwise; wrong guesses count towards the account's login lockout, 429).
/// Every other session of the user ends.
#[openapi(tag = "Accounts")]
#[post("/me/password", data = "<body>")]
async fn change_password(
    app: App,
    user: AuthUser,
    token: SessionToken,
    body: Body<PasswordChange>,
) -> ApiResult<Json<PasswordChanged>> {
    let c = body.0;
    let (user_id, email) = (user.0.user_id, user.0.email);
    refuse_if_locked(&app, &email)?;
    let keep = token.0;
    let result = run(&app, move |ctx| {
        accounts::change_password(&ctx.db, user_id, keep, &c.current_password, &c.new_password)
    })
    .await;
    // Only a wrong current password counts as a failed guess, not a too-short new one (that is
    // refused before the current password is even checked).
    let new_password_refused = matches!(
        &result,
        Err(AppError::Validation { field, .. }) if field != "current_password"
    );
    let ended = if new_password_refused {
        result?
    } else {
        counted(&app, &email, None, result).await?
    };
    Ok(Json(PasswordChanged {
        password_changed: true,
        other_sessions_ended: ended,
    }))
}
