//! Staff look a ticket or an order up by whatever the guest at the desk has: a ticket code, an
//! order id, the email they booked with, or a payment reference (theirs or the OTA's). One query
//! searches all four, so staff never have to say which one they typed.

use rusqlite::Connection;
use schemars::JsonSchema;
use serde::Serialize;

use super::orders::{self, OrderSummary};
use super::tickets::TicketHeadline;
use crate::db::Db;
use crate::error::AppError;

/// At most this many tickets and orders are listed; `truncated` says when there were more.
const MOST: i64 = 100;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TicketHit {
    #[serde(flatten)]
    pub headline: TicketHeadline,
    pub holder_email: Option<String>,
    pub order_id: Option<String>,
    pub batch_id: Option<String>,
    pub partner_name: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LookupResult {
    pub query: String,
    pub tickets: Vec<TicketHit>,
    pub orders: Vec<OrderSummary>,
    /// More than 100 tickets or orders matched: narrow the search.
    pub truncated: bool,
}

/// Tickets and orders whose code, order id, email (any case) or payment reference is `query`.
pub fn lookup(db: &Db, query: &str) -> Result<LookupResult, AppError> {
    let q = query.trim();
    if q.is_empty() || q.chars().count() > 254 || q.chars().any(char::is_control) {
        return Err(AppError::validation(
            "q",
            "a ticket code, order id, email or payment reference (1 to 254 characters)",
        ));
    }
    db.read(|c| {
        let tickets = tickets(c, q)?;
        let orders = orders::summaries(
            c,
            "o.id = ?1 OR o.payment_reference = ?1 OR o.customer_email = ?1 COLLATE NOCASE
             OR o.id = (SELECT t.order_id FROM tickets t WHERE t.code = ?1)",
            &[&q],
            MOST + 1,
            0,
        )?;
        let truncated = tickets.len() as i64 > MOST || orders.len() as i64 > MOST;
        Ok(LookupResult {
            query: q.to_owned(),
            tickets: tickets.into_iter().take(MOST as usize).collect(),
            orders: orders.into_iter().take(MOST as usize).collect(),
            truncated,
        })
    })
}

fn tickets(conn: &Connection, q: &str) -> Result<Vec<TicketHit>, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT t.code, t.status, t.product_id, p.name, t.customer_type, t.visit_date, t.customer_name,
                    t.customer_email, t.order_id, t.batch_id, pa.name, t.created_at
             FROM tickets t JOIN products p ON p.id = t.product_id LEFT JOIN partners pa ON pa.id = t.partner_id
             WHERE t.code = ?1 OR t.order_id = ?1 OR t.payment_reference = ?1 OR t.customer_email = ?1 COLLATE NOCASE
             ORDER BY t.created_at DESC, t.id DESC LIMIT ?2",
        )?
        .query_map(rusqlite::params![q, MOST + 1], |r| {
            Ok(TicketHit {
                headline: TicketHeadline {
                    ticket_code: r.get(0)?,
                    status: r.get(1)?,
                    product_id: r.get(2)?,
                    product_name: r.get(3)?,
                    customer_type: r.get(4)?,
                    visit_date: r.get(5)?,
                    holder_name: r.get(6)?,
                },
                holder_email: r.get(7)?,
                order_id: r.get(8)?,
                batch_id: r.get(9)?,
                partner_name: r.get(10)?,
                created_at: r.get(11)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}
