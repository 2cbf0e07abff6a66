//! User accounts (admin): create, list, change a role, reset a password, disable and enable, lift
//! a login lock. Ending a user's sessions happens in the same transaction as the change (domain);
//! the login lock is this layer's, in memory.

use rocket::serde::json::Json;
use rocket::{get, patch, post};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::api::body::Body;
use crate::api::guards::Admin;
use crate::api::paging::{Page, Paged};
use crate::api::views::UserView;
use crate::api::{created, run, ApiResult, App, CreatedJson};
use crate::domain::accounts::{self, AccountUpdate, NewAccount};
use crate::domain::users::{Account, AccountFilter, AccountStatus, Role, User};
use crate::error::AppError;
use crate::ids;

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: create_user, list_users, get_user, update_user, reset_password, disable_user, enable_user, unlock_user]
}

#[derive(Deserialize, JsonSchema)]
pub struct NewUserRequest {
    pub email: String,
    /// 10 to 200 characters. Leave it out and the server generates one, shown in this answer only.
    #[serde(default)]
    pub password: Option<String>,
    /// `customer`, `venue`, `staff` or `admin`.
    pub role: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Serialize, JsonSchema)]
pub struct CreatedUser {
    #[serde(flatten)]
    pub user: User,
    /// The generated password, when none was given: shown only this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// Creates a user of any role (venue scanners, staff, admins). Without a `password` the server
/// generates one and returns it in this answer only.
#[openapi(tag = "Admin")]
#[post("/users", data = "<body>")]
async fn create_user(
    app: App,
    admin: Admin,
    body: Body<NewUserRequest>,
) -> ApiResult<CreatedJson<CreatedUser>> {
    let r = body.0;
    let generated = r.password.is_none();
    let account = NewAccount {
        email: r.email,
        password: r.password.unwrap_or_else(ids::new_password),
        role: r.role,
        name: r.name,
    };
    let actor = admin.actor();
    let password = generated.then(|| account.password.clone());
    let user = run(&app, move |ctx| accounts::create(&ctx.db, &account, actor)).await?;
    Ok(created(
        format!("/api/admin/users/{}", user.user_id),
        CreatedUser { user, password },
    ))
}

/// Accounts, staff first (admins, staff, venue, then customers), then by email, with when each
/// last logged in and whether it is disabled or locked. `role` and `status` (`active`,
/// `disabled`) filter; `limit` 1–1000 (default 100).
#[openapi(tag = "Admin")]
#[get("/users?<role>&<status>&<page>&<limit>")]
async fn list_users(
    app: App,
    _admin: Admin,
    role: Option<String>,
    status: Option<String>,
    page: Option<String>,
    limit: Option<String>,
) -> ApiResult<Json<Paged<UserView>>> {
    let p = Page::parse(page.as_deref(), limit.as_deref(), 100, 1000)?;
    let filter = AccountFilter {
        role: role
            .map(|r| {
                Role::parse(&r).ok_or_else(|| {
                    AppError::validation("role", format!("must be {}", Role::expected()))
                })
            })
            .transpose()?,
        status: status
            .map(|s| match s.as_str() {
                "active" => Ok(AccountStatus::Active),
                "disabled" => Ok(AccountStatus::Disabled),
                _ => Err(AppError::validation("status", "must be active or disabled")),
            })
            .transpose()?,
    };
    let (accounts, total) = run(&app, move |ctx| {
        accounts::list(&ctx.db, &filter, p.limit, p.offset())
    })
    .await?;
    let views = accounts
        .into_iter()
        .map(|a| UserView::new(a, &app.lockout))
        .collect();
    Ok(Json(p.of((views, total))))
}

/// Runs an account operation and answers the account with its login lock.
async fn view(
    app: &App,
    op: impl FnOnce(&crate::domain::Ctx) -> Result<Account, AppError> + Send + 'static,
) -> ApiResult<Json<UserView>> {
    let account = run(app, op).await?;
    Ok(Json(UserView::new(account, &app.lockout)))
}

/// One account.
#[openapi(tag = "Admin")]
#[get("/users/<id>")]
async fn get_user(app: App, _admin: Admin, id: i64) -> ApiResult<Json<UserView>> {
    view(&app, move |ctx| accounts::get(&ctx.db, id)).await
}

/// Changes a user's `role` and/or `name`; a new role applies to their next request. The last
/// enabled admin cannot be demoted (409 `INVALID_STATE`).
#[openapi(tag = "Admin")]
#[patch("/users/<id>", data = "<body>")]
async fn update_user(
    app: App,
    admin: Admin,
    id: i64,
    body: Body<AccountUpdate>,
) -> ApiResult<Json<UserView>> {
    let (u, actor) = (body.0, admin.actor());
    view(&app, move |ctx| accounts::update(&ctx.db, id, &u, actor)).await
}

#[derive(Serialize, JsonSchema)]
pub struct PasswordReset {
    pub user_id: i64,
    pub email: String,
    /// The new password: shown only this once. Hand it over in person or over a secure channel.
    pub password: String,
    /// Every session of the user ended.
    pub sessions_ended: bool,
}

/// Gives a user a new random password, returned in this answer only; every session of the user
/// ends (their next request gets 401).
#[openapi(tag = "Admin")]
#[post("/users/<id>/reset-password")]
async fn reset_password(app: App, admin: Admin, id: i64) -> ApiResult<Json<PasswordReset>> {
    let actor = admin.actor();
    let (account, password) = run(&app, move |ctx| {
        accounts::reset_password(&ctx.db, id, None, actor)
    })
    .await?;
    Ok(Json(PasswordReset {
        user_id: account.user_id,
        email: account.email,
        password,
        sessions_ended: true,
    }))
}

/// Disables a user: every session ends at once (their next request gets 401) and logins are
/// refused until enabled again. The last enabled admin cannot be disabled (409 `INVALID_STATE`).
#[openapi(tag = "Admin")]
#[post("/users/<id>/disable")]
async fn disable_user(app: App, admin: Admin, id: i64) -> ApiResult<Json<UserView>> {
    set_enabled(app, admin, id, false).await
}

/// Enables a disabled user again (they log in with their password as before).
#[openapi(tag = "Admin")]
#[post("/users/<id>/enable")]
async fn enable_user(app: App, admin: Admin, id: i64) -> ApiResult<Json<UserView>> {
    set_enabled(app, admin, id, true).await
}

async fn set_enabled(app: App, admin: Admin, id: i64, enabled: bool) -> ApiResult<Json<UserView>> {
    let actor = admin.actor();
    view(&app, move |ctx| {
        accounts::set_enabled(&ctx.db, id, enabled, actor)
    })
    .await
}

/// Lifts the login lock of a user (set after 10 wrong passwords within 15 minutes) and forgets
/// their failed attempts.
#[openapi(tag = "Admin")]
#[post("/users/<id>/unlock")]
async fn unlock_user(app: App, admin: Admin, id: i64) -> ApiResult<Json<UserView>> {
    let actor = admin.actor();
    let account = run(&app, move |ctx| accounts::get(&ctx.db, id)).await?;
    if app.lockout.unlock(&account.email) {
        run(&app, move |ctx| accounts::record_unlock(&ctx.db, id, actor)).await?;
    }
    Ok(Json(UserView::new(account, &app.lockout)))
}
