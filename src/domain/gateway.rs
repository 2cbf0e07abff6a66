//! The payment gateway's webhook: HMAC-signed notifications of payment results, for direct and
//! OTA orders alike. Duplicates get the first answer; an amount or currency mismatch is recorded
//! and refused.

use hmac::{KeyInit, Mac};
use rusqlite::{params, Transaction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::audit::{self, Actor};
use super::orders::{self, OrderStatus};
use super::payments::{self, Report, Settled, Source};
use super::values;
use super::Ctx;
use crate::db::{ConnExt, Pending};
use crate::error::AppError;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// How far the signature's timestamp may be from now, either way.
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;

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
    pub order_status: OrderStatus,
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

/// A notification from the gateway: its signature is checked against the exact body, then it
/// is applied in one transaction. The inner `Err` is an answer given after the notification was
/// recorded (amount mismatch, paid twice): it committed, and a repeat gets the same answer.
pub fn notify(
    ctx: &Ctx,
    signature: Option<&str>,
    body: &[u8],
    n: Notification,
) -> Pending<Result<NotificationResult, AppError>> {
    if let Err(e) = verify_signature(&ctx.webhook_secret, signature, body, crate::clock::now()) {
        return Pending::ready(Err(e));
    }
    ctx.db.submit(move |tx| apply(tx, &n))
}

/// Applies a gateway notification. The outer error rolls back (nothing recorded); the inner one is
/// an answer given after recording the notification (amount mismatch, paid twice), so a repeat of
/// the same notification gets the same answer and changes nothing.
fn apply(
    tx: &Transaction<'_>,
    n: &Notification,
) -> Result<Result<NotificationResult, AppError>, AppError> {
    values::payment_reference(&n.payment_reference)?;
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
    let answer = |status: OrderStatus, issued| NotificationResult {
        order_id: n.order_id.clone(),
        order_status: status,
        tickets_issued: issued,
    };
    if n.status == "FAILED" {
        let body = answer(order.status, 0);
        payments::record(tx, &report, "failed", &serde_json::to_string(&body)?)?;
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
        payments::record(tx, &report, "mismatch", &detail)?;
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
    match payments::settle(tx, &n.order_id, &n.payment_reference, Actor::Gateway) {
        Ok(settled) => {
            let order = orders::row(tx, &n.order_id)?.ok_or(AppError::NotFound)?;
            let issued = match settled {
                Settled::Paid { tickets_issued } => tickets_issued,
                Settled::RefundRequired => 0,
            };
            let body = answer(order.status, issued);
            payments::record(tx, &report, "settled", &serde_json::to_string(&body)?)?;
            Ok(Ok(body))
        }
        Err(AppError::OrderAlreadyPaid) => {
            payments::record(tx, &report, "already_paid", "")?;
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
