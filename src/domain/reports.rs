//! Reports for the console: sales per day.

use rusqlite::Connection;
use schemars::JsonSchema;
use serde::Serialize;

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

/// Tickets activated (sold) per UTC day over the last `days` days, every day present.
pub fn sales(conn: &Connection, days: i64, currency: &str) -> Result<SalesReport, AppError> {
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
