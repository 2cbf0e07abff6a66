//! Stock per package and sales channel. The promise: `0 <= held + sold <= allocated` for every row at
//! every instant. Each move is a single conditional UPDATE inside the caller's IMMEDIATE transaction;
//! the check *is* the write, and the CHECK constraints in V1 are the last line of defence.

use std::collections::HashMap;

use rusqlite::{params, Connection, Transaction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::clock;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Direct,
    Ota,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Direct => "direct",
            Channel::Ota => "ota",
        }
    }

    pub fn parse(s: &str) -> Channel {
        if s == "direct" {
            Channel::Direct
        } else {
            Channel::Ota
        }
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StockRow {
    pub product_id: i64,
    pub product_name: String,
    pub channel: Channel,
    pub capacity: i64,
    pub allocated: i64,
    pub held: i64,
    pub sold: i64,
    pub used: i64,
    pub available: i64,
}

/// The five ways units move. Each is one conditional UPDATE whose WHERE clause is the check, so
/// two concurrent movers can never both pass it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// Free → held (a reservation, an unpaid direct order, a pre-generated ticket).
    Hold,
    /// Held → free (a cancelled or expired hold).
    Release,
    /// Held → sold (a paid hold, an activated pre-generated ticket).
    SellHeld,
    /// Free → sold (a payment that arrived after its hold expired).
    SellAvailable,
    /// Sold → free (a cancelled, unredeemed ticket).
    Unsell,
}

impl Move {
    fn sql(self) -> &'static str {
        match self {
            Move::Hold => "UPDATE inventory SET held = held + ?3 WHERE product_id = ?1 AND channel = ?2 AND allocated - held - sold >= ?3",
            Move::Release => "UPDATE inventory SET held = held - ?3 WHERE product_id = ?1 AND channel = ?2 AND held >= ?3",
            Move::SellHeld => "UPDATE inventory SET held = held - ?3, sold = sold + ?3 WHERE product_id = ?1 AND channel = ?2 AND held >= ?3",
            Move::SellAvailable => "UPDATE inventory SET sold = sold + ?3 WHERE product_id = ?1 AND channel = ?2 AND allocated - held - sold >= ?3",
            Move::Unsell => "UPDATE inventory SET sold = sold - ?3 WHERE product_id = ?1 AND channel = ?2 AND sold - used >= ?3",
        }
    }
}

/// Moves `quantity` units of a package on a channel, or changes nothing. Taking stock that is not
/// there is `INSUFFICIENT_INVENTORY`; giving back what was never taken means the books are wrong,
/// an internal error that rolls the whole transaction back.
pub fn apply(
    tx: &Transaction<'_>,
    movement: Move,
    product_id: i64,
    channel: Channel,
    quantity: i64,
) -> Result<(), AppError> {
    let changed = tx.prepare_cached(movement.sql())?.execute(params![
        product_id,
        channel.as_str(),
        quantity
    ])?;
    if changed == 1 {
        return Ok(());
    }
    Err(match movement {
        Move::Hold | Move::SellAvailable => AppError::InsufficientInventory(format!(
            "Not enough {} units of package {product_id} to take {quantity}.",
            channel.as_str()
        )),
        _ => AppError::Internal(format!(
            "{movement:?} of {quantity} units of {product_id} does not match the counters"
        )),
    })
}

pub fn hold(
    tx: &Transaction<'_>,
    product_id: i64,
    channel: Channel,
    quantity: i64,
) -> Result<(), AppError> {
    apply(tx, Move::Hold, product_id, channel, quantity)
}

pub fn release(
    tx: &Transaction<'_>,
    product_id: i64,
    channel: Channel,
    quantity: i64,
) -> Result<(), AppError> {
    apply(tx, Move::Release, product_id, channel, quantity)
}

pub fn sell_held(
    tx: &Transaction<'_>,
    product_id: i64,
    channel: Channel,
    quantity: i64,
) -> Result<(), AppError> {
    apply(tx, Move::SellHeld, product_id, channel, quantity)
}

pub fn sell_available(
    tx: &Transaction<'_>,
    product_id: i64,
    channel: Channel,
    quantity: i64,
) -> Result<(), AppError> {
    apply(tx, Move::SellAvailable, product_id, channel, quantity)
}

pub fn unsell(
    tx: &Transaction<'_>,
    product_id: i64,
    channel: Channel,
    quantity: i64,
) -> Result<(), AppError> {
    apply(tx, Move::Unsell, product_id, channel, quantity)
}

/// Counts a sold unit as used (its ticket became USED).
pub fn mark_used(tx: &Transaction<'_>, product_id: i64, channel: Channel) -> Result<(), AppError> {
    let changed = tx
        .prepare_cached("UPDATE inventory SET used = used + 1 WHERE product_id = ?1 AND channel = ?2 AND used < sold")?
        .execute(params![product_id, channel.as_str()])?;
    if changed == 1 {
        Ok(())
    } else {
        Err(AppError::Internal(format!(
            "used would exceed sold for {product_id}"
        )))
    }
}

/// Units still blocked by holds whose time is up but which the expiry job has not released yet.
/// Reads add them back so no one ever sees stock that an expired hold still blocks.
pub fn overdue_holds(
    conn: &Connection,
    now: OffsetDateTime,
) -> Result<HashMap<(i64, Channel), i64>, AppError> {
    let now = clock::to_db(now);
    let mut overdue = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT product_id, 'ota', SUM(quantity) FROM reservations
         WHERE status IN ('ACTIVE', 'ORDERED') AND reserved_until <= ?1 GROUP BY product_id
         UNION ALL
         SELECT l.product_id, 'direct', SUM(l.count) FROM orders o JOIN order_lines l ON l.order_id = o.id
         WHERE o.status = 'PENDING_PAYMENT' AND o.channel = 'direct' AND o.expires_at <= ?1 GROUP BY l.product_id",
    )?;
    let rows = stmt.query_map([now], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    for row in rows {
        let (product_id, channel, units) = row?;
        *overdue
            .entry((product_id, Channel::parse(&channel)))
            .or_insert(0) += units;
    }
    Ok(overdue)
}

/// Every row, with `available` as a new hold would see it right now.
pub fn stock(conn: &Connection) -> Result<Vec<StockRow>, AppError> {
    let overdue = overdue_holds(conn, clock::now())?;
    let rows = conn
        .prepare_cached(
            "SELECT i.product_id, p.name, i.channel, p.capacity, i.allocated, i.held, i.sold, i.used
             FROM inventory i JOIN products p ON p.id = i.product_id ORDER BY i.product_id, i.channel",
        )?
        .query_map([], |r| {
            let channel = Channel::parse(&r.get::<_, String>(2)?);
            Ok(StockRow {
                product_id: r.get(0)?,
                product_name: r.get(1)?,
                channel,
                capacity: r.get(3)?,
                allocated: r.get(4)?,
                held: r.get(5)?,
                sold: r.get(6)?,
                used: r.get(7)?,
                available: 0,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .map(|mut row| {
            let blocked = overdue
                .get(&(row.product_id, row.channel))
                .copied()
                .unwrap_or(0);
            row.available = row.allocated - row.held - row.sold + blocked;
            row
        })
        .collect())
}

/// Available units per package on one channel.
pub fn available(conn: &Connection, channel: Channel) -> Result<HashMap<i64, i64>, AppError> {
    Ok(stock(conn)?
        .into_iter()
        .filter(|r| r.channel == channel)
        .map(|r| (r.product_id, r.available))
        .collect())
}

/// Admin: new capacity and allocations. Refused (nothing changed) if an allocation would drop below
/// what is already held + sold, or the allocations would exceed the capacity.
pub fn set_allocations(
    tx: &Transaction<'_>,
    product_id: i64,
    capacity: i64,
    direct: i64,
    ota: i64,
) -> Result<(), AppError> {
    for (field, v) in [
        ("capacity", capacity),
        ("allocations.direct", direct),
        ("allocations.ota", ota),
    ] {
        if !(0..=10_000_000).contains(&v) {
            return Err(AppError::validation(
                field,
                "must be between 0 and 10000000",
            ));
        }
    }
    if direct + ota > capacity {
        return Err(AppError::validation(
            "allocations",
            "the allocations add up to more than the capacity",
        ));
    }
    let exists: bool = tx.query_row(
        "SELECT EXISTS(SELECT 1 FROM products WHERE id = ?1)",
        [product_id],
        |r| r.get(0),
    )?;
    if !exists {
        return Err(AppError::NotFound);
    }
    // The triggers check `sum(allocated) <= capacity` after every statement, so: widen the
    // capacity, lower what goes down (checking held + sold), raise what goes up, then set the
    // capacity. Each intermediate state is valid; the transaction makes them one change.
    tx.execute(
        "UPDATE products SET capacity = MAX(capacity, ?2) WHERE id = ?1",
        params![product_id, capacity],
    )?;
    let targets = [(Channel::Direct, direct), (Channel::Ota, ota)];
    for (channel, allocated) in targets {
        let changed = tx
            .prepare_cached("UPDATE inventory SET allocated = MIN(allocated, ?3) WHERE product_id = ?1 AND channel = ?2 AND held + sold <= ?3")?
            .execute(params![product_id, channel.as_str(), allocated])?;
        if changed != 1 {
            return Err(AppError::invalid_state(format!(
                "The {} allocation cannot drop below the units already held or sold.",
                channel.as_str()
            )));
        }
    }
    for (channel, allocated) in targets {
        tx.prepare_cached(
            "UPDATE inventory SET allocated = ?3 WHERE product_id = ?1 AND channel = ?2",
        )?
        .execute(params![product_id, channel.as_str(), allocated])?;
    }
    tx.execute(
        "UPDATE products SET capacity = ?2 WHERE id = ?1",
        params![product_id, capacity],
    )?;
    Ok(())
}

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
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
        ))
    })?;
    for row in rows {
        let (product_id, channel, held, sold, used) = row?;
        let c = recomputed
            .entry((product_id, Channel::parse(&channel)))
            .or_default();
        c.held += held;
        c.sold += sold;
        c.used += used;
    }
    let rows: Vec<ReconciliationRow> = conn
        .prepare_cached("SELECT product_id, channel, allocated, held, sold, used FROM inventory ORDER BY product_id, channel")?
        .query_map([], |r| {
            Ok((r.get::<_, i64>(0)?, Channel::parse(&r.get::<_, String>(1)?), r.get(2)?, StockCounters { held: r.get(3)?, sold: r.get(4)?, used: r.get(5)? }))
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
