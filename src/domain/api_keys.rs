//! OTA API keys (the `api_keys` table): `gw_live_` + 40 base62 characters (~238 bits). Only a
//! SHA-256 hash and the first 12 characters are stored. Lookup is by prefix (indexed), then a
//! constant-time comparison of the hashes, so neither the database index nor a string compare
//! leaks timing about the secret part. Keys are created and revoked through `partners.rs`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, Transaction};

use super::Ctx;
use crate::clock;
use crate::db::ConnExt;
use crate::error::AppError;
use crate::ids;

const KEY_PREFIX: &str = "gw_live_";
const PREFIX_LEN: usize = 12;

pub(super) struct NewKey {
    pub key_id: i64,
    pub api_key: String,
    pub prefix: String,
}

/// What an API key resolves to, when it resolves.
#[derive(Debug, Clone)]
pub struct KeyOwner {
    pub key_id: i64,
    pub partner_id: i64,
    pub rate_limit_per_minute: Option<u32>,
    pub revoked: bool,
    pub partner_active: bool,
}

pub(super) fn create(
    tx: &Transaction<'_>,
    partner_id: i64,
    label: &str,
    rate_limit: Option<u32>,
) -> Result<NewKey, AppError> {
    let api_key = format!("{KEY_PREFIX}{}", ids::random_base62(40));
    let prefix = api_key[..PREFIX_LEN].to_owned();
    tx.prepare_cached(
        "INSERT INTO api_keys (partner_id, label, prefix, key_hash, rate_limit_per_minute, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![partner_id, label, prefix, ids::sha256_hex(api_key.as_bytes()), rate_limit, clock::to_db(clock::now())])?;
    Ok(NewKey {
        key_id: tx.last_insert_rowid(),
        api_key,
        prefix,
    })
}

/// Resolves a presented key: from the cache when this process saw it recently, else from the
/// database. `None` for anything that is not one of ours.
pub fn resolve(ctx: &Ctx, presented: &str) -> Result<Option<KeyOwner>, AppError> {
    if let Some(owner) = cached(ctx, presented) {
        return Ok(Some(owner));
    }
    let generation = ctx.keys.generation();
    let owner = ctx.db.read(|c| find(c, presented))?;
    if let Some(owner) = &owner {
        ctx.keys.remember(presented, owner, generation);
    }
    Ok(owner)
}

/// The owner of a key this process resolved recently, without touching the database.
pub fn cached(ctx: &Ctx, presented: &str) -> Option<KeyOwner> {
    ctx.keys.get(presented)
}

/// Keys resolved recently, by the SHA-256 of the key. Every call on the OTA API presents a key;
/// reading it from the database each time costs a read transaction. Changes made through this
/// process (revoking a key, suspending a partner) clear the cache at once; changes made by another
/// process (the CLI) take effect within `TTL`. Only keys that resolved are kept, so random keys
/// cannot fill it; it is cleared when it reaches `MAX` entries.
#[derive(Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<[u8; 32], (KeyOwner, Instant)>>,
    /// Bumped by every invalidation: a lookup that started before one must not store its answer.
    generation: AtomicU64,
}

impl KeyCache {
    const TTL: Duration = Duration::from_secs(10);
    const MAX: usize = 10_000;

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], (KeyOwner, Instant)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn get(&self, presented: &str) -> Option<KeyOwner> {
        let key = ids::sha256(presented.as_bytes());
        let entries = self.entries();
        let (owner, at) = entries.get(&key)?;
        (at.elapsed() < Self::TTL).then(|| owner.clone())
    }

    fn remember(&self, presented: &str, owner: &KeyOwner, seen_generation: u64) {
        let mut entries = self.entries();
        if self.generation() != seen_generation {
            return;
        }
        if entries.len() >= Self::MAX {
            entries.clear();
        }
        let key = ids::sha256(presented.as_bytes());
        entries.insert(key, (owner.clone(), Instant::now()));
    }

    /// Forgets every cached key (a key was revoked, a partner's status changed).
    pub(super) fn clear(&self) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }
}

fn find(conn: &Connection, presented: &str) -> Result<Option<KeyOwner>, AppError> {
    // `get`, not indexing: a non-ASCII string may have no character boundary at the prefix length.
    let prefix = match presented.get(..PREFIX_LEN) {
        Some(prefix) if presented.starts_with(KEY_PREFIX) && presented.len() <= 128 => prefix,
        _ => return Ok(None),
    };
    let presented_hash = ids::sha256_hex(presented.as_bytes());
    let mut stmt = conn.prepare_cached(
        "SELECT k.id, k.partner_id, k.rate_limit_per_minute, k.revoked_at IS NOT NULL, p.status = 'active', k.key_hash
         FROM api_keys k JOIN partners p ON p.id = k.partner_id WHERE k.prefix = ?1",
    )?;
    let mut rows = stmt.query([prefix])?;
    while let Some(row) = rows.next()? {
        let stored: String = row.get(5)?;
        if ids::constant_time_eq(stored.as_bytes(), presented_hash.as_bytes()) {
            return Ok(Some(KeyOwner {
                key_id: row.get(0)?,
                partner_id: row.get(1)?,
                rate_limit_per_minute: row.get(2)?,
                revoked: row.get(3)?,
                partner_active: row.get(4)?,
            }));
        }
    }
    Ok(None)
}

/// Revokes a key; returns its partner. Revoking twice is harmless.
pub(super) fn revoke(tx: &Transaction<'_>, key_id: i64) -> Result<i64, AppError> {
    let partner_id = tx
        .try_query_row(
            "SELECT partner_id FROM api_keys WHERE id = ?1",
            [key_id],
            |r| r.get(0),
        )?
        .ok_or(AppError::NotFound)?;
    tx.prepare_cached("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1")?
        .execute(params![key_id, clock::to_db(clock::now())])?;
    Ok(partner_id)
}
