//! OTA tickets: query, read one (with its distribution chain), activate a pre-generated ticket,
//! cancel.

use rocket::serde::json::Json;
use rocket::{get, post};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};

use crate::api::body::Body;
use crate::api::guards::Partner;
use crate::api::paging::{query_status, query_time, Page, Paged};
use crate::api::{answer, run, ApiResult, App};
use crate::domain::audit::Actor;
use crate::domain::tickets::{self, Owner, Ticket, TicketActivation, TicketFilter};

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: list_tickets, get_ticket, activate_ticket, cancel_ticket]
}

/// The partner's tickets, newest first. `status` one of the five statuses; timestamps RFC 3339;
/// `limit` 1–1000.
#[openapi(tag = "OTA tickets")]
#[get("/tickets?<status>&<batch_id>&<created_after>&<created_before>&<page>&<limit>")]
#[allow(clippy::too_many_arguments)]
async fn list_tickets(
    app: App,
    partner: Partner,
    status: Option<String>,
    batch_id: Option<String>,
    created_after: Option<String>,
    created_before: Option<String>,
    page: Option<String>,
    limit: Option<String>,
) -> ApiResult<Json<Paged<Ticket>>> {
    let p = Page::parse(page.as_deref(), limit.as_deref(), 100, 1000)?;
    let status = query_status(status.as_deref())?;
    let filter = TicketFilter {
        status,
        batch_id,
        created_after: query_time(created_after.as_deref(), "created_after")?,
        created_before: query_time(created_before.as_deref(), "created_before")?,
    };
    let found = run(&app, move |ctx| {
        tickets::list_for_partner(ctx, partner.partner_id, &filter, p.limit, p.offset())
    })
    .await?;
    Ok(Json(p.of(found)))
}

/// One ticket, with `distribution_chain` when it came from a batch.
#[openapi(tag = "OTA tickets")]
#[get("/tickets/<code>")]
async fn get_ticket(app: App, partner: Partner, code: String) -> ApiResult<Json<Ticket>> {
    answer(&app, move |ctx| {
        tickets::get(ctx, &code, Owner::Partner(partner.partner_id))
    })
    .await
}

/// A reseller sold a pre-generated ticket: it becomes ACTIVE with the customer's details. Only
/// from PRE_GENERATED (409 `INVALID_STATE`); the identical request repeated returns the same ticket.
#[openapi(tag = "OTA tickets")]
#[post("/tickets/<code>/activate", data = "<body>")]
async fn activate_ticket(
    app: App,
    partner: Partner,
    code: String,
    body: Body<TicketActivation>,
) -> ApiResult<Json<Ticket>> {
    let a = body.0;
    answer(&app, move |ctx| {
        tickets::activate_pre_generated(ctx, &code, partner.partner_id, a)
    })
    .await
}

/// Cancels a PRE_GENERATED ticket, or an ACTIVE one with nothing redeemed; its unit is released.
#[openapi(tag = "OTA tickets")]
#[post("/tickets/<code>/cancel")]
async fn cancel_ticket(app: App, partner: Partner, code: String) -> ApiResult<Json<Ticket>> {
    let (owner, actor) = (
        Owner::Partner(partner.partner_id),
        Actor::Partner(partner.partner_id),
    );
    answer(&app, move |ctx| {
        tickets::cancel(ctx, &code, owner, actor, None)
    })
    .await
}
