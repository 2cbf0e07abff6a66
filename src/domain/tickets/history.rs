//! A ticket's story for the staff desk: issued (or pre-generated), sold, each scan, used up,
//! cancelled — from the ticket row, its redemptions and the audit log, each event with who did it.

use rusqlite::Connection;
use schemars::JsonSchema;
use serde::Serialize;

use super::super::values::CustomerDetails;
use super::card::{self, TicketCard};
use super::rows::{self, Owner, TicketRow, TicketStatus};
use super::Ctx;
use crate::error::AppError;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HistoryEvent {
    /// RFC 3339 UTC.
    pub at: String,
    /// `issued`, `pre_generated`, `sold`, `redeemed`, `used` or `cancelled`.
    pub kind: String,
    /// What happened, in words.
    pub summary: String,
    /// Who did it: a user's email, a partner's name, or none for the system.
    pub actor: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TicketHistory {
    pub ticket: TicketCard,
    pub holder: Option<CustomerDetails>,
    pub partner_id: Option<i64>,
    pub partner_name: Option<String>,
    pub order_id: Option<String>,
    pub batch_id: Option<String>,
    pub payment_reference: Option<String>,
    pub price_cents: Option<i64>,
    pub currency: String,
    /// Whether `tickets::cancel` would accept it (pre-generated, or active and never redeemed).
    pub can_cancel: bool,
    /// Oldest first.
    pub events: Vec<HistoryEvent>,
}

/// One ticket and its history, for staff.
pub fn history(ctx: &Ctx, code: &str) -> Result<TicketHistory, AppError> {
    ctx.db.read(|c| {
        let row = rows::find(c, code, Owner::Operator)?;
        let partner_name = match row.partner_id {
            Some(p) => Some(
                c.prepare_cached("SELECT name FROM partners WHERE id = ?1")?
                    .query_row([p], |r| r.get(0))?,
            ),
            None => None,
        };
        let can_cancel = match row.status {
            TicketStatus::PreGenerated => true,
            TicketStatus::Active => !rows::was_redeemed(c, row.id)?,
            _ => false,
        };
        Ok(TicketHistory {
            ticket: card::card(c, &row)?,
            events: events(c, &row)?,
            holder: row.customer.clone(),
            partner_id: row.partner_id,
            partner_name,
            order_id: row.order_id.clone(),
            batch_id: row.batch_id.clone(),
            payment_reference: row.payment_reference.clone(),
            price_cents: row.price_cents,
            currency: ctx.config.currency.clone(),
            can_cancel,
        })
    })
}

fn event(at: &str, kind: &str, summary: String, actor: Option<String>) -> HistoryEvent {
    HistoryEvent {
        at: at.to_owned(),
        kind: kind.to_owned(),
        summary,
        actor,
    }
}

/// Who an audit row on this ticket names for `action` (a user's email or a partner's name), and
/// its summary.
fn audited(
    conn: &Connection,
    code: &str,
    action: &str,
) -> Result<(Option<String>, serde_json::Value), AppError> {
    let found: Option<(Option<String>, String)> = conn
        .prepare_cached(
            "SELECT COALESCE(u.email, p.name), a.summary FROM audit_log a
             LEFT JOIN users u ON a.actor_kind = 'user' AND u.id = a.actor_id
             LEFT JOIN partners p ON a.actor_kind = 'partner' AND p.id = a.actor_id
             WHERE a.object_type = 'ticket' AND a.object_id = ?1 AND a.action = ?2 ORDER BY a.id DESC LIMIT 1",
        )?
        .query_map([code, action], |r| Ok((r.get(0)?, r.get(1)?)))?
        .next()
        .transpose()?;
    Ok(match found {
        Some((actor, summary)) => (actor, serde_json::from_str(&summary).unwrap_or_default()),
        None => (None, serde_json::Value::Null),
    })
}

/// One redemption as the history reads it.
struct Scan {
    at: String,
    function: String,
    venue: Option<String>,
    by: Option<String>,
    /// The stored answer (uses left, whether the visit date was overridden).
    response: String,
}

fn events(conn: &Connection, row: &TicketRow) -> Result<Vec<HistoryEvent>, AppError> {
    let mut out = Vec::new();
    match (&row.batch_id, &row.order_id) {
        (Some(batch), _) => out.push(event(
            &row.created_at,
            "pre_generated",
            format!("Pre-generated in batch {batch}."),
            None,
        )),
        (None, order) => out.push(event(
            &row.created_at,
            "issued",
            format!(
                "Issued for order {} (payment {}).",
                order.as_deref().unwrap_or("—"),
                row.payment_reference.as_deref().unwrap_or("—")
            ),
            None,
        )),
    }
    if let (Some(_), Some(at)) = (&row.batch_id, &row.activated_at) {
        let (actor, _) = audited(conn, &row.code, "ticket.activate")?;
        let what = format!(
            "Sold as {} for {}.",
            row.customer_type.as_deref().unwrap_or("—"),
            row.visit_date.as_deref().unwrap_or("any day")
        );
        out.push(event(at, "sold", what, actor));
    }
    let scans: Vec<Scan> = conn
        .prepare_cached(
            "SELECT d.redeemed_at, COALESCE(pe.name, d.function_code), d.venue_code, u.email, d.response
             FROM redemptions d JOIN users u ON u.id = d.user_id
             LEFT JOIN product_entitlements pe ON pe.product_id = ?2 AND pe.function_code = d.function_code
             WHERE d.ticket_id = ?1 ORDER BY d.id",
        )?
        .query_map(rusqlite::params![row.id, row.product_id], |r| {
            Ok(Scan { at: r.get(0)?, function: r.get(1)?, venue: r.get(2)?, by: r.get(3)?, response: r.get(4)? })
        })?
        .collect::<Result<_, _>>()?;
    for Scan {
        at,
        function: name,
        venue,
        by,
        response,
    } in scans
    {
        let answer: serde_json::Value = serde_json::from_str(&response).unwrap_or_default();
        let mut what = format!(
            "{name}: {} left",
            answer["remaining_uses"].as_i64().unwrap_or(0)
        );
        if let Some(v) = venue {
            what.push_str(&format!(" (at {v})"));
        }
        if answer["visit_date_overridden"] == true {
            what.push_str(", let in outside its visit date");
        }
        out.push(event(&at, "redeemed", format!("{what}."), by));
    }
    if let Some(at) = &row.used_at {
        out.push(event(at, "used", "Every entitlement used.".into(), None));
    }
    if let Some(at) = &row.cancelled_at {
        let (actor, summary) = audited(conn, &row.code, "ticket.cancel")?;
        let reason = summary["reason"]
            .as_str()
            .map(|r| format!(" Reason: {r}."))
            .unwrap_or_default();
        out.push(event(
            at,
            "cancelled",
            format!("Cancelled; its unit went back to stock.{reason}"),
            actor,
        ));
    }
    // Stable: events of the same second keep the order above.
    out.sort_by(|a, b| a.at.cmp(&b.at));
    Ok(out)
}
