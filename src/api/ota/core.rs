//! OTA inventory, reservations, orders and activation.

use rocket::serde::json::Json;
use rocket::{delete, get, post};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};

use crate::api::body::RawBody;
use crate::api::guards::Partner;
use crate::api::headers::{idempotent, IdempotencyHeader};
use crate::api::views::OrderView;
use crate::api::{answer, answer_read, created, run, ApiResult, App, CreatedJson};
use crate::domain::availability::{self, OtaInventory};
use crate::domain::orders;
use crate::domain::ota_orders::{self, NewOtaOrder};
use crate::domain::payments::{self, Activation, ActivationResult};
use crate::domain::reservations::{self, NewReservation, Reservation};
use crate::domain::tickets::Owner;

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: ota_inventory, reserve, get_reservation, cancel_reservation, create_order, get_order, activate]
}

/// Live OTA availability per package, the full price matrix (with savings, weekend days and
/// holidays) and, when a date range is given, the day type of each date.
#[openapi(tag = "OTA")]
#[get("/inventory?<product_ids>&<date_from>&<date_to>")]
async fn ota_inventory(
    app: App,
    _partner: Partner,
    product_ids: Option<String>,
    date_from: Option<String>,
    date_to: Option<String>,
) -> ApiResult<Json<OtaInventory>> {
    answer_read(&app, move |ctx, conn| {
        availability::ota_inventory(
            ctx,
            conn,
            product_ids.as_deref(),
            date_from.as_deref(),
            date_to.as_deref(),
        )
    })
    .await
}

/// Holds units of one package on the OTA channel. 409 `INSUFFICIENT_INVENTORY` when short:
/// nothing is held. Idempotent with `Idempotency-Key`.
#[openapi(tag = "OTA")]
#[post("/reserve", data = "<body>")]
async fn reserve(
    app: App,
    partner: Partner,
    idem: IdempotencyHeader,
    body: RawBody<NewReservation>,
) -> ApiResult<CreatedJson<Reservation>> {
    let r = idempotent(
        &app,
        partner.partner_id,
        idem,
        "reserve",
        body,
        reservations::reserve,
    )
    .await?;
    Ok(created(
        format!("/api/ota/reservations/{}", r.reservation_id),
        r,
    ))
}

/// One of the partner's reservations.
#[openapi(tag = "OTA")]
#[get("/reservations/<id>")]
async fn get_reservation(app: App, partner: Partner, id: String) -> ApiResult<Json<Reservation>> {
    answer(&app, move |ctx| {
        reservations::get(&ctx.db, partner.partner_id, &id)
    })
    .await
}

/// Cancels a live reservation; its units are released. 409 once ordered, activated or expired.
#[openapi(tag = "OTA")]
#[delete("/reservations/<id>")]
async fn cancel_reservation(
    app: App,
    partner: Partner,
    id: String,
) -> ApiResult<Json<Reservation>> {
    answer(&app, move |ctx| {
        reservations::cancel(&ctx.db, partner.partner_id, &id)
    })
    .await
}

/// Turns a live reservation into an order priced from its snapshot. Idempotent with
/// `Idempotency-Key`.
#[openapi(tag = "OTA")]
#[post("/orders", data = "<body>")]
async fn create_order(
    app: App,
    partner: Partner,
    idem: IdempotencyHeader,
    body: RawBody<NewOtaOrder>,
) -> ApiResult<CreatedJson<OrderView>> {
    let order = idempotent(
        &app,
        partner.partner_id,
        idem,
        "orders",
        body,
        ota_orders::create_ota,
    )
    .await?;
    Ok(created(
        format!("/api/ota/orders/{}", order.order_id),
        order.into(),
    ))
}

/// One of the partner's orders, with its tickets once issued.
#[openapi(tag = "OTA")]
#[get("/orders/<id>")]
async fn get_order(app: App, partner: Partner, id: String) -> ApiResult<Json<OrderView>> {
    let order = run(&app, move |ctx| {
        orders::get(ctx, &id, Owner::Partner(partner.partner_id))
    })
    .await?;
    Ok(Json(order.into()))
}

/// Reports the partner's own payment of an order: tickets are issued once; repeating with the same
/// reference returns the same tickets; another reference on a paid order is 409.
#[openapi(tag = "OTA")]
#[post("/activate", data = "<body>")]
async fn activate(
    app: App,
    partner: Partner,
    idem: IdempotencyHeader,
    body: RawBody<Activation>,
) -> ApiResult<Json<ActivationResult>> {
    let result = idempotent(
        &app,
        partner.partner_id,
        idem,
        "activate",
        body,
        payments::activate,
    );
    result.await.map(Json)
}
