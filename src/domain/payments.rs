//! Payments turn an order into tickets, exactly once, whichever way the payment is reported: the
//! gateway's signed webhook or the OTA's own activation call. Every report is recorded in the same
//! transaction as its effect; a payment that arrives after its hold expired is kept and issues
//! tickets only if stock can still be taken, otherwise the order is marked REFUND_REQUIRED.

use hmac::{KeyInit, Mac};
use rusqlite::{params, Transaction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::audit::{self, Actor};
use super::catalog;
use super::expiry;
use super::inventory;
use super::orders::{self, OrderRow};
use super::qr::QrSigner;
use super::tickets::{self, NewTicket, Owner, Ticket};
use crate::clock;
use crate::db::ConnExt;
use crate::error::AppError;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// How far the signature's timestamp may be from now, either way.
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Webhook,
    Activate,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Webhook => "webhook",
            Source::Activate => "activate",
        }
    }
}

/// What a successful settlement did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// Tickets issued now (or earlier, by the same payment reference).
    Paid { tickets_issued: i64 },
    /// The hold had expired and the stock was gone: payment kept, order marked for refund.
    RefundRequired,
}

/// A payment reference, wherever one is reported: 1 to 255 printable characters.
pub fn validate_reference(reference: &str) -> Result<(), AppError> {
    if reference.trim().is_empty()
        || reference.len() > 255
        || reference.chars().any(char::is_control)
    {
        return Err(AppError::validation(
            "payment_reference",
            "must be 1 to 255 printable characters",
        ));
    }
    Ok(())
}

/// One payment report as received.
struct Report<'a> {
    order_id: &'a str,
    reference: &'a str,
    status: &'a str,
    source: Source,
    amount: Option<(i64, &'a str)>,
}

fn record(
    tx: &Transaction<'_>,
    r: &Report<'_>,
    outcome: &str,
    response: &str,
) -> Result<(), AppError> {
    let (order_id, reference, status, source, amount) =
        (r.order_id, r.reference, r.status, r.source, r.amount);
    tx.prepare_cached(
        "INSERT OR IGNORE INTO payments (order_id, payment_reference, status, source, amount_cents, currency, outcome, response, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![order_id, reference, status, source.as_str(), amount.map(|a| a.0), amount.map(|a| a.1), outcome, response, clock::to_db(clock::now())])?;
    Ok(())
}

/// Takes the order's units: from its live hold, or, if the hold expired, from what is free now.
/// Returns false (nothing taken) when an expired order's units are no longer there.
fn take_units(tx: &Transaction<'_>, order: &OrderRow) -> Result<bool, AppError> {
    let units = orders::units_by_product(tx, &order.id)?;
    if order.status == "PENDING_PAYMENT" {
        for (product_id, n) in &units {
            inventory::sell_held(tx, *product_id, order.channel, *n)?;
        }
        return Ok(true);
    }
    // Inside this IMMEDIATE transaction nobody else writes, so checking every package first and
    // then selling is exact, and a multi-package order is taken whole or not at all.
    for (product_id, n) in &units {
        let free: i64 = tx.query_row(
            "SELECT allocated - held - sold FROM inventory WHERE product_id = ?1 AND channel = ?2",
            params![product_id, order.channel.as_str()],
            |r| r.get(0),
        )?;
        if free < *n {
            return Ok(false);
        }
    }
    for (product_id, n) in &units {
        inventory::sell_available(tx, *product_id, order.channel, *n)?;
    }
    Ok(true)
}

fn issue_tickets(tx: &Transaction<'_>, order: &OrderRow, reference: &str) -> Result<i64, AppError> {
    let mut issued = 0;
    for line in orders::lines(tx, &order.id)? {
        let entitlements = catalog::entitlements_of(tx, line.product_id)?;
        let ticket = NewTicket {
            product_id: line.product_id,
            channel: order.channel,
            partner_id: order.partner_id,
            user_id: order.user_id,
            order_id: Some(&order.id),
            batch_id: None,
            status: "ACTIVE",
            customer_type: Some(&line.customer_type),
            price_cents: Some(line.unit_price_cents),
            visit_date: Some(&order.visit_date),
            customer: Some(&order.customer),
            payment_reference: Some(reference),
        };
        for _ in 0..line.count {
            tickets::insert(tx, &ticket, &entitlements)?;
            issued += 1;
        }
    }
    Ok(issued)
}

/// Applies a successful payment to an order. Safe to repeat with the same reference; another
/// reference on a paid order is `ORDER_ALREADY_PAID`.
pub fn settle(
    tx: &Transaction<'_>,
    order_id: &str,
    reference: &str,
    actor: Actor,
) -> Result<Settled, AppError> {
    validate_reference(reference)?;
    let mut order = orders::row(tx, order_id)?.ok_or(AppError::NotFound)?;
    match order.status.as_str() {
        "PAID" | "REFUND_REQUIRED" if order.payment_reference.as_deref() != Some(reference) => {
            return Err(if order.status == "PAID" {
                AppError::OrderAlreadyPaid
            } else {
                AppError::invalid_state("The order is marked for refund.")
            });
        }
        "PAID" => {
            let n: i64 = tx.query_row(
                "SELECT COUNT(*) FROM tickets WHERE order_id = ?1",
                [order_id],
                |r| r.get(0),
            )?;
            return Ok(Settled::Paid { tickets_issued: n });
        }
        "REFUND_REQUIRED" => return Ok(Settled::RefundRequired),
        "CANCELLED" => return Err(AppError::invalid_state("The order is cancelled.")),
        _ => {}
    }
    // A hold that is due is expired first, so the late-payment rule below applies to it.
    expiry::release_due(tx, clock::now())?;
    order = orders::row(tx, order_id)?.ok_or(AppError::NotFound)?;
    let now = clock::to_db(clock::now());
    if !take_units(tx, &order)? {
        tx.prepare_cached("UPDATE orders SET status = 'REFUND_REQUIRED', payment_reference = ?2, paid_at = ?3 WHERE id = ?1")?
            .execute(params![order_id, reference, now])?;
        audit::record(
            tx,
            actor,
            order.partner_id,
            "order.refund_required",
            ("order", order_id),
            serde_json::json!({"payment_reference": reference}),
        )?;
        return Ok(Settled::RefundRequired);
    }
    let issued = issue_tickets(tx, &order, reference)?;
    tx.prepare_cached(
        "UPDATE orders SET status = 'PAID', payment_reference = ?2, paid_at = ?3 WHERE id = ?1",
    )?
    .execute(params![order_id, reference, now])?;
    if let Some(reservation_id) = &order.reservation_id {
        tx.prepare_cached(
            "UPDATE reservations SET status = 'ACTIVATED', updated_at = ?2 WHERE id = ?1",
        )?
        .execute(params![reservation_id, now])?;
    }
    audit::record(
        tx,
        actor,
        order.partner_id,
        "order.paid",
        ("order", order_id),
        serde_json::json!({"payment_reference": reference, "tickets_issued": issued, "late": order.status == "EXPIRED"}),
    )?;
    Ok(Settled::Paid {
        tickets_issued: issued,
    })
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct Activation {
    pub order_id: String,
    pub payment_reference: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ActivationResult {
    pub order_id: String,
    /// `success`, or `refund_required` when the hold had expired and the units were sold meanwhile
    /// (the payment is recorded; no tickets are issued).
    pub activation_status: String,
    pub tickets: Vec<Ticket>,
}

/// The OTA reports its own payment of one of its orders.
pub fn activate(
    tx: &Transaction<'_>,
    partner_id: i64,
    a: &Activation,
    signer: &QrSigner,
) -> Result<ActivationResult, AppError> {
    orders::owned_row(tx, &a.order_id, Owner::Partner(partner_id))
        .map_err(|_| AppError::validation("order_id", "no such order"))?;
    let settled = settle(
        tx,
        &a.order_id,
        &a.payment_reference,
        Actor::Partner(partner_id),
    )?;
    let outcome = if settled == Settled::RefundRequired {
        "refund_required"
    } else {
        "success"
    };
    let report = Report {
        order_id: &a.order_id,
        reference: &a.payment_reference,
        status: "SUCCESS",
        source: Source::Activate,
        amount: None,
    };
    record(tx, &report, outcome, "{}")?;
    let tickets = tickets::views(tx, &tickets::rows_of_order(tx, &a.order_id)?, signer)?;
    Ok(ActivationResult {
        order_id: a.order_id.clone(),
        activation_status: outcome.to_owned(),
        tickets,
    })
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct Notification {
    pub order_id: String,
    pub payment_reference: String,
    /// `SUCCESS` or `FAILED`.
    pub status: String,
    pub amount_cents: i64,
    pub currency: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct NotificationResult {
    pub order_id: String,
    pub order_status: String,
    pub tickets_issued: i64,
}

/// Checks `X-Gangway-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub fn verify_signature(
    secret: &str,
    header: Option<&str>,
    body: &[u8],
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let header = header.ok_or(AppError::Unauthenticated)?;
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1.push(v.to_owned()),
            _ => {}
        }
    }
    let t = t.ok_or(AppError::Unauthenticated)?;
    if now.unix_timestamp().abs_diff(t) > SIGNATURE_TOLERANCE_SECS.unsigned_abs() {
        return Err(AppError::Unauthenticated);
    }
    let expected = hex::encode(sign(secret, t, body));
    if v1
        .iter()
        .any(|v| crate::ids::constant_time_eq(v.as_bytes(), expected.as_bytes()))
    {
        Ok(())
    } else {
        Err(AppError::Unauthenticated)
    }
}

/// The gateway's signature of a body at time `t` (used by tests and by the gateway simulator).
pub fn sign(secret: &str, t: i64, body: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// Applies a gateway notification. The outer error rolls back (nothing recorded); the inner one is
/// an answer given after recording the notification (amount mismatch, paid twice), so a repeat of
/// the same notification gets the same answer and changes nothing.
pub fn notify(
    tx: &Transaction<'_>,
    n: &Notification,
) -> Result<Result<NotificationResult, AppError>, AppError> {
    validate_reference(&n.payment_reference)?;
    if n.status != "SUCCESS" && n.status != "FAILED" {
        return Err(AppError::validation("status", "must be SUCCESS or FAILED"));
    }
    let stored: Option<(String, String)> = tx.try_query_row(
        "SELECT outcome, response FROM payments WHERE order_id = ?1 AND payment_reference = ?2 AND status = ?3 AND source = 'webhook'",
        params![n.order_id, n.payment_reference, n.status],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if let Some((outcome, response)) = stored {
        return Ok(replay(&outcome, &response));
    }
    let order = orders::row(tx, &n.order_id)?.ok_or(AppError::NotFound)?;
    let report = Report {
        order_id: &n.order_id,
        reference: &n.payment_reference,
        status: &n.status,
        source: Source::Webhook,
        amount: Some((n.amount_cents, n.currency.as_str())),
    };
    let answer = |status: String, issued| NotificationResult {
        order_id: n.order_id.clone(),
        order_status: status,
        tickets_issued: issued,
    };
    if n.status == "FAILED" {
        let body = answer(order.status.clone(), 0);
        record(tx, &report, "failed", &serde_json::to_string(&body)?)?;
        audit::record(
            tx,
            Actor::Gateway,
            order.partner_id,
            "payment.failed",
            ("order", &n.order_id),
            serde_json::json!({"payment_reference": n.payment_reference}),
        )?;
        return Ok(Ok(body));
    }
    if n.amount_cents != order.amount_cents || n.currency != order.currency {
        let detail = format!(
            "expected {} {}, got {} {}",
            order.amount_cents, order.currency, n.amount_cents, n.currency
        );
        record(tx, &report, "mismatch", &detail)?;
        audit::record(
            tx,
            Actor::Gateway,
            order.partner_id,
            "payment.mismatch",
            ("order", &n.order_id),
            serde_json::json!({"detail": detail}),
        )?;
        return Ok(Err(AppError::validation("amount_cents", detail)));
    }
    match settle(tx, &n.order_id, &n.payment_reference, Actor::Gateway) {
        Ok(settled) => {
            let order = orders::row(tx, &n.order_id)?.ok_or(AppError::NotFound)?;
            let issued = match settled {
                Settled::Paid { tickets_issued } => tickets_issued,
                Settled::RefundRequired => 0,
            };
            let body = answer(order.status, issued);
            record(tx, &report, "settled", &serde_json::to_string(&body)?)?;
            Ok(Ok(body))
        }
        Err(AppError::OrderAlreadyPaid) => {
            record(tx, &report, "already_paid", "")?;
            audit::record(
                tx,
                Actor::Gateway,
                order.partner_id,
                "payment.duplicate",
                ("order", &n.order_id),
                serde_json::json!({"payment_reference": n.payment_reference}),
            )?;
            Ok(Err(AppError::OrderAlreadyPaid))
        }
        Err(e) => Err(e),
    }
}

fn replay(outcome: &str, response: &str) -> Result<NotificationResult, AppError> {
    match outcome {
        "mismatch" => Err(AppError::validation("amount_cents", response)),
        "already_paid" => Err(AppError::OrderAlreadyPaid),
        _ => serde_json::from_str(response).map_err(AppError::from),
    }
}
