//! Secrets the server generates for itself on first start and keeps in the database: the payment
//! webhook secret (unless configured) and the QR signing key.

use rusqlite::{params, Connection};

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
pub fn load_or_create(
    db: &Db,
    configured_webhook_secret: Option<&str>,
) -> Result<Secrets, AppError> {
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
        let mut qr_key = [0u8; 32];
        hex::decode_to_slice(&qr_key_hex, &mut qr_key)
            .map_err(|_| AppError::corrupt("settings.qr_signing_key", "(hidden)"))?;
        Ok(Secrets {
            webhook_secret: configured_webhook_secret.unwrap_or(stored_webhook),
            webhook_secret_generated: generated,
            qr_key,
        })
    })
}
