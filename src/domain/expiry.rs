//! Holds that run out: OTA reservations past `reserved_until` and unpaid direct orders past
//! `expires_at`. The background job runs `run_once` every `expiry_interval_seconds`; stock takers
//! sweep due holds themselves when a channel looks short (`reservations::take_units`), and reads
//! add overdue holds back (`inventory`), so a hold that is due but not yet swept never blocks
//! anyone. The transitions themselves belong to their tables: `reservations::expire_due`,
//! `orders::expire_due`.

use super::{idempotency, orders, sessions, settings};
use crate::clock;
use crate::db::Db;
use crate::error::AppError;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Released {
    pub reservations: usize,
    pub direct_orders: usize,
}

/// One run of the background job: expire holds, then forget old sessions and idempotency answers
/// and leave the heartbeat (so every run writes, and a database that cannot be written fails it).
pub fn run_once(db: &Db) -> Result<Released, AppError> {
    let now = clock::now();
    let (reservations, direct_orders) = db.write(move |tx| orders::expire_due(tx, now))?;
    db.write(move |tx| {
        sessions::purge_expired(tx, now)?;
        idempotency::purge_old(tx, now)?;
        settings::beat(tx, now)
    })?;
    Ok(Released {
        reservations,
        direct_orders,
    })
}
