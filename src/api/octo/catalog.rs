//! The supplier, its products and their availability.

use rocket::{get, post};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};

use super::{octo, Endpoint, OctoResult};
use crate::api::body::OptionalBody;
use crate::api::guards::OctoPartner;
use crate::api::headers::OctoCapabilitiesHeader;
use crate::api::App;
use crate::domain::octo::availability::{self, Availability, CalendarDay};
use crate::domain::octo::products::{self, Product, Supplier};
use crate::domain::octo::requests::{AvailabilityRequest, CalendarRequest};

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: supplier, list_products, get_product, calendar, check]
}

/// The supplier (the operator) and the endpoint to use.
#[openapi(tag = "OCTO")]
#[get("/supplier")]
async fn supplier(
    app: App,
    _partner: OctoPartner,
    caps: OctoCapabilitiesHeader,
    endpoint: Endpoint,
) -> OctoResult<Supplier> {
    octo(&app, &caps, move |ctx, _| {
        Ok(products::supplier(ctx, endpoint.0))
    })
    .await
}

/// Every package as an OCTO product: one option `DEFAULT`, units = customer types; with
/// `octo/pricing`, each unit's lowest price.
#[openapi(tag = "OCTO")]
#[get("/products")]
async fn list_products(
    app: App,
    _partner: OctoPartner,
    caps: OctoCapabilitiesHeader,
) -> OctoResult<Vec<Product>> {
    octo(&app, &caps, products::products).await
}

/// One product (`id` = the package id, e.g. `106`).
#[openapi(tag = "OCTO")]
#[get("/products/<id>")]
async fn get_product(
    app: App,
    _partner: OctoPartner,
    caps: OctoCapabilitiesHeader,
    id: String,
) -> OctoResult<Product> {
    octo(&app, &caps, move |ctx, caps| {
        products::product(ctx, caps, &id)
    })
    .await
}

/// One day per bookable date of `localDateStart`…`localDateEnd` (today to a year ahead at the
/// venue): vacancies on the OTA channel; with `octo/pricing`, that day's unit prices.
#[openapi(tag = "OCTO")]
#[post("/availability/calendar", data = "<body>")]
async fn calendar(
    app: App,
    _partner: OctoPartner,
    caps: OctoCapabilitiesHeader,
    body: OptionalBody<CalendarRequest>,
) -> OctoResult<Vec<CalendarDay>> {
    octo(&app, &caps, move |ctx, caps| {
        availability::calendar(ctx, caps, body.0)
    })
    .await
}

/// The all-day slots of a date range or of `availabilityIds` (exactly one of the two).
#[openapi(tag = "OCTO")]
#[post("/availability", data = "<body>")]
async fn check(
    app: App,
    _partner: OctoPartner,
    caps: OctoCapabilitiesHeader,
    body: OptionalBody<AvailabilityRequest>,
) -> OctoResult<Vec<Availability>> {
    octo(&app, &caps, move |ctx, caps| {
        availability::check(ctx, caps, body.0)
    })
    .await
}
