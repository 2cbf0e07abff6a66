//! The partner's reseller registry and the settlement summary.

use rocket::serde::json::Json;
use rocket::{delete, get, patch, post, State};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};
use schemars::JsonSchema;
use serde::Serialize;

use crate::api::body::Body;
use crate::api::{created, query_int, run, ApiResult, CreatedJson, Page};
use crate::auth::guards::Partner;
use crate::domain::billing::{self, BillingSummary};
use crate::domain::resellers::{self, Reseller, ResellerInput};
use crate::error::AppError;
use crate::App;

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: list_resellers, create_reseller, get_reseller, update_reseller, delete_reseller, billing_summary]
}

#[derive(Serialize, JsonSchema)]
pub struct ResellerList {
    pub resellers: Vec<Reseller>,
    pub total_count: i64,
    pub page: i64,
    pub page_size: i64,
}

pub fn list(
    app: &App,
    partner_id: i64,
    status: Option<String>,
    p: Page,
) -> Result<ResellerList, AppError> {
    let (resellers, total) = app
        .db
        .read(|c| resellers::list(c, partner_id, status.as_deref(), p.limit, p.offset()))?;
    Ok(ResellerList {
        resellers,
        total_count: total,
        page: p.page,
        page_size: p.limit,
    })
}

pub fn summary(
    app: &App,
    partner_id: i64,
    start: Option<String>,
    end: Option<String>,
    reseller_id: Option<String>,
) -> Result<BillingSummary, AppError> {
    let period = billing::period(start.as_deref(), end.as_deref())?;
    let reseller_id = query_int(reseller_id.as_deref(), "reseller_id")?;
    app.db
        .read(|c| billing::summary(c, partner_id, period, reseller_id, &app.config.currency))
}

/// The partner's resellers; `status` filters.
#[openapi(tag = "OTA resellers")]
#[get("/resellers?<status>&<page>&<limit>")]
async fn list_resellers(
    app: &State<App>,
    partner: Partner,
    status: Option<String>,
    page: Option<String>,
    limit: Option<String>,
) -> ApiResult<Json<ResellerList>> {
    let p = Page::parse(page.as_deref(), limit.as_deref(), 100, 1000)?;
    Ok(Json(
        run(app, move |app| list(app, partner.partner_id, status, p)).await?,
    ))
}

/// Registers a reseller. Required: `reseller_code`, `reseller_name`. 409
/// `DUPLICATE_RESELLER_CODE` if the code is taken for this partner.
#[openapi(tag = "OTA resellers")]
#[post("/resellers", data = "<body>")]
async fn create_reseller(
    app: &State<App>,
    partner: Partner,
    body: Body<ResellerInput>,
) -> ApiResult<CreatedJson<Reseller>> {
    let input = body.0;
    let r = run(app, move |app| {
        app.db
            .write(|tx| resellers::create(tx, partner.partner_id, &input))
    })
    .await?;
    Ok(created(format!("/api/ota/resellers/{}", r.id), r))
}

#[openapi(tag = "OTA resellers")]
#[get("/resellers/<id>")]
async fn get_reseller(app: &State<App>, partner: Partner, id: i64) -> ApiResult<Json<Reseller>> {
    Ok(Json(
        run(app, move |app| {
            app.db.read(|c| resellers::get(c, partner.partner_id, id))
        })
        .await?,
    ))
}

/// Changes the fields present in the body.
#[openapi(tag = "OTA resellers")]
#[patch("/resellers/<id>", data = "<body>")]
async fn update_reseller(
    app: &State<App>,
    partner: Partner,
    id: i64,
    body: Body<ResellerInput>,
) -> ApiResult<Json<Reseller>> {
    let input = body.0;
    Ok(Json(
        run(app, move |app| {
            app.db
                .write(|tx| resellers::update(tx, partner.partner_id, id, &input))
        })
        .await?,
    ))
}

/// Soft delete: the reseller becomes `inactive`.
#[openapi(tag = "OTA resellers")]
#[delete("/resellers/<id>")]
async fn delete_reseller(app: &State<App>, partner: Partner, id: i64) -> ApiResult<Json<Reseller>> {
    Ok(Json(
        run(app, move |app| {
            app.db
                .write(|tx| resellers::deactivate(tx, partner.partner_id, id))
        })
        .await?,
    ))
}

/// Settlement per reseller and in total over a period (dates inclusive; default: this month).
#[openapi(tag = "OTA resellers")]
#[get("/billing/summary?<period_start>&<period_end>&<reseller_id>")]
async fn billing_summary(
    app: &State<App>,
    partner: Partner,
    period_start: Option<String>,
    period_end: Option<String>,
    reseller_id: Option<String>,
) -> ApiResult<Json<BillingSummary>> {
    Ok(Json(
        run(app, move |app| {
            summary(
                app,
                partner.partner_id,
                period_start,
                period_end,
                reseller_id,
            )
        })
        .await?,
    ))
}
