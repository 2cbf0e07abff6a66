//! OTA inventory, reservations, orders and activation.

use std::collections::BTreeMap;

use rocket::serde::json::Json;
use rocket::{delete, get, post, State};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};
use schemars::JsonSchema;
use serde::Serialize;

use crate::api::body::RawBody;
use crate::api::{created, run, ApiResult, CreatedJson, IdempotencyHeader};
use crate::auth::guards::Partner;
use crate::clock;
use crate::domain::catalog::{self, DayType, Entitlement, Price};
use crate::domain::idempotency;
use crate::domain::inventory::{self, Channel};
use crate::domain::orders::{self, NewOtaOrder, Order};
use crate::domain::payments::{self, Activation, ActivationResult};
use crate::domain::reservations::{self, NewReservation, Reservation};
use crate::domain::tickets::Owner;
use crate::error::AppError;
use crate::App;

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: ota_inventory, reserve, get_reservation, cancel_reservation, create_order, get_order, activate]
}

#[derive(Serialize, JsonSchema)]
pub struct PricedProduct {
    pub product_id: i64,
    pub name: String,
    pub prices: Vec<Price>,
    pub entitlements: Vec<Entitlement>,
}

#[derive(Serialize, JsonSchema)]
pub struct PricingContext {
    pub currency: String,
    pub weekend_days: Vec<String>,
    pub holidays: Vec<String>,
    pub products: Vec<PricedProduct>,
}

#[derive(Serialize, JsonSchema)]
pub struct CalendarDay {
    pub date: String,
    pub day_type: DayType,
}

#[derive(Serialize, JsonSchema)]
pub struct OtaInventory {
    pub channel: Channel,
    /// Units a reservation can take right now, per package id.
    pub available_quantities: BTreeMap<String, i64>,
    pub pricing_context: PricingContext,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar: Option<Vec<CalendarDay>>,
}

fn parse_product_ids(raw: Option<&str>, known: &[i64]) -> Result<Vec<i64>, AppError> {
    let Some(raw) = raw else {
        return Ok(known.to_vec());
    };
    raw.split(',')
        .map(|s| {
            s.trim()
                .parse::<i64>()
                .ok()
                .filter(|id| known.contains(id))
                .ok_or_else(|| {
                    AppError::validation(
                        "product_ids",
                        format!("unknown product id '{}'", s.trim()),
                    )
                })
        })
        .collect()
}

fn parse_range(
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Option<(time::Date, time::Date)>, AppError> {
    let date = |v: &str, field: &str| {
        clock::parse_date(v)
            .ok_or_else(|| AppError::validation(field, "expected a date YYYY-MM-DD"))
    };
    match (from, to) {
        (None, None) => Ok(None),
        (Some(f), None) => Ok(Some((date(f, "date_from")?, date(f, "date_from")?))),
        (None, Some(t)) => Ok(Some((date(t, "date_to")?, date(t, "date_to")?))),
        (Some(f), Some(t)) => {
            let (f, t) = (date(f, "date_from")?, date(t, "date_to")?);
            if t < f {
                return Err(AppError::validation(
                    "date_to",
                    "must not be before date_from",
                ));
            }
            if (t - f).whole_days() >= 366 {
                return Err(AppError::validation(
                    "date_to",
                    "the range is at most 366 days",
                ));
            }
            Ok(Some((f, t)))
        }
    }
}

/// Live OTA availability per package, the full price matrix (with savings, weekend days and
/// holidays) and, when a date range is given, the day type of each date.
#[openapi(tag = "OTA")]
#[get("/inventory?<product_ids>&<date_from>&<date_to>")]
async fn ota_inventory(
    app: &State<App>,
    _partner: Partner,
    product_ids: Option<String>,
    date_from: Option<String>,
    date_to: Option<String>,
) -> ApiResult<Json<OtaInventory>> {
    let inventory = run(app, move |app| {
        app.db.read(|c| {
            let products = catalog::load_products(c)?;
            let known: Vec<i64> = products.iter().map(|p| p.product_id).collect();
            let wanted = parse_product_ids(product_ids.as_deref(), &known)?;
            let range = parse_range(date_from.as_deref(), date_to.as_deref())?;
            let holidays = catalog::holidays(c)?;
            let available = inventory::available(c, Channel::Ota)?;
            let calendar = range.map(|(from, to)| {
                let mut days = Vec::new();
                let mut d = from;
                loop {
                    days.push(CalendarDay {
                        date: clock::date_to_db(d),
                        day_type: catalog::day_type(d, &holidays),
                    });
                    match d.next_day() {
                        Some(next) if d < to => d = next,
                        _ => break,
                    }
                }
                days
            });
            Ok(OtaInventory {
                channel: Channel::Ota,
                available_quantities: wanted
                    .iter()
                    .map(|id| (id.to_string(), available.get(id).copied().unwrap_or(0)))
                    .collect(),
                pricing_context: PricingContext {
                    currency: app.config.currency.clone(),
                    weekend_days: catalog::WEEKEND_DAYS
                        .iter()
                        .map(|d| d.to_string())
                        .collect(),
                    holidays: holidays.iter().map(|d| clock::date_to_db(*d)).collect(),
                    products: products
                        .into_iter()
                        .filter(|p| wanted.contains(&p.product_id))
                        .map(|p| PricedProduct {
                            product_id: p.product_id,
                            name: p.name,
                            prices: p.prices,
                            entitlements: p.entitlements,
                        })
                        .collect(),
                },
                calendar,
            })
        })
    })
    .await?;
    Ok(Json(inventory))
}

/// Holds units of one package on the OTA channel. 409 `INSUFFICIENT_INVENTORY` when short:
/// nothing is held. Idempotent with `Idempotency-Key`.
#[openapi(tag = "OTA")]
#[post("/reserve", data = "<body>")]
async fn reserve(
    app: &State<App>,
    partner: Partner,
    idem: IdempotencyHeader,
    body: RawBody<NewReservation>,
) -> ApiResult<CreatedJson<Reservation>> {
    let key = idem.for_request("reserve", &body.bytes)?;
    let req = body.value;
    let r = run(app, move |app| {
        idempotency::once(&app.db, partner.partner_id, key.as_ref(), |tx| {
            reservations::create(
                tx,
                partner.partner_id,
                &req,
                app.config.reservation_ttl_hours,
                &app.config.currency,
            )
        })
    })
    .await?;
    Ok(created(
        format!("/api/ota/reservations/{}", r.reservation_id),
        r,
    ))
}

/// One of the partner's reservations.
#[openapi(tag = "OTA")]
#[get("/reservations/<id>")]
async fn get_reservation(
    app: &State<App>,
    partner: Partner,
    id: String,
) -> ApiResult<Json<Reservation>> {
    Ok(Json(
        run(app, move |app| {
            app.db
                .read(|c| reservations::get(c, partner.partner_id, &id))
        })
        .await?,
    ))
}

/// Cancels a live reservation; its units are released. 409 once ordered, activated or expired.
#[openapi(tag = "OTA")]
#[delete("/reservations/<id>")]
async fn cancel_reservation(
    app: &State<App>,
    partner: Partner,
    id: String,
) -> ApiResult<Json<Reservation>> {
    Ok(Json(
        run(app, move |app| {
            app.db
                .write(|tx| reservations::cancel(tx, partner.partner_id, &id))
        })
        .await?,
    ))
}

/// Turns a live reservation into an order priced from its snapshot. Idempotent with
/// `Idempotency-Key`.
#[openapi(tag = "OTA")]
#[post("/orders", data = "<body>")]
async fn create_order(
    app: &State<App>,
    partner: Partner,
    idem: IdempotencyHeader,
    body: RawBody<NewOtaOrder>,
) -> ApiResult<CreatedJson<Order>> {
    let key = idem.for_request("orders", &body.bytes)?;
    let req = body.value;
    let order = run(app, move |app| {
        idempotency::once(&app.db, partner.partner_id, key.as_ref(), |tx| {
            orders::create_ota(tx, partner.partner_id, &req, &app.qr)
        })
    })
    .await?;
    Ok(created(
        format!("/api/ota/orders/{}", order.order_id),
        order,
    ))
}

/// One of the partner's orders, with its tickets once issued.
#[openapi(tag = "OTA")]
#[get("/orders/<id>")]
async fn get_order(app: &State<App>, partner: Partner, id: String) -> ApiResult<Json<Order>> {
    Ok(Json(
        run(app, move |app| {
            app.db
                .read(|c| orders::view(c, &id, Owner::Partner(partner.partner_id), &app.qr))
        })
        .await?,
    ))
}

/// Reports the partner's own payment of an order: tickets are issued once; repeating with the same
/// reference returns the same tickets; another reference on a paid order is 409.
#[openapi(tag = "OTA")]
#[post("/activate", data = "<body>")]
async fn activate(
    app: &State<App>,
    partner: Partner,
    idem: IdempotencyHeader,
    body: RawBody<Activation>,
) -> ApiResult<Json<ActivationResult>> {
    let key = idem.for_request("activate", &body.bytes)?;
    let req = body.value;
    let result = run(app, move |app| {
        idempotency::once(&app.db, partner.partner_id, key.as_ref(), |tx| {
            payments::activate(tx, partner.partner_id, &req, &app.qr)
        })
    })
    .await?;
    Ok(Json(result))
}
