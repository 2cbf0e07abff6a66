//! Inventory, the reconciliation report, and the holidays that price as weekend.

use rocket::serde::json::Json;
use rocket::{delete, get, put};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::api::body::Body;
use crate::api::guards::{Admin, Staff};
use crate::api::paging::Items;
use crate::api::{answer, ApiResult, App};
use crate::domain::catalog::{self, Holiday};
use crate::domain::inventory::{self, Allocation, StockRow};
use crate::domain::reconciliation::{report, Reconciliation};

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: get_inventory, put_inventory, reconciliation, list_holidays, put_holiday, delete_holiday]
}

/// Stock per package and channel.
#[openapi(tag = "Admin")]
#[get("/inventory")]
async fn get_inventory(app: App, _staff: Staff) -> ApiResult<Json<Items<StockRow>>> {
    answer(&app, |ctx| inventory::stock(&ctx.db).map(Items)).await
}

#[derive(Deserialize, JsonSchema)]
pub struct Allocations {
    pub direct: i64,
    pub ota: i64,
}

#[derive(Deserialize, JsonSchema)]
pub struct InventoryUpdate {
    pub capacity: i64,
    pub allocations: Allocations,
}

/// Sets a package's capacity and channel split. 409 `INVALID_STATE` if an allocation would drop
/// below what is held + sold; 422 if the allocations exceed the capacity.
#[openapi(tag = "Admin")]
#[put("/inventory/<product_id>", data = "<body>")]
async fn put_inventory(
    app: App,
    admin: Admin,
    product_id: i64,
    body: Body<InventoryUpdate>,
) -> ApiResult<Json<Items<StockRow>>> {
    let u = body.0;
    let split = Allocation {
        capacity: u.capacity,
        direct: u.allocations.direct,
        ota: u.allocations.ota,
    };
    let actor = admin.actor();
    answer(&app, move |ctx| {
        inventory::set_allocations(&ctx.db, product_id, split, actor).map(Items)
    })
    .await
}

/// Stored counters beside the counts recomputed from reservations, orders and tickets.
#[openapi(tag = "Admin")]
#[get("/reports/reconciliation")]
async fn reconciliation(app: App, _staff: Staff) -> ApiResult<Json<Reconciliation>> {
    answer(&app, |ctx| report(&ctx.db)).await
}

/// Dates that price as weekend.
#[openapi(tag = "Admin")]
#[get("/holidays")]
async fn list_holidays(app: App, _staff: Staff) -> ApiResult<Json<Items<Holiday>>> {
    answer(&app, |ctx| catalog::list_holidays(&ctx.db).map(Items)).await
}

#[derive(Deserialize, JsonSchema)]
pub struct HolidayName {
    #[serde(default)]
    pub name: String,
}

/// Adds (or renames) a holiday: from now on that date prices as weekend. Existing orders keep
/// their price.
#[openapi(tag = "Admin")]
#[put("/holidays/<date>", data = "<body>")]
async fn put_holiday(
    app: App,
    admin: Admin,
    date: String,
    body: Body<HolidayName>,
) -> ApiResult<Json<Items<Holiday>>> {
    let name = body.0.name;
    let actor = admin.actor();
    answer(&app, move |ctx| {
        catalog::set_holiday(ctx, &date, &name, actor).map(Items)
    })
    .await
}

/// Removes a holiday.
#[openapi(tag = "Admin")]
#[delete("/holidays/<date>")]
async fn delete_holiday(app: App, admin: Admin, date: String) -> ApiResult<Json<Items<Holiday>>> {
    let actor = admin.actor();
    answer(&app, move |ctx| {
        catalog::remove_holiday(ctx, &date, actor).map(Items)
    })
    .await
}
