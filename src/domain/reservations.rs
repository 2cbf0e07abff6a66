//! OTA reservations (the `reservations` table): a hold of N units of one package on the OTA
//! channel, with the prices of the moment snapshotted so that the order later pays what the
//! partner saw. A reservation is ACTIVE, then ORDERED and ACTIVATED, or it ends EXPIRED or
//! CANCELLED; its units count as held while ACTIVE or ORDERED.

use rusqlite::{params, Connection, Transaction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::audit::{self, Actor};
use super::catalog::{self, Product};
use super::idempotency::{self, IdempotencyKey};
use super::inventory::{self, Channel};
use super::pricing::Price;
use super::Ctx;
use crate::clock;
use crate::db::{text_enum, ConnExt, Db, Pending};
use crate::error::AppError;
use crate::ids;

text_enum! {
    pub enum ReservationStatus in "reservations.status" {
        Active = "ACTIVE", Ordered = "ORDERED", Activated = "ACTIVATED", Expired = "EXPIRED",
        Cancelled = "CANCELLED",
    }
}

impl ReservationStatus {
    /// Whether the reservation's units are still held.
    pub fn holds_units(self) -> bool {
        matches!(self, ReservationStatus::Active | ReservationStatus::Ordered)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PricingSnapshot {
    pub product_id: i64,
    pub currency: String,
    pub prices: Vec<Price>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Reservation {
    pub reservation_id: String,
    pub product_id: i64,
    pub quantity: i64,
    pub status: ReservationStatus,
    pub reserved_until: String,
    pub created_at: String,
    pub pricing_snapshot: PricingSnapshot,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct NewReservation {
    pub product_id: i64,
    pub quantity: i64,
    /// RFC 3339; from 1 minute to 7 days ahead. Default: `reservation_ttl_hours`.
    #[serde(default)]
    pub reservation_expires_at: Option<String>,
}

pub const MAX_QUANTITY: i64 = 5000;

/// How long a hold may be asked to last: from 1 minute to 7 days ahead.
pub const SHORTEST_HOLD: Duration = Duration::minutes(1);
pub const LONGEST_HOLD: Duration = Duration::days(7);

pub(super) fn validate_quantity(quantity: i64) -> Result<(), AppError> {
    if (1..=MAX_QUANTITY).contains(&quantity) {
        Ok(())
    } else {
        Err(AppError::validation(
            "quantity",
            "must be between 1 and 5000",
        ))
    }
}

/// When a new hold ends: the default TTL, or the asked time from 1 minute to 7 days ahead.
fn hold_until(asked: Option<&str>, default_ttl_hours: i64) -> Result<OffsetDateTime, AppError> {
    let now = clock::now();
    let Some(s) = asked else {
        return Ok(now + Duration::hours(default_ttl_hours));
    };
    let t = clock::parse_rfc3339(s).ok_or_else(|| {
        AppError::validation("reservation_expires_at", "expected an RFC 3339 timestamp")
    })?;
    if t < now + SHORTEST_HOLD || t > now + LONGEST_HOLD {
        return Err(AppError::validation(
            "reservation_expires_at",
            "must be between 1 minute and 7 days from now",
        ));
    }
    Ok(t.replace_nanosecond(0).unwrap_or(t))
}

/// Holds units of one package for a partner. Not enough OTA stock: `INSUFFICIENT_INVENTORY`,
/// nothing held. With an idempotency key, a retry returns the first reservation.
pub fn reserve(
    ctx: &Ctx,
    partner_id: i64,
    req: NewReservation,
    key: Option<IdempotencyKey>,
) -> Pending<Reservation> {
    let (ttl, currency) = (
        ctx.config.reservation_ttl_hours,
        ctx.config.currency.clone(),
    );
    // From memory when the catalog cache is fresh, so the single writer need not read it; the
    // answer (an unknown product) is only given after the idempotency check, as if read inside.
    let cached = ctx
        .offer
        .cached_product(&ctx.db, req.product_id, "product_id");
    ctx.db.submit(move |tx| {
        idempotency::once(tx, partner_id, key.as_ref(), |tx| {
            validate_quantity(req.quantity)?;
            let product = match cached {
                Some(product) => product?,
                None => catalog::product(tx, req.product_id, "product_id")?,
            };
            let until = hold_until(req.reservation_expires_at.as_deref(), ttl)?;
            let held = hold(tx, partner_id, product, req.quantity, until, &currency)?;
            audit::by_partner(
                tx,
                partner_id,
                "reservation.create",
                ("reservation", &held.reservation_id),
                serde_json::json!({"product_id": req.product_id, "quantity": req.quantity, "reserved_until": held.reserved_until}),
            )?;
            Ok(held)
        })
    })
}

/// The step of a reservation: takes the units and stores the hold with its price snapshot.
pub(super) fn hold(
    tx: &Transaction<'_>,
    partner_id: i64,
    product: Product,
    quantity: i64,
    until: OffsetDateTime,
    currency: &str,
) -> Result<Reservation, AppError> {
    let product_id = product.product_id;
    take_units(tx, product_id, quantity)?;
    let reservation = Reservation {
        reservation_id: ids::new_uuid(),
        product_id,
        quantity,
        status: ReservationStatus::Active,
        reserved_until: clock::to_db(until),
        created_at: clock::to_db(clock::now()),
        pricing_snapshot: PricingSnapshot {
            product_id,
            currency: currency.to_owned(),
            prices: product.prices,
        },
    };
    tx.prepare_cached(
        "INSERT INTO reservations (id, partner_id, product_id, quantity, status, reserved_until, pricing_snapshot, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'ACTIVE', ?5, ?6, ?7, ?7)",
    )?
    .execute(params![
        reservation.reservation_id,
        partner_id,
        reservation.product_id,
        reservation.quantity,
        reservation.reserved_until,
        serde_json::to_string(&reservation.pricing_snapshot)?,
        reservation.created_at,
    ])?;
    Ok(reservation)
}

/// Takes units from the OTA channel; if it looks short, first expires the reservations that are
/// already due, then tries once more. One transaction throughout, so a request never fails on
/// stock that an expired hold still blocks.
pub(super) fn take_units(
    tx: &Transaction<'_>,
    product_id: i64,
    quantity: i64,
) -> Result<(), AppError> {
    match inventory::hold(tx, product_id, Channel::Ota, quantity) {
        Err(AppError::InsufficientInventory(_)) => {
            expire_due(tx, clock::now())?;
            inventory::hold(tx, product_id, Channel::Ota, quantity)
        }
        other => other,
    }
}

/// A live hold now ends at `until` (later or sooner); once ordered, activated or expired: 409.
pub(super) fn extend(
    tx: &Transaction<'_>,
    r: &Reservation,
    until: OffsetDateTime,
) -> Result<(), AppError> {
    require_active(r, "extended")?;
    tx.prepare_cached(
        "UPDATE reservations SET reserved_until = ?2, updated_at = ?3 WHERE id = ?1 AND status = 'ACTIVE'",
    )?
    .execute(params![r.reservation_id, clock::to_db(until), clock::to_db(clock::now())])?;
    Ok(())
}

/// A live hold now holds `quantity` units of `product` (the same package or another): its units
/// go back and the new ones are taken in the caller's transaction, so the hold never counts
/// twice and a move that finds the stock short changes nothing (`INSUFFICIENT_INVENTORY`). A hold
/// that changes package snapshots the new package's prices; one that only changes size keeps its
/// snapshot.
pub(super) fn resize(
    tx: &Transaction<'_>,
    r: &Reservation,
    product: Product,
    quantity: i64,
) -> Result<Reservation, AppError> {
    validate_quantity(quantity)?;
    // Sweep the due holds first, this one included if its time ran out since it was read: the
    // stock check below then sees every unit there is, and a hold is never given back twice.
    expire_due(tx, clock::now())?;
    let mut resized = r.clone();
    resized.status = stored_status(tx, &r.reservation_id)?;
    require_active(&resized, "changed")?;
    inventory::release(tx, r.product_id, Channel::Ota, r.quantity)?;
    inventory::hold(tx, product.product_id, Channel::Ota, quantity)?;
    if product.product_id != r.product_id {
        resized.pricing_snapshot = PricingSnapshot {
            product_id: product.product_id,
            currency: r.pricing_snapshot.currency.clone(),
            prices: product.prices,
        };
    }
    resized.product_id = product.product_id;
    resized.quantity = quantity;
    tx.prepare_cached(
        "UPDATE reservations SET product_id = ?2, quantity = ?3, pricing_snapshot = ?4, updated_at = ?5 WHERE id = ?1",
    )?
    .execute(params![
        r.reservation_id,
        resized.product_id,
        quantity,
        serde_json::to_string(&resized.pricing_snapshot)?,
        clock::to_db(clock::now())
    ])?;
    Ok(resized)
}

fn stored_status(conn: &Connection, id: &str) -> Result<ReservationStatus, AppError> {
    conn.try_query_row("SELECT status FROM reservations WHERE id = ?1", [id], |r| {
        r.get(0)
    })?
    .ok_or(AppError::NotFound)
}

fn require_active(r: &Reservation, what: &str) -> Result<(), AppError> {
    if r.status == ReservationStatus::Active {
        Ok(())
    } else {
        Err(AppError::ReservationNotActive(format!(
            "The reservation is {} and cannot be {what}.",
            r.status
        )))
    }
}

/// A partner's reservation.
pub fn get(db: &Db, partner_id: i64, id: &str) -> Result<Reservation, AppError> {
    db.read(|c| find(c, partner_id, id))
}

/// A partner's reservation; anyone else's is `NotFound`. A hold that is due but not yet swept is
/// shown as `EXPIRED`, which is what it is.
pub(super) fn find(conn: &Connection, partner_id: i64, id: &str) -> Result<Reservation, AppError> {
    let found = conn.try_query_row(
        "SELECT id, product_id, quantity, status, reserved_until, created_at, pricing_snapshot
         FROM reservations WHERE id = ?1 AND partner_id = ?2",
        params![id, partner_id],
        |r| {
            Ok((
                Reservation {
                    reservation_id: r.get(0)?,
                    product_id: r.get(1)?,
                    quantity: r.get(2)?,
                    status: r.get(3)?,
                    reserved_until: r.get(4)?,
                    created_at: r.get(5)?,
                    pricing_snapshot: PricingSnapshot {
                        product_id: 0,
                        currency: String::new(),
                        prices: vec![],
                    },
                },
                r.get::<_, String>(6)?,
            ))
        },
    )?;
    let (mut reservation, snapshot) = found.ok_or(AppError::NotFound)?;
    reservation.pricing_snapshot = serde_json::from_str(&snapshot).map_err(|_| {
        AppError::corrupt("reservations.pricing_snapshot", &reservation.reservation_id)
    })?;
    if reservation.status.holds_units() && reservation.reserved_until <= clock::to_db(clock::now())
    {
        reservation.status = ReservationStatus::Expired;
    }
    Ok(reservation)
}

/// Cancels a live reservation and releases its units; once ordered, activated or expired: 409.
pub fn cancel(db: &Db, partner_id: i64, id: &str) -> Result<Reservation, AppError> {
    let id = id.to_owned();
    db.write(move |tx| {
        let r = find(tx, partner_id, &id)?;
        release(tx, &r, ReservationStatus::Cancelled)?;
        audit::by_partner(
            tx,
            partner_id,
            "reservation.cancel",
            ("reservation", &id),
            serde_json::json!({"quantity": r.quantity}),
        )?;
        find(tx, partner_id, &id)
    })
}

/// An ACTIVE reservation gives its units back and ends as `to` (CANCELLED).
pub(super) fn release(
    tx: &Transaction<'_>,
    r: &Reservation,
    to: ReservationStatus,
) -> Result<(), AppError> {
    require_active(r, "cancelled")?;
    inventory::release(tx, r.product_id, Channel::Ota, r.quantity)?;
    set_status(tx, &r.reservation_id, to)
}

fn set_status(tx: &Transaction<'_>, id: &str, to: ReservationStatus) -> Result<(), AppError> {
    tx.prepare_cached("UPDATE reservations SET status = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id, to, clock::to_db(clock::now())])?;
    Ok(())
}

/// The reservation became an order (its units stay held until payment).
pub(super) fn mark_ordered(tx: &Transaction<'_>, id: &str) -> Result<(), AppError> {
    set_status(tx, id, ReservationStatus::Ordered)
}

/// The order was paid: the units moved from held to sold.
pub(super) fn mark_activated(tx: &Transaction<'_>, id: &str) -> Result<(), AppError> {
    set_status(tx, id, ReservationStatus::Activated)
}

/// Expires every reservation whose time is up, giving its units back. Returns how many.
pub(super) fn expire_due(tx: &Transaction<'_>, now: OffsetDateTime) -> Result<usize, AppError> {
    let now_db = clock::to_db(now);
    let due: Vec<(String, i64, i64, i64)> = tx
        .prepare_cached(
            "SELECT id, partner_id, product_id, quantity FROM reservations
             WHERE status IN ('ACTIVE', 'ORDERED') AND reserved_until <= ?1",
        )?
        .query_map([&now_db], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    for (id, partner_id, product_id, quantity) in &due {
        inventory::release(tx, *product_id, Channel::Ota, *quantity)?;
        set_status(tx, id, ReservationStatus::Expired)?;
        audit::record(
            tx,
            Actor::System,
            Some(*partner_id),
            "reservation.expire",
            ("reservation", id),
            serde_json::json!({"quantity": quantity}),
        )?;
    }
    Ok(due.len())
}
