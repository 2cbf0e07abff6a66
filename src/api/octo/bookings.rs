//! Bookings: reserve (ON_HOLD), extend, update, confirm, cancel, read, list.

use rocket::{get, patch, post, FromForm};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{octo, OctoResult};
use crate::api::body::OptionalBody;
use crate::api::guards::OctoPartner;
use crate::api::headers::OctoCapabilitiesHeader;
use crate::api::App;
use crate::domain::octo::requests::{
    BookingQuery, CancelRequest, ConfirmRequest, ExtendRequest, ReserveRequest, UpdateRequest,
};
use crate::domain::octo::view::Booking;
use crate::domain::octo::{bookings, sale, Capabilities};
use crate::domain::Ctx;
use crate::error::AppError;

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: reserve, extend, confirm, update, cancel, get_booking, list_bookings]
}

/// Holds one unit per unit item on the OTA channel (the same stock as `/api/ota/reserve`),
/// `ON_HOLD` until confirmed or `utcExpiresAt`. Idempotent by `uuid`: a retry returns the same
/// booking and holds nothing more.
#[openapi(tag = "OCTO")]
#[post("/bookings", data = "<body>")]
async fn reserve(
    app: App,
    partner: OctoPartner,
    caps: OctoCapabilitiesHeader,
    body: OptionalBody<ReserveRequest>,
) -> OctoResult<Booking> {
    let partner_id = partner.0.partner_id;
    octo(&app, &caps, move |ctx, caps| {
        bookings::reserve(ctx, caps, partner_id, body.0)
    })
    .await
}

/// The hold now ends `expirationMinutes` from now.
#[openapi(tag = "OCTO")]
#[post("/bookings/<uuid>/extend", data = "<body>")]
async fn extend(
    app: App,
    partner: OctoPartner,
    caps: OctoCapabilitiesHeader,
    uuid: String,
    body: OptionalBody<ExtendRequest>,
) -> OctoResult<Booking> {
    on_booking(&app, partner, &caps, uuid, body.0, bookings::extend).await
}

/// Order and payment in one step: `CONFIRMED`, one ticket (a QR code valid through the visit
/// date) per unit item. `unitItems`, when sent, replace the list first.
#[openapi(tag = "OCTO")]
#[post("/bookings/<uuid>/confirm", data = "<body>")]
async fn confirm(
    app: App,
    partner: OctoPartner,
    caps: OctoCapabilitiesHeader,
    uuid: String,
    body: OptionalBody<ConfirmRequest>,
) -> OctoResult<Booking> {
    on_booking(&app, partner, &caps, uuid, body.0, sale::confirm).await
}

/// On hold: product, date, unit items (the hold follows, or nothing changes), expiry, contact,
/// notes, reseller reference. Confirmed: contact, notes and reseller reference only.
#[openapi(tag = "OCTO")]
#[patch("/bookings/<uuid>", data = "<body>")]
async fn update(
    app: App,
    partner: OctoPartner,
    caps: OctoCapabilitiesHeader,
    uuid: String,
    body: OptionalBody<UpdateRequest>,
) -> OctoResult<Booking> {
    on_booking(&app, partner, &caps, uuid, body.0, bookings::update).await
}

/// A hold gives its units back; a confirmed booking cancels its tickets (none used yet) and gives
/// theirs back. `CANCELLED` with `cancellation`.
#[openapi(tag = "OCTO")]
#[post("/bookings/<uuid>/cancel", data = "<body>")]
async fn cancel(
    app: App,
    partner: OctoPartner,
    caps: OctoCapabilitiesHeader,
    uuid: String,
    body: OptionalBody<CancelRequest>,
) -> OctoResult<Booking> {
    on_booking(&app, partner, &caps, uuid, body.0, sale::cancel).await
}

/// One of the partner's bookings.
#[openapi(tag = "OCTO")]
#[get("/bookings/<uuid>")]
async fn get_booking(
    app: App,
    partner: OctoPartner,
    caps: OctoCapabilitiesHeader,
    uuid: String,
) -> OctoResult<Booking> {
    let partner_id = partner.0.partner_id;
    octo(&app, &caps, move |ctx, caps| {
        bookings::get(ctx, caps, partner_id, &uuid)
    })
    .await
}

/// One of the partner's bookings, changed by `op` with the request's body.
async fn on_booking<B: Send + 'static>(
    app: &App,
    partner: OctoPartner,
    caps: &OctoCapabilitiesHeader,
    uuid: String,
    body: B,
    op: fn(&Ctx, Capabilities, i64, &str, B) -> Result<Booking, AppError>,
) -> OctoResult<Booking> {
    let partner_id = partner.0.partner_id;
    octo(app, caps, move |ctx, caps| {
        op(ctx, caps, partner_id, &uuid, body)
    })
    .await
}

/// What `GET /bookings` filters on: at least one reference or date.
#[derive(Debug, FromForm, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct BookingsQuery {
    #[field(name = "resellerReference")]
    reseller_reference: Option<String>,
    #[field(name = "supplierReference")]
    supplier_reference: Option<String>,
    /// `YYYY-MM-DD`: bookings for this date.
    #[field(name = "localDate")]
    local_date: Option<String>,
    #[field(name = "localDateStart")]
    local_date_start: Option<String>,
    #[field(name = "localDateEnd")]
    local_date_end: Option<String>,
    #[field(name = "productId")]
    product_id: Option<String>,
    #[field(name = "optionId")]
    option_id: Option<String>,
}

/// The partner's bookings by reference or date, newest first (at most 500).
#[openapi(tag = "OCTO")]
#[get("/bookings?<query..>")]
async fn list_bookings(
    app: App,
    partner: OctoPartner,
    caps: OctoCapabilitiesHeader,
    query: BookingsQuery,
) -> OctoResult<Vec<Booking>> {
    let partner_id = partner.0.partner_id;
    let q = BookingQuery {
        reseller_reference: query.reseller_reference,
        supplier_reference: query.supplier_reference,
        local_date: query.local_date,
        local_date_start: query.local_date_start,
        local_date_end: query.local_date_end,
        product_id: query.product_id,
        option_id: query.option_id,
    };
    octo(&app, &caps, move |ctx, caps| {
        bookings::list(ctx, caps, partner_id, q)
    })
    .await
}
