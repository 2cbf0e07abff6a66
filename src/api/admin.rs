//! Operator administration (bearer token or console session): partners and keys, users,
//! inventory, reconciliation, audit, reports. Staff may read; only admins change things.

use rocket::serde::json::Json;
use rocket::{delete, get, patch, post, put, State};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::body::Body;
use super::ota::batches::{list as batch_list, BatchList};
use super::ota::resellers::{list as reseller_list, summary as billing_summary, ResellerList};
use super::zip::{self, ZipStream};
use super::{created, query_int, query_time, run, ApiResult, CreatedJson, Page};
use crate::auth::guards::{Admin, Staff};
use crate::auth::sessions::Role;
use crate::domain::accounts::{self, NewUser, User};
use crate::domain::archive;
use crate::domain::audit::{self, Actor, AuditEntry, AuditFilter};
use crate::domain::batches::{self, Batch, BatchTicketSummary, Scope};
use crate::domain::billing::BillingSummary;
use crate::domain::catalog::{self, Holiday};
use crate::domain::inventory::{self, Reconciliation, StockRow};
use crate::domain::partners::{self, ApiKeyInfo, CreatedKey, Partner};
use crate::domain::reports::{self, SalesReport};
use crate::error::AppError;
use crate::App;

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![
        settings: create_partner,
        list_partners,
        update_partner,
        create_key,
        revoke_key,
        create_user,
        get_inventory,
        put_inventory,
        reconciliation,
        sales,
        audit_log,
        list_batches,
        get_batch,
        batch_archive,
        partner_resellers,
        partner_billing,
        list_holidays,
        put_holiday,
        delete_holiday
    ]
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
    app: &State<App>,
    admin: Admin,
    body: Body<NewPartner>,
) -> ApiResult<CreatedJson<Partner>> {
    let p = body.0;
    let partner = run(app, move |app| {
        app.db.write(|tx| {
            partners::create(tx, &p.name, &p.contact_email, Actor::User(admin.0.user_id))
        })
    })
    .await?;
    Ok(created(
        format!("/api/admin/partners/{}", partner.partner_id),
        partner,
    ))
}

#[derive(Serialize, JsonSchema)]
pub struct PartnerList {
    pub partners: Vec<Partner>,
}

/// All partners with their keys (prefixes only).
#[openapi(tag = "Admin")]
#[get("/partners")]
async fn list_partners(app: &State<App>, _staff: Staff) -> ApiResult<Json<PartnerList>> {
    Ok(Json(PartnerList {
        partners: run(app, |app| app.db.read(partners::list)).await?,
    }))
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
    app: &State<App>,
    admin: Admin,
    id: i64,
    body: Body<PartnerUpdate>,
) -> ApiResult<Json<Partner>> {
    let status = body.0.status;
    Ok(Json(
        run(app, move |app| {
            app.db
                .write(|tx| partners::set_status(tx, id, &status, Actor::User(admin.0.user_id)))
        })
        .await?,
    ))
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
    app: &State<App>,
    admin: Admin,
    id: i64,
    body: Body<NewKey>,
) -> ApiResult<CreatedJson<CreatedKey>> {
    let k = body.0;
    let key = run(app, move |app| {
        app.db.write(|tx| {
            partners::create_key(
                tx,
                id,
                &k.label,
                k.rate_limit_per_minute,
                Actor::User(admin.0.user_id),
            )
        })
    })
    .await?;
    Ok(created(format!("/api/admin/api-keys/{}", key.key_id), key))
}

/// Revokes a key at once; its next call gets 403.
#[openapi(tag = "Admin")]
#[delete("/api-keys/<key_id>")]
async fn revoke_key(app: &State<App>, admin: Admin, key_id: i64) -> ApiResult<Json<ApiKeyInfo>> {
    Ok(Json(
        run(app, move |app| {
            app.db
                .write(|tx| partners::revoke_key(tx, key_id, Actor::User(admin.0.user_id)))
        })
        .await?,
    ))
}

#[derive(Deserialize, JsonSchema)]
pub struct NewUserRequest {
    pub email: String,
    pub password: String,
    pub role: String,
    #[serde(default)]
    pub name: String,
}

/// Creates a user of any role (venue scanners, staff, admins).
#[openapi(tag = "Admin")]
#[post("/users", data = "<body>")]
async fn create_user(
    app: &State<App>,
    admin: Admin,
    body: Body<NewUserRequest>,
) -> ApiResult<CreatedJson<User>> {
    let u = body.0;
    let role = Role::parse(&u.role)
        .ok_or_else(|| AppError::validation("role", "must be customer, venue, staff or admin"))?;
    let user = run(app, move |app| {
        let new = NewUser::prepare(&u.email, &u.password, &u.name, role)?;
        app.db
            .write(|tx| accounts::create(tx, &new, Some(admin.0.user_id)))
    })
    .await?;
    Ok(created(format!("/api/admin/users/{}", user.user_id), user))
}

#[derive(Serialize, JsonSchema)]
pub struct InventoryList {
    pub inventory: Vec<StockRow>,
}

/// Stock per package and channel.
#[openapi(tag = "Admin")]
#[get("/inventory")]
async fn get_inventory(app: &State<App>, _staff: Staff) -> ApiResult<Json<InventoryList>> {
    Ok(Json(InventoryList {
        inventory: run(app, |app| app.db.read(inventory::stock)).await?,
    }))
}

#[derive(Deserialize, JsonSchema)]
pub struct Allocations {
    pub direct: i64,
    pub ota: i64,
}

#[derive(Deserialize, JsonSchema)]
pub struct InventoryUpdate {
    pub capacity: i64,
    pub allocations: Allocations,
}

/// Sets a package's capacity and channel split. 409 `INVALID_STATE` if an allocation would drop
/// below what is held + sold; 422 if the allocations exceed the capacity.
#[openapi(tag = "Admin")]
#[put("/inventory/<product_id>", data = "<body>")]
async fn put_inventory(
    app: &State<App>,
    admin: Admin,
    product_id: i64,
    body: Body<InventoryUpdate>,
) -> ApiResult<Json<InventoryList>> {
    let u = body.0;
    let rows = run(app, move |app| {
        app.db.write(|tx| {
            inventory::set_allocations(tx, product_id, u.capacity, u.allocations.direct, u.allocations.ota)?;
            audit::record(
                tx,
                Actor::User(admin.0.user_id),
                None,
                "inventory.allocate",
                ("product", &product_id.to_string()),
                serde_json::json!({"capacity": u.capacity, "direct": u.allocations.direct, "ota": u.allocations.ota}),
            )?;
            inventory::stock(tx)
        })
    })
    .await?;
    Ok(Json(InventoryList {
        inventory: rows
            .into_iter()
            .filter(|r| r.product_id == product_id)
            .collect(),
    }))
}

/// Stored counters beside the counts recomputed from reservations, orders and tickets.
#[openapi(tag = "Admin")]
#[get("/reports/reconciliation")]
async fn reconciliation(app: &State<App>, _staff: Staff) -> ApiResult<Json<Reconciliation>> {
    Ok(Json(
        run(app, |app| app.db.read(inventory::reconcile)).await?,
    ))
}

/// Tickets sold and gross revenue per day (UTC) over the last `days` days (1–366, default 14).
#[openapi(tag = "Admin")]
#[get("/reports/sales?<days>")]
async fn sales(
    app: &State<App>,
    _staff: Staff,
    days: Option<String>,
) -> ApiResult<Json<SalesReport>> {
    let days = query_int(days.as_deref(), "days")?.unwrap_or(14);
    if !(1..=366).contains(&days) {
        return Err(AppError::validation("days", "must be between 1 and 366"));
    }
    Ok(Json(
        run(app, move |app| {
            app.db
                .read(|c| reports::sales(c, days, &app.config.currency))
        })
        .await?,
    ))
}

#[derive(Serialize, JsonSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub total_count: i64,
    pub page: i64,
    pub page_size: i64,
}

/// The audit log, newest first.
#[openapi(tag = "Admin")]
#[get("/audit?<partner_id>&<action>&<from>&<to>&<page>&<limit>")]
#[allow(clippy::too_many_arguments)]
async fn audit_log(
    app: &State<App>,
    _staff: Staff,
    partner_id: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<String>,
    limit: Option<String>,
) -> ApiResult<Json<AuditPage>> {
    let p = Page::parse(page.as_deref(), limit.as_deref(), 50, 1000)?;
    let filter = AuditFilter {
        partner_id: query_int(partner_id.as_deref(), "partner_id")?,
        action: action.filter(|a| !a.is_empty()),
        from: query_time(from.as_deref(), "from")?,
        to: query_time(to.as_deref(), "to")?,
    };
    let (entries, total) = run(app, move |app| {
        app.db
            .read(|c| audit::list(c, &filter, p.limit, p.offset()))
    })
    .await?;
    Ok(Json(AuditPage {
        entries,
        total_count: total,
        page: p.page,
        page_size: p.limit,
    }))
}

/// Every partner's batches, newest first.
#[openapi(tag = "Admin")]
#[get("/batches?<page>&<limit>")]
async fn list_batches(
    app: &State<App>,
    _staff: Staff,
    page: Option<String>,
    limit: Option<String>,
) -> ApiResult<Json<BatchList>> {
    let p = Page::parse(page.as_deref(), limit.as_deref(), 50, 1000)?;
    Ok(Json(
        run(app, move |app| batch_list(app, Scope::Operator, p)).await?,
    ))
}

#[derive(Serialize, JsonSchema)]
pub struct BatchDetail {
    #[serde(flatten)]
    pub batch: Batch,
    pub tickets: Vec<BatchTicketSummary>,
}

/// One batch with all its tickets.
#[openapi(tag = "Admin")]
#[get("/batches/<id>")]
async fn get_batch(app: &State<App>, _staff: Staff, id: String) -> ApiResult<Json<BatchDetail>> {
    let detail = run(app, move |app| {
        app.db.read(|c| {
            Ok(BatchDetail {
                batch: batches::get(c, &id, Scope::Operator)?,
                tickets: batches::tickets_of(c, &id)?,
            })
        })
    })
    .await?;
    Ok(Json(detail))
}

/// The batch ZIP, for download in the console (the session cookie authenticates it).
#[openapi(tag = "Admin")]
#[get("/batches/<id>/archive.zip")]
async fn batch_archive(app: &State<App>, staff: Staff, id: String) -> ApiResult<ZipStream> {
    let actor = Actor::User(staff.0.user_id);
    let plan = run(app, move |app| {
        app.db
            .write(|tx| archive::prepare_download(tx, &id, Scope::Operator, actor))
    })
    .await?;
    zip::stream(app, plan)
}

/// A partner's resellers (the console's settlement view).
#[openapi(tag = "Admin")]
#[get("/partners/<id>/resellers?<status>&<page>&<limit>")]
async fn partner_resellers(
    app: &State<App>,
    _staff: Staff,
    id: i64,
    status: Option<String>,
    page: Option<String>,
    limit: Option<String>,
) -> ApiResult<Json<ResellerList>> {
    let p = Page::parse(page.as_deref(), limit.as_deref(), 100, 1000)?;
    Ok(Json(
        run(app, move |app| {
            app.db.read(|c| partners::get(c, id))?;
            reseller_list(app, id, status, p)
        })
        .await?,
    ))
}

/// A partner's settlement summary, as the partner sees it.
#[openapi(tag = "Admin")]
#[get("/partners/<id>/billing/summary?<period_start>&<period_end>&<reseller_id>")]
async fn partner_billing(
    app: &State<App>,
    _staff: Staff,
    id: i64,
    period_start: Option<String>,
    period_end: Option<String>,
    reseller_id: Option<String>,
) -> ApiResult<Json<BillingSummary>> {
    Ok(Json(
        run(app, move |app| {
            app.db.read(|c| partners::get(c, id))?;
            billing_summary(app, id, period_start, period_end, reseller_id)
        })
        .await?,
    ))
}

#[derive(Serialize, JsonSchema)]
pub struct HolidayList {
    pub holidays: Vec<Holiday>,
}

/// Dates that price as weekend.
#[openapi(tag = "Admin")]
#[get("/holidays")]
async fn list_holidays(app: &State<App>, _staff: Staff) -> ApiResult<Json<HolidayList>> {
    Ok(Json(HolidayList {
        holidays: run(app, |app| app.db.read(catalog::list_holidays)).await?,
    }))
}

#[derive(Deserialize, JsonSchema)]
pub struct HolidayName {
    #[serde(default)]
    pub name: String,
}

/// Adds (or renames) a holiday: from now on that date prices as weekend. Existing orders keep
/// their price.
#[openapi(tag = "Admin")]
#[put("/holidays/<date>", data = "<body>")]
async fn put_holiday(
    app: &State<App>,
    admin: Admin,
    date: String,
    body: Body<HolidayName>,
) -> ApiResult<Json<HolidayList>> {
    let name = body.0.name;
    let list = run(app, move |app| {
        app.db.write(|tx| {
            catalog::set_holiday(tx, &date, &name)?;
            audit::record(
                tx,
                Actor::User(admin.0.user_id),
                None,
                "holiday.set",
                ("holiday", &date),
                serde_json::json!({"name": name}),
            )?;
            catalog::list_holidays(tx)
        })
    })
    .await?;
    Ok(Json(HolidayList { holidays: list }))
}

/// Removes a holiday.
#[openapi(tag = "Admin")]
#[delete("/holidays/<date>")]
async fn delete_holiday(
    app: &State<App>,
    admin: Admin,
    date: String,
) -> ApiResult<Json<HolidayList>> {
    let list = run(app, move |app| {
        app.db.write(|tx| {
            catalog::remove_holiday(tx, &date)?;
            audit::record(
                tx,
                Actor::User(admin.0.user_id),
                None,
                "holiday.remove",
                ("holiday", &date),
                serde_json::json!({}),
            )?;
            catalog::list_holidays(tx)
        })
    })
    .await?;
    Ok(Json(HolidayList { holidays: list }))
}
