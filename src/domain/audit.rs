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

#[derive(Debug, Serialize, JsonSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
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
    const WHERE: &str = "WHERE (?1 IS NULL OR partner_id = ?1) AND (?2 IS NULL OR action = ?2)
                           AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at < ?4)";
    let p = params![f.partner_id, f.action, f.from, f.to];
    let total = conn.query_row(&format!("SELECT COUNT(*) FROM audit_log {WHERE}"), p, |r| {
        r.get(0)
    })?;
    let entries = conn
        .prepare_cached(&format!(
            "SELECT id, at, actor_kind, actor_id, partner_id, action, object_type, object_id, summary
             FROM audit_log {WHERE} ORDER BY id DESC LIMIT ?5 OFFSET ?6"
        ))?
        .query_map(params![f.partner_id, f.action, f.from, f.to, limit, offset], |r| {
            Ok((
                AuditEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    actor_kind: r.get(2)?,
                    actor_id: r.get(3)?,
                    partner_id: r.get(4)?,
                    action: r.get(5)?,
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
