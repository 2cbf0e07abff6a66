//! OTA batches: bulk generation of pre-generated tickets, listing, and the ZIP archive.

use rocket::serde::json::Json;
use rocket::{get, post, State};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};
use schemars::JsonSchema;
use serde::Serialize;

use crate::api::body::RawBody;
use crate::api::zip::{self, ZipStream};
use crate::api::{created, run, ApiResult, CreatedJson, IdempotencyHeader, Page};
use crate::auth::guards::Partner;
use crate::domain::archive;
use crate::domain::audit::Actor;
use crate::domain::batches::{self, Batch, CreatedBatch, NewBatch, Scope};
use crate::domain::idempotency;
use crate::App;

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
    app: &State<App>,
    partner: Partner,
    idem: IdempotencyHeader,
    body: RawBody<NewBatch>,
) -> ApiResult<CreatedJson<CreatedBatch>> {
    let key = idem.for_request("bulk-generate", &body.bytes)?;
    let req = body.value;
    let batch = run(app, move |app| {
        idempotency::once(&app.db, partner.partner_id, key.as_ref(), |tx| {
            batches::create(tx, partner.partner_id, &req, &app.qr)
        })
    })
    .await?;
    Ok(created(
        format!("/api/ota/batches/{}", batch.batch_id),
        batch,
    ))
}

#[derive(Serialize, JsonSchema)]
pub struct BatchList {
    pub batches: Vec<Batch>,
    pub total_count: i64,
    pub page: i64,
    pub page_size: i64,
}

pub fn list(app: &App, scope: Scope, p: Page) -> Result<BatchList, crate::error::AppError> {
    let (batches, total) = app
        .db
        .read(|c| batches::list(c, scope, p.limit, p.offset()))?;
    Ok(BatchList {
        batches,
        total_count: total,
        page: p.page,
        page_size: p.limit,
    })
}

/// The partner's batches, newest first, with ticket counts per status.
#[openapi(tag = "OTA batches")]
#[get("/batches?<page>&<limit>")]
async fn list_batches(
    app: &State<App>,
    partner: Partner,
    page: Option<String>,
    limit: Option<String>,
) -> ApiResult<Json<BatchList>> {
    let p = Page::parse(page.as_deref(), limit.as_deref(), 50, 1000)?;
    Ok(Json(
        run(app, move |app| {
            list(app, Scope::Partner(partner.partner_id), p)
        })
        .await?,
    ))
}

/// One batch with a count per ticket status.
#[openapi(tag = "OTA batches")]
#[get("/batches/<id>")]
async fn get_batch(app: &State<App>, partner: Partner, id: String) -> ApiResult<Json<Batch>> {
    Ok(Json(
        run(app, move |app| {
            app.db
                .read(|c| batches::get(c, &id, Scope::Partner(partner.partner_id)))
        })
        .await?,
    ))
}

/// The batch as a ZIP: `{ticket_code}.png` voucher QR per ticket and `manifest.csv`
/// (`ticket_code,product_id,status,voucher_token,batch_id,reseller_code`), streamed.
#[openapi(tag = "OTA batches")]
#[get("/batches/<id>/archive.zip")]
async fn batch_archive(app: &State<App>, partner: Partner, id: String) -> ApiResult<ZipStream> {
    let (scope, actor) = (
        Scope::Partner(partner.partner_id),
        Actor::Partner(partner.partner_id),
    );
    let plan = run(app, move |app| {
        app.db
            .write(|tx| archive::prepare_download(tx, &id, scope, actor))
    })
    .await?;
    zip::stream(app, plan)
}
