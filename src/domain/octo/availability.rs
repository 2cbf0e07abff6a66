//! OCTO availability: one all-day slot per local date at the venue (`OPENING_HOURS`), bookable
//! from the venue's today to a year ahead. A slot's id is its local midnight,
//! `YYYY-MM-DDT00:00:00±hh:mm`. Gangway's stock is per package, not per date, so every slot of a
//! product shows the same vacancies: what the OTA channel can still hold, which OCTO and the
//! classic API take from alike. `SOLD_OUT` when that is 0.

use std::collections::BTreeSet;

use rusqlite::Connection;
use schemars::JsonSchema;
use serde::Serialize;
use time::{Date, Duration, UtcOffset};

use super::super::catalog::{self, Product as Package};
use super::super::inventory::{self, Channel};
use super::super::pricing::{self as day_pricing, DayType};
use super::super::reservations::MAX_QUANTITY;
use super::super::venue::VenueClock;
use super::pricing::{self, PricingUnit};
use super::products::{self, check_option, check_unit};
use super::requests::{AvailabilityRequest, CalendarRequest, UnitQuantity};
use super::{bad_request, invalid_availability, Capabilities, Terms};
use crate::clock;
use crate::domain::Ctx;
use crate::error::AppError;

/// How far ahead a slot can be booked (the visit-date rule of both surfaces).
const DAYS_AHEAD: i64 = 366;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct OpeningHours {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Availability {
    pub id: String,
    pub local_date_time_start: String,
    pub local_date_time_end: String,
    pub all_day: bool,
    pub available: bool,
    /// `AVAILABLE`, `LIMITED` (a tenth or less left) or `SOLD_OUT`.
    pub status: String,
    pub vacancies: Option<i64>,
    pub capacity: Option<i64>,
    /// The most one booking can take.
    pub max_units: Option<i64>,
    /// Bookable until the end of the local day.
    pub utc_cutoff_at: String,
    pub opening_hours: Vec<OpeningHours>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_pricing: Option<Vec<PricingUnit>>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "OctoCalendarDay")] // the OTA inventory's calendar has its own `CalendarDay`
pub struct CalendarDay {
    pub local_date: String,
    pub available: bool,
    pub status: String,
    pub vacancies: Option<i64>,
    pub capacity: Option<i64>,
    pub opening_hours: Vec<OpeningHours>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_pricing_from: Option<Vec<PricingUnit>>,
}

fn offset_text(offset: UtcOffset) -> String {
    let (h, m, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    format!("{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs())
}

/// The id (and local start) of a date's slot: its local midnight with the venue's offset.
pub fn slot_id(venue: &VenueClock, date: Date) -> String {
    format!(
        "{}T00:00:00{}",
        clock::date_to_db(date),
        offset_text(venue.offset_on(date))
    )
}

/// The first and last bookable dates.
fn window(today: Date) -> (Date, Date) {
    (today, today + Duration::days(DAYS_AHEAD))
}

/// The date of a slot id that can be booked now, or `INVALID_AVAILABILITY_ID`.
pub(super) fn parse_slot(venue: &VenueClock, id: Option<&str>) -> Result<Date, AppError> {
    let raw = id.unwrap_or("");
    let (first, last) = window(venue.today());
    raw.get(..10)
        .and_then(clock::parse_date)
        .filter(|d| (first..=last).contains(d) && slot_id(venue, *d) == raw)
        .ok_or_else(|| invalid_availability(raw))
}

/// What the OTA channel can hold of a package now, and its allocation.
#[derive(Debug, Clone, Copy)]
pub(super) struct Stock {
    pub vacancies: i64,
    pub capacity: i64,
}

pub(super) fn stock(conn: &Connection, product_id: i64) -> Result<Stock, AppError> {
    let row = inventory::stock_rows(conn)?
        .into_iter()
        .find(|r| r.product_id == product_id && r.channel == Channel::Ota);
    Ok(row.map_or(
        Stock {
            vacancies: 0,
            capacity: 0,
        },
        |r| Stock {
            vacancies: r.available.max(0),
            capacity: r.allocated,
        },
    ))
}

/// What a slot is made of: the package, its stock, the holidays, and how many units are asked.
pub(super) struct Offer {
    pub package: Package,
    pub stock: Stock,
    pub holidays: BTreeSet<Date>,
    pub wanted: i64,
}

impl Offer {
    /// What a package offers now, for `wanted` units.
    pub fn of(conn: &Connection, package: Package, wanted: i64) -> Result<Offer, AppError> {
        Ok(Offer {
            stock: stock(conn, package.product_id)?,
            holidays: catalog::holidays(conn)?,
            package,
            wanted,
        })
    }

    fn status(&self) -> (bool, &'static str) {
        let v = self.stock.vacancies;
        if v == 0 {
            (false, "SOLD_OUT")
        } else if v * 10 <= self.stock.capacity {
            (v >= self.wanted, "LIMITED")
        } else {
            (v >= self.wanted, "AVAILABLE")
        }
    }

    fn prices(&self, date: Date, terms: &Terms) -> Option<Vec<PricingUnit>> {
        let day: DayType = day_pricing::day_type(date, &self.holidays);
        terms
            .caps
            .pricing
            .then(|| pricing::per_unit(&self.package.prices, day, &terms.currency))
    }

    /// The slot of one date.
    pub fn slot(&self, date: Date, terms: &Terms) -> Availability {
        let (available, status) = self.status();
        let next = date.next_day().unwrap_or(date);
        Availability {
            id: slot_id(&terms.venue, date),
            local_date_time_start: slot_id(&terms.venue, date),
            local_date_time_end: slot_id(&terms.venue, next),
            all_day: true,
            available,
            status: status.to_owned(),
            vacancies: Some(self.stock.vacancies),
            capacity: Some(self.stock.capacity),
            max_units: Some(self.stock.vacancies.min(MAX_QUANTITY)),
            utc_cutoff_at: clock::to_db(terms.venue.start_of(next)),
            opening_hours: all_day(),
            unit_pricing: self.prices(date, terms),
        }
    }

    fn day(&self, date: Date, terms: &Terms) -> CalendarDay {
        let (available, status) = self.status();
        CalendarDay {
            local_date: clock::date_to_db(date),
            available,
            status: status.to_owned(),
            vacancies: Some(self.stock.vacancies),
            capacity: Some(self.stock.capacity),
            opening_hours: all_day(),
            unit_pricing_from: self.prices(date, terms),
        }
    }
}

/// Gangway keeps no opening hours; OCTO wants at least one span for an all-day slot.
fn all_day() -> Vec<OpeningHours> {
    vec![OpeningHours {
        from: "00:00".to_owned(),
        to: "23:59".to_owned(),
    }]
}

/// The bookable dates of `localDateStart`…`localDateEnd` (dates before today or over a year
/// ahead are left out; the range itself must be well-formed and at most a year long).
fn dates(start: Option<&str>, end: Option<&str>, today: Date) -> Result<Vec<Date>, AppError> {
    let parse = |v: Option<&str>, field: &str| {
        let v = v.ok_or_else(|| bad_request(format!("{field} is required")))?;
        clock::parse_date(v).ok_or_else(|| bad_request(format!("{field} must be YYYY-MM-DD")))
    };
    let (start, end) = (parse(start, "localDateStart")?, parse(end, "localDateEnd")?);
    if end < start {
        return Err(bad_request("localDateEnd is before localDateStart"));
    }
    if (end - start).whole_days() > DAYS_AHEAD {
        return Err(bad_request("the date range is at most 366 days"));
    }
    let (first, last) = window(today);
    let mut d = start.max(first);
    let mut out = Vec::new();
    while d <= end.min(last) {
        out.push(d);
        d = d
            .next_day()
            .ok_or_else(|| bad_request("date out of range"))?;
    }
    Ok(out)
}

/// How many units the request asks for (unit ids checked); at least 1.
fn wanted(package: &Package, units: &[UnitQuantity]) -> Result<i64, AppError> {
    let mut total = 0i64;
    for u in units {
        check_unit(package, Some(&u.id))?;
        if !(0..=MAX_QUANTITY).contains(&u.quantity) {
            return Err(bad_request("units[].quantity must be 0 to 5000"));
        }
        total += u.quantity;
    }
    Ok(total.max(1))
}

/// A currency other than the one Gangway prices in is refused.
pub(super) fn check_currency(asked: Option<&str>, terms: &Terms) -> Result<(), AppError> {
    match asked {
        Some(c) if c != terms.currency => Err(bad_request(format!(
            "currency {c} is not offered; prices are in {}",
            terms.currency
        ))),
        _ => Ok(()),
    }
}

/// What the package a request names offers now, checked in OCTO's order: product, option, the
/// units asked for, currency.
fn offer(c: &Connection, q: &CalendarRequest, terms: &Terms) -> Result<Offer, AppError> {
    let package = products::resolve(c, q.product_id.as_deref())?;
    check_option(q.option_id.as_deref())?;
    let wanted = wanted(&package, q.units.as_deref().unwrap_or(&[]))?;
    check_currency(q.currency.as_deref(), terms)?;
    Offer::of(c, package, wanted)
}

/// The availability calendar: one day per bookable date of the range.
pub fn calendar(
    ctx: &Ctx,
    caps: Capabilities,
    req: CalendarRequest,
) -> Result<Vec<CalendarDay>, AppError> {
    let terms = Terms::of(ctx, caps);
    ctx.db.read(|c| {
        let offer = offer(c, &req, &terms)?;
        let days = dates(
            req.local_date_start.as_deref(),
            req.local_date_end.as_deref(),
            terms.venue.today(),
        )?;
        Ok(days.into_iter().map(|d| offer.day(d, &terms)).collect())
    })
}

/// The availability check: the slots of a date range or of the ids asked (exactly one of the
/// two).
pub fn check(
    ctx: &Ctx,
    caps: Capabilities,
    req: AvailabilityRequest,
) -> Result<Vec<Availability>, AppError> {
    let terms = Terms::of(ctx, caps);
    ctx.db.read(|c| {
        let offer = offer(c, &req.range, &terms)?;
        let range = &req.range;
        let has_range = range.local_date_start.is_some() || range.local_date_end.is_some();
        let days = match (&req.availability_ids, has_range) {
            (Some(_), true) => {
                return Err(bad_request(
                    "send either localDateStart and localDateEnd or availabilityIds, not both",
                ))
            }
            (Some(ids), false) => {
                if ids.len() as i64 > DAYS_AHEAD + 1 {
                    return Err(bad_request("at most 367 availabilityIds"));
                }
                let mut days: Vec<Date> = ids
                    .iter()
                    .map(|id| parse_slot(&terms.venue, Some(id)))
                    .collect::<Result<_, _>>()?;
                days.dedup();
                days
            }
            (None, _) => dates(
                range.local_date_start.as_deref(),
                range.local_date_end.as_deref(),
                terms.venue.today(),
            )?,
        };
        Ok(days.into_iter().map(|d| offer.slot(d, &terms)).collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn slot_ids_are_local_midnight_with_the_offset() {
        let hk = VenueClock::new("Asia/Hong_Kong").unwrap();
        assert_eq!(
            slot_id(&hk, date!(2026 - 12 - 09)),
            "2026-12-09T00:00:00+08:00"
        );
        let ny = VenueClock::new("America/New_York").unwrap();
        assert_eq!(
            slot_id(&ny, date!(2026 - 12 - 09)),
            "2026-12-09T00:00:00-05:00"
        );
        let kolkata = VenueClock::new("Asia/Kolkata").unwrap();
        assert_eq!(
            slot_id(&kolkata, date!(2026 - 01 - 02)),
            "2026-01-02T00:00:00+05:30"
        );
    }

    #[test]
    fn only_ids_of_bookable_dates_parse() {
        let utc = VenueClock::new("UTC").unwrap();
        let today = utc.today();
        let id = slot_id(&utc, today + Duration::days(7));
        assert_eq!(
            parse_slot(&utc, Some(&id)).unwrap(),
            today + Duration::days(7)
        );
        let yesterday = slot_id(&utc, today - Duration::days(1));
        let too_far = slot_id(&utc, today + Duration::days(400));
        let wrong_offset = id.replace("+00:00", "+01:00");
        for bad in [
            "invalidAvailabilityId",
            "",
            &yesterday,
            &too_far,
            &wrong_offset,
        ] {
            let err = parse_slot(&utc, Some(bad)).unwrap_err();
            assert_eq!(err.code(), "INVALID_AVAILABILITY_ID", "{bad}");
        }
    }

    #[test]
    fn ranges_keep_the_bookable_dates_and_refuse_bad_ones() {
        let today = date!(2026 - 12 - 01);
        let days = dates(Some("2026-11-30"), Some("2026-12-03"), today).unwrap();
        assert_eq!(days.len(), 3);
        assert_eq!(days[0], today);
        for (s, e) in [
            (None, Some("2026-12-03")),
            (Some("2026-12-03"), Some("2026-12-01")),
            (Some("12/01/2026"), Some("2026-12-03")),
            (Some("2026-01-01"), Some("2027-06-01")),
        ] {
            assert_eq!(dates(s, e, today).unwrap_err().code(), "BAD_REQUEST");
        }
    }
}
