//! Stock per package and sales channel (the `inventory` table). The promise:
//! `0 <= held + sold <= allocated` for every row at every instant. Each move is a single
//! conditional UPDATE inside the caller's IMMEDIATE transaction; the check *is* the write, and the
//! CHECK constraints in V1 are the last line of defence.

use std::collections::HashMap;

use rusqlite::{params, Connection, Transaction};
use schemars::JsonSchema;
use serde::Serialize;

use super::audit::{self, Actor};
use crate::clock;
use crate::db::{text_enum, Db};
use crate::error::AppError;

#[cfg(test)]
mod props;

text_enum! {
    /// A sales channel: its units can never be sold by the other one.
    pub enum Channel in "inventory.channel, orders.channel or tickets.channel" {
        Direct = "direct", Ota = "ota",
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
    /// Of `held`, the units of pre-generated vouchers not sold yet: stock a reseller has in hand,
    /// not a customer's hold (a big batch would otherwise look like a sold-out package).
    pub pre_generated: i64,
    pub sold: i64,
    pub used: i64,
    pub available: i64,
}

/// The five ways units move. Each is one conditional UPDATE whose WHERE clause is the check, so
/// two concurrent movers can never both pass it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Move {
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
pub(super) fn apply(
    tx: &Transaction<'_>,
    movement: Move,
    product_id: i64,
    channel: Channel,
    quantity: i64,
) -> Result<(), AppError> {
    let changed = tx
        .prepare_cached(movement.sql())?
        .execute(params![product_id, channel, quantity])?;
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

/// The named moves, one function each, all of them `apply` with their `Move`.
macro_rules! moves {
    ($($name:ident => $movement:ident),* $(,)?) => {$(
        pub(super) fn $name(
            tx: &Transaction<'_>,
            product_id: i64,
            channel: Channel,
            quantity: i64,
        ) -> Result<(), AppError> {
            apply(tx, Move::$movement, product_id, channel, quantity)
        }
    )*};
}

moves! {
    hold => Hold,
    release => Release,
    sell_held => SellHeld,
    sell_available => SellAvailable,
    unsell => Unsell,
}

/// Counts a sold unit as used (its ticket became USED).
pub(super) fn mark_used(
    tx: &Transaction<'_>,
    product_id: i64,
    channel: Channel,
) -> Result<(), AppError> {
    let changed = tx
        .prepare_cached("UPDATE inventory SET used = used + 1 WHERE product_id = ?1 AND channel = ?2 AND used < sold")?
        .execute(params![product_id, channel])?;
    if changed == 1 {
        Ok(())
    } else {
        Err(AppError::Internal(format!(
            "used would exceed sold for {product_id}"
        )))
    }
}

/// Sells `units` (package, count) from what is free on `channel`, all of them or none: false
/// when any package is short. Inside the IMMEDIATE transaction nobody else writes, so checking
/// every package first and then selling is exact.
pub(super) fn sell_available_all(
    tx: &Transaction<'_>,
    channel: Channel,
    units: &[(i64, i64)],
) -> Result<bool, AppError> {
    for (product_id, n) in units {
        let free: i64 = tx
            .prepare_cached(
                "SELECT allocated - held - sold FROM inventory WHERE product_id = ?1 AND channel = ?2",
            )?
            .query_row(params![product_id, channel], |r| r.get(0))?;
        if free < *n {
            return Ok(false);
        }
    }
    for (product_id, n) in units {
        sell_available(tx, *product_id, channel, *n)?;
    }
    Ok(true)
}

/// Every package and channel, with `available` as a new hold would see it right now and the
/// pre-generated vouchers counted apart.
pub fn stock(db: &Db) -> Result<Vec<StockRow>, AppError> {
    db.read(|c| with_vouchers(c, stock_rows(c)?))
}

/// Fills `pre_generated` (the OTA availability reads skip this count: they need only `available`).
fn with_vouchers(conn: &Connection, mut rows: Vec<StockRow>) -> Result<Vec<StockRow>, AppError> {
    let vouchers: HashMap<(i64, Channel), i64> = conn
        .prepare_cached(
            "SELECT product_id, channel, COUNT(*) FROM tickets WHERE status = 'PRE_GENERATED' GROUP BY product_id, channel",
        )?
        .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for row in &mut rows {
        row.pre_generated = vouchers
            .get(&(row.product_id, row.channel))
            .copied()
            .unwrap_or(0);
    }
    Ok(rows)
}

/// Every package and channel with its counters and what a new hold could take (`available`).
pub(super) fn stock_rows(conn: &Connection) -> Result<Vec<StockRow>, AppError> {
    // One statement, so one snapshot: the counters and the overdue holds that `available` adds
    // back are read together (an expiry committing between two reads would count a hold twice).
    // Overdue holds are those whose time is up but which the expiry job has not released yet:
    // no one ever sees stock that an expired hold still blocks. Per row, a range of a partial
    // index (usually empty): no temporary b-tree, as a GROUP BY would need, on this hot read.
    let mut stmt = conn.prepare_cached(
        "SELECT i.product_id, p.name, i.channel, p.capacity, i.allocated, i.held, i.sold, i.used,
                i.allocated - i.held - i.sold + CASE i.channel
                  WHEN 'ota' THEN (SELECT COALESCE(SUM(r.quantity), 0) FROM reservations r
                    WHERE r.status IN ('ACTIVE', 'ORDERED') AND r.reserved_until <= ?1
                      AND r.product_id = i.product_id)
                  WHEN 'direct' THEN (SELECT COALESCE(SUM(l.count), 0)
                    FROM orders o JOIN order_lines l ON l.order_id = o.id
                    WHERE o.status = 'PENDING_PAYMENT' AND o.channel = 'direct'
                      AND o.expires_at <= ?1 AND l.product_id = i.product_id)
                  ELSE 0 END
         FROM inventory i JOIN products p ON p.id = i.product_id
         ORDER BY i.product_id, i.channel",
    )?;
    let rows = stmt.query_map([clock::to_db(clock::now())], |r| {
        Ok(StockRow {
            product_id: r.get(0)?,
            product_name: r.get(1)?,
            channel: r.get(2)?,
            capacity: r.get(3)?,
            allocated: r.get(4)?,
            held: r.get(5)?,
            pre_generated: 0,
            sold: r.get(6)?,
            used: r.get(7)?,
            available: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Available units per package on one channel.
pub(super) fn available(
    conn: &Connection,
    channel: Channel,
) -> Result<HashMap<i64, i64>, AppError> {
    Ok(stock_rows(conn)?
        .into_iter()
        .filter(|r| r.channel == channel)
        .map(|r| (r.product_id, r.available))
        .collect())
}

/// New capacity and allocations of a package, as an admin sets them; audited. Refused (nothing
/// changed) if an allocation would drop below what is already held + sold, or the allocations
/// would exceed the capacity. Returns the package's rows.
pub fn set_allocations(
    db: &Db,
    product_id: i64,
    split: Allocation,
    actor: Actor,
) -> Result<Vec<StockRow>, AppError> {
    db.write(move |tx| {
        allocate(tx, product_id, split)?;
        audit::record(
            tx,
            actor,
            None,
            "inventory.allocate",
            ("product", &product_id.to_string()),
            serde_json::json!({"capacity": split.capacity, "direct": split.direct, "ota": split.ota}),
        )?;
        let rows = stock_rows(tx)?
            .into_iter()
            .filter(|r| r.product_id == product_id)
            .collect();
        with_vouchers(tx, rows)
    })
}

/// A package's capacity and its split between the channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocation {
    pub capacity: i64,
    pub direct: i64,
    pub ota: i64,
}

pub(super) fn allocate(
    tx: &Transaction<'_>,
    product_id: i64,
    split: Allocation,
) -> Result<(), AppError> {
    let Allocation {
        capacity,
        direct,
        ota,
    } = split;
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
            .execute(params![product_id, channel, allocated])?;
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
        .execute(params![product_id, channel, allocated])?;
    }
    tx.execute(
        "UPDATE products SET capacity = ?2 WHERE id = ?1",
        params![product_id, capacity],
    )?;
    Ok(())
}
