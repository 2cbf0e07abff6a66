//! The OTA partner API (`X-API-Key`). Every route takes the `Partner` guard, and every read and
//! write is scoped to that partner: a foreign id answers exactly like an unknown one (404).

pub mod batches;
mod core;
pub mod resellers;
mod tickets;

use rocket_okapi::okapi::openapi3::OpenApi;
use rocket_okapi::settings::OpenApiSettings;

pub fn routes(settings: &OpenApiSettings) -> (Vec<rocket::Route>, OpenApi) {
    crate::api::docs::combine([
        core::routes(settings),
        tickets::routes(settings),
        batches::routes(settings),
        resellers::routes(settings),
    ])
}
