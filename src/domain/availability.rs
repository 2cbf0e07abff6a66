//! What a buyer can book right now: live availability per package on a channel, with the full
//! price matrix (savings, weekend days, holidays) and, for a date range, the day type of each
//! date. Serves the OTA inventory and the public catalog.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::value::RawValue;
use time::Date;

use super::catalog::{self, Entitlement, Product};
use super::inventory::{self, Channel};
use super::pricing::{self, DayType, Price};
use super::Ctx;
use crate::clock;
use crate::db::Db;
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
    /// Made once per offer (as JSON) when every package is asked for, as most reads do.
    #[schemars(with = "PricingContext")]
    pub pricing_context: Box<RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar: Option<Vec<CalendarDay>>,
}

/// The part of the offer that changes only through admin operations: packages, prices,
/// entitlements, holidays. Kept in memory so an availability read only reads the live counters;
/// a holiday changed through this process clears it at once, any other change (a migration, the
/// CLI) shows within `TTL`.
#[derive(Default)]
pub struct OfferCache {
    entry: Mutex<Option<(Arc<Offer>, Instant)>>,
    generation: AtomicU64,
}

pub(super) struct Offer {
    products: Vec<Product>,
    holidays: BTreeSet<Date>,
    /// The pricing context of every package, serialized on first use.
    everything: OnceLock<Box<RawValue>>,
}

impl Offer {
    /// The pricing context of `wanted` (`None`: every package) as JSON.
    fn pricing_context(
        &self,
        currency: &str,
        wanted: Option<&[i64]>,
    ) -> Result<Box<RawValue>, AppError> {
        if wanted.is_none() {
            if let Some(json) = self.everything.get() {
                return Ok(json.clone());
            }
        }
        let context = PricingContext {
            currency: currency.to_owned(),
            weekend_days: pricing::WEEKEND_DAYS
                .iter()
                .map(|d| d.to_string())
                .collect(),
            holidays: self
                .holidays
                .iter()
                .map(|d| clock::date_to_db(*d))
                .collect(),
            products: self
                .products
                .iter()
                .filter(|p| wanted.is_none_or(|w| w.contains(&p.product_id)))
                .map(|p| PricedProduct {
                    product_id: p.product_id,
                    name: p.name.clone(),
                    prices: p.prices.clone(),
                    entitlements: p.entitlements.clone(),
                })
                .collect(),
        };
        let json = serde_json::value::to_raw_value(&context)
            .map_err(|e| AppError::Internal(format!("pricing context: {e}")))?;
        if wanted.is_none() {
            return Ok(self.everything.get_or_init(|| json).clone());
        }
        Ok(json)
    }
}

impl OfferCache {
    const TTL: Duration = Duration::from_secs(10);

    fn fresh(&self) -> Option<Arc<Offer>> {
        let entry = self.entry.lock().unwrap_or_else(|p| p.into_inner());
        let (offer, at) = entry.as_ref()?;
        (at.elapsed() < Self::TTL).then(|| Arc::clone(offer))
    }

    /// A package as the cached catalog has it (an unknown id is 422 naming `field`), refilling a
    /// stale cache from a read connection if one is idle; `None` when none is and the caller must
    /// read the catalog itself. Lets a write job skip reading the catalog inside its transaction
    /// almost always, without waiting for a connection (it is called from async handlers).
    pub(super) fn cached_product(
        &self,
        db: &Db,
        product_id: i64,
        field: &str,
    ) -> Option<Result<Product, AppError>> {
        let offer = self
            .fresh()
            .or_else(|| self.get(&*db.idle_reader()?).ok())?;
        let found = offer.products.iter().find(|p| p.product_id == product_id);
        Some(
            found.cloned().ok_or_else(|| {
                AppError::validation(field, format!("unknown product_id {product_id}"))
            }),
        )
    }

    fn get(&self, conn: &Connection) -> Result<Arc<Offer>, AppError> {
        let mut entry = self.entry.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((offer, at)) = entry.as_ref() {
            if at.elapsed() < Self::TTL {
                return Ok(Arc::clone(offer));
            }
        }
        let seen = self.generation.load(Ordering::Acquire);
        let offer = Arc::new(Offer {
            products: catalog::load_products(conn)?,
            holidays: catalog::holidays(conn)?,
            everything: OnceLock::new(),
        });
        if self.generation.load(Ordering::Acquire) == seen {
            *entry = Some((Arc::clone(&offer), Instant::now()));
        }
        Ok(offer)
    }

    /// Forgets the offer (the catalog or the holidays changed).
    pub(super) fn clear(&self) {
        let mut entry = self.entry.lock().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        *entry = None;
    }
}

/// The OTA channel's offer: `product_ids` is a comma-separated list (default: every package; an
/// unknown id is 422); the calendar appears when a date is given (at most 366 days). It reads on
/// the caller's connection `c` (the live counters in one statement, the catalog from memory), so
/// the HTTP floor can run it in place.
pub fn ota_inventory(
    ctx: &Ctx,
    c: &Connection,
    product_ids: Option<&str>,
    date_from: Option<&str>,
    date_to: Option<&str>,
) -> Result<OtaInventory, AppError> {
    let offer = ctx.offer.get(c)?;
    let known: Vec<i64> = offer.products.iter().map(|p| p.product_id).collect();
    let wanted = parse_product_ids(product_ids, &known)?;
    let range = parse_range(date_from, date_to)?;
    let available = inventory::available(c, Channel::Ota)?;
    Ok(OtaInventory {
        channel: Channel::Ota,
        available_quantities: wanted
            .iter()
            .map(|id| (id.to_string(), available.get(id).copied().unwrap_or(0)))
            .collect(),
        pricing_context: offer.pricing_context(
            &ctx.config.currency,
            product_ids.is_some().then_some(&wanted),
        )?,
        calendar: range.map(|(from, to)| calendar(from, to, &offer.holidays)),
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
    ctx.db.read(|c| {
        let offer = ctx.offer.get(c)?;
        let available = inventory::available(c, Channel::Direct)?;
        let products = offer
            .products
            .iter()
            .map(|p| CatalogProduct {
                available: available.get(&p.product_id).copied().unwrap_or(0),
                product_id: p.product_id,
                name: p.name.clone(),
                description: p.description.clone(),
                entitlements: p.entitlements.clone(),
                prices: p.prices.clone(),
            })
            .collect();
        Ok(Catalog {
            currency: ctx.config.currency.clone(),
            products,
        })
    })
}
