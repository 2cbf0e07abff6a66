//! `Idempotency-Key` for OTA writes. The stored answer is written in the same transaction as the
//! change it answers, so a retry either finds both or neither — and because writes are serialized,
//! two concurrent retries cannot both miss it.

use rusqlite::{params, Transaction};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::clock;
use crate::db::ConnExt;
use crate::error::AppError;
use crate::ids;

/// How long answers are kept (the contract promises at least 24 h).
pub const RETENTION_HOURS: i64 = 48;

/// A client's key and the fingerprint of the request it came with.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub key: String,
    pub route: String,
    pub request_hash: String,
}

impl IdempotencyKey {
    /// `route` and the raw body make the fingerprint: the same key on another route or with another
    /// body is a reuse, not a retry.
    pub fn new(key: &str, route: &str, body: &[u8]) -> Result<IdempotencyKey, AppError> {
        if key.is_empty() || key.len() > 255 || key.chars().any(|c| c.is_control()) {
            return Err(AppError::validation(
                "Idempotency-Key",
                "must be 1 to 255 printable characters",
            ));
        }
        let mut fingerprint = route.as_bytes().to_vec();
        fingerprint.push(0);
        fingerprint.extend_from_slice(body);
        Ok(IdempotencyKey {
            key: key.to_owned(),
            route: route.to_owned(),
            request_hash: ids::sha256_hex(&fingerprint),
        })
    }
}

/// Runs `op` at most once per key, inside the caller's transaction: a repeat gets the first answer
/// back and `op` does not run.
pub(super) fn once<T: Serialize + DeserializeOwned>(
    tx: &Transaction<'_>,
    partner_id: i64,
    key: Option<&IdempotencyKey>,
    op: impl FnOnce(&Transaction<'_>) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let Some(key) = key else { return op(tx) };
    let stored: Option<(String, String)> = tx.try_query_row(
        "SELECT request_hash, response FROM idempotency_keys WHERE partner_id = ?1 AND idempotency_key = ?2",
        params![partner_id, key.key],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if let Some((hash, response)) = stored {
        if hash != key.request_hash {
            return Err(AppError::IdempotencyKeyReused);
        }
        return Ok(serde_json::from_str(&response)?);
    }
    let value = op(tx)?;
    tx.prepare_cached(
        "INSERT INTO idempotency_keys (partner_id, idempotency_key, route, request_hash, response, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![partner_id, key.key, key.route, key.request_hash, serde_json::to_string(&value)?, clock::to_db(clock::now())])?;
    Ok(value)
}

/// Called by the expiry job.
pub(super) fn purge_old(
    tx: &Transaction<'_>,
    now: time::OffsetDateTime,
) -> Result<usize, AppError> {
    let cutoff = clock::to_db(now - time::Duration::hours(RETENTION_HOURS));
    Ok(tx
        .prepare_cached("DELETE FROM idempotency_keys WHERE created_at < ?1")?
        .execute([cutoff])?)
}
