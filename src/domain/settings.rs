//! Secrets the server generates for itself on first start and keeps in the database: the payment
//! webhook secret (unless configured) and the QR signing key; and the background job's heartbeat.

use rusqlite::{params, Connection, Transaction};
use time::OffsetDateTime;

use crate::db::{ConnExt, Db};
use crate::error::AppError;
use crate::ids;

pub struct Secrets {
    pub webhook_secret: String,
    /// True when the webhook secret was generated just now: print it once.
    pub webhook_secret_generated: bool,
    pub qr_key: [u8; 32],
}

fn get(conn: &Connection, key: &str) -> Result<Option<String>, AppError> {
    conn.try_query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
        r.get(0)
    })
}

/// Loads the secrets, creating missing ones. A configured webhook secret wins over the stored one.
/// Once both exist this only reads, so a server on a read-only database still starts (and answers
/// its writes with 503).
pub fn load_or_create(
    db: &Db,
    configured_webhook_secret: Option<&str>,
) -> Result<Secrets, AppError> {
    let stored = db.read(|c| Ok((get(c, "payment_webhook_secret")?, get(c, "qr_signing_key")?)))?;
    if let (Some(webhook), Some(qr_key_hex)) = stored {
        return Ok(Secrets {
            webhook_secret: configured_webhook_secret.map_or(webhook, str::to_owned),
            webhook_secret_generated: false,
            qr_key: qr_key(&qr_key_hex)?,
        });
    }
    let configured_webhook_secret = configured_webhook_secret.map(str::to_owned);
    db.write(move |tx| {
        let mut generated = false;
        let stored_webhook = match get(tx, "payment_webhook_secret")? {
            Some(s) => s,
            None => {
                generated = configured_webhook_secret.is_none();
                let s = format!("whsec_{}", ids::random_base62(40));
                tx.execute(
                    "INSERT INTO settings (key, value) VALUES ('payment_webhook_secret', ?1)",
                    params![s],
                )?;
                s
            }
        };
        let qr_key_hex = match get(tx, "qr_signing_key")? {
            Some(k) => k,
            None => {
                let k = hex::encode(ids::random_bytes::<32>());
                tx.execute(
                    "INSERT INTO settings (key, value) VALUES ('qr_signing_key', ?1)",
                    params![k],
                )?;
                k
            }
        };
        Ok(Secrets {
            webhook_secret: configured_webhook_secret.unwrap_or(stored_webhook),
            webhook_secret_generated: generated,
            qr_key: qr_key(&qr_key_hex)?,
        })
    })
}

fn qr_key(hex_text: &str) -> Result<[u8; 32], AppError> {
    let mut key = [0u8; 32];
    hex::decode_to_slice(hex_text, &mut key)
        .map_err(|_| AppError::corrupt("settings.qr_signing_key", "(hidden)"))?;
    Ok(key)
}

/// The background job's proof that the database takes writes: one small row it rewrites every
/// run, so a full disk or a read-only file fails the job (and `/health`) even when nothing expired.
pub(super) fn beat(tx: &Transaction<'_>, now: OffsetDateTime) -> Result<(), AppError> {
    tx.prepare_cached(
        "INSERT INTO settings (key, value) VALUES ('background_job_last_run', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute([crate::clock::to_db(now)])?;
    Ok(())
}
