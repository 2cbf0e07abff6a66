//! Holds that run out: OTA reservations past `reserved_until` and unpaid direct orders past
//! `expires_at`. The background job calls `release_due` every `expiry_interval_seconds`; stock
//! takers call `hold_reclaiming_overdue`, so a hold that is due but not yet swept never makes a
//! request fail, and reads add overdue holds back (`inventory::overdue_holds`).

use rusqlite::{params, Transaction};
use time::OffsetDateTime;

use super::audit::{self, Actor};
use super::inventory::{self, Channel};
use crate::auth::sessions;
use crate::clock;
use crate::db::Db;
use crate::error::AppError;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Released {
    pub reservations: usize,
    pub direct_orders: usize,
}

/// Expires every hold that is due, giving its units back, in the caller's transaction.
pub fn release_due(tx: &Transaction<'_>, now: OffsetDateTime) -> Result<Released, AppError> {
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
        tx.prepare_cached(
            "UPDATE reservations SET status = 'EXPIRED', updated_at = ?2 WHERE id = ?1",
        )?
        .execute(params![id, now_db])?;
        tx.prepare_cached("UPDATE orders SET status = 'EXPIRED' WHERE reservation_id = ?1 AND status = 'PENDING_PAYMENT'")?
            .execute([id])?;
        audit::record(
            tx,
            Actor::System,
            Some(*partner_id),
            "reservation.expire",
            ("reservation", id),
            serde_json::json!({"quantity": quantity}),
        )?;
    }
    let orders: Vec<String> = tx
        .prepare_cached("SELECT id FROM orders WHERE status = 'PENDING_PAYMENT' AND channel = 'direct' AND expires_at <= ?1")?
        .query_map([&now_db], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in &orders {
        for (product_id, units) in super::orders::units_by_product(tx, id)? {
            inventory::release(tx, product_id, Channel::Direct, units)?;
        }
        tx.prepare_cached("UPDATE orders SET status = 'EXPIRED' WHERE id = ?1")?
            .execute([id])?;
        audit::record(
            tx,
            Actor::System,
            None,
            "order.expire",
            ("order", id),
            serde_json::json!({}),
        )?;
    }
    Ok(Released {
        reservations: due.len(),
        direct_orders: orders.len(),
    })
}

/// Holds units; if the channel looks short, first sweeps holds that are already due, then tries once
/// more. Same transaction throughout, so the sweep and the hold commit together.
pub fn hold_reclaiming_overdue(
    tx: &Transaction<'_>,
    product_id: i64,
    channel: Channel,
    quantity: i64,
) -> Result<(), AppError> {
    match inventory::hold(tx, product_id, channel, quantity) {
        Err(AppError::InsufficientInventory(_)) => {
            release_due(tx, clock::now())?;
            inventory::hold(tx, product_id, channel, quantity)
        }
        other => other,
    }
}

/// One run of the background job: expire holds, then forget old sessions and idempotency answers.
pub fn run_once(db: &Db) -> Result<Released, AppError> {
    let now = clock::now();
    let released = db.write(|tx| release_due(tx, now))?;
    db.write(|tx| {
        sessions::purge_expired(tx, now)?;
        super::idempotency::purge_old(tx, now)
    })?;
    Ok(released)
}
