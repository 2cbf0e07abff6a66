//! Settlement with resellers: over a period, per reseller and in total — tickets generated,
//! activated, used and cancelled, the gross of tickets sold, commission and net. Money stays in
//! integer cents; commission is rounded half up per reseller.

use rusqlite::{params, Connection};
use schemars::JsonSchema;
use serde::Serialize;
use time::Date;

use super::csv::{Cell, Csv};
use super::resellers;
use super::Ctx;
use crate::clock;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Settlement {
    pub tickets_generated: i64,
    pub tickets_activated: i64,
    pub tickets_used: i64,
    pub tickets_cancelled: i64,
    pub gross_cents: i64,
    pub commission_cents: i64,
    pub net_cents: i64,
}

impl Settlement {
    fn add(&mut self, o: &Settlement) {
        self.tickets_generated += o.tickets_generated;
        self.tickets_activated += o.tickets_activated;
        self.tickets_used += o.tickets_used;
        self.tickets_cancelled += o.tickets_cancelled;
        self.gross_cents += o.gross_cents;
        self.commission_cents += o.commission_cents;
        self.net_cents += o.net_cents;
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResellerLine {
    pub reseller_id: i64,
    pub reseller_code: String,
    pub reseller_name: String,
    pub commission_rate: f64,
    #[serde(flatten)]
    pub counters: Settlement,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BillingSummary {
    pub period_start: String,
    /// Inclusive.
    pub period_end: String,
    pub currency: String,
    pub resellers: Vec<ResellerLine>,
    /// The partner's tickets with no reseller (batches without one, and orders).
    pub unassigned: Settlement,
    pub totals: Settlement,
}

/// `commission = round(gross × bp / 10 000)`, half up, in integers.
pub fn commission(gross_cents: i64, commission_bp: i64) -> i64 {
    (gross_cents * commission_bp + 5_000) / 10_000
}

/// Activity per reseller id (None = unassigned) in `[start, end_exclusive)`.
fn activity(
    conn: &Connection,
    partner_id: i64,
    start: &str,
    end: &str,
) -> Result<Vec<(Option<i64>, Settlement)>, AppError> {
    let rows = conn
        .prepare_cached(
            "SELECT b.reseller_id,
                    COALESCE(SUM(t.created_at >= ?2 AND t.created_at < ?3), 0),
                    COALESCE(SUM(t.activated_at >= ?2 AND t.activated_at < ?3), 0),
                    COALESCE(SUM(t.used_at >= ?2 AND t.used_at < ?3), 0),
                    COALESCE(SUM(t.cancelled_at >= ?2 AND t.cancelled_at < ?3), 0),
                    COALESCE(SUM(CASE WHEN t.activated_at >= ?2 AND t.activated_at < ?3 AND t.status IN ('ACTIVE', 'USED')
                                      THEN t.price_cents ELSE 0 END), 0)
             FROM tickets t LEFT JOIN batches b ON b.id = t.batch_id
             WHERE t.partner_id = ?1 GROUP BY b.reseller_id",
        )?
        .query_map(params![partner_id, start, end], |r| {
            Ok((
                r.get(0)?,
                Settlement {
                    tickets_generated: r.get(1)?,
                    tickets_activated: r.get(2)?,
                    tickets_used: r.get(3)?,
                    tickets_cancelled: r.get(4)?,
                    gross_cents: r.get(5)?,
                    commission_cents: 0,
                    net_cents: 0,
                },
            ))
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// A partner's settlement over a period (`YYYY-MM-DD`, inclusive; default: this month), for all
/// its resellers or one.
pub fn summary(
    ctx: &Ctx,
    partner_id: i64,
    period_start: Option<&str>,
    period_end: Option<&str>,
    reseller_id: Option<i64>,
) -> Result<BillingSummary, AppError> {
    let period = period(period_start, period_end)?;
    let currency = &ctx.config.currency;
    ctx.db
        .read(|c| settle(c, partner_id, period, reseller_id, currency))
}

fn settle(
    conn: &Connection,
    partner_id: i64,
    period: (Date, Date),
    reseller_id: Option<i64>,
    currency: &str,
) -> Result<BillingSummary, AppError> {
    let (start, end) = period;
    if end < start {
        return Err(AppError::validation(
            "period_end",
            "must not be before period_start",
        ));
    }
    let from = format!("{}T00:00:00Z", clock::date_to_db(start));
    let to = format!(
        "{}T00:00:00Z",
        clock::date_to_db(end.next_day().unwrap_or(end))
    );
    let activity = activity(conn, partner_id, &from, &to)?;
    let registry = match reseller_id {
        Some(id) => vec![resellers::find(conn, partner_id, id)
            .map_err(|_| AppError::validation("reseller_id", "no such reseller"))?],
        None => resellers::select(conn, partner_id, None, i64::MAX, 0)?.0,
    };
    let mut totals = Settlement::default();
    let lines: Vec<ResellerLine> = registry
        .into_iter()
        .map(|r| {
            let mut c = activity
                .iter()
                .find(|(id, _)| *id == Some(r.id))
                .map(|(_, c)| *c)
                .unwrap_or_default();
            c.commission_cents = commission(c.gross_cents, r.commission_bp());
            c.net_cents = c.gross_cents - c.commission_cents;
            totals.add(&c);
            ResellerLine {
                reseller_id: r.id,
                reseller_code: r.reseller_code,
                reseller_name: r.reseller_name,
                commission_rate: r.commission_rate,
                counters: c,
            }
        })
        .collect();
    let mut unassigned = activity
        .iter()
        .find(|(id, _)| id.is_none())
        .map(|(_, c)| *c)
        .unwrap_or_default();
    unassigned.net_cents = unassigned.gross_cents;
    if reseller_id.is_none() {
        totals.add(&unassigned);
    } else {
        unassigned = Settlement::default();
    }
    Ok(BillingSummary {
        period_start: clock::date_to_db(start),
        period_end: clock::date_to_db(end),
        currency: currency.to_owned(),
        resellers: lines,
        unassigned,
        totals,
    })
}

/// The settlement as CSV (UTF-8 with BOM, money in currency units): one line per reseller, then
/// the unassigned tickets and the totals. Returns the file name and the text.
pub fn summary_csv(s: &BillingSummary, partner_id: i64) -> (String, String) {
    let mut csv = Csv::new(&[
        "reseller_code",
        "reseller_name",
        "commission_rate",
        "tickets_generated",
        "tickets_activated",
        "tickets_used",
        "tickets_cancelled",
        "gross",
        "commission",
        "net",
        "currency",
    ]);
    let cur = s.currency.as_str();
    let mut line = |code: Option<&str>, name: &str, rate: Option<String>, c: &Settlement| {
        let rate = rate.unwrap_or_default();
        csv.row([
            code.into(),
            Cell::Text(name),
            Cell::Text(&rate),
            Cell::Int(c.tickets_generated),
            Cell::Int(c.tickets_activated),
            Cell::Int(c.tickets_used),
            Cell::Int(c.tickets_cancelled),
            Cell::Money(c.gross_cents, cur),
            Cell::Money(c.commission_cents, cur),
            Cell::Money(c.net_cents, cur),
            Cell::Text(cur),
        ]);
    };
    for r in &s.resellers {
        let rate = format!("{:.4}", r.commission_rate);
        line(
            Some(&r.reseller_code),
            &r.reseller_name,
            Some(rate),
            &r.counters,
        );
    }
    line(None, "Unassigned", None, &s.unassigned);
    line(None, "Totals", None, &s.totals);
    let name = format!(
        "settlement-{partner_id}-{}-{}.csv",
        s.period_start, s.period_end
    );
    (name, csv.finish())
}

/// The period of a request: both dates, or the current calendar month when absent.
fn period(start: Option<&str>, end: Option<&str>) -> Result<(Date, Date), AppError> {
    let today = clock::now().date();
    let first = today.replace_day(1).unwrap_or(today);
    let last = (first + time::Duration::days(32))
        .replace_day(1)
        .map(|d| d.previous_day().unwrap_or(d))
        .unwrap_or(today);
    let parse = |v: Option<&str>, field: &str, default: Date| match v {
        None => Ok(default),
        Some(s) => clock::parse_date(s)
            .ok_or_else(|| AppError::validation(field, "expected a date YYYY-MM-DD")),
    };
    Ok((
        parse(start, "period_start", first)?,
        parse(end, "period_end", last)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::commission;

    #[test]
    fn commission_rounds_half_up_in_cents() {
        assert_eq!(commission(28800, 1000), 2880);
        assert_eq!(commission(12345, 1000), 1235); // 1234.5 -> 1235
        assert_eq!(commission(12344, 1000), 1234);
        assert_eq!(commission(0, 1000), 0);
        assert_eq!(commission(99999, 10000), 99999);
    }
}
