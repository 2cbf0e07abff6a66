//! Public routes: health and the catalog.

use rocket::get;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};
use schemars::JsonSchema;
use serde::Serialize;

use super::{answer, run, ApiResult, App};
use crate::domain::availability::{self, Catalog};

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: health, get_catalog]
}

#[derive(Serialize, JsonSchema)]
pub struct Health {
    pub status: &'static str,
}

/// Liveness and database check: 503 when the database cannot be queried.
#[openapi(tag = "Public")]
#[get("/health")]
async fn health(app: App) -> (Status, Json<Health>) {
    match run(&app, |ctx| ctx.db.ping()).await {
        Ok(()) => (Status::Ok, Json(Health { status: "ok" })),
        Err(_) => (
            Status::ServiceUnavailable,
            Json(Health {
                status: "unavailable",
            }),
        ),
    }
}

/// Packages, prices (with savings versus adult) and direct-channel availability.
#[openapi(tag = "Public")]
#[get("/api/catalog")]
async fn get_catalog(app: App) -> ApiResult<Json<Catalog>> {
    answer(&app, availability::catalog).await
}
