//! The catalog: packages, their price matrix and entitlements, and the holidays that price as
//! weekend (`products`, `product_prices`, `product_entitlements`, `holidays`). Pricing itself is
//! `pricing.rs`.

use std::collections::BTreeSet;

use rusqlite::{Connection, Transaction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;

use super::audit::{self, Actor};
use super::pricing::{self, Price};
use super::Ctx;
use crate::clock;
use crate::db::{ConnExt, Db};
use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Entitlement {
    pub function_code: String,
    pub name: String,
    pub uses: i64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Product {
    pub product_id: i64,
    pub name: String,
    pub description: String,
    pub entitlements: Vec<Entitlement>,
    pub prices: Vec<Price>,
}

/// Every package with its prices and entitlements.
pub fn products(db: &Db) -> Result<Vec<Product>, AppError> {
    db.read(load_products)
}

pub(super) fn load_products(conn: &Connection) -> Result<Vec<Product>, AppError> {
    let mut products: Vec<Product> = conn
        .prepare_cached("SELECT id, name, description FROM products ORDER BY id")?
        .query_map([], |r| {
            Ok(Product {
                product_id: r.get(0)?,
                name: r.get(1)?,
                description: r.get(2)?,
                entitlements: vec![],
                prices: vec![],
            })
        })?
        .collect::<Result<_, _>>()?;
    for p in &mut products {
        p.prices = prices_of(conn, p.product_id)?;
        p.entitlements = entitlements_of(conn, p.product_id)?;
    }
    Ok(products)
}

pub(super) fn product(
    conn: &Connection,
    product_id: i64,
    field: &str,
) -> Result<Product, AppError> {
    let found = conn.try_query_row(
        "SELECT name, description FROM products WHERE id = ?1",
        [product_id],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
    )?;
    let (name, description) = found
        .ok_or_else(|| AppError::validation(field, format!("unknown product_id {product_id}")))?;
    Ok(Product {
        product_id,
        name,
        description,
        prices: prices_of(conn, product_id)?,
        entitlements: entitlements_of(conn, product_id)?,
    })
}

pub(super) fn prices_of(conn: &Connection, product_id: i64) -> Result<Vec<Price>, AppError> {
    let raw = conn
        .prepare_cached("SELECT customer_type, weekday_cents, weekend_cents FROM product_prices WHERE product_id = ?1 ORDER BY position")?
        .query_map([product_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(pricing::with_savings(raw))
}

pub(super) fn entitlements_of(
    conn: &Connection,
    product_id: i64,
) -> Result<Vec<Entitlement>, AppError> {
    Ok(conn
        .prepare_cached("SELECT function_code, name, uses FROM product_entitlements WHERE product_id = ?1 ORDER BY position")?
        .query_map([product_id], |r| Ok(Entitlement { function_code: r.get(0)?, name: r.get(1)?, uses: r.get(2)? }))?
        .collect::<Result<_, _>>()?)
}

pub(super) fn holidays(conn: &Connection) -> Result<BTreeSet<Date>, AppError> {
    let rows: Vec<String> = conn
        .prepare_cached("SELECT date FROM holidays ORDER BY date")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    rows.iter()
        .map(|d| clock::date_from_db(d, "holidays.date"))
        .collect()
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Holiday {
    pub date: String,
    pub name: String,
}

/// The holidays, in date order.
pub fn list_holidays(db: &Db) -> Result<Vec<Holiday>, AppError> {
    db.read(holiday_rows)
}

fn holiday_rows(conn: &Connection) -> Result<Vec<Holiday>, AppError> {
    Ok(conn
        .prepare_cached("SELECT date, name FROM holidays ORDER BY date")?
        .query_map([], |r| {
            Ok(Holiday {
                date: r.get(0)?,
                name: r.get(1)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// Adds (or renames) a holiday: from now on that date prices as weekend. Audited.
pub fn set_holiday(
    ctx: &Ctx,
    date: &str,
    name: &str,
    actor: Actor,
) -> Result<Vec<Holiday>, AppError> {
    let d = clock::parse_date(date)
        .ok_or_else(|| AppError::validation("date", "expected a date YYYY-MM-DD"))?;
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AppError::validation(
            "name",
            "at most 100 printable characters",
        ));
    }
    let (date, name) = (clock::date_to_db(d), name.trim().to_owned());
    let set = ctx.db.write(move |tx| {
        tx.execute(
            "INSERT INTO holidays (date, name) VALUES (?1, ?2) ON CONFLICT (date) DO UPDATE SET name = excluded.name",
            rusqlite::params![date, name],
        )?;
        audit_holiday(tx, actor, "holiday.set", &date, serde_json::json!({"name": name}))?;
        holiday_rows(tx)
    });
    ctx.offer.clear();
    set
}

/// Removes a holiday (404 if there is none that day). Audited.
pub fn remove_holiday(ctx: &Ctx, date: &str, actor: Actor) -> Result<Vec<Holiday>, AppError> {
    let date = date.to_owned();
    let removed = ctx.db.write(move |tx| {
        if tx.execute("DELETE FROM holidays WHERE date = ?1", [&date])? == 0 {
            return Err(AppError::NotFound);
        }
        audit_holiday(tx, actor, "holiday.remove", &date, serde_json::json!({}))?;
        holiday_rows(tx)
    });
    ctx.offer.clear();
    removed
}

fn audit_holiday(
    tx: &Transaction<'_>,
    actor: Actor,
    action: &str,
    date: &str,
    summary: serde_json::Value,
) -> Result<(), AppError> {
    audit::record(tx, actor, None, action, ("holiday", date), summary)
}

/// A visit date: `YYYY-MM-DD`, not before the venue's `today`, at most a year ahead.
pub(super) fn parse_visit_date(s: &str, field: &str, today: Date) -> Result<Date, AppError> {
    let date = clock::parse_date(s)
        .ok_or_else(|| AppError::validation(field, "expected a date YYYY-MM-DD"))?;
    if date < today {
        return Err(AppError::validation(field, "the visit date is in the past"));
    }
    if date > today + time::Duration::days(366) {
        return Err(AppError::validation(
            field,
            "the visit date is more than a year ahead",
        ));
    }
    Ok(date)
}
