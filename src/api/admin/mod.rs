//! Operator administration (bearer token or console session): partners and keys, users,
//! inventory, reconciliation, audit, reports, and the venue's day (passenger list, lookup, refunds,
//! vouchers). Staff may read; only admins change things, except what the desk does for a guest
//! (cancelling a ticket).

mod backups;
mod desk;
mod partners;
mod reports;
mod stock;
mod users;

use rocket_okapi::okapi::openapi3::OpenApi;
use rocket_okapi::settings::OpenApiSettings;

pub fn routes(settings: &OpenApiSettings) -> (Vec<rocket::Route>, OpenApi) {
    crate::api::docs::combine([
        partners::routes(settings),
        stock::routes(settings),
        reports::routes(settings),
        backups::routes(settings),
        users::routes(settings),
        desk::routes(settings),
    ])
}
