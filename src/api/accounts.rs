//! Accounts: register, login (bearer token + HttpOnly session cookie), logout, me.

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

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: register, login, logout]
}

pub fn me_routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: me]
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

/// Creates a customer account. 409 `INVALID_STATE` if the email is taken.
#[openapi(tag = "Accounts")]
#[post("/register", data = "<body>")]
async fn register(app: App, body: Body<Registration>) -> ApiResult<CreatedJson<Registered>> {
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

/// Logs in. Wrong email and wrong password get the same 401. At most 20 attempts per client
/// address and minute (429 with `Retry-After`).
#[openapi(tag = "Accounts")]
#[post("/login", data = "<body>")]
async fn login(
    app: App,
    _throttle: LoginThrottle,
    cookies: &CookieJar<'_>,
    body: Body<Credentials>,
) -> ApiResult<Json<LoggedIn>> {
    let c = body.0;
    let session = run(&app, move |ctx| {
        let ttl = time::Duration::hours(ctx.config.session_ttl_hours);
        accounts::login(&ctx.db, &c.email, &c.password, ttl)
    })
    .await?;
    let cookie = Cookie::build((SESSION_COOKIE, session.token.clone()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .max_age(rocket::time::Duration::seconds(
            (session.expires_at - crate::clock::now()).whole_seconds(),
        ));
    cookies.add(cookie);
    Ok(Json(session))
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
    cookies.remove(Cookie::build(SESSION_COOKIE).path("/"));
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
