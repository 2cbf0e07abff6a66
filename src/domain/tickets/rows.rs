//! The `tickets` and `ticket_entitlements` tables: the stored row, and every statement that
//! reads or changes them. Steps only; the operations people call are in `tickets/mod.rs`.

use std::collections::HashMap;

use rusqlite::{params, Connection, Transaction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::catalog::Entitlement;
use super::super::inventory::{self, Channel};
use super::super::values::CustomerDetails;
use crate::clock;
use crate::db::{text_enum, ConnExt};
use crate::error::AppError;
use crate::ids;

text_enum! {
    /// `PRE_GENERATED → ACTIVE → USED`, plus `CANCELLED`; `EXPIRED` exists for later.
    pub enum TicketStatus in "tickets.status" {
        PreGenerated = "PRE_GENERATED", Active = "ACTIVE", Used = "USED", Expired = "EXPIRED",
        Cancelled = "CANCELLED",
    }
}

/// Who is asking: tickets and orders are visible only to the partner that issued them or the
/// customer who bought them; anyone else gets the same 404 as for a code that does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Partner(i64),
    User(i64),
    /// Venue and operator staff.
    Operator,
}

impl Owner {
    /// Whether an object sold by `partner_id` or to `user_id` is this reader's to see.
    pub fn owns(self, partner_id: Option<i64>, user_id: Option<i64>) -> bool {
        match self {
            Owner::Partner(p) => partner_id == Some(p),
            Owner::User(u) => user_id == Some(u),
            Owner::Operator => true,
        }
    }
}

/// The stored row, with the columns every reader needs.
#[derive(Debug, Clone)]
pub(in crate::domain) struct TicketRow {
    pub id: i64,
    pub code: String,
    pub product_id: i64,
    pub channel: Channel,
    pub partner_id: Option<i64>,
    pub user_id: Option<i64>,
    pub order_id: Option<String>,
    pub batch_id: Option<String>,
    pub status: TicketStatus,
    pub customer_type: Option<String>,
    pub price_cents: Option<i64>,
    pub visit_date: Option<String>,
    pub customer: Option<CustomerDetails>,
    pub payment_reference: Option<String>,
    pub created_at: String,
    pub activated_at: Option<String>,
    pub used_at: Option<String>,
    pub cancelled_at: Option<String>,
}

const COLUMNS: &str = "t.id, t.code, t.product_id, t.channel, t.partner_id, t.user_id, t.order_id, t.batch_id, t.status,
    t.customer_type, t.price_cents, t.visit_date, t.customer_name, t.customer_email, t.customer_phone,
    t.payment_reference, t.created_at, t.activated_at, t.used_at, t.cancelled_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TicketRow> {
    let name: Option<String> = r.get(12)?;
    Ok(TicketRow {
        id: r.get(0)?,
        code: r.get(1)?,
        product_id: r.get(2)?,
        channel: r.get(3)?,
        partner_id: r.get(4)?,
        user_id: r.get(5)?,
        order_id: r.get(6)?,
        batch_id: r.get(7)?,
        status: r.get(8)?,
        customer_type: r.get(9)?,
        price_cents: r.get(10)?,
        visit_date: r.get(11)?,
        customer: match name {
            Some(name) => Some(CustomerDetails {
                name,
                email: r.get::<_, Option<String>>(13)?.unwrap_or_default(),
                phone: r.get(14)?,
            }),
            None => None,
        },
        payment_reference: r.get(15)?,
        created_at: r.get(16)?,
        activated_at: r.get(17)?,
        used_at: r.get(18)?,
        cancelled_at: r.get(19)?,
    })
}

/// Finds a ticket by code as `owner` may see it; everyone else gets `NotFound`.
pub(in crate::domain) fn find(
    conn: &Connection,
    code: &str,
    owner: Owner,
) -> Result<TicketRow, AppError> {
    if code.len() > 64 {
        return Err(AppError::NotFound);
    }
    conn.try_query_row(
        &format!("SELECT {COLUMNS} FROM tickets t WHERE t.code = ?1"),
        [code],
        from_row,
    )?
    .filter(|t| owner.owns(t.partner_id, t.user_id))
    .ok_or(AppError::NotFound)
}

pub(in crate::domain) fn rows_of_order(
    conn: &Connection,
    order_id: &str,
) -> Result<Vec<TicketRow>, AppError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM tickets t WHERE t.order_id = ?1 ORDER BY t.id"
        ))?
        .query_map([order_id], from_row)?
        .collect::<Result<_, _>>()?)
}

/// What a partner's ticket query may filter on (already checked).
#[derive(Debug, Default, Clone)]
pub struct TicketFilter {
    pub status: Option<TicketStatus>,
    pub batch_id: Option<String>,
    pub created_after: Option<String>,
    pub created_before: Option<String>,
}

/// A partner's tickets, newest first, and how many match in all.
pub(in crate::domain) fn list_for_partner(
    conn: &Connection,
    partner_id: i64,
    f: &TicketFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<TicketRow>, i64), AppError> {
    const WHERE: &str = "WHERE t.partner_id = ?1 AND (?2 IS NULL OR t.status = ?2) AND (?3 IS NULL OR t.batch_id = ?3)
                           AND (?4 IS NULL OR t.created_at > ?4) AND (?5 IS NULL OR t.created_at < ?5)";
    let filter = params![
        partner_id,
        f.status,
        f.batch_id,
        f.created_after,
        f.created_before
    ];
    let total = conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM tickets t {WHERE}"))?
        .query_row(filter, |r| r.get(0))?;
    let rows = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM tickets t {WHERE} ORDER BY t.created_at DESC, t.id DESC LIMIT ?6 OFFSET ?7"))?
        .query_map(params![partner_id, f.status, f.batch_id, f.created_after, f.created_before, limit, offset], from_row)?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

pub(in crate::domain) fn list_for_user(
    conn: &Connection,
    user_id: i64,
) -> Result<Vec<TicketRow>, AppError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM tickets t WHERE t.user_id = ?1 ORDER BY t.created_at DESC, t.id DESC"))?
        .query_map([user_id], from_row)?
        .collect::<Result<_, _>>()?)
}

/// What a new ticket is: product, channel, owner and, for sold tickets, what was paid.
pub(in crate::domain) struct NewTicket<'a> {
    pub product_id: i64,
    pub channel: Channel,
    pub partner_id: Option<i64>,
    pub user_id: Option<i64>,
    pub order_id: Option<&'a str>,
    pub batch_id: Option<&'a str>,
    pub status: TicketStatus,
    pub customer_type: Option<&'a str>,
    pub price_cents: Option<i64>,
    pub visit_date: Option<&'a str>,
    pub customer: Option<&'a CustomerDetails>,
    pub payment_reference: Option<&'a str>,
}

/// Inserts one ticket and its entitlements; the caller has already moved the stock.
pub(in crate::domain) fn insert(
    tx: &Transaction<'_>,
    t: &NewTicket<'_>,
    entitlements: &[Entitlement],
) -> Result<String, AppError> {
    let code = ids::new_ticket_code();
    let now = clock::to_db(clock::now());
    let activated_at = (t.status == TicketStatus::Active).then_some(now.as_str());
    tx.prepare_cached(
        "INSERT INTO tickets (code, product_id, channel, partner_id, user_id, order_id, batch_id, status, customer_type,
             price_cents, visit_date, customer_name, customer_email, customer_phone, payment_reference, created_at, activated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
        code,
        t.product_id,
        t.channel,
        t.partner_id,
        t.user_id,
        t.order_id,
        t.batch_id,
        t.status,
        t.customer_type,
        t.price_cents,
        t.visit_date,
        t.customer.map(|c| c.name.as_str()),
        t.customer.map(|c| c.email.as_str()),
        t.customer.and_then(|c| c.phone.as_deref()),
        t.payment_reference,
        now,
        activated_at,
    ])?;
    let ticket_id = tx.last_insert_rowid();
    let mut stmt = tx.prepare_cached(
        "INSERT INTO ticket_entitlements (ticket_id, function_code, total_uses, remaining_uses) VALUES (?1, ?2, ?3, ?3)",
    )?;
    for e in entitlements {
        stmt.execute(params![ticket_id, e.function_code, e.uses])?;
    }
    Ok(code)
}

/// What is left of one entitlement of a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RemainingUses {
    pub function_code: String,
    pub remaining_uses: i64,
}

/// Remaining uses of several tickets in one query, in the package's entitlement order, so a page
/// of 1000 tickets is two round trips, not 1001.
pub(in crate::domain) fn remaining_uses_of(
    conn: &Connection,
    ticket_ids: &[i64],
) -> Result<HashMap<i64, Vec<RemainingUses>>, AppError> {
    let mut uses: HashMap<i64, Vec<RemainingUses>> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT e.ticket_id, e.function_code, e.remaining_uses FROM ticket_entitlements e
         JOIN tickets t ON t.id = e.ticket_id
         LEFT JOIN product_entitlements p ON p.product_id = t.product_id AND p.function_code = e.function_code
         WHERE e.ticket_id IN (SELECT value FROM json_each(?1)) ORDER BY e.ticket_id, p.position",
    )?;
    let found = stmt.query_map([serde_json::to_string(ticket_ids)?], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            RemainingUses {
                function_code: r.get(1)?,
                remaining_uses: r.get(2)?,
            },
        ))
    })?;
    for f in found {
        let (ticket_id, remaining) = f?;
        uses.entry(ticket_id).or_default().push(remaining);
    }
    Ok(uses)
}

/// The entitlements left on one ticket.
pub(in crate::domain) fn remaining_uses(
    conn: &Connection,
    ticket_id: i64,
) -> Result<Vec<RemainingUses>, AppError> {
    Ok(remaining_uses_of(conn, &[ticket_id])?
        .remove(&ticket_id)
        .unwrap_or_default())
}

/// Whether any use of the ticket was ever redeemed.
pub(in crate::domain) fn was_redeemed(conn: &Connection, ticket_id: i64) -> Result<bool, AppError> {
    Ok(conn
        .prepare_cached("SELECT EXISTS(SELECT 1 FROM redemptions WHERE ticket_id = ?1)")?
        .query_row([ticket_id], |r| r.get(0))?)
}

/// PRE_GENERATED (its held unit goes back) or ACTIVE with nothing redeemed (its sold unit goes
/// back) becomes CANCELLED. Anything else is `INVALID_STATE`.
pub(in crate::domain) fn cancel(tx: &Transaction<'_>, row: &TicketRow) -> Result<(), AppError> {
    match row.status {
        TicketStatus::PreGenerated => inventory::release(tx, row.product_id, row.channel, 1)?,
        TicketStatus::Active if !was_redeemed(tx, row.id)? => {
            inventory::unsell(tx, row.product_id, row.channel, 1)?
        }
        TicketStatus::Active => {
            return Err(AppError::invalid_state(
                "This ticket has already been partly redeemed and cannot be cancelled.",
            ))
        }
        other => {
            return Err(AppError::invalid_state(format!(
                "A {other} ticket cannot be cancelled."
            )))
        }
    }
    tx.prepare_cached("UPDATE tickets SET status = 'CANCELLED', cancelled_at = ?2 WHERE id = ?1")?
        .execute(params![row.id, clock::to_db(clock::now())])?;
    Ok(())
}

/// Cancels every ticket of an order that is not cancelled yet, giving their units back: all of
/// them or, if one was already redeemed (even partly), none (`INVALID_STATE`). Returns how many.
pub(in crate::domain) fn cancel_of_order(
    tx: &Transaction<'_>,
    order_id: &str,
) -> Result<usize, AppError> {
    let live: Vec<TicketRow> = rows_of_order(tx, order_id)?
        .into_iter()
        .filter(|t| t.status != TicketStatus::Cancelled)
        .collect();
    for row in &live {
        cancel(tx, row)?;
    }
    Ok(live.len())
}

/// A reseller's sale of a PRE_GENERATED ticket: its held unit becomes sold.
pub(in crate::domain) struct Sale<'a> {
    pub customer: &'a CustomerDetails,
    pub customer_type: &'a str,
    pub price_cents: i64,
    pub visit_date: &'a str,
    pub payment_reference: Option<&'a str>,
}

pub(in crate::domain) fn activate(
    tx: &Transaction<'_>,
    row: &TicketRow,
    sale: &Sale<'_>,
) -> Result<(), AppError> {
    inventory::sell_held(tx, row.product_id, row.channel, 1)?;
    let c = sale.customer;
    tx.prepare_cached(
        "UPDATE tickets SET status = 'ACTIVE', activated_at = ?2, customer_type = ?3, price_cents = ?4, visit_date = ?5,
             customer_name = ?6, customer_email = ?7, customer_phone = ?8, payment_reference = ?9 WHERE id = ?1",
    )?
    .execute(params![row.id, clock::to_db(clock::now()), sale.customer_type, sale.price_cents, sale.visit_date, c.name, c.email, c.phone, sale.payment_reference])?;
    Ok(())
}

/// Takes one use of `function_code` if one is left, in one conditional UPDATE so two scanners can
/// never both take the last one. Returns the uses left, or `None` when there were none.
pub(in crate::domain) fn take_use(
    tx: &Transaction<'_>,
    ticket_id: i64,
    function_code: &str,
) -> Result<Option<i64>, AppError> {
    tx.try_query_row(
        "UPDATE ticket_entitlements SET remaining_uses = remaining_uses - 1
         WHERE ticket_id = ?1 AND function_code = ?2 AND remaining_uses > 0 RETURNING remaining_uses",
        params![ticket_id, function_code],
        |r| r.get(0),
    )
}

/// When every entitlement is used up the ticket becomes USED (and its unit counts as used).
/// Returns the ticket's status afterwards.
pub(in crate::domain) fn finish_if_used_up(
    tx: &Transaction<'_>,
    row: &TicketRow,
    at: &str,
) -> Result<TicketStatus, AppError> {
    let left: i64 = tx
        .prepare_cached("SELECT SUM(remaining_uses) FROM ticket_entitlements WHERE ticket_id = ?1")?
        .query_row([row.id], |r| r.get(0))?;
    if left > 0 {
        return Ok(row.status);
    }
    tx.prepare_cached("UPDATE tickets SET status = 'USED', used_at = ?2 WHERE id = ?1")?
        .execute(params![row.id, at])?;
    inventory::mark_used(tx, row.product_id, row.channel)?;
    Ok(TicketStatus::Used)
}

/// How many tickets an order has.
pub(in crate::domain) fn count_of_order(
    conn: &Connection,
    order_id: &str,
) -> Result<i64, AppError> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM tickets WHERE order_id = ?1")?
        .query_row([order_id], |r| r.get(0))?)
}
