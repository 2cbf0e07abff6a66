//! Redemption at the pier (the `redemptions` table): verify the QR token, then take one use of one
//! function code in a single conditional UPDATE, so two scanners can never both consume the last
//! use. When every entitlement is used up the ticket becomes USED. A repeated `scan_id` (a double
//! tap, a retried request) gets the first answer and consumes nothing more.

use rusqlite::{params, Transaction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::audit::{self, Actor};
use super::qr::QrSigner;
use super::tickets::rows::{self as ticket_rows, TicketStatus};
use super::tickets::Owner;
use super::values;
use super::Ctx;
use crate::clock;
use crate::db::{ConnExt, Pending};
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
    pub ticket_status: TicketStatus,
    pub redeemed_at: String,
}

fn validate(scan: &Scan) -> Result<(), AppError> {
    values::printable(&scan.session_code, "session_code", 100)?;
    values::printable(&scan.venue_code, "venue_code", 100)?;
    values::printable(&scan.scan_id, "scan_id", 100)
}

/// The first answer to a repeated scan id, if this is the same scan: a token for the same ticket
/// (valid when the scan was first made, so a retry after the live token expired still gets its
/// answer) and the same function code. A scan id reused for another ticket or function code is
/// refused: answering it with the first scan's result would let a ticket in unredeemed.
fn replay(scan: &Scan, first: Redeemed, signer: &QrSigner) -> Result<Redeemed, AppError> {
    let at = clock::from_db(&first.redeemed_at, "redemptions.response")?;
    let (code, _kind) = signer.verify(&scan.qr_token, at)?;
    if code != first.ticket_code || scan.function_code != first.function_code {
        return Err(AppError::validation(
            "scan_id",
            "already used for another ticket or function code",
        ));
    }
    Ok(first)
}

/// A scanner at the pier redeems one use of one function code.
pub fn redeem(ctx: &Ctx, scan: Scan, user_id: i64) -> Pending<Redeemed> {
    if let Err(e) = validate(&scan) {
        return Pending::ready(Err(e));
    }
    let signer = ctx.qr.clone();
    ctx.db
        .submit(move |tx| redeem_step(tx, &scan, user_id, &signer))
}

fn redeem_step(
    tx: &Transaction<'_>,
    scan: &Scan,
    user_id: i64,
    signer: &QrSigner,
) -> Result<Redeemed, AppError> {
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
    let ticket = ticket_rows::find(tx, &code, Owner::Operator).map_err(|_| AppError::QrInvalid)?;
    let known = ticket_rows::remaining_uses(tx, ticket.id)?;
    if !known.iter().any(|e| e.function_code == scan.function_code) {
        let codes: Vec<&str> = known.iter().map(|e| e.function_code.as_str()).collect();
        return Err(AppError::validation(
            "function_code",
            format!("not in this package (expected one of {})", codes.join(", ")),
        ));
    }
    if ticket.status != TicketStatus::Active {
        return Err(AppError::TicketNotActive(format!(
            "The ticket is {}.",
            ticket.status
        )));
    }
    let remaining = ticket_rows::take_use(tx, ticket.id, &scan.function_code)?;
    let remaining = remaining.ok_or_else(|| {
        AppError::NoRemainingUses(format!(
            "No {} uses left on this ticket.",
            scan.function_code
        ))
    })?;
    let now = clock::to_db(clock::now());
    let status = ticket_rows::finish_if_used_up(tx, &ticket, &now)?;
    let result = Redeemed {
        ticket_code: code.clone(),
        function_code: scan.function_code.clone(),
        remaining_uses: remaining,
        ticket_status: status,
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
