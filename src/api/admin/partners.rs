//! Partners, their API keys, and user accounts.

use rocket::serde::json::Json;
use rocket::{delete, get, patch, post};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::api::body::Body;
use crate::api::guards::{Admin, Staff};
use crate::api::paging::Items;
use crate::api::{answer, created, run, ApiResult, App, CreatedJson};
use crate::domain::accounts::{self, NewAccount};
use crate::domain::partners::{self, ApiKeyInfo, CreatedKey, Partner};
use crate::domain::users::User;

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: create_partner, list_partners, update_partner, create_key, revoke_key, create_user]
}

#[derive(Deserialize, JsonSchema)]
pub struct NewPartner {
    pub name: String,
    #[serde(default)]
    pub contact_email: String,
}

/// Registers an OTA partner.
#[openapi(tag = "Admin")]
#[post("/partners", data = "<body>")]
async fn create_partner(
    app: App,
    admin: Admin,
    body: Body<NewPartner>,
) -> ApiResult<CreatedJson<Partner>> {
    let p = body.0;
    let actor = admin.actor();
    let partner = run(&app, move |ctx| {
        partners::create(&ctx.db, &p.name, &p.contact_email, actor)
    })
    .await?;
    Ok(created(
        format!("/api/admin/partners/{}", partner.partner_id),
        partner,
    ))
}

/// All partners with their keys (prefixes only).
#[openapi(tag = "Admin")]
#[get("/partners")]
async fn list_partners(app: App, _staff: Staff) -> ApiResult<Json<Items<Partner>>> {
    answer(&app, |ctx| partners::list(&ctx.db).map(Items)).await
}

#[derive(Deserialize, JsonSchema)]
pub struct PartnerUpdate {
    /// `active` or `suspended`. A suspended partner's keys get 403.
    pub status: String,
}

/// Suspends or reactivates a partner.
#[openapi(tag = "Admin")]
#[patch("/partners/<id>", data = "<body>")]
async fn update_partner(
    app: App,
    admin: Admin,
    id: i64,
    body: Body<PartnerUpdate>,
) -> ApiResult<Json<Partner>> {
    let status = body.0.status;
    let actor = admin.actor();
    answer(&app, move |ctx| {
        partners::set_status(ctx, id, &status, actor)
    })
    .await
}

#[derive(Deserialize, JsonSchema)]
pub struct NewKey {
    #[serde(default)]
    pub label: String,
    /// Overrides the default per-minute limit for this key.
    #[serde(default)]
    pub rate_limit_per_minute: Option<i64>,
}

/// Creates an API key for a partner. The key is in this answer only; store it now.
#[openapi(tag = "Admin")]
#[post("/partners/<id>/api-keys", data = "<body>")]
async fn create_key(
    app: App,
    admin: Admin,
    id: i64,
    body: Body<NewKey>,
) -> ApiResult<CreatedJson<CreatedKey>> {
    let k = body.0;
    let actor = admin.actor();
    let key = run(&app, move |ctx| {
        partners::create_key(&ctx.db, id, &k.label, k.rate_limit_per_minute, actor)
    })
    .await?;
    Ok(created(format!("/api/admin/api-keys/{}", key.key_id), key))
}

/// Revokes a key at once; its next call gets 403.
#[openapi(tag = "Admin")]
#[delete("/api-keys/<key_id>")]
async fn revoke_key(app: App, admin: Admin, key_id: i64) -> ApiResult<Json<ApiKeyInfo>> {
    let actor = admin.actor();
    answer(&app, move |ctx| partners::revoke_key(ctx, key_id, actor)).await
}

/// Creates a user of any role (venue scanners, staff, admins).
#[openapi(tag = "Admin")]
#[post("/users", data = "<body>")]
async fn create_user(
    app: App,
    admin: Admin,
    body: Body<NewAccount>,
) -> ApiResult<CreatedJson<User>> {
    let account = body.0;
    let actor = admin.actor();
    let user = run(&app, move |ctx| accounts::create(&ctx.db, &account, actor)).await?;
    Ok(created(format!("/api/admin/users/{}", user.user_id), user))
}
