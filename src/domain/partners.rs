//! OTA partners and their API keys (admin operations).

use rusqlite::{params, Connection, Transaction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::audit::{self, Actor};
use crate::auth::api_keys::{self, NewKey};
use crate::clock;
use crate::error::AppError;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ApiKeyInfo {
    pub key_id: i64,
    pub prefix: String,
    pub label: String,
    pub rate_limit_per_minute: Option<u32>,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Partner {
    pub partner_id: i64,
    pub name: String,
    pub contact_email: String,
    /// `active` or `suspended`.
    pub status: String,
    pub created_at: String,
    pub api_keys: Vec<ApiKeyInfo>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CreatedKey {
    pub key_id: i64,
    /// Shown only this once; only its hash is stored.
    pub api_key: String,
    pub prefix: String,
}

fn validate_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.contains('\0') {
        return Err(AppError::validation("name", "must be 1 to 200 characters"));
    }
    Ok(name.to_owned())
}

pub fn create(
    tx: &Transaction<'_>,
    name: &str,
    contact_email: &str,
    actor: Actor,
) -> Result<Partner, AppError> {
    let name = validate_name(name)?;
    let email = if contact_email.trim().is_empty() {
        String::new()
    } else {
        super::accounts::validate_email(contact_email)
            .map_err(|_| AppError::validation("contact_email", "must be an email address"))?
    };
    tx.prepare_cached("INSERT INTO partners (name, contact_email, status, created_at) VALUES (?1, ?2, 'active', ?3)")?
        .execute(params![name, email, clock::to_db(clock::now())])?;
    let id = tx.last_insert_rowid();
    audit::record(
        tx,
        actor,
        Some(id),
        "partner.create",
        ("partner", &id.to_string()),
        serde_json::json!({"name": name}),
    )?;
    get(tx, id)
}

pub fn get(conn: &Connection, id: i64) -> Result<Partner, AppError> {
    select(conn, Some(id))?.pop().ok_or(AppError::NotFound)
}

pub fn list(conn: &Connection) -> Result<Vec<Partner>, AppError> {
    select(conn, None)
}

/// One partner, or all of them, with their keys (prefixes only).
fn select(conn: &Connection, id: Option<i64>) -> Result<Vec<Partner>, AppError> {
    let mut partners: Vec<Partner> = conn
        .prepare_cached("SELECT id, name, contact_email, status, created_at FROM partners WHERE ?1 IS NULL OR id = ?1 ORDER BY id")?
        .query_map([id], |r| {
            Ok(Partner {
                partner_id: r.get(0)?,
                name: r.get(1)?,
                contact_email: r.get(2)?,
                status: r.get(3)?,
                created_at: r.get(4)?,
                api_keys: vec![],
            })
        })?
        .collect::<Result<_, _>>()?;
    let keys: Vec<(i64, ApiKeyInfo)> = conn
        .prepare_cached(
            "SELECT partner_id, id, prefix, label, rate_limit_per_minute, created_at, revoked_at FROM api_keys
             WHERE ?1 IS NULL OR partner_id = ?1 ORDER BY id",
        )?
        .query_map([id], |r| {
            Ok((r.get(0)?, ApiKeyInfo { key_id: r.get(1)?, prefix: r.get(2)?, label: r.get(3)?, rate_limit_per_minute: r.get(4)?, created_at: r.get(5)?, revoked_at: r.get(6)? }))
        })?
        .collect::<Result<_, _>>()?;
    for (partner_id, key) in keys {
        if let Some(p) = partners.iter_mut().find(|p| p.partner_id == partner_id) {
            p.api_keys.push(key);
        }
    }
    Ok(partners)
}

pub fn set_status(
    tx: &Transaction<'_>,
    id: i64,
    status: &str,
    actor: Actor,
) -> Result<Partner, AppError> {
    if status != "active" && status != "suspended" {
        return Err(AppError::validation(
            "status",
            "must be active or suspended",
        ));
    }
    let changed = tx.execute(
        "UPDATE partners SET status = ?2 WHERE id = ?1",
        params![id, status],
    )?;
    if changed == 0 {
        return Err(AppError::NotFound);
    }
    audit::record(
        tx,
        actor,
        Some(id),
        "partner.status",
        ("partner", &id.to_string()),
        serde_json::json!({"status": status}),
    )?;
    get(tx, id)
}

pub fn create_key(
    tx: &Transaction<'_>,
    partner_id: i64,
    label: &str,
    rate_limit: Option<i64>,
    actor: Actor,
) -> Result<CreatedKey, AppError> {
    get(tx, partner_id)?;
    if label.chars().count() > 100 || label.contains('\0') {
        return Err(AppError::validation("label", "at most 100 characters"));
    }
    let rate_limit = match rate_limit {
        None => None,
        Some(n @ 1..=1_000_000) => Some(n as u32),
        Some(_) => {
            return Err(AppError::validation(
                "rate_limit_per_minute",
                "must be between 1 and 1000000",
            ))
        }
    };
    let NewKey {
        key_id,
        api_key,
        prefix,
    } = api_keys::create(tx, partner_id, label.trim(), rate_limit)?;
    audit::record(
        tx,
        actor,
        Some(partner_id),
        "api_key.create",
        ("api_key", &key_id.to_string()),
        serde_json::json!({"prefix": prefix, "label": label}),
    )?;
    Ok(CreatedKey {
        key_id,
        api_key,
        prefix,
    })
}

pub fn revoke_key(tx: &Transaction<'_>, key_id: i64, actor: Actor) -> Result<ApiKeyInfo, AppError> {
    let partner_id = api_keys::revoke(tx, key_id)?;
    audit::record(
        tx,
        actor,
        Some(partner_id),
        "api_key.revoke",
        ("api_key", &key_id.to_string()),
        serde_json::json!({}),
    )?;
    get(tx, partner_id)?
        .api_keys
        .into_iter()
        .find(|k| k.key_id == key_id)
        .ok_or(AppError::NotFound)
}
