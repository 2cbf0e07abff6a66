//! OTA partners (the `partners` table) and the admin operations on them and their API keys.

use rusqlite::{params, Connection, Transaction};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::api_keys::{self, NewKey};
use super::audit::{self, Actor};
use super::values;
use super::Ctx;
use crate::clock;
use crate::db::{text_enum, Db};
use crate::error::AppError;

text_enum! {
    /// A suspended partner's keys are refused (403).
    pub enum PartnerStatus in "partners.status" {
        Active = "active", Suspended = "suspended",
    }
}

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
    pub status: PartnerStatus,
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

/// Registers an OTA partner.
pub fn create(db: &Db, name: &str, contact_email: &str, actor: Actor) -> Result<Partner, AppError> {
    let (name, email) = checked(name, contact_email)?;
    db.write(move |tx| {
        let id = insert(tx, &name, &email, actor)?;
        find(tx, id)
    })
}

/// Registers a partner and its first API key in one transaction (the CLI's `create-partner`).
pub fn create_with_key(
    db: &Db,
    name: &str,
    contact_email: &str,
    actor: Actor,
) -> Result<(Partner, CreatedKey), AppError> {
    let (name, email) = checked(name, contact_email)?;
    db.write(move |tx| {
        let id = insert(tx, &name, &email, actor)?;
        let key = add_key(tx, id, "created by CLI", None, actor)?;
        Ok((find(tx, id)?, key))
    })
}

/// A partner's name (required) and contact email (optional).
fn checked(name: &str, contact_email: &str) -> Result<(String, String), AppError> {
    let name = values::name(name, "name", 200, true)?;
    let email = if contact_email.trim().is_empty() {
        String::new()
    } else {
        values::email(contact_email, "contact_email")?
    };
    Ok((name, email))
}

fn insert(tx: &Transaction<'_>, name: &str, email: &str, actor: Actor) -> Result<i64, AppError> {
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
    Ok(id)
}

/// One partner with its keys (prefixes only).
pub fn get(db: &Db, id: i64) -> Result<Partner, AppError> {
    db.read(|c| find(c, id))
}

pub(super) fn find(conn: &Connection, id: i64) -> Result<Partner, AppError> {
    select(conn, Some(id))?.pop().ok_or(AppError::NotFound)
}

/// Every partner with its keys (prefixes only).
pub fn list(db: &Db) -> Result<Vec<Partner>, AppError> {
    db.read(|c| select(c, None))
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

/// Suspends or reactivates a partner; a suspended partner's keys get 403 from the next call on.
pub fn set_status(ctx: &Ctx, id: i64, status: &str, actor: Actor) -> Result<Partner, AppError> {
    let status = PartnerStatus::parse(status).ok_or_else(|| {
        AppError::validation("status", format!("must be {}", PartnerStatus::expected()))
    })?;
    let changed = ctx.db.write(move |tx| {
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
        find(tx, id)
    });
    ctx.keys.clear();
    changed
}

/// Creates an API key for a partner; the key is in the answer only.
pub fn create_key(
    db: &Db,
    partner_id: i64,
    label: &str,
    rate_limit: Option<i64>,
    actor: Actor,
) -> Result<CreatedKey, AppError> {
    let label = label.to_owned();
    db.write(move |tx| add_key(tx, partner_id, &label, rate_limit, actor))
}

fn add_key(
    tx: &Transaction<'_>,
    partner_id: i64,
    label: &str,
    rate_limit: Option<i64>,
    actor: Actor,
) -> Result<CreatedKey, AppError> {
    find(tx, partner_id)?;
    let label = values::name(label, "label", 100, false)?;
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
    } = api_keys::create(tx, partner_id, &label, rate_limit)?;
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

/// Revokes a key at once; its next call gets 403. Revoking twice is harmless.
pub fn revoke_key(ctx: &Ctx, key_id: i64, actor: Actor) -> Result<ApiKeyInfo, AppError> {
    let revoked = ctx.db.write(move |tx| {
        let partner_id = api_keys::revoke(tx, key_id)?;
        audit::record(
            tx,
            actor,
            Some(partner_id),
            "api_key.revoke",
            ("api_key", &key_id.to_string()),
            serde_json::json!({}),
        )?;
        find(tx, partner_id)?
            .api_keys
            .into_iter()
            .find(|k| k.key_id == key_id)
            .ok_or(AppError::NotFound)
    });
    ctx.keys.clear();
    revoked
}
