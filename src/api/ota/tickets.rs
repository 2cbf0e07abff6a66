//! OTA tickets: query, read one (with its distribution chain), activate a pre-generated ticket,
//! cancel.

use rocket::serde::json::Json;
use rocket::{get, post, State};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};
use schemars::JsonSchema;
use serde::Serialize;

use crate::api::body::Body;
use crate::api::{query_time, run, ApiResult, Page};
use crate::auth::guards::Partner;
use crate::domain::audit::Actor;
use crate::domain::tickets::{self, Owner, Ticket, TicketActivation, TicketFilter};
use crate::error::AppError;
use crate::App;

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: list_tickets, get_ticket, activate_ticket, cancel_ticket]
}

#[derive(Serialize, JsonSchema)]
pub struct TicketList {
    pub tickets: Vec<Ticket>,
    pub total_count: i64,
    pub page: i64,
    pub page_size: i64,
}

/// The partner's tickets, newest first. `status` one of the five statuses; timestamps RFC 3339;
/// `limit` 1–1000.
#[openapi(tag = "OTA tickets")]
#[get("/tickets?<status>&<batch_id>&<created_after>&<created_before>&<page>&<limit>")]
#[allow(clippy::too_many_arguments)]
async fn list_tickets(
    app: &State<App>,
    partner: Partner,
    status: Option<String>,
    batch_id: Option<String>,
    created_after: Option<String>,
    created_before: Option<String>,
    page: Option<String>,
    limit: Option<String>,
) -> ApiResult<Json<TicketList>> {
    let p = Page::parse(page.as_deref(), limit.as_deref(), 100, 1000)?;
    if let Some(s) = &status {
        if !tickets::STATUSES.contains(&s.as_str()) {
            return Err(AppError::validation(
                "status",
                format!("must be one of {}", tickets::STATUSES.join(", ")),
            ));
        }
    }
    let filter = TicketFilter {
        status,
        batch_id,
        created_after: query_time(created_after.as_deref(), "created_after")?,
        created_before: query_time(created_before.as_deref(), "created_before")?,
    };
    let list = run(app, move |app| {
        app.db.read(|c| {
            let (rows, total) =
                tickets::list_for_partner(c, partner.partner_id, &filter, p.limit, p.offset())?;
            let tickets = tickets::views(c, &rows, &app.qr)?;
            Ok(TicketList {
                tickets,
                total_count: total,
                page: p.page,
                page_size: p.limit,
            })
        })
    })
    .await?;
    Ok(Json(list))
}

/// One ticket, with `distribution_chain` when it came from a batch.
#[openapi(tag = "OTA tickets")]
#[get("/tickets/<code>")]
async fn get_ticket(app: &State<App>, partner: Partner, code: String) -> ApiResult<Json<Ticket>> {
    let t = run(app, move |app| {
        app.db.read(|c| {
            let row = tickets::find(c, &code, Owner::Partner(partner.partner_id))?;
            tickets::view_with_chain(c, &row, &app.qr)
        })
    })
    .await?;
    Ok(Json(t))
}

/// A reseller sold a pre-generated ticket: it becomes ACTIVE with the customer's details. Only
/// from PRE_GENERATED (409 `INVALID_STATE`); the identical request repeated returns the same ticket.
#[openapi(tag = "OTA tickets")]
#[post("/tickets/<code>/activate", data = "<body>")]
async fn activate_ticket(
    app: &State<App>,
    partner: Partner,
    code: String,
    body: Body<TicketActivation>,
) -> ApiResult<Json<Ticket>> {
    let a = body.0;
    let t = run(app, move |app| {
        let row = app
            .db
            .write(|tx| tickets::activate_pre_generated(tx, &code, partner.partner_id, &a))?;
        app.db.read(|c| tickets::view_with_chain(c, &row, &app.qr))
    })
    .await?;
    Ok(Json(t))
}

/// Cancels a PRE_GENERATED ticket, or an ACTIVE one with nothing redeemed; its unit is released.
#[openapi(tag = "OTA tickets")]
#[post("/tickets/<code>/cancel")]
async fn cancel_ticket(
    app: &State<App>,
    partner: Partner,
    code: String,
) -> ApiResult<Json<Ticket>> {
    let t = run(app, move |app| {
        let row = app.db.write(|tx| {
            tickets::cancel(
                tx,
                &code,
                Owner::Partner(partner.partner_id),
                Actor::Partner(partner.partner_id),
            )
        })?;
        app.db.read(|c| tickets::view_with_chain(c, &row, &app.qr))
    })
    .await?;
    Ok(Json(t))
}
