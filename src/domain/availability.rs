//! What a buyer can book right now: live availability per package on a channel, with the full
//! price matrix (savings, weekend days, holidays) and, for a date range, the day type of each
//! date. Serves the OTA inventory and the public catalog.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::Connection;
use schemars::JsonSchema;
use serde::Serialize;
use time::Date;

use super::catalog::{self, Entitlement};
use super::inventory::{self, Channel};
use super::pricing::{self, DayType, Price};
use super::Ctx;
use crate::clock;
use crate::error::AppError;

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

/// The OTA channel's offer: `product_ids` is a comma-separated list (default: every package; an
/// unknown id is 422); the calendar appears when a date is given (at most 366 days).
pub fn ota_inventory(
    ctx: &Ctx,
    product_ids: Option<&str>,
    date_from: Option<&str>,
    date_to: Option<&str>,
) -> Result<OtaInventory, AppError> {
    ctx.db.read(|c| {
        let products = catalog::load_products(c)?;
        let known: Vec<i64> = products.iter().map(|p| p.product_id).collect();
        let wanted = parse_product_ids(product_ids, &known)?;
        let range = parse_range(date_from, date_to)?;
        let holidays = catalog::holidays(c)?;
        let available = inventory::available(c, Channel::Ota)?;
        Ok(OtaInventory {
            channel: Channel::Ota,
            available_quantities: wanted
                .iter()
                .map(|id| (id.to_string(), available.get(id).copied().unwrap_or(0)))
                .collect(),
            pricing_context: PricingContext {
                currency: ctx.config.currency.clone(),
                weekend_days: pricing::WEEKEND_DAYS
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
            calendar: range.map(|(from, to)| calendar(from, to, &holidays)),
        })
    })
}

fn calendar(from: Date, to: Date, holidays: &BTreeSet<Date>) -> Vec<CalendarDay> {
    let mut days = Vec::new();
    let mut d = from;
    loop {
        days.push(CalendarDay {
            date: clock::date_to_db(d),
            day_type: pricing::day_type(d, holidays),
        });
        match d.next_day() {
            Some(next) if d < to => d = next,
            _ => break,
        }
    }
    days
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

fn parse_range(from: Option<&str>, to: Option<&str>) -> Result<Option<(Date, Date)>, AppError> {
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

#[derive(Serialize, JsonSchema)]
pub struct CatalogProduct {
    pub product_id: i64,
    pub name: String,
    pub description: String,
    pub entitlements: Vec<Entitlement>,
    pub prices: Vec<Price>,
    /// Units the direct channel can still sell.
    pub available: i64,
}

#[derive(Serialize, JsonSchema)]
pub struct Catalog {
    pub currency: String,
    pub products: Vec<CatalogProduct>,
}

/// Packages, prices (with savings versus adult) and direct-channel availability.
pub fn catalog(ctx: &Ctx) -> Result<Catalog, AppError> {
    ctx.db.read(|c| direct_offer(c, &ctx.config.currency))
}

fn direct_offer(c: &Connection, currency: &str) -> Result<Catalog, AppError> {
    let available = inventory::available(c, Channel::Direct)?;
    let products = catalog::load_products(c)?
        .into_iter()
        .map(|p| CatalogProduct {
            available: available.get(&p.product_id).copied().unwrap_or(0),
            product_id: p.product_id,
            name: p.name,
            description: p.description,
            entitlements: p.entitlements,
            prices: p.prices,
        })
        .collect();
    Ok(Catalog {
        currency: currency.to_owned(),
        products,
    })
}
