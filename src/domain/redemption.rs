//! Redemption at the pier: verify the QR token, then take one use of one function code in a single
//! conditional UPDATE, so two scanners can never both consume the last use. When every entitlement
//! is used up the ticket becomes USED. A repeated `scan_id` (a double tap, a retried request) gets
//! the first answer and consumes nothing more.

use rusqlite::{params, Transaction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::audit::{self, Actor};
use super::inventory;
use super::qr::QrSigner;
use super::tickets::{self, Owner};
use crate::clock;
use crate::db::ConnExt;
use crate::error::AppError;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct Scan {
    pub qr_token: String,
    pub function_code: String,
    #[serde(default)]
    pub session_code: Option<String>,
    #[serde(default)]
    pub venue_code: Option<String>,
    /// A client-chosen id of this scan; repeating it (same ticket, same function code) returns the
    /// first result. Reused for another ticket or function code: 422.
    #[serde(default)]
    pub scan_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Redeemed {
    pub ticket_code: String,
    pub function_code: String,
    pub remaining_uses: i64,
    pub ticket_status: String,
    pub redeemed_at: String,
}

fn validate(scan: &Scan) -> Result<(), AppError> {
    let short = |field: &str, v: &Option<String>| match v {
        Some(s) if s.is_empty() || s.len() > 100 || s.chars().any(char::is_control) => Err(
            AppError::validation(field, "must be 1 to 100 printable characters"),
        ),
        _ => Ok(()),
    };
    short("session_code", &scan.session_code)?;
    short("venue_code", &scan.venue_code)?;
    short("scan_id", &scan.scan_id)
}

/// The first answer to a repeated scan id, if this is the same scan: a token for the same ticket
/// (valid when the scan was first made, so a retry after the live token expired still gets its
/// answer) and the same function code. A scan id reused for another ticket or function code is
/// refused: answering it with the first scan's result would let a ticket in unredeemed.
fn replay(scan: &Scan, first: Redeemed, signer: &QrSigner) -> Result<Redeemed, AppError> {
    let at = clock::parse_rfc3339(&first.redeemed_at).unwrap_or_else(clock::now);
    let (code, _kind) = signer.verify(&scan.qr_token, at)?;
    if code != first.ticket_code || scan.function_code != first.function_code {
        return Err(AppError::validation(
            "scan_id",
            "already used for another ticket or function code",
        ));
    }
    Ok(first)
}

pub fn redeem(
    tx: &Transaction<'_>,
    scan: &Scan,
    user_id: i64,
    signer: &QrSigner,
) -> Result<Redeemed, AppError> {
    validate(scan)?;
    if let Some(scan_id) = &scan.scan_id {
        let first: Option<String> = tx.try_query_row(
            "SELECT response FROM redemptions WHERE scan_id = ?1",
            [scan_id],
            |r| r.get(0),
        )?;
        if let Some(first) = first {
            return replay(scan, serde_json::from_str(&first)?, signer);
        }
    }
    let (code, _kind) = signer.verify(&scan.qr_token, clock::now())?;
    let ticket = tickets::find(tx, &code, Owner::Operator).map_err(|_| AppError::QrInvalid)?;
    let known = tickets::remaining_uses(tx, ticket.id)?;
    if !known.iter().any(|e| e.function_code == scan.function_code) {
        let codes: Vec<&str> = known.iter().map(|e| e.function_code.as_str()).collect();
        return Err(AppError::validation(
            "function_code",
            format!("not in this package (expected one of {})", codes.join(", ")),
        ));
    }
    if ticket.status != "ACTIVE" {
        return Err(AppError::TicketNotActive(format!(
            "The ticket is {}.",
            ticket.status
        )));
    }
    let remaining: Option<i64> = tx.try_query_row(
        "UPDATE ticket_entitlements SET remaining_uses = remaining_uses - 1
         WHERE ticket_id = ?1 AND function_code = ?2 AND remaining_uses > 0 RETURNING remaining_uses",
        params![ticket.id, scan.function_code],
        |r| r.get(0),
    )?;
    let remaining = remaining.ok_or_else(|| {
        AppError::NoRemainingUses(format!(
            "No {} uses left on this ticket.",
            scan.function_code
        ))
    })?;
    let now = clock::to_db(clock::now());
    let left: i64 = tx.query_row(
        "SELECT SUM(remaining_uses) FROM ticket_entitlements WHERE ticket_id = ?1",
        [ticket.id],
        |r| r.get(0),
    )?;
    let status = if left == 0 {
        tx.prepare_cached("UPDATE tickets SET status = 'USED', used_at = ?2 WHERE id = ?1")?
            .execute(params![ticket.id, now])?;
        inventory::mark_used(tx, ticket.product_id, ticket.channel)?;
        "USED"
    } else {
        "ACTIVE"
    };
    let result = Redeemed {
        ticket_code: code.clone(),
        function_code: scan.function_code.clone(),
        remaining_uses: remaining,
        ticket_status: status.into(),
        redeemed_at: now.clone(),
    };
    tx.prepare_cached(
        "INSERT INTO redemptions (ticket_id, function_code, user_id, venue_code, session_code, scan_id, response, redeemed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![ticket.id, scan.function_code, user_id, scan.venue_code, scan.session_code, scan.scan_id, serde_json::to_string(&result)?, now])?;
    audit::record(
        tx,
        Actor::User(user_id),
        ticket.partner_id,
        "ticket.redeem",
        ("ticket", &code),
        serde_json::json!({"function_code": scan.function_code, "remaining_uses": remaining, "venue_code": scan.venue_code}),
    )?;
    Ok(result)
}
