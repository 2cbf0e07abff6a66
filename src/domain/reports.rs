//! Reports for the console: sales per day.

use rusqlite::Connection;
use schemars::JsonSchema;
use serde::Serialize;

use super::Ctx;
use crate::clock;
use crate::error::AppError;

#[derive(Debug, Serialize, JsonSchema)]
pub struct SalesDay {
    pub date: String,
    pub tickets: i64,
    pub gross_cents: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SalesReport {
    pub currency: String,
    pub days: Vec<SalesDay>,
}

/// Tickets activated (sold) per UTC day over the last `days` days (1–366), every day present.
pub fn sales(ctx: &Ctx, days: i64) -> Result<SalesReport, AppError> {
    if !(1..=366).contains(&days) {
        return Err(AppError::validation("days", "must be between 1 and 366"));
    }
    ctx.db
        .read(|c| sales_per_day(c, days, &ctx.config.currency))
}

fn sales_per_day(conn: &Connection, days: i64, currency: &str) -> Result<SalesReport, AppError> {
    let today = clock::now().date();
    let first = today - time::Duration::days(days - 1);
    let rows: Vec<(String, i64, i64)> = conn
        .prepare_cached(
            "SELECT substr(activated_at, 1, 10) AS day, COUNT(*), COALESCE(SUM(price_cents), 0) FROM tickets
             WHERE activated_at >= ?1 AND status IN ('ACTIVE', 'USED') GROUP BY day",
        )?
        .query_map([clock::date_to_db(first)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let days = (0..days)
        .map(|i| {
            let date = clock::date_to_db(first + time::Duration::days(i));
            let (tickets, gross_cents) = rows
                .iter()
                .find(|r| r.0 == date)
                .map(|r| (r.1, r.2))
                .unwrap_or((0, 0));
            SalesDay {
                date,
                tickets,
                gross_cents,
            }
        })
        .collect();
    Ok(SalesReport {
        currency: currency.to_owned(),
        days,
    })
}
