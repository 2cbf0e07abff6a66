//! Redemption at the pier (the `redemptions` table): verify the QR token, check that the ticket may
//! enter today, then take one use of one function code in a single conditional UPDATE, so two
//! scanners can never both consume the last use. When every entitlement is used up the ticket
//! becomes USED. A repeated `scan_id` (a double tap, a retried request) gets the first answer and
//! consumes nothing more.
//!
//! A dated ticket enters only on its visit date, in the venue's local day, give or take
//! `visit_grace_days`: its price depended on that day (weekday, weekend, holiday). Staff — not
//! venue scanners — may let it in on another day with `override_visit_date`, audited as
//! `ticket.redeem_override`. An open-dated voucher (no visit date) enters any day once sold.
//!
//! Every answer about a genuine ticket carries its card (package, customer type, holder, visit
//! date, uses left) and says in plain words why it was refused. A forged, expired or unreadable
//! token is refused before any ticket is read, so it learns nothing.

use rusqlite::{params, Transaction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;

use super::audit::{self, Actor};
use super::qr::QrSigner;
use super::tickets::card::{self as ticket_card, TicketCard};
use super::tickets::rows::{self as ticket_rows, TicketRow, TicketStatus};
use super::tickets::Owner;
use super::users::Role;
use super::values;
use super::venue::VenueClock;
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
    /// Staff and admins only (a venue scanner gets 403): redeem a dated ticket outside its visit
    /// date. Audited as `ticket.redeem_override`.
    #[serde(default)]
    pub override_visit_date: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Redeemed {
    pub ticket_code: String,
    pub function_code: String,
    pub remaining_uses: i64,
    pub ticket_status: TicketStatus,
    pub redeemed_at: String,
    /// The ticket as the gate shows it, after this use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<TicketCard>,
    /// True when staff let a dated ticket in outside its visit date.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub visit_date_overridden: bool,
}

/// Who scans: the audit log's user, and the role that decides whether they may override.
#[derive(Debug, Clone, Copy)]
pub struct Scanner {
    pub user_id: i64,
    pub role: Role,
}

impl Scanner {
    fn may_override_visit_date(self) -> bool {
        matches!(self.role, Role::Staff | Role::Admin)
    }
}

/// A refused scan: why, and — only for a genuine ticket — its card, for the scanner to show.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub error: AppError,
    pub ticket: Option<Box<TicketCard>>,
}

impl From<AppError> for Refusal {
    fn from(error: AppError) -> Refusal {
        Refusal {
            error,
            ticket: None,
        }
    }
}

/// What the gate checks against: the token signer, the venue's day and its grace.
struct Gate {
    signer: QrSigner,
    venue: VenueClock,
    grace_days: i64,
}

fn validate(scan: &Scan, by: Scanner) -> Result<(), AppError> {
    values::printable(&scan.session_code, "session_code", 100)?;
    values::printable(&scan.venue_code, "venue_code", 100)?;
    values::printable(&scan.scan_id, "scan_id", 100)?;
    if scan.override_visit_date && !by.may_override_visit_date() {
        return Err(AppError::Forbidden(
            "Only staff may let a ticket in outside its visit date.".into(),
        ));
    }
    Ok(())
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
/// Queued for the writer without waiting (async code awaits the answer, blocking code `wait`s);
/// see [`answer`] for the one result it comes to.
pub fn redeem(ctx: &Ctx, scan: Scan, by: Scanner) -> Pending<Outcome> {
    if let Err(e) = validate(&scan, by) {
        return Pending::ready(Ok(Err(e.into())));
    }
    let gate = Gate {
        signer: ctx.qr.clone(),
        venue: ctx.venue.clone(),
        grace_days: ctx.config.visit_grace_days,
    };
    ctx.db.submit(move |tx| redeem_step(tx, &scan, by, &gate))
}

/// What a scan comes to: redeemed, or refused (with the ticket's card when it is genuine).
pub type Outcome = Result<Redeemed, Refusal>;

/// The outcome of a committed (or failed) redemption job.
pub fn answer(committed: Result<Outcome, AppError>) -> Outcome {
    committed.map_err(Refusal::from)?
}

/// `Err` is a failure that rolls back; `Ok(Err(refusal))` is an answer that changed nothing.
fn redeem_step(
    tx: &Transaction<'_>,
    scan: &Scan,
    by: Scanner,
    gate: &Gate,
) -> Result<Outcome, AppError> {
    if let Some(scan_id) = &scan.scan_id {
        let first: Option<String> = tx.try_query_row(
            "SELECT response FROM redemptions WHERE scan_id = ?1",
            [scan_id],
            |r| r.get(0),
        )?;
        if let Some(first) = first {
            return replay(scan, serde_json::from_str(&first)?, &gate.signer).map(Ok);
        }
    }
    let (code, _kind) = gate.signer.verify(&scan.qr_token, clock::now())?;
    let ticket = ticket_rows::find(tx, &code, Owner::Operator).map_err(|_| AppError::QrInvalid)?;
    let card = ticket_card::card(tx, &ticket)?;
    let overridden = match admit(&ticket, &card, scan, gate) {
        Ok(overridden) => overridden,
        Err(error) => return Ok(Err(refusal(error, card))),
    };
    // Inside this IMMEDIATE transaction nobody else writes, so `admit` saw the true count; the
    // conditional UPDATE stays the guarantee.
    let Some(remaining) = ticket_rows::take_use(tx, ticket.id, &scan.function_code)? else {
        return Ok(Err(refusal(used_up(&card, scan, &gate.venue), card)));
    };
    let now = clock::to_db(clock::now());
    let status = ticket_rows::finish_if_used_up(tx, &ticket, &now)?;
    let mut after = ticket_card::card(tx, &ticket_rows::find(tx, &code, Owner::Operator)?)?;
    // This use is recorded below, with the answer that names it.
    for e in after.entitlements.iter_mut() {
        if e.function_code == scan.function_code {
            e.last_used_at = Some(now.clone());
        }
    }
    let result = Redeemed {
        ticket_code: code.clone(),
        function_code: scan.function_code.clone(),
        remaining_uses: remaining,
        ticket_status: status,
        redeemed_at: now.clone(),
        ticket: Some(after),
        visit_date_overridden: overridden,
    };
    record(tx, &ticket, scan, by, &result, gate)?;
    Ok(Ok(result))
}

fn refusal(error: AppError, card: TicketCard) -> Refusal {
    Refusal {
        error,
        ticket: Some(Box::new(card)),
    }
}

/// The redemption row and its audit row.
fn record(
    tx: &Transaction<'_>,
    ticket: &TicketRow,
    scan: &Scan,
    by: Scanner,
    result: &Redeemed,
    gate: &Gate,
) -> Result<(), AppError> {
    tx.prepare_cached(
        "INSERT INTO redemptions (ticket_id, function_code, user_id, venue_code, session_code, scan_id, response, redeemed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![ticket.id, scan.function_code, by.user_id, scan.venue_code, scan.session_code, scan.scan_id, serde_json::to_string(result)?, result.redeemed_at])?;
    let mut summary = serde_json::json!({"function_code": scan.function_code, "remaining_uses": result.remaining_uses, "venue_code": scan.venue_code});
    let action = if result.visit_date_overridden {
        summary["visit_date"] = serde_json::json!(ticket.visit_date);
        summary["venue_today"] = serde_json::json!(clock::date_to_db(gate.venue.today()));
        "ticket.redeem_override"
    } else {
        "ticket.redeem"
    };
    audit::record(
        tx,
        Actor::User(by.user_id),
        ticket.partner_id,
        action,
        ("ticket", &ticket.code),
        summary,
    )
}

/// Whether the ticket may take a use of the scanned function now, and whether that needs the
/// visit-date override. The checks run in the order staff want to hear them.
fn admit(
    ticket: &TicketRow,
    card: &TicketCard,
    scan: &Scan,
    gate: &Gate,
) -> Result<bool, AppError> {
    let Some(entitlement) = card.entitlement(&scan.function_code) else {
        let names: Vec<&str> = card.entitlements.iter().map(|e| e.name.as_str()).collect();
        return Err(AppError::validation(
            "function_code",
            format!(
                "not on this ticket: {} includes {}",
                card.headline.product_name,
                names.join(", ")
            ),
        ));
    };
    if ticket.status != TicketStatus::Active {
        return Err(AppError::TicketNotActive(not_active(ticket, &gate.venue)?));
    }
    if entitlement.remaining_uses == 0 {
        return Err(used_up(card, scan, &gate.venue));
    }
    let Some(visit) = &ticket.visit_date else {
        return Ok(false);
    };
    let visit = clock::date_from_db(visit, "tickets.visit_date")?;
    let today = gate.venue.today();
    if on_visit_date(visit, today, gate.grace_days) {
        return Ok(false);
    }
    if scan.override_visit_date {
        return Ok(true);
    }
    Err(AppError::WrongVisitDate(wrong_date(
        visit,
        today,
        gate.grace_days,
    )))
}

/// A ticket dated `visit` enters on the venue's `today` if it is within `grace` days of it.
fn on_visit_date(visit: Date, today: Date, grace: i64) -> bool {
    (today - visit).whole_days().abs() <= grace
}

fn wrong_date(visit: Date, today: Date, grace: i64) -> String {
    let (visit_s, today_s) = (clock::date_to_db(visit), clock::date_to_db(today));
    let window = if grace > 0 {
        let span = time::Duration::days(grace);
        format!(
            " (it is valid from {} to {})",
            clock::date_to_db(visit - span),
            clock::date_to_db(visit + span)
        )
    } else {
        String::new()
    };
    let when = if visit > today {
        "not yet valid"
    } else {
        "no longer valid"
    };
    format!("This ticket is for {visit_s}{window}: {when} today, {today_s}.")
}

/// "Already used at 09:12 for Ferry ride (round trip)."
fn used_up(card: &TicketCard, scan: &Scan, venue: &VenueClock) -> AppError {
    let Some(e) = card.entitlement(&scan.function_code) else {
        return AppError::NoRemainingUses(format!("No {} uses left.", scan.function_code));
    };
    let when = e
        .last_used_at
        .as_deref()
        .and_then(clock::parse_rfc3339)
        .map(|t| venue.when(t));
    AppError::NoRemainingUses(match (when, e.total_uses) {
        (Some(when), 1) => format!("Already used at {when} for {}.", e.name),
        (Some(when), n) => format!("All {n} uses of {} are taken; the last at {when}.", e.name),
        (None, _) => format!("No uses of {} are left on this ticket.", e.name),
    })
}

/// Why a ticket that is not ACTIVE cannot enter, in the gate's words.
fn not_active(ticket: &TicketRow, venue: &VenueClock) -> Result<String, AppError> {
    let at = |t: &Option<String>, column: &str| -> Result<String, AppError> {
        Ok(match t {
            Some(t) => format!(" at {}", venue.when(clock::from_db(t, column)?)),
            None => String::new(),
        })
    };
    Ok(match ticket.status {
        TicketStatus::PreGenerated => {
            "This voucher has not been sold yet; it enters once the reseller activates it.".into()
        }
        TicketStatus::Cancelled => format!(
            "This ticket was cancelled{}.",
            at(&ticket.cancelled_at, "tickets.cancelled_at")?
        ),
        TicketStatus::Used => format!(
            "This ticket is used up: every entitlement was redeemed, the last{}.",
            at(&ticket.used_at, "tickets.used_at")?
        ),
        TicketStatus::Expired => "This ticket has expired.".into(),
        TicketStatus::Active => "The ticket is ACTIVE.".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_dated_ticket_enters_on_its_day_give_or_take_the_grace() {
        let visit = date!(2027 - 01 - 01);
        assert!(on_visit_date(visit, visit, 0));
        assert!(!on_visit_date(visit, date!(2026 - 12 - 02), 0));
        assert!(!on_visit_date(visit, date!(2027 - 01 - 02), 0));
        assert!(on_visit_date(visit, date!(2027 - 01 - 02), 1));
        assert!(on_visit_date(visit, date!(2026 - 12 - 31), 1));
        assert!(!on_visit_date(visit, date!(2026 - 12 - 30), 1));
    }

    #[test]
    fn the_refusal_states_the_ticket_date() {
        let text = wrong_date(date!(2027 - 01 - 01), date!(2026 - 12 - 02), 0);
        assert_eq!(
            text,
            "This ticket is for 2027-01-01: not yet valid today, 2026-12-02."
        );
        let text = wrong_date(date!(2027 - 01 - 01), date!(2027 - 01 - 05), 2);
        assert!(
            text.contains("valid from 2026-12-30 to 2027-01-03"),
            "{text}"
        );
        assert!(text.contains("no longer valid"), "{text}");
    }
}
