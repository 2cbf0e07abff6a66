//! Orders: an OTA reservation turned into a priced order, or a direct customer's basket holding
//! units on the direct channel. Payment (payments.rs) turns either into tickets.

use rusqlite::{params, Connection, Transaction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Duration;

use super::audit::{self, Actor};
use super::catalog::{self, DayType, Line};
use super::expiry;
use super::inventory::Channel;
use super::qr::QrSigner;
use super::reservations::{self, PricingSnapshot};
use super::tickets::{self, CustomerDetails, Owner, Ticket};
use crate::clock;
use crate::db::ConnExt;
use crate::error::AppError;
use crate::ids;

pub const WEBHOOK_PATH: &str = "/payments/notify";

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct CustomerCount {
    pub customer_type: String,
    pub count: i64,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct PricingRequest {
    pub visit_date: String,
    pub customer_breakdown: Vec<CustomerCount>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct NewOtaOrder {
    pub reservation_id: String,
    pub customer_details: CustomerDetails,
    pub pricing_context: PricingRequest,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct DirectItem {
    pub product_id: i64,
    pub customer_type: String,
    pub count: i64,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct NewDirectOrder {
    pub visit_date: String,
    pub items: Vec<DirectItem>,
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
    /// `PENDING_PAYMENT`, `PAID`, `EXPIRED`, `CANCELLED` or `REFUND_REQUIRED`.
    pub status: String,
    pub visit_date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_details: Option<CustomerDetails>,
    pub lines: Vec<OrderLine>,
    pub payment_required: Money,
    /// Where the payment gateway reports the result (signed, see the Payments section).
    pub webhook_url: String,
    pub expires_at: String,
    pub created_at: String,
    pub paid_at: Option<String>,
    pub payment_reference: Option<String>,
    #[serde(default)]
    pub tickets: Vec<Ticket>,
}

/// The stored order, as payment and expiry need it.
#[derive(Debug, Clone)]
pub struct OrderRow {
    pub id: String,
    pub channel: Channel,
    pub partner_id: Option<i64>,
    pub user_id: Option<i64>,
    pub reservation_id: Option<String>,
    pub status: String,
    pub amount_cents: i64,
    pub currency: String,
    pub payment_reference: Option<String>,
    pub visit_date: String,
    pub customer: CustomerDetails,
    pub expires_at: String,
    pub created_at: String,
    pub paid_at: Option<String>,
}

pub fn row(conn: &Connection, id: &str) -> Result<Option<OrderRow>, AppError> {
    conn.try_query_row(
        "SELECT id, channel, partner_id, user_id, reservation_id, status, amount_cents, currency, payment_reference,
                visit_date, customer_name, customer_email, customer_phone, expires_at, created_at, paid_at
         FROM orders WHERE id = ?1",
        [id],
        |r| {
            Ok(OrderRow {
                id: r.get(0)?,
                channel: Channel::parse(&r.get::<_, String>(1)?),
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
pub fn owned_row(conn: &Connection, id: &str, owner: Owner) -> Result<OrderRow, AppError> {
    row(conn, id)?
        .filter(|o| owner.owns(o.partner_id, o.user_id))
        .ok_or(AppError::NotFound)
}

pub fn lines(conn: &Connection, order_id: &str) -> Result<Vec<OrderLine>, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT product_id, customer_type, count, day_type, unit_price_cents, subtotal_cents
             FROM order_lines WHERE order_id = ?1 ORDER BY line_no",
        )?
        .query_map([order_id], |r| {
            let day: String = r.get(3)?;
            Ok(OrderLine {
                product_id: r.get(0)?,
                customer_type: r.get(1)?,
                count: r.get(2)?,
                day_type: if day == "weekend" {
                    DayType::Weekend
                } else {
                    DayType::Weekday
                },
                unit_price_cents: r.get(4)?,
                subtotal_cents: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// Units per package of an order, as its lines say.
pub fn units_by_product(conn: &Connection, order_id: &str) -> Result<Vec<(i64, i64)>, AppError> {
    Ok(conn
        .prepare_cached("SELECT product_id, SUM(count) FROM order_lines WHERE order_id = ?1 GROUP BY product_id ORDER BY product_id")?
        .query_map([order_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// The order as its owner sees it, with its tickets once issued.
pub fn view(
    conn: &Connection,
    id: &str,
    owner: Owner,
    signer: &QrSigner,
) -> Result<Order, AppError> {
    let o = owned_row(conn, id, owner)?;
    let status = if o.status == "PENDING_PAYMENT" && o.expires_at <= clock::to_db(clock::now()) {
        "EXPIRED".to_owned()
    } else {
        o.status.clone()
    };
    let tickets = tickets::views(conn, &tickets::rows_of_order(conn, id)?, signer)?;
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
        webhook_url: WEBHOOK_PATH.to_owned(),
        expires_at: o.expires_at,
        created_at: o.created_at,
        paid_at: o.paid_at,
        payment_reference: o.payment_reference,
        tickets,
    })
}

struct Insert<'a> {
    id: &'a str,
    channel: Channel,
    partner_id: Option<i64>,
    user_id: Option<i64>,
    reservation_id: Option<&'a str>,
    customer: &'a CustomerDetails,
    visit_date: &'a str,
    currency: &'a str,
    expires_at: &'a str,
}

fn insert(tx: &Transaction<'_>, o: &Insert<'_>, lines: &[(i64, Line)]) -> Result<(), AppError> {
    let amount: i64 = lines.iter().map(|(_, l)| l.subtotal_cents).sum();
    tx.prepare_cached(
        "INSERT INTO orders (id, channel, partner_id, user_id, reservation_id, customer_name, customer_email, customer_phone,
             visit_date, amount_cents, currency, status, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'PENDING_PAYMENT', ?12, ?13)",
    )?
    .execute(params![
        o.id,
        o.channel.as_str(),
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
            l.day_type.as_str(),
            l.unit_price_cents,
            l.subtotal_cents
        ])?;
    }
    Ok(())
}

/// Turns a partner's live reservation into an order priced from its snapshot.
pub fn create_ota(
    tx: &Transaction<'_>,
    partner_id: i64,
    req: &NewOtaOrder,
    signer: &QrSigner,
) -> Result<Order, AppError> {
    req.customer_details.validate("customer_details")?;
    let reservation =
        reservations::get(tx, partner_id, &req.reservation_id).map_err(|e| match e {
            AppError::NotFound => AppError::validation("reservation_id", "no such reservation"),
            e => e,
        })?;
    if reservation.status != "ACTIVE" {
        return Err(AppError::ReservationNotActive(format!(
            "The reservation is {}.",
            reservation.status
        )));
    }
    let visit = catalog::parse_visit_date(
        &req.pricing_context.visit_date,
        "pricing_context.visit_date",
    )?;
    let breakdown: Vec<(String, i64)> = req
        .pricing_context
        .customer_breakdown
        .iter()
        .map(|c| (c.customer_type.clone(), c.count))
        .collect();
    let PricingSnapshot {
        prices, currency, ..
    } = &reservation.pricing_snapshot;
    let day = catalog::day_type(visit, &catalog::holidays(tx)?);
    let priced = catalog::price_lines(
        prices,
        &breakdown,
        day,
        "pricing_context.customer_breakdown",
    )?;
    let units: i64 = priced.iter().map(|l| l.count).sum();
    if units != reservation.quantity {
        return Err(AppError::validation(
            "pricing_context.customer_breakdown",
            format!(
                "counts add up to {units} but the reservation holds {}",
                reservation.quantity
            ),
        ));
    }
    let id = ids::new_uuid();
    let lines: Vec<(i64, Line)> = priced
        .into_iter()
        .map(|l| (reservation.product_id, l))
        .collect();
    insert(
        tx,
        &Insert {
            id: &id,
            channel: Channel::Ota,
            partner_id: Some(partner_id),
            user_id: None,
            reservation_id: Some(&reservation.reservation_id),
            customer: &req.customer_details,
            visit_date: &clock::date_to_db(visit),
            currency,
            expires_at: &reservation.reserved_until,
        },
        &lines,
    )?;
    tx.prepare_cached("UPDATE reservations SET status = 'ORDERED', updated_at = ?2 WHERE id = ?1")?
        .execute(params![
            reservation.reservation_id,
            clock::to_db(clock::now())
        ])?;
    audit::record(
        tx,
        Actor::Partner(partner_id),
        Some(partner_id),
        "order.create",
        ("order", &id),
        serde_json::json!({"reservation_id": reservation.reservation_id, "amount_cents": catalog::total_cents(&lines.iter().map(|l| l.1.clone()).collect::<Vec<_>>())}),
    )?;
    view(tx, &id, Owner::Partner(partner_id), signer)
}

/// A customer's basket: units held on the direct channel for `hold_minutes`, until paid.
pub fn create_direct(
    tx: &Transaction<'_>,
    user: (i64, &str, &str),
    req: &NewDirectOrder,
    hold_minutes: i64,
    currency: &str,
    signer: &QrSigner,
) -> Result<Order, AppError> {
    let (user_id, name, email) = user;
    if req.items.is_empty() || req.items.len() > 50 {
        return Err(AppError::validation("items", "between 1 and 50 items"));
    }
    let visit = catalog::parse_visit_date(&req.visit_date, "visit_date")?;
    let day = catalog::day_type(visit, &catalog::holidays(tx)?);
    let mut lines: Vec<(i64, Line)> = Vec::new();
    for item in &req.items {
        let product = catalog::product(tx, item.product_id, "items.product_id")?;
        let priced = catalog::price_lines(
            &product.prices,
            &[(item.customer_type.clone(), item.count)],
            day,
            "items",
        )?;
        lines.extend(priced.into_iter().map(|l| (item.product_id, l)));
    }
    let mut per_product: Vec<(i64, i64)> = Vec::new();
    for (product_id, l) in &lines {
        match per_product.iter_mut().find(|(p, _)| p == product_id) {
            Some((_, n)) => *n += l.count,
            None => per_product.push((*product_id, l.count)),
        }
    }
    for (product_id, units) in &per_product {
        if *units > reservations::MAX_QUANTITY {
            return Err(AppError::validation(
                "items",
                "at most 5000 units per package",
            ));
        }
        expiry::hold_reclaiming_overdue(tx, *product_id, Channel::Direct, *units)?;
    }
    let id = ids::new_uuid();
    let customer = CustomerDetails {
        name: name.to_owned(),
        email: email.to_owned(),
        phone: None,
    };
    let expires_at = clock::to_db(clock::now() + Duration::minutes(hold_minutes));
    insert(
        tx,
        &Insert {
            id: &id,
            channel: Channel::Direct,
            partner_id: None,
            user_id: Some(user_id),
            reservation_id: None,
            customer: &customer,
            visit_date: &clock::date_to_db(visit),
            currency,
            expires_at: &expires_at,
        },
        &lines,
    )?;
    audit::record(
        tx,
        Actor::User(user_id),
        None,
        "order.create",
        ("order", &id),
        serde_json::json!({"units": per_product}),
    )?;
    view(tx, &id, Owner::User(user_id), signer)
}
