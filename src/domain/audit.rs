//! The audit log. Rows are written by `record` inside the transaction of the change they describe,
//! so the log never claims a change that rolled back nor misses one that committed.

use rusqlite::{params, Connection, Transaction};
use schemars::JsonSchema;
use serde::Serialize;

use crate::clock;
use crate::db::Db;
use crate::error::AppError;

#[derive(Debug, Clone, Copy)]
pub enum Actor {
    User(i64),
    Partner(i64),
    Gateway,
    System,
}

impl Actor {
    fn kind_and_id(self) -> (&'static str, Option<i64>) {
        match self {
            Actor::User(id) => ("user", Some(id)),
            Actor::Partner(id) => ("partner", Some(id)),
            Actor::Gateway => ("gateway", None),
            Actor::System => ("system", None),
        }
    }
}

/// One audited change. `partner_id` is the partner the object belongs to (for filtering).
pub(super) fn record(
    tx: &Transaction<'_>,
    actor: Actor,
    partner_id: Option<i64>,
    action: &str,
    object: (&str, &str),
    summary: serde_json::Value,
) -> Result<(), AppError> {
    let (kind, actor_id) = actor.kind_and_id();
    tx.prepare_cached(
        "INSERT INTO audit_log (at, actor_kind, actor_id, partner_id, action, object_type, object_id, summary)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![clock::to_db(clock::now()), kind, actor_id, partner_id, action, object.0, object.1, summary.to_string()])?;
    Ok(())
}

/// A change a partner made to its own objects.
pub(super) fn by_partner(
    tx: &Transaction<'_>,
    partner_id: i64,
    action: &str,
    object: (&str, &str),
    summary: serde_json::Value,
) -> Result<(), AppError> {
    record(
        tx,
        Actor::Partner(partner_id),
        Some(partner_id),
        action,
        object,
        summary,
    )
}

/// Every action the log records, with the name the console shows, suggests and accepts.
pub const ACTIONS: &[(&str, &str)] = &[
    ("api_key.create", "API key created"),
    ("api_key.revoke", "API key revoked"),
    ("auth.account_locked", "Account locked after failed logins"),
    ("auth.login_failed", "Login failed"),
    ("batch.create", "Batch generated"),
    ("batch.download", "Batch downloaded"),
    ("batch.print", "Batch vouchers printed"),
    ("holiday.remove", "Holiday removed"),
    ("holiday.set", "Holiday set"),
    ("inventory.allocate", "Allocation changed"),
    ("order.create", "Order created"),
    ("order.expire", "Order expired"),
    ("order.paid", "Order paid"),
    ("order.print", "Order vouchers printed"),
    ("octo.booking.cancel", "OCTO booking cancelled"),
    ("octo.booking.confirm", "OCTO booking confirmed"),
    ("octo.booking.extend", "OCTO hold extended"),
    ("octo.booking.reserve", "OCTO booking held"),
    ("octo.booking.update", "OCTO booking changed"),
    ("order.refund_required", "Order needs a refund"),
    ("partner.create", "Partner created"),
    ("partner.status", "Partner suspended or reactivated"),
    ("payment.duplicate", "Payment reported twice"),
    ("payment.failed", "Payment failed"),
    ("payment.mismatch", "Payment amount mismatch"),
    ("reseller.create", "Reseller created"),
    ("reseller.update", "Reseller updated"),
    ("reservation.cancel", "Reservation cancelled"),
    ("reservation.create", "Reservation created"),
    ("reservation.expire", "Reservation expired"),
    ("ticket.activate", "Voucher sold"),
    ("ticket.cancel", "Ticket cancelled"),
    ("ticket.redeem", "Ticket redeemed"),
    (
        "ticket.redeem_override",
        "Ticket redeemed outside its visit date",
    ),
    ("user.create", "User created"),
    ("user.disable", "User disabled"),
    ("user.enable", "User enabled"),
    ("user.password_change", "Password changed"),
    ("user.password_reset", "Password reset by an admin"),
    ("user.unlock", "Login lock lifted"),
    ("user.update", "User changed"),
];

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AuditAction {
    pub action: String,
    pub label: String,
}

/// The actions and their names, in the console's order (by name).
pub fn actions() -> Vec<AuditAction> {
    let mut all: Vec<AuditAction> = ACTIONS
        .iter()
        .map(|(action, label)| AuditAction {
            action: (*action).to_owned(),
            label: (*label).to_owned(),
        })
        .collect();
    all.sort_by(|a, b| a.label.cmp(&b.label));
    all
}

/// The action a filter names: its code, or its name as the console shows it (any case).
/// Anything else is kept as given (an action recorded by an older release still filters).
pub fn action_named(input: &str) -> String {
    let input = input.trim();
    ACTIONS
        .iter()
        .find(|(code, label)| *code == input || label.eq_ignore_ascii_case(input))
        .map_or_else(|| input.to_owned(), |(code, _)| (*code).to_owned())
}

fn label_of(action: &str) -> Option<String> {
    ACTIONS
        .iter()
        .find(|(code, _)| *code == action)
        .map(|(_, label)| (*label).to_owned())
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    /// The email of the user who acted (when `actor_kind` is `user`).
    pub actor_email: Option<String>,
    /// The action's name as the console shows it.
    pub action_label: Option<String>,
    pub partner_id: Option<i64>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub summary: serde_json::Value,
}

#[derive(Debug, Default)]
pub struct AuditFilter {
    pub partner_id: Option<i64>,
    pub action: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The log, newest first, and how many entries match in all.
pub fn list(
    db: &Db,
    f: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AuditEntry>, i64), AppError> {
    db.read(|conn| select(conn, f, limit, offset))
}

fn select(
    conn: &Connection,
    f: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AuditEntry>, i64), AppError> {
    const WHERE: &str = "WHERE (?1 IS NULL OR a.partner_id = ?1) AND (?2 IS NULL OR a.action = ?2)
                           AND (?3 IS NULL OR a.at >= ?3) AND (?4 IS NULL OR a.at < ?4)";
    let action = f.action.as_deref().map(action_named);
    let p = params![f.partner_id, action, f.from, f.to];
    let total = conn.query_row(
        &format!("SELECT COUNT(*) FROM audit_log a {WHERE}"),
        p,
        |r| r.get(0),
    )?;
    let entries = conn
        .prepare_cached(&format!(
            "SELECT a.id, a.at, a.actor_kind, a.actor_id, a.partner_id, a.action, a.object_type, a.object_id, a.summary, u.email
             FROM audit_log a LEFT JOIN users u ON a.actor_kind = 'user' AND u.id = a.actor_id
             {WHERE} ORDER BY a.id DESC LIMIT ?5 OFFSET ?6"
        ))?
        .query_map(params![f.partner_id, action, f.from, f.to, limit, offset], |r| {
            let action: String = r.get(5)?;
            Ok((
                AuditEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    actor_kind: r.get(2)?,
                    actor_id: r.get(3)?,
                    actor_email: r.get(9)?,
                    action_label: label_of(&action),
                    partner_id: r.get(4)?,
                    action,
                    object_type: r.get(6)?,
                    object_id: r.get(7)?,
                    summary: serde_json::Value::Null,
                },
                r.get::<_, String>(8)?,
            ))
        })?
        .map(|row| {
            let (mut entry, summary) = row?;
            entry.summary = serde_json::from_str(&summary)
                .map_err(|_| AppError::corrupt("audit_log.summary", &summary))?;
            Ok(entry)
        })
        .collect::<Result<_, AppError>>()?;
    Ok((entries, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_takes_the_code_or_the_name_the_console_suggests() {
        assert_eq!(action_named("ticket.redeem"), "ticket.redeem");
        assert_eq!(action_named(" ticket redeemed "), "ticket.redeem");
        assert_eq!(action_named("Voucher sold"), "ticket.activate");
        assert_eq!(action_named("legacy.thing"), "legacy.thing");
        let codes: Vec<&str> = ACTIONS.iter().map(|(c, _)| *c).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), codes.len(), "each action once");
        let mut labels: Vec<String> = ACTIONS.iter().map(|(_, l)| l.to_lowercase()).collect();
        labels.sort();
        labels.dedup();
        assert_eq!(labels.len(), codes.len(), "each name once");
    }

    /// Every action the domain records has a name: recording a new one without naming it here
    /// fails this test.
    #[test]
    fn every_recorded_action_has_a_name() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/domain");
        let mut sources = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(d).unwrap().flatten() {
                let path = e.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|x| x == "rs") {
                    sources.push(std::fs::read_to_string(path).unwrap());
                }
            }
        }
        let known: Vec<&str> = ACTIONS.iter().map(|(c, _)| *c).collect();
        for text in &sources {
            for call in text.split("audit::").skip(1) {
                if !(call.starts_with("record(") || call.starts_with("by_partner(")) {
                    continue;
                }
                // The action comes before the summary.
                let end = ["serde_json", ")?"]
                    .iter()
                    .filter_map(|stop| call.find(stop))
                    .min()
                    .unwrap_or(call.len());
                let call = &call[..end];
                let Some(first) = call.split('"').nth(1) else {
                    continue;
                };
                let looks_like_action = first.contains('.')
                    && first
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_');
                if looks_like_action {
                    assert!(
                        known.contains(&first),
                        "no name for the audit action {first}"
                    );
                }
            }
        }
    }
}
