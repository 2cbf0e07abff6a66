//! The passenger list of a visit date: every ticket valid that day (ACTIVE or USED — a cancelled
//! ticket is counted apart, an unsold voucher has no date yet), by package and customer type, and
//! whether each has been redeemed yet. Read by the pier (venue role) and staff, on screen or as
//! CSV. It names holders but never their email or phone: the boarding list is not a contact list.

use rusqlite::{params, Connection};
use schemars::JsonSchema;
use serde::Serialize;
use time::Date;

use super::csv::{Cell, Csv};
use super::venue::VenueClock;
use super::Ctx;
use crate::clock;
use crate::error::AppError;

/// Which passengers of a day to list.
#[derive(Debug, Clone, Default)]
pub struct ManifestQuery {
    /// `YYYY-MM-DD`; the venue's today when absent.
    pub date: Option<String>,
    pub product_id: Option<i64>,
    /// Only the redeemed (`true`) or only those not yet redeemed (`false`).
    pub redeemed: Option<bool>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ManifestGroup {
    pub product_id: i64,
    pub product_name: String,
    pub customer_type: String,
    pub tickets: i64,
    pub redeemed: i64,
    pub not_yet: i64,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct ManifestTotals {
    pub tickets: i64,
    pub redeemed: i64,
    pub not_yet: i64,
    /// Cancelled tickets of the day (not in `tickets`).
    pub cancelled: i64,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Passenger {
    pub ticket_code: String,
    pub product_id: i64,
    pub product_name: String,
    pub customer_type: String,
    pub holder_name: Option<String>,
    pub status: super::tickets::TicketStatus,
    pub order_id: Option<String>,
    pub batch_id: Option<String>,
    pub price_cents: Option<i64>,
    /// Uses left over all of the ticket's entitlements.
    pub uses_left: i64,
    pub redeemed: bool,
    /// The first redemption (RFC 3339 UTC), if any.
    pub first_redeemed_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Manifest {
    pub date: String,
    /// The venue's time zone: the day runs from its local midnight.
    pub timezone: String,
    pub currency: String,
    /// The whole day, whatever the filters.
    pub totals: ManifestTotals,
    /// Per package and customer type, the whole day.
    pub groups: Vec<ManifestGroup>,
    /// One page of the passengers the filters select.
    pub passengers: Vec<Passenger>,
    pub total_count: i64,
    pub page: i64,
    pub page_size: i64,
}

fn day(q: &ManifestQuery, venue: &VenueClock) -> Result<Date, AppError> {
    match &q.date {
        None => Ok(venue.today()),
        Some(d) => clock::parse_date(d)
            .ok_or_else(|| AppError::validation("date", "expected a date YYYY-MM-DD")),
    }
}

/// One page of a day's passenger list, with the day's totals and groups.
pub fn manifest(
    ctx: &Ctx,
    q: &ManifestQuery,
    limit: i64,
    offset: i64,
) -> Result<Manifest, AppError> {
    let date = clock::date_to_db(day(q, &ctx.venue)?);
    ctx.db.read(|c| {
        let groups = groups(c, &date)?;
        let mut totals = ManifestTotals::default();
        for g in &groups {
            totals.tickets += g.tickets;
            totals.redeemed += g.redeemed;
            totals.not_yet += g.not_yet;
        }
        totals.cancelled = c
            .prepare_cached(
                "SELECT COUNT(*) FROM tickets WHERE visit_date = ?1 AND status = 'CANCELLED'",
            )?
            .query_row([&date], |r| r.get(0))?;
        let (passengers, total_count) = passengers(c, &date, q, limit, offset)?;
        Ok(Manifest {
            date: date.clone(),
            timezone: ctx.venue.name().to_owned(),
            currency: ctx.config.currency.clone(),
            totals,
            groups,
            passengers,
            total_count,
            page: offset / limit.max(1) + 1,
            page_size: limit,
        })
    })
}

fn groups(conn: &Connection, date: &str) -> Result<Vec<ManifestGroup>, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT t.product_id, p.name, COALESCE(t.customer_type, ''), COUNT(*),
                    SUM(EXISTS(SELECT 1 FROM redemptions d WHERE d.ticket_id = t.id))
             FROM tickets t JOIN products p ON p.id = t.product_id
             LEFT JOIN product_prices pp ON pp.product_id = t.product_id AND pp.customer_type = t.customer_type
             WHERE t.visit_date = ?1 AND t.status IN ('ACTIVE', 'USED')
             GROUP BY t.product_id, t.customer_type ORDER BY t.product_id, MIN(pp.position), t.customer_type",
        )?
        .query_map([date], |r| {
            let (tickets, redeemed): (i64, i64) = (r.get(3)?, r.get(4)?);
            Ok(ManifestGroup {
                product_id: r.get(0)?,
                product_name: r.get(1)?,
                customer_type: r.get(2)?,
                tickets,
                redeemed,
                not_yet: tickets - redeemed,
            })
        })?
        .collect::<Result<_, _>>()?)
}

const PASSENGERS: &str = "FROM tickets t JOIN products p ON p.id = t.product_id
    WHERE t.visit_date = ?1 AND t.status IN ('ACTIVE', 'USED') AND (?2 IS NULL OR t.product_id = ?2)
      AND (?3 IS NULL OR EXISTS(SELECT 1 FROM redemptions d WHERE d.ticket_id = t.id) = ?3)";

fn passengers(
    conn: &Connection,
    date: &str,
    q: &ManifestQuery,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Passenger>, i64), AppError> {
    let total = conn
        .prepare_cached(&format!("SELECT COUNT(*) {PASSENGERS}"))?
        .query_row(params![date, q.product_id, q.redeemed], |r| r.get(0))?;
    let rows = conn
        .prepare_cached(&format!(
            "SELECT t.code, t.product_id, p.name, COALESCE(t.customer_type, ''), t.customer_name, t.status, t.order_id,
                    t.batch_id, t.price_cents,
                    (SELECT COALESCE(SUM(e.remaining_uses), 0) FROM ticket_entitlements e WHERE e.ticket_id = t.id),
                    (SELECT MIN(d.redeemed_at) FROM redemptions d WHERE d.ticket_id = t.id)
             {PASSENGERS} ORDER BY t.product_id, t.customer_type, t.customer_name, t.id LIMIT ?4 OFFSET ?5"
        ))?
        .query_map(params![date, q.product_id, q.redeemed, limit, offset], |r| {
            let first: Option<String> = r.get(10)?;
            Ok(Passenger {
                ticket_code: r.get(0)?,
                product_id: r.get(1)?,
                product_name: r.get(2)?,
                customer_type: r.get(3)?,
                holder_name: r.get(4)?,
                status: r.get(5)?,
                order_id: r.get(6)?,
                batch_id: r.get(7)?,
                price_cents: r.get(8)?,
                uses_left: r.get(9)?,
                redeemed: first.is_some(),
                first_redeemed_at: first,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

/// The whole passenger list of a day as CSV (UTF-8 with BOM); times in the venue's local time.
pub fn manifest_csv(ctx: &Ctx, q: &ManifestQuery) -> Result<(String, String), AppError> {
    let date = clock::date_to_db(day(q, &ctx.venue)?);
    let currency = ctx.config.currency.clone();
    let list = ctx
        .db
        .read(|c| passengers(c, &date, q, i64::MAX, 0).map(|(rows, _)| rows))?;
    let mut csv = Csv::new(&[
        "visit_date",
        "package",
        "product_id",
        "customer_type",
        "holder_name",
        "ticket_code",
        "status",
        "redeemed",
        "first_redeemed_at",
        "uses_left",
        "order_id",
        "batch_id",
        "price",
        "currency",
    ]);
    for p in &list {
        let first = p
            .first_redeemed_at
            .as_deref()
            .and_then(clock::parse_rfc3339)
            .map(|t| ctx.venue.wall_clock(t));
        csv.row([
            Cell::Text(&date),
            Cell::Text(&p.product_name),
            Cell::Int(p.product_id),
            Cell::Text(&p.customer_type),
            p.holder_name.as_deref().into(),
            Cell::Text(&p.ticket_code),
            Cell::Text(p.status.as_str()),
            Cell::Text(if p.redeemed { "yes" } else { "no" }),
            first.as_deref().into(),
            Cell::Int(p.uses_left),
            p.order_id.as_deref().into(),
            p.batch_id.as_deref().into(),
            p.price_cents
                .map_or(Cell::Empty, |c| Cell::Money(c, &currency)),
            Cell::Text(&currency),
        ]);
    }
    Ok((format!("passengers-{date}.csv"), csv.finish()))
}
