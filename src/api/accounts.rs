//! Accounts: register, login (bearer token + HttpOnly session cookie), logout, me.

use rocket::http::{Cookie, CookieJar, SameSite};
use rocket::serde::json::Json;
use rocket::{get, post, State};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::body::Body;
use super::{created, run, ApiResult, CreatedJson};
use crate::auth::guards::{AuthUser, LoginThrottle, SESSION_COOKIE};
use crate::auth::sessions::{self, Role};
use crate::domain::accounts::{self, NewUser, User};
use crate::error::AppError;
use crate::App;

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
async fn register(
    app: &State<App>,
    body: Body<Registration>,
) -> ApiResult<CreatedJson<Registered>> {
    let r = body.0;
    let user = run(app, move |app| {
        let new = NewUser::prepare(&r.email, &r.password, &r.name, Role::Customer)?;
        app.db.write(|tx| accounts::create(tx, &new, None))
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

#[derive(Serialize, JsonSchema)]
pub struct LoggedIn {
    /// Send as `Authorization: Bearer <token>`; the console uses the cookie instead.
    pub token: String,
    pub expires_at: String,
    pub role: Role,
}

/// Logs in. Wrong email and wrong password get the same 401. At most 20 attempts per client
/// address and minute (429 with `Retry-After`).
#[openapi(tag = "Accounts")]
#[post("/login", data = "<body>")]
async fn login(
    app: &State<App>,
    _throttle: LoginThrottle,
    cookies: &CookieJar<'_>,
    body: Body<Credentials>,
) -> ApiResult<Json<LoggedIn>> {
    let c = body.0;
    let (token, expires_at, role) = run(app, move |app| {
        let (user_id, role) = app
            .db
            .read(|conn| accounts::check_password(conn, &c.email, &c.password))?;
        let (token, expires) = app
            .db
            .write(|tx| accounts::start_session(tx, user_id, app.config.session_ttl_hours))?;
        Ok((token, expires, role))
    })
    .await?;
    let cookie = Cookie::build((SESSION_COOKIE, token.clone()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .max_age(rocket::time::Duration::seconds(
            (expires_at - crate::clock::now()).whole_seconds(),
        ));
    cookies.add(cookie);
    Ok(Json(LoggedIn {
        token,
        expires_at: crate::clock::to_db(expires_at),
        role,
    }))
}

#[derive(Serialize, JsonSchema)]
pub struct LoggedOut {
    pub logged_out: bool,
}

/// Ends the session of the presented token or cookie.
#[openapi(tag = "Accounts")]
#[post("/logout")]
async fn logout(
    app: &State<App>,
    _user: AuthUser,
    cookies: &CookieJar<'_>,
    token: SessionToken,
) -> ApiResult<Json<LoggedOut>> {
    if let Some(token) = token.0 {
        run(app, move |app| {
            app.db.write(|tx| sessions::delete(tx, &token))
        })
        .await?;
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

/// The raw session token of the request (bearer or cookie), to end it.
pub struct SessionToken(Option<String>);

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for SessionToken {
    type Error = AppError;
    async fn from_request(
        req: &'r rocket::Request<'_>,
    ) -> rocket::request::Outcome<Self, AppError> {
        rocket::outcome::Outcome::Success(SessionToken(crate::auth::guards::session_token(req)))
    }
}

impl<'r> rocket_okapi::request::OpenApiFromRequest<'r> for SessionToken {
    fn from_request_input(
        _: &mut rocket_okapi::gen::OpenApiGenerator,
        _: String,
        _: bool,
    ) -> rocket_okapi::Result<rocket_okapi::request::RequestHeaderInput> {
        Ok(rocket_okapi::request::RequestHeaderInput::None)
    }
}
