//! Configuration: the embedded `Rocket.toml` as defaults, then a `Rocket.toml` on disk, then
//! `ROCKET_*` and `GANGWAY_*` environment variables. Server and CLI read the same figment.

use std::path::PathBuf;

use rocket::figment::providers::{Env, Format, Toml};
use rocket::figment::{Figment, Profile};
use serde::Deserialize;

use crate::db::{CheckpointMode, DbOptions};
use crate::error::AppError;

/// The shipped `Rocket.toml`; built-in defaults are exactly what the file says.
const DEFAULT_TOML: &str = include_str!("../Rocket.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub database_path: PathBuf,
    #[serde(default)]
    pub payment_webhook_secret: Option<String>,
    pub qr_ttl_minutes: i64,
    pub reservation_ttl_hours: i64,
    pub direct_hold_minutes: i64,
    pub expiry_interval_seconds: u64,
    pub rate_limit_per_minute: u32,
    pub currency: String,
    /// The venue's IANA time zone.
    pub timezone: String,
    /// Days before or after its visit date on which a dated ticket still redeems (0: that day only).
    pub visit_grace_days: i64,
    pub session_ttl_hours: i64,
    pub db_read_pool_size: u32,
    /// How long an OCTO booking is held when the reseller does not say (`expirationMinutes`).
    pub octo_hold_minutes: i64,
    /// The operator's name, as OCTO resellers see it (`GET /octo/supplier`).
    pub supplier_name: String,
    /// `app` (Gangway checkpoints its WAL) or `external` (Litestream does).
    pub checkpoint: String,
}

/// The figment Rocket and the CLI both read.
pub fn figment() -> Figment {
    let profile = Profile::from_env_or("ROCKET_PROFILE", rocket::Config::DEFAULT_PROFILE);
    Figment::from(rocket::Config::default())
        .merge(Toml::string(DEFAULT_TOML).nested())
        .merge(Toml::file(Env::var_or("ROCKET_CONFIG", "Rocket.toml")).nested())
        .merge(Env::prefixed("ROCKET_").ignore(&["PROFILE"]).global())
        .merge(Env::prefixed("GANGWAY_").global())
        .select(profile)
}

impl Config {
    /// How the server opens its database.
    pub fn db_options(&self) -> Result<DbOptions, AppError> {
        Ok(DbOptions {
            read_pool_size: self.db_read_pool_size,
            checkpoint: CheckpointMode::parse(&self.checkpoint)?,
        })
    }

    pub fn from_figment(figment: &Figment) -> Result<Config, AppError> {
        let config: Config = figment
            .extract()
            .map_err(|e| AppError::Config(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), AppError> {
        let positive = [
            ("qr_ttl_minutes", self.qr_ttl_minutes),
            ("reservation_ttl_hours", self.reservation_ttl_hours),
            ("direct_hold_minutes", self.direct_hold_minutes),
            ("session_ttl_hours", self.session_ttl_hours),
            (
                "expiry_interval_seconds",
                self.expiry_interval_seconds as i64,
            ),
            (
                "rate_limit_per_minute",
                i64::from(self.rate_limit_per_minute),
            ),
            ("db_read_pool_size", i64::from(self.db_read_pool_size)),
            ("octo_hold_minutes", self.octo_hold_minutes),
        ];
        if let Some((key, _)) = positive.iter().find(|(_, v)| *v <= 0) {
            return Err(AppError::Config(format!("{key} must be greater than zero")));
        }
        if self.reservation_ttl_hours > 24 * 7 {
            return Err(AppError::Config(
                "reservation_ttl_hours must be at most 168 (7 days)".into(),
            ));
        }
        if self.octo_hold_minutes > 7 * 24 * 60 {
            return Err(AppError::Config(
                "octo_hold_minutes must be at most 10080 (7 days)".into(),
            ));
        }
        if self.supplier_name.trim().is_empty() {
            return Err(AppError::Config("supplier_name must not be empty".into()));
        }
        let currency_ok =
            self.currency.len() == 3 && self.currency.chars().all(|c| c.is_ascii_uppercase());
        if !currency_ok {
            return Err(AppError::Config(
                "currency must be a three-letter ISO 4217 code such as USD".into(),
            ));
        }
        if !(0..=30).contains(&self.visit_grace_days) {
            return Err(AppError::Config(
                "visit_grace_days must be between 0 and 30".into(),
            ));
        }
        self.db_options()?;
        if jiff::tz::TimeZone::get(&self.timezone).is_err() {
            return Err(AppError::Config(format!(
                "timezone '{}' is not an IANA time zone name (e.g. Europe/Lisbon, Asia/Hong_Kong, UTC)",
                self.timezone
            )));
        }
        if matches!(&self.payment_webhook_secret, Some(s) if s.len() < 16) {
            return Err(AppError::Config(
                "payment_webhook_secret must be at least 16 characters".into(),
            ));
        }
        Ok(())
    }
}
