//! OTA batches: bulk generation of pre-generated tickets, listing, and the ZIP archive.

use rocket::serde::json::Json;
use rocket::{get, post};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};

use crate::api::body::RawBody;
use crate::api::guards::Partner;
use crate::api::headers::{idempotent, IdempotencyHeader};
use crate::api::paging::{Page, Paged};
use crate::api::shared::{archive, batch_list};
use crate::api::views::{BatchView, CreatedBatchView};
use crate::api::zip::ZipStream;
use crate::api::{created, run, ApiResult, App, CreatedJson};
use crate::domain::audit::Actor;
use crate::domain::batches::{self, NewBatch, Scope};

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: bulk_generate, list_batches, get_batch, batch_archive]
}

/// Pre-generates 1–5000 tickets in one batch, held against the OTA allocation (409 if short).
/// Idempotent with `Idempotency-Key`.
#[openapi(tag = "OTA batches")]
#[post("/tickets/bulk-generate", data = "<body>")]
async fn bulk_generate(
    app: App,
    partner: Partner,
    idem: IdempotencyHeader,
    body: RawBody<NewBatch>,
) -> ApiResult<CreatedJson<CreatedBatchView>> {
    let route = "bulk-generate";
    let batch = idempotent(
        &app,
        partner.partner_id,
        idem,
        route,
        body,
        batches::bulk_generate,
    )
    .await?;
    Ok(created(
        format!("/api/ota/batches/{}", batch.batch_id),
        CreatedBatchView::new(batch, partner.partner_id),
    ))
}

/// The partner's batches, newest first, with ticket counts per status.
#[openapi(tag = "OTA batches")]
#[get("/batches?<page>&<limit>")]
async fn list_batches(
    app: App,
    partner: Partner,
    page: Option<String>,
    limit: Option<String>,
) -> ApiResult<Json<Paged<BatchView>>> {
    let p = Page::parse(page.as_deref(), limit.as_deref(), 50, 1000)?;
    batch_list(&app, Scope::Partner(partner.partner_id), p).await
}

/// One batch with a count per ticket status.
#[openapi(tag = "OTA batches")]
#[get("/batches/<id>")]
async fn get_batch(app: App, partner: Partner, id: String) -> ApiResult<Json<BatchView>> {
    let scope = Scope::Partner(partner.partner_id);
    let batch = run(&app, move |ctx| batches::get(&ctx.db, &id, scope)).await?;
    Ok(Json(BatchView::new(batch, scope)))
}

/// The batch as a ZIP: `{ticket_code}.png` voucher QR per ticket and `manifest.csv`
/// (`ticket_code,product_id,status,voucher_token,batch_id,reseller_code`), streamed.
#[openapi(tag = "OTA batches")]
#[get("/batches/<id>/archive.zip")]
async fn batch_archive(app: App, partner: Partner, id: String) -> ApiResult<ZipStream> {
    let scope = Scope::Partner(partner.partner_id);
    archive(&app, id, scope, Actor::Partner(partner.partner_id)).await
}
