//! The OTA channel's orders: a partner turns its live reservation into an order with the
//! customer's details and a pricing context (visit date, count per customer type, summing to the
//! reserved quantity), priced from the prices snapshotted at reservation time.

use rusqlite::Transaction;
use schemars::JsonSchema;
use serde::Deserialize;
use time::Date;

use super::audit::{self};
use super::catalog;
use super::idempotency::{self, IdempotencyKey};
use super::inventory::Channel;
use super::orders::{self, Insert, Order};
use super::pricing::{self, Line};
use super::reservations::{self, PricingSnapshot, Reservation, ReservationStatus};
use super::tickets::Owner;
use super::values::CustomerDetails;
use super::Ctx;
use crate::clock;
use crate::db::Pending;
use crate::error::AppError;
use crate::ids;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct CustomerCount {
    pub customer_type: String,
    pub count: i64,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct PricingRequest {
    pub visit_date: String,
    pub customer_breakdown: Vec<CustomerCount>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct NewOtaOrder {
    pub reservation_id: String,
    pub customer_details: CustomerDetails,
    pub pricing_context: PricingRequest,
}

/// Turns a partner's live reservation into an order priced from its snapshot. With an
/// idempotency key, a retry returns the first order.
pub fn create_ota(
    ctx: &Ctx,
    partner_id: i64,
    req: NewOtaOrder,
    key: Option<IdempotencyKey>,
) -> Pending<Order> {
    let (signer, today) = (ctx.qr.clone(), ctx.venue.today());
    ctx.db.submit(move |tx| {
        idempotency::once(tx, partner_id, key.as_ref(), |tx| {
            let id = order_reservation(tx, partner_id, &req, today)?;
            orders::view(tx, &id, Owner::Partner(partner_id), &signer)
        })
    })
}

/// The step of an OTA order: the reservation becomes ORDERED, the order PENDING_PAYMENT; audited.
/// Returns the order id.
pub(super) fn order_reservation(
    tx: &Transaction<'_>,
    partner_id: i64,
    req: &NewOtaOrder,
    today: time::Date,
) -> Result<String, AppError> {
    req.customer_details.validate("customer_details")?;
    let reservation =
        reservations::find(tx, partner_id, &req.reservation_id).map_err(|e| match e {
            AppError::NotFound => AppError::validation("reservation_id", "no such reservation"),
            e => e,
        })?;
    require_orderable(&reservation)?;
    let visit = catalog::parse_visit_date(
        &req.pricing_context.visit_date,
        "pricing_context.visit_date",
        today,
    )?;
    let breakdown: Vec<(String, i64)> = req
        .pricing_context
        .customer_breakdown
        .iter()
        .map(|c| (c.customer_type.clone(), c.count))
        .collect();
    let order = HoldOrder {
        customer: &req.customer_details,
        visit,
        breakdown: &breakdown,
        field: "pricing_context.customer_breakdown",
    };
    order_hold(tx, partner_id, &reservation, &order)
}

/// What an order of a live hold says: who it is for, the visit date (already checked), and how
/// many of each customer type (`field` names that list in 422s).
pub(super) struct HoldOrder<'a> {
    pub customer: &'a CustomerDetails,
    pub visit: Date,
    pub breakdown: &'a [(String, i64)],
    pub field: &'a str,
}

/// The reservation, if it can still become an order.
fn require_orderable(reservation: &Reservation) -> Result<(), AppError> {
    if reservation.status == ReservationStatus::Active {
        return Ok(());
    }
    Err(AppError::ReservationNotActive(format!(
        "The reservation is {}.",
        reservation.status
    )))
}

/// The step shared by both OTA surfaces: a live hold becomes an order priced from its snapshot
/// (the counts must add up to the units held); the reservation becomes ORDERED; audited. Returns
/// the order id.
pub(super) fn order_hold(
    tx: &Transaction<'_>,
    partner_id: i64,
    reservation: &Reservation,
    o: &HoldOrder<'_>,
) -> Result<String, AppError> {
    require_orderable(reservation)?;
    let PricingSnapshot {
        prices, currency, ..
    } = &reservation.pricing_snapshot;
    let day = pricing::day_type(o.visit, &catalog::holidays(tx)?);
    let priced = pricing::price_lines(prices, o.breakdown, day, o.field)?;
    let units: i64 = priced.iter().map(|l| l.count).sum();
    if units != reservation.quantity {
        return Err(AppError::validation(
            o.field,
            format!(
                "counts add up to {units} but the reservation holds {}",
                reservation.quantity
            ),
        ));
    }
    let id = ids::new_uuid();
    let amount = pricing::total_cents(&priced);
    let lines: Vec<(i64, Line)> = priced
        .into_iter()
        .map(|l| (reservation.product_id, l))
        .collect();
    let order = Insert {
        id: &id,
        channel: Channel::Ota,
        partner_id: Some(partner_id),
        user_id: None,
        reservation_id: Some(&reservation.reservation_id),
        customer: o.customer,
        visit_date: &clock::date_to_db(o.visit),
        currency,
        expires_at: &reservation.reserved_until,
    };
    orders::insert(tx, &order, &lines)?;
    reservations::mark_ordered(tx, &reservation.reservation_id)?;
    audit::by_partner(
        tx,
        partner_id,
        "order.create",
        ("order", &id),
        serde_json::json!({"reservation_id": reservation.reservation_id, "amount_cents": amount}),
    )?;
    Ok(id)
}
