//! Orders (the `orders` and `order_lines` tables): an OTA reservation turned into a priced order
//! (`ota_orders.rs`), or a direct customer's basket holding units on the direct channel
//! (`direct_orders.rs`). An order is
//! PENDING_PAYMENT until payment (`payments.rs`) makes it PAID — or REFUND_REQUIRED when a late
//! payment finds its units gone — or its hold runs out and it is EXPIRED.

use rusqlite::{params, Connection, Transaction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::audit::{self, Actor};
use super::inventory::{self, Channel};
use super::pricing::{DayType, Line};
use super::qr::QrSigner;
use super::reservations;
use super::tickets::{rows as ticket_rows, views as ticket_views, Owner, Ticket};
use super::values::CustomerDetails;
use super::Ctx;
use crate::clock;
use crate::db::{text_enum, ConnExt, Db};
use crate::error::AppError;

text_enum! {
    pub enum OrderStatus in "orders.status" {
        PendingPayment = "PENDING_PAYMENT", Paid = "PAID", Expired = "EXPIRED",
        Cancelled = "CANCELLED", RefundRequired = "REFUND_REQUIRED",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct OrderLine {
    pub product_id: i64,
    pub customer_type: String,
    pub count: i64,
    pub day_type: DayType,
    pub unit_price_cents: i64,
    pub subtotal_cents: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Money {
    pub amount_cents: i64,
    pub currency: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Order {
    pub order_id: String,
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservation_id: Option<String>,
    pub status: OrderStatus,
    pub visit_date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_details: Option<CustomerDetails>,
    pub lines: Vec<OrderLine>,
    pub payment_required: Money,
    pub expires_at: String,
    pub created_at: String,
    pub paid_at: Option<String>,
    pub payment_reference: Option<String>,
    #[serde(default)]
    pub tickets: Vec<Ticket>,
}

/// The stored order, as payment and expiry need it.
#[derive(Debug, Clone)]
pub(super) struct OrderRow {
    pub id: String,
    pub channel: Channel,
    pub partner_id: Option<i64>,
    pub user_id: Option<i64>,
    pub reservation_id: Option<String>,
    pub status: OrderStatus,
    pub amount_cents: i64,
    pub currency: String,
    pub payment_reference: Option<String>,
    pub visit_date: String,
    pub customer: CustomerDetails,
    pub expires_at: String,
    pub created_at: String,
    pub paid_at: Option<String>,
}

pub(super) fn row(conn: &Connection, id: &str) -> Result<Option<OrderRow>, AppError> {
    conn.try_query_row(
        "SELECT id, channel, partner_id, user_id, reservation_id, status, amount_cents, currency, payment_reference,
                visit_date, customer_name, customer_email, customer_phone, expires_at, created_at, paid_at
         FROM orders WHERE id = ?1",
        [id],
        |r| {
            Ok(OrderRow {
                id: r.get(0)?,
                channel: r.get(1)?,
                partner_id: r.get(2)?,
                user_id: r.get(3)?,
                reservation_id: r.get(4)?,
                status: r.get(5)?,
                amount_cents: r.get(6)?,
                currency: r.get(7)?,
                payment_reference: r.get(8)?,
                visit_date: r.get(9)?,
                customer: CustomerDetails { name: r.get(10)?, email: r.get(11)?, phone: r.get(12)? },
                expires_at: r.get(13)?,
                created_at: r.get(14)?,
                paid_at: r.get(15)?,
            })
        },
    )
}

/// The order if `owner` may see it.
pub(super) fn owned_row(conn: &Connection, id: &str, owner: Owner) -> Result<OrderRow, AppError> {
    row(conn, id)?
        .filter(|o| owner.owns(o.partner_id, o.user_id))
        .ok_or(AppError::NotFound)
}

pub(super) fn lines(conn: &Connection, order_id: &str) -> Result<Vec<OrderLine>, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT product_id, customer_type, count, day_type, unit_price_cents, subtotal_cents
             FROM order_lines WHERE order_id = ?1 ORDER BY line_no",
        )?
        .query_map([order_id], |r| {
            Ok(OrderLine {
                product_id: r.get(0)?,
                customer_type: r.get(1)?,
                count: r.get(2)?,
                day_type: r.get(3)?,
                unit_price_cents: r.get(4)?,
                subtotal_cents: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// Units per package of an order, as its lines say.
pub(super) fn units_by_product(
    conn: &Connection,
    order_id: &str,
) -> Result<Vec<(i64, i64)>, AppError> {
    Ok(conn
        .prepare_cached("SELECT product_id, SUM(count) FROM order_lines WHERE order_id = ?1 GROUP BY product_id ORDER BY product_id")?
        .query_map([order_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// One order as its owner sees it, with its tickets once issued.
pub fn get(ctx: &Ctx, id: &str, owner: Owner) -> Result<Order, AppError> {
    ctx.db.read(|c| view(c, id, owner, &ctx.qr))
}

/// The order as its owner sees it. An unpaid order past its expiry is shown as EXPIRED.
pub(super) fn view(
    conn: &Connection,
    id: &str,
    owner: Owner,
    signer: &QrSigner,
) -> Result<Order, AppError> {
    let o = owned_row(conn, id, owner)?;
    let status =
        if o.status == OrderStatus::PendingPayment && o.expires_at <= clock::to_db(clock::now()) {
            OrderStatus::Expired
        } else {
            o.status
        };
    let tickets = ticket_views::views(conn, &ticket_rows::rows_of_order(conn, id)?, signer)?;
    Ok(Order {
        order_id: o.id,
        channel: o.channel,
        reservation_id: o.reservation_id,
        status,
        visit_date: o.visit_date,
        customer_details: (o.channel == Channel::Ota).then_some(o.customer),
        lines: lines(conn, id)?,
        payment_required: Money {
            amount_cents: o.amount_cents,
            currency: o.currency,
        },
        expires_at: o.expires_at,
        created_at: o.created_at,
        paid_at: o.paid_at,
        payment_reference: o.payment_reference,
        tickets,
    })
}

/// A new order row and what it is for.
pub(super) struct Insert<'a> {
    pub id: &'a str,
    pub channel: Channel,
    pub partner_id: Option<i64>,
    pub user_id: Option<i64>,
    pub reservation_id: Option<&'a str>,
    pub customer: &'a CustomerDetails,
    pub visit_date: &'a str,
    pub currency: &'a str,
    pub expires_at: &'a str,
}

pub(super) fn insert(
    tx: &Transaction<'_>,
    o: &Insert<'_>,
    lines: &[(i64, Line)],
) -> Result<(), AppError> {
    let amount: i64 = lines.iter().map(|(_, l)| l.subtotal_cents).sum();
    tx.prepare_cached(
        "INSERT INTO orders (id, channel, partner_id, user_id, reservation_id, customer_name, customer_email, customer_phone,
             visit_date, amount_cents, currency, status, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'PENDING_PAYMENT', ?12, ?13)",
    )?
    .execute(params![
        o.id,
        o.channel,
        o.partner_id,
        o.user_id,
        o.reservation_id,
        o.customer.name,
        o.customer.email,
        o.customer.phone,
        o.visit_date,
        amount,
        o.currency,
        o.expires_at,
        clock::to_db(clock::now()),
    ])?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO order_lines (order_id, line_no, product_id, customer_type, count, day_type, unit_price_cents, subtotal_cents)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (n, (product_id, l)) in lines.iter().enumerate() {
        stmt.execute(params![
            o.id,
            n as i64 + 1,
            product_id,
            l.customer_type,
            l.count,
            l.day_type,
            l.unit_price_cents,
            l.subtotal_cents
        ])?;
    }
    Ok(())
}

/// The order was paid and its tickets issued.
pub(super) fn mark_paid(tx: &Transaction<'_>, id: &str, reference: &str) -> Result<(), AppError> {
    settle_as(tx, id, OrderStatus::Paid, reference)
}

/// A late payment found the units gone: the payment is kept, the order waits for a refund.
pub(super) fn mark_refund_required(
    tx: &Transaction<'_>,
    id: &str,
    reference: &str,
) -> Result<(), AppError> {
    settle_as(tx, id, OrderStatus::RefundRequired, reference)
}

/// A paid order was called off and its tickets cancelled (the seller refunds the buyer).
pub(super) fn mark_cancelled(tx: &Transaction<'_>, id: &str) -> Result<(), AppError> {
    let changed = tx
        .prepare_cached("UPDATE orders SET status = 'CANCELLED' WHERE id = ?1 AND status = 'PAID'")?
        .execute([id])?;
    if changed == 1 {
        Ok(())
    } else {
        Err(AppError::invalid_state(
            "Only a paid order can be cancelled.",
        ))
    }
}

fn settle_as(
    tx: &Transaction<'_>,
    id: &str,
    status: OrderStatus,
    reference: &str,
) -> Result<(), AppError> {
    tx.prepare_cached(
        "UPDATE orders SET status = ?2, payment_reference = ?3, paid_at = ?4 WHERE id = ?1",
    )?
    .execute(params![id, status, reference, clock::to_db(clock::now())])?;
    Ok(())
}

/// Expires every hold whose time is up, in this order: the reservations (which give their units
/// back), then the unpaid orders — an OTA order expires with its reservation (whichever way that
/// expired), a direct order gives its own units back. Returns (reservations, direct orders).
pub(super) fn expire_due(
    tx: &Transaction<'_>,
    now: OffsetDateTime,
) -> Result<(usize, usize), AppError> {
    let reservations = reservations::expire_due(tx, now)?;
    let now_db = clock::to_db(now);
    tx.prepare_cached(
        "UPDATE orders SET status = 'EXPIRED'
         WHERE status = 'PENDING_PAYMENT' AND channel = 'ota'
           AND (SELECT r.status FROM reservations r WHERE r.id = orders.reservation_id) = 'EXPIRED'",
    )?
    .execute([])?;
    let direct: Vec<String> = tx
        .prepare_cached("SELECT id FROM orders WHERE status = 'PENDING_PAYMENT' AND channel = 'direct' AND expires_at <= ?1")?
        .query_map([&now_db], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in &direct {
        for (product_id, units) in units_by_product(tx, id)? {
            inventory::release(tx, product_id, Channel::Direct, units)?;
        }
        tx.prepare_cached("UPDATE orders SET status = 'EXPIRED' WHERE id = ?1")?
            .execute([id])?;
        audit::record(
            tx,
            Actor::System,
            None,
            "order.expire",
            ("order", id),
            serde_json::json!({}),
        )?;
    }
    Ok((reservations, direct.len()))
}

/// An order as a list shows it (the lookup, the refund queue).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct OrderSummary {
    pub order_id: String,
    pub channel: Channel,
    pub status: OrderStatus,
    pub partner_id: Option<i64>,
    pub partner_name: Option<String>,
    pub customer_name: String,
    pub customer_email: String,
    pub visit_date: String,
    pub amount_cents: i64,
    pub currency: String,
    pub payment_reference: Option<String>,
    pub created_at: String,
    pub paid_at: Option<String>,
    pub tickets: i64,
}

/// Order summaries matching `filter` (a WHERE clause over `o`, taking `args`), newest first.
pub(super) fn summaries(
    conn: &Connection,
    filter: &str,
    args: &[&dyn rusqlite::ToSql],
    limit: i64,
    offset: i64,
) -> Result<Vec<OrderSummary>, AppError> {
    let n = args.len();
    let sql = format!(
        "SELECT o.id, o.channel, o.status, o.partner_id, p.name, o.customer_name, o.customer_email, o.visit_date,
                o.amount_cents, o.currency, o.payment_reference, o.created_at, o.paid_at,
                (SELECT COUNT(*) FROM tickets t WHERE t.order_id = o.id)
         FROM orders o LEFT JOIN partners p ON p.id = o.partner_id
         WHERE {filter} ORDER BY o.created_at DESC, o.id LIMIT ?{} OFFSET ?{}",
        n + 1,
        n + 2
    );
    let mut all: Vec<&dyn rusqlite::ToSql> = args.to_vec();
    all.extend([&limit as &dyn rusqlite::ToSql, &offset]);
    Ok(conn
        .prepare_cached(&sql)?
        .query_map(all.as_slice(), |r| {
            Ok(OrderSummary {
                order_id: r.get(0)?,
                channel: r.get(1)?,
                status: r.get(2)?,
                partner_id: r.get(3)?,
                partner_name: r.get(4)?,
                customer_name: r.get(5)?,
                customer_email: r.get(6)?,
                visit_date: r.get(7)?,
                amount_cents: r.get(8)?,
                currency: r.get(9)?,
                payment_reference: r.get(10)?,
                created_at: r.get(11)?,
                paid_at: r.get(12)?,
                tickets: r.get(13)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// Orders in one status, newest first, and how many there are (the refund queue: orders paid
/// after their hold expired and the units were gone — the payment is kept, the money is owed).
pub fn list_by_status(
    db: &Db,
    status: OrderStatus,
    limit: i64,
    offset: i64,
) -> Result<(Vec<OrderSummary>, i64), AppError> {
    db.read(|c| {
        let total = c
            .prepare_cached("SELECT COUNT(*) FROM orders WHERE status = ?1")?
            .query_row([status], |r| r.get(0))?;
        Ok((
            summaries(c, "o.status = ?1", &[&status], limit, offset)?,
            total,
        ))
    })
}
