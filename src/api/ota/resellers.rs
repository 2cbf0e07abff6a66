//! The partner's reseller registry and the settlement summary.

use rocket::serde::json::Json;
use rocket::{delete, get, patch, post};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};

use crate::api::body::Body;
use crate::api::guards::Partner;
use crate::api::paging::Paged;
use crate::api::shared::{reseller_list, summary};
use crate::api::{answer, created, run, ApiResult, App, CreatedJson};
use crate::domain::billing::BillingSummary;
use crate::domain::resellers::{self, Reseller, ResellerInput};

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: list_resellers, create_reseller, get_reseller, update_reseller, delete_reseller, billing_summary]
}

/// The partner's resellers; `status` filters.
#[openapi(tag = "OTA resellers")]
#[get("/resellers?<status>&<page>&<limit>")]
async fn list_resellers(
    app: App,
    partner: Partner,
    status: Option<String>,
    page: Option<String>,
    limit: Option<String>,
) -> ApiResult<Json<Paged<Reseller>>> {
    reseller_list(&app, partner.partner_id, status, page, limit).await
}

/// Registers a reseller. Required: `reseller_code`, `reseller_name`. 409
/// `DUPLICATE_RESELLER_CODE` if the code is taken for this partner.
#[openapi(tag = "OTA resellers")]
#[post("/resellers", data = "<body>")]
async fn create_reseller(
    app: App,
    partner: Partner,
    body: Body<ResellerInput>,
) -> ApiResult<CreatedJson<Reseller>> {
    let input = body.0;
    let r = run(&app, move |ctx| {
        resellers::create(&ctx.db, partner.partner_id, input)
    })
    .await?;
    Ok(created(format!("/api/ota/resellers/{}", r.id), r))
}

#[openapi(tag = "OTA resellers")]
#[get("/resellers/<id>")]
async fn get_reseller(app: App, partner: Partner, id: i64) -> ApiResult<Json<Reseller>> {
    answer(&app, move |ctx| {
        resellers::get(&ctx.db, partner.partner_id, id)
    })
    .await
}

/// Changes the fields present in the body.
#[openapi(tag = "OTA resellers")]
#[patch("/resellers/<id>", data = "<body>")]
async fn update_reseller(
    app: App,
    partner: Partner,
    id: i64,
    body: Body<ResellerInput>,
) -> ApiResult<Json<Reseller>> {
    let input = body.0;
    answer(&app, move |ctx| {
        resellers::update(&ctx.db, partner.partner_id, id, input)
    })
    .await
}

/// Soft delete: the reseller becomes `inactive`.
#[openapi(tag = "OTA resellers")]
#[delete("/resellers/<id>")]
async fn delete_reseller(app: App, partner: Partner, id: i64) -> ApiResult<Json<Reseller>> {
    answer(&app, move |ctx| {
        resellers::deactivate(&ctx.db, partner.partner_id, id)
    })
    .await
}

/// Settlement per reseller and in total over a period (dates inclusive; default: this month).
#[openapi(tag = "OTA resellers")]
#[get("/billing/summary?<period_start>&<period_end>&<reseller_id>")]
async fn billing_summary(
    app: App,
    partner: Partner,
    period_start: Option<String>,
    period_end: Option<String>,
    reseller_id: Option<String>,
) -> ApiResult<Json<BillingSummary>> {
    summary(
        &app,
        partner.partner_id,
        period_start,
        period_end,
        reseller_id,
    )
    .await
}
