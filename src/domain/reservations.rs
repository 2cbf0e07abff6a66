//! OTA reservations: a hold of N units of one package on the OTA channel, with the prices of the
//! moment snapshotted so that the order later pays what the partner saw.

use rusqlite::{params, Connection, Transaction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Duration;

use super::audit::{self, Actor};
use super::catalog::{self, Price};
use super::expiry;
use super::inventory::{self, Channel};
use crate::clock;
use crate::db::ConnExt;
use crate::error::AppError;
use crate::ids;

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
    /// `ACTIVE`, `ORDERED`, `ACTIVATED`, `EXPIRED` or `CANCELLED`.
    pub status: String,
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

pub fn validate_quantity(quantity: i64) -> Result<(), AppError> {
    if (1..=MAX_QUANTITY).contains(&quantity) {
        Ok(())
    } else {
        Err(AppError::validation(
            "quantity",
            "must be between 1 and 5000",
        ))
    }
}

/// Holds units for a partner. Not enough OTA stock: `INSUFFICIENT_INVENTORY`, nothing held.
pub fn create(
    tx: &Transaction<'_>,
    partner_id: i64,
    req: &NewReservation,
    default_ttl_hours: i64,
    currency: &str,
) -> Result<Reservation, AppError> {
    validate_quantity(req.quantity)?;
    let product = catalog::product(tx, req.product_id, "product_id")?;
    let now = clock::now();
    let reserved_until = match &req.reservation_expires_at {
        None => now + Duration::hours(default_ttl_hours),
        Some(s) => {
            let t = clock::parse_rfc3339(s).ok_or_else(|| {
                AppError::validation("reservation_expires_at", "expected an RFC 3339 timestamp")
            })?;
            if t < now + Duration::minutes(1) || t > now + Duration::days(7) {
                return Err(AppError::validation(
                    "reservation_expires_at",
                    "must be between 1 minute and 7 days from now",
                ));
            }
            t.replace_nanosecond(0).unwrap_or(t)
        }
    };
    expiry::hold_reclaiming_overdue(tx, req.product_id, Channel::Ota, req.quantity)?;
    let reservation = Reservation {
        reservation_id: ids::new_uuid(),
        product_id: req.product_id,
        quantity: req.quantity,
        status: "ACTIVE".into(),
        reserved_until: clock::to_db(reserved_until),
        created_at: clock::to_db(now),
        pricing_snapshot: PricingSnapshot {
            product_id: req.product_id,
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
    audit::record(
        tx,
        Actor::Partner(partner_id),
        Some(partner_id),
        "reservation.create",
        ("reservation", &reservation.reservation_id),
        serde_json::json!({"product_id": req.product_id, "quantity": req.quantity, "reserved_until": reservation.reserved_until}),
    )?;
    Ok(reservation)
}

/// A partner's reservation; anyone else's is `NotFound`. A hold that is due but not yet swept is
/// shown as `EXPIRED`, which is what it is.
pub fn get(conn: &Connection, partner_id: i64, id: &str) -> Result<Reservation, AppError> {
    let found = conn.try_query_row(
        "SELECT id, product_id, quantity, status, reserved_until, created_at, pricing_snapshot
         FROM reservations WHERE id = ?1 AND partner_id = ?2",
        params![id, partner_id],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get(5)?,
                r.get::<_, String>(6)?,
            ))
        },
    )?;
    let (reservation_id, product_id, quantity, mut status, reserved_until, created_at, snapshot) =
        found.ok_or(AppError::NotFound)?;
    if matches!(status.as_str(), "ACTIVE" | "ORDERED")
        && reserved_until <= clock::to_db(clock::now())
    {
        status = "EXPIRED".into();
    }
    Ok(Reservation {
        reservation_id,
        product_id,
        quantity,
        status,
        reserved_until,
        created_at,
        pricing_snapshot: serde_json::from_str(&snapshot)?,
    })
}

/// Cancels a live reservation and releases its units; once ordered, activated or expired: 409.
pub fn cancel(tx: &Transaction<'_>, partner_id: i64, id: &str) -> Result<Reservation, AppError> {
    let r = get(tx, partner_id, id)?;
    if r.status != "ACTIVE" {
        return Err(AppError::ReservationNotActive(format!(
            "The reservation is {} and cannot be cancelled.",
            r.status
        )));
    }
    inventory::release(tx, r.product_id, Channel::Ota, r.quantity)?;
    tx.prepare_cached(
        "UPDATE reservations SET status = 'CANCELLED', updated_at = ?2 WHERE id = ?1",
    )?
    .execute(params![id, clock::to_db(clock::now())])?;
    audit::record(
        tx,
        Actor::Partner(partner_id),
        Some(partner_id),
        "reservation.cancel",
        ("reservation", id),
        serde_json::json!({"quantity": r.quantity}),
    )?;
    get(tx, partner_id, id)
}
