//! Public routes: health and the catalog.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, State};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};
use schemars::JsonSchema;
use serde::Serialize;

use super::{run, ApiResult};
use crate::domain::catalog::{self, Entitlement, Price};
use crate::domain::inventory::{self, Channel};
use crate::App;

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
async fn health(app: &State<App>) -> (Status, Json<Health>) {
    match run(app, |app| app.db.ping()).await {
        Ok(()) => (Status::Ok, Json(Health { status: "ok" })),
        Err(_) => (
            Status::ServiceUnavailable,
            Json(Health {
                status: "unavailable",
            }),
        ),
    }
}

#[derive(Serialize, JsonSchema)]
pub struct CatalogProduct {
    pub product_id: i64,
    pub name: String,
    pub description: String,
    pub entitlements: Vec<Entitlement>,
    pub prices: Vec<Price>,
    /// Units the direct channel can still sell.
    pub available: i64,
}

#[derive(Serialize, JsonSchema)]
pub struct Catalog {
    pub currency: String,
    pub products: Vec<CatalogProduct>,
}

/// Packages, prices (with savings versus adult) and direct-channel availability.
#[openapi(tag = "Public")]
#[get("/api/catalog")]
async fn get_catalog(app: &State<App>) -> ApiResult<Json<Catalog>> {
    let catalog = run(app, |app| {
        app.db.read(|c| {
            let available = inventory::available(c, Channel::Direct)?;
            let products = catalog::load_products(c)?
                .into_iter()
                .map(|p| CatalogProduct {
                    available: available.get(&p.product_id).copied().unwrap_or(0),
                    product_id: p.product_id,
                    name: p.name,
                    description: p.description,
                    entitlements: p.entitlements,
                    prices: p.prices,
                })
                .collect();
            Ok(Catalog {
                currency: app.config.currency.clone(),
                products,
            })
        })
    })
    .await?;
    Ok(Json(catalog))
}
