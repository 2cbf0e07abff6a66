//! Inventory, the reconciliation report, and the holidays that price as weekend.

use rocket::serde::json::Json;
use rocket::{delete, get, put, State};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::api::body::Body;
use crate::api::guards::{Admin, Staff};
use crate::api::{run, ApiResult, App};
use crate::domain::audit::Actor;
use crate::domain::catalog::{self, Holiday};
use crate::domain::inventory::{self, Allocation, StockRow};
use crate::domain::reconciliation::{report, Reconciliation};

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: get_inventory, put_inventory, reconciliation, list_holidays, put_holiday, delete_holiday]
}

#[derive(Serialize, JsonSchema)]
pub struct InventoryList {
    pub inventory: Vec<StockRow>,
}

/// Stock per package and channel.
#[openapi(tag = "Admin")]
#[get("/inventory")]
async fn get_inventory(app: &State<App>, _staff: Staff) -> ApiResult<Json<InventoryList>> {
    let inventory = run(app, |ctx| inventory::stock(&ctx.db)).await?;
    Ok(Json(InventoryList { inventory }))
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
    app: &State<App>,
    admin: Admin,
    product_id: i64,
    body: Body<InventoryUpdate>,
) -> ApiResult<Json<InventoryList>> {
    let u = body.0;
    let split = Allocation {
        capacity: u.capacity,
        direct: u.allocations.direct,
        ota: u.allocations.ota,
    };
    let actor = Actor::User(admin.0.user_id);
    let inventory = run(app, move |ctx| {
        inventory::set_allocations(&ctx.db, product_id, split, actor)
    })
    .await?;
    Ok(Json(InventoryList { inventory }))
}

/// Stored counters beside the counts recomputed from reservations, orders and tickets.
#[openapi(tag = "Admin")]
#[get("/reports/reconciliation")]
async fn reconciliation(app: &State<App>, _staff: Staff) -> ApiResult<Json<Reconciliation>> {
    Ok(Json(run(app, |ctx| report(&ctx.db)).await?))
}

#[derive(Serialize, JsonSchema)]
pub struct HolidayList {
    pub holidays: Vec<Holiday>,
}

/// Dates that price as weekend.
#[openapi(tag = "Admin")]
#[get("/holidays")]
async fn list_holidays(app: &State<App>, _staff: Staff) -> ApiResult<Json<HolidayList>> {
    let holidays = run(app, |ctx| catalog::list_holidays(&ctx.db)).await?;
    Ok(Json(HolidayList { holidays }))
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
    app: &State<App>,
    admin: Admin,
    date: String,
    body: Body<HolidayName>,
) -> ApiResult<Json<HolidayList>> {
    let name = body.0.name;
    let actor = Actor::User(admin.0.user_id);
    let holidays = run(app, move |ctx| {
        catalog::set_holiday(&ctx.db, &date, &name, actor)
    })
    .await?;
    Ok(Json(HolidayList { holidays }))
}

/// Removes a holiday.
#[openapi(tag = "Admin")]
#[delete("/holidays/<date>")]
async fn delete_holiday(
    app: &State<App>,
    admin: Admin,
    date: String,
) -> ApiResult<Json<HolidayList>> {
    let actor = Actor::User(admin.0.user_id);
    let holidays = run(app, move |ctx| {
        catalog::remove_holiday(&ctx.db, &date, actor)
    })
    .await?;
    Ok(Json(HolidayList { holidays }))
}
