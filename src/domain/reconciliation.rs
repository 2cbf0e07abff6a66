//! The books, proven: the stored stock counters beside the counts that the reservation, order
//! and ticket rows imply, per package and channel. Read-only; the admin report and
//! `gangway check` use it.

use std::collections::HashMap;

use rusqlite::Connection;
use schemars::JsonSchema;
use serde::Serialize;
use time::OffsetDateTime;

use super::inventory::Channel;
use crate::clock;
use crate::db::Db;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct StockCounters {
    pub held: i64,
    pub sold: i64,
    pub used: i64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ReconciliationRow {
    pub product_id: i64,
    pub channel: Channel,
    pub allocated: i64,
    pub stored: StockCounters,
    pub recomputed: StockCounters,
    pub consistent: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Reconciliation {
    pub consistent: bool,
    #[serde(with = "clock::rfc3339")]
    #[schemars(with = "String")]
    pub generated_at: OffsetDateTime,
    pub rows: Vec<ReconciliationRow>,
}

/// The report on the live database.
pub fn report(db: &Db) -> Result<Reconciliation, AppError> {
    db.read(reconcile)
}

/// Stored counters beside the counts the rows imply. Read in one snapshot, so they agree exactly
/// when the books are right.
pub fn reconcile(conn: &Connection) -> Result<Reconciliation, AppError> {
    let snapshot = conn.unchecked_transaction()?;
    let conn: &Connection = &snapshot;
    let mut recomputed: HashMap<(i64, Channel), StockCounters> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT product_id, 'ota', SUM(quantity), 0, 0 FROM reservations WHERE status IN ('ACTIVE', 'ORDERED') GROUP BY product_id
         UNION ALL
         SELECT l.product_id, 'direct', SUM(l.count), 0, 0 FROM orders o JOIN order_lines l ON l.order_id = o.id
           WHERE o.channel = 'direct' AND o.status = 'PENDING_PAYMENT' GROUP BY l.product_id
         UNION ALL
         SELECT product_id, channel,
                SUM(status = 'PRE_GENERATED'), SUM(status IN ('ACTIVE', 'USED')), SUM(status = 'USED')
           FROM tickets GROUP BY product_id, channel",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Channel>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
        ))
    })?;
    for row in rows {
        let (product_id, channel, held, sold, used) = row?;
        let c = recomputed.entry((product_id, channel)).or_default();
        c.held += held;
        c.sold += sold;
        c.used += used;
    }
    let rows: Vec<ReconciliationRow> = conn
        .prepare_cached("SELECT product_id, channel, allocated, held, sold, used FROM inventory ORDER BY product_id, channel")?
        .query_map([], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Channel>(1)?, r.get(2)?, StockCounters { held: r.get(3)?, sold: r.get(4)?, used: r.get(5)? }))
        })?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .map(|(product_id, channel, allocated, stored)| {
            let recomputed = recomputed.get(&(product_id, channel)).copied().unwrap_or_default();
            let within = stored.held >= 0 && stored.sold >= 0 && stored.held + stored.sold <= allocated;
            ReconciliationRow { product_id, channel, allocated, stored, recomputed, consistent: within && stored == recomputed }
        })
        .collect();
    Ok(Reconciliation {
        consistent: rows.iter().all(|r| r.consistent),
        generated_at: clock::now(),
        rows,
    })
}
