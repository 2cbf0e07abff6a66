//! Payments (the `payments` table) turn an order into tickets, exactly once, whichever way the
//! payment is reported: the gateway's signed webhook (`gateway.rs`) or the OTA's own activation
//! call. Every report is recorded in the same transaction as its effect; a payment that arrives
//! after its hold expired is kept and issues tickets only if stock can still be taken, otherwise
//! the order is marked REFUND_REQUIRED.

use rusqlite::{params, Transaction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::audit::{self, Actor};
use super::catalog;
use super::idempotency::{self, IdempotencyKey};
use super::inventory;
use super::orders::{self, OrderRow, OrderStatus};
use super::reservations;
use super::tickets::rows::{self as ticket_rows, NewTicket, TicketStatus};
use super::tickets::{views as ticket_views, Owner, Ticket};
use super::values;
use super::Ctx;
use crate::clock;
use crate::db::{text_enum, Pending};
use crate::error::AppError;

text_enum! {
    /// How a payment was reported.
    pub enum Source in "payments.source" {
        Webhook = "webhook", Activate = "activate", TicketActivate = "ticket_activate",
    }
}

/// What a successful settlement did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Settled {
    /// Tickets issued now (or earlier, by the same payment reference).
    Paid { tickets_issued: i64 },
    /// The hold had expired and the stock was gone: payment kept, order marked for refund.
    RefundRequired,
}

/// One payment report as received.
pub(super) struct Report<'a> {
    pub order_id: &'a str,
    pub reference: &'a str,
    pub status: &'a str,
    pub source: Source,
    pub amount: Option<(i64, &'a str)>,
}

/// Keeps a report and the answer it got (the first one wins; a repeat changes nothing).
pub(super) fn record(
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
    .execute(params![order_id, reference, status, source, amount.map(|a| a.0), amount.map(|a| a.1), outcome, response, clock::to_db(clock::now())])?;
    Ok(())
}

/// Takes the order's units: from its live hold, or, if the hold expired, from what is free now.
/// Returns false (nothing taken) when an expired order's units are no longer there.
fn take_units(tx: &Transaction<'_>, order: &OrderRow) -> Result<bool, AppError> {
    let units = orders::units_by_product(tx, &order.id)?;
    if order.status == OrderStatus::PendingPayment {
        for (product_id, n) in &units {
            inventory::sell_held(tx, *product_id, order.channel, *n)?;
        }
        return Ok(true);
    }
    // A multi-package order is taken whole or not at all.
    inventory::sell_available_all(tx, order.channel, &units)
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
            status: TicketStatus::Active,
            customer_type: Some(&line.customer_type),
            price_cents: Some(line.unit_price_cents),
            visit_date: Some(&order.visit_date),
            customer: Some(&order.customer),
            payment_reference: Some(reference),
        };
        for _ in 0..line.count {
            ticket_rows::insert(tx, &ticket, &entitlements)?;
            issued += 1;
        }
    }
    Ok(issued)
}

/// Applies a successful payment to an order. Safe to repeat with the same reference; another
/// reference on a paid order is `ORDER_ALREADY_PAID`.
pub(super) fn settle(
    tx: &Transaction<'_>,
    order_id: &str,
    reference: &str,
    actor: Actor,
) -> Result<Settled, AppError> {
    values::payment_reference(reference)?;
    let mut order = orders::row(tx, order_id)?.ok_or(AppError::NotFound)?;
    let paid_with_this = order.payment_reference.as_deref() == Some(reference);
    match order.status {
        OrderStatus::Paid if paid_with_this => {
            let n = ticket_rows::count_of_order(tx, order_id)?;
            return Ok(Settled::Paid { tickets_issued: n });
        }
        OrderStatus::Paid => return Err(AppError::OrderAlreadyPaid),
        OrderStatus::RefundRequired if paid_with_this => return Ok(Settled::RefundRequired),
        OrderStatus::RefundRequired => {
            return Err(AppError::invalid_state("The order is marked for refund."))
        }
        OrderStatus::Cancelled => return Err(AppError::invalid_state("The order is cancelled.")),
        OrderStatus::PendingPayment | OrderStatus::Expired => {}
    }
    // A hold that is due is expired first, so the late-payment rule below applies to it.
    orders::expire_due(tx, clock::now())?;
    order = orders::row(tx, order_id)?.ok_or(AppError::NotFound)?;
    if !take_units(tx, &order)? {
        orders::mark_refund_required(tx, order_id, reference)?;
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
    orders::mark_paid(tx, order_id, reference)?;
    if let Some(reservation_id) = &order.reservation_id {
        reservations::mark_activated(tx, reservation_id)?;
    }
    audit::record(
        tx,
        actor,
        order.partner_id,
        "order.paid",
        ("order", order_id),
        serde_json::json!({"payment_reference": reference, "tickets_issued": issued, "late": order.status == OrderStatus::Expired}),
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

/// The OTA reports its own payment of one of its orders. With an idempotency key, a retry
/// returns the first answer.
pub fn activate(
    ctx: &Ctx,
    partner_id: i64,
    a: Activation,
    key: Option<IdempotencyKey>,
) -> Pending<ActivationResult> {
    let signer = ctx.qr.clone();
    ctx.db.submit(move |tx| {
        idempotency::once(tx, partner_id, key.as_ref(), |tx| {
            let outcome = pay_order(tx, partner_id, &a)?;
            let rows = ticket_rows::rows_of_order(tx, &a.order_id)?;
            Ok(ActivationResult {
                order_id: a.order_id.clone(),
                activation_status: outcome.to_owned(),
                tickets: ticket_views::views(tx, &rows, &signer)?,
            })
        })
    })
}

/// The step of an activation: settles the partner's order and records the report. Returns
/// `success` or `refund_required`.
pub(super) fn pay_order(
    tx: &Transaction<'_>,
    partner_id: i64,
    a: &Activation,
) -> Result<&'static str, AppError> {
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
    Ok(outcome)
}
