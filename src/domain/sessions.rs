//! The `sessions` table: login sessions. The token is random (256 bits), handed out once as bearer
//! token and cookie, and stored only as its SHA-256, so a copy of the database hands out nothing.

use rusqlite::{params, Connection, Transaction};
use time::{Duration, OffsetDateTime};

use super::users::Role;
use crate::clock;
use crate::db::{ConnExt, Db};
use crate::error::AppError;
use crate::ids;

/// Who a live session belongs to.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user_id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
}

pub(super) fn create(
    tx: &Transaction<'_>,
    user_id: i64,
    ttl: Duration,
) -> Result<(String, OffsetDateTime), AppError> {
    let token = ids::new_session_token();
    let now = clock::now();
    let expires_at = now + ttl;
    tx.prepare_cached("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![ids::sha256_hex(token.as_bytes()), user_id, clock::to_db(now), clock::to_db(expires_at)])?;
    Ok((token, expires_at))
}

/// The user of a presented token, if the session is live.
pub fn resolve(db: &Db, token: &str) -> Result<Option<SessionUser>, AppError> {
    db.read(|conn| find(conn, token))
}

fn find(conn: &Connection, token: &str) -> Result<Option<SessionUser>, AppError> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    conn.try_query_row(
        "SELECT u.id, u.email, u.name, u.role FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.disabled_at IS NULL",
        params![
            ids::sha256_hex(token.as_bytes()),
            clock::to_db(clock::now())
        ],
        |r| {
            Ok(SessionUser {
                user_id: r.get(0)?,
                email: r.get(1)?,
                name: r.get(2)?,
                role: r.get(3)?,
            })
        },
    )
}

pub(super) fn delete(tx: &Transaction<'_>, token: &str) -> Result<(), AppError> {
    tx.prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")?
        .execute([ids::sha256_hex(token.as_bytes())])?;
    Ok(())
}

/// Ends every session of a user but the one presented with `keep` (if any); how many ended.
pub(super) fn end_all_of(
    tx: &Transaction<'_>,
    user_id: i64,
    keep: Option<&str>,
) -> Result<usize, AppError> {
    let keep = keep.map(|t| ids::sha256_hex(t.as_bytes()));
    Ok(tx
        .prepare_cached(
            "DELETE FROM sessions WHERE user_id = ?1 AND (?2 IS NULL OR token_hash <> ?2)",
        )?
        .execute(params![user_id, keep])?)
}

/// Called by the expiry job.
pub(super) fn purge_expired(tx: &Transaction<'_>, now: OffsetDateTime) -> Result<usize, AppError> {
    Ok(tx
        .prepare_cached("DELETE FROM sessions WHERE expires_at <= ?1")?
        .execute([clock::to_db(now)])?)
}
