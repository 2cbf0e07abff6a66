//! Configuration: the embedded `Rocket.toml` as defaults, then a `Rocket.toml` on disk, then
//! `ROCKET_*` and `GANGWAY_*` environment variables. Server and CLI read the same figment.

use std::net::IpAddr;
use std::path::PathBuf;

use rocket::figment::providers::{Env, Format, Toml};
use rocket::figment::{Figment, Profile};
use serde::{Deserialize, Deserializer};

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
    pub session_ttl_hours: i64,
    pub db_read_pool_size: u32,
    /// How long an OCTO booking is held when the reseller does not say (`expirationMinutes`).
    pub octo_hold_minutes: i64,
    /// The operator's name, as OCTO resellers see it (`GET /octo/supplier`).
    pub supplier_name: String,
    /// `app` (Gangway checkpoints its WAL) or `external` (Litestream does).
    pub checkpoint: String,
    /// Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For` / `X-Real-IP` name the
    /// client. Empty (the default): the client is the socket's peer and those headers are ignored.
    #[serde(default, deserialize_with = "list_or_commas")]
    pub trusted_proxies: Vec<String>,
    /// Where people reach the server (`https://tickets.example.com`); `https` marks the session
    /// cookie `Secure`.
    #[serde(default)]
    pub public_url: Option<String>,
    /// The first admin's password on the first start (so it never goes through a log); or read
    /// from `admin_password_file`.
    #[serde(default)]
    pub admin_password: Option<String>,
    #[serde(default)]
    pub admin_password_file: Option<PathBuf>,
}

/// A list in `Rocket.toml` (`["127.0.0.1", "10.0.0.0/8"]`) or, from an environment variable, the
/// same list or one string with commas (`GANGWAY_TRUSTED_PROXIES=127.0.0.1,::1`).
fn list_or_commas<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        List(Vec<String>),
        One(String),
    }
    Ok(match Either::deserialize(d)? {
        Either::List(v) => v,
        Either::One(s) => s
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

/// One entry of `trusted_proxies`: an address, or a network in CIDR notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    pub fn parse(s: &str) -> Option<IpRange> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (s.trim().parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(IpRange {
            network: addr,
            prefix,
        })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (canonical(self.network), ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                masked(u128::from(u32::from(n)), self.prefix, 32)
                    == masked(u128::from(u32::from(a)), self.prefix, 32)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                masked(u128::from(n), self.prefix, 128) == masked(u128::from(a), self.prefix, 128)
            }
            _ => false,
        }
    }
}

/// An IPv4 peer on a dual-stack socket shows up as `::ffff:a.b.c.d`; it is the IPv4 address.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn masked(bits: u128, prefix: u8, width: u32) -> u128 {
    let prefix = u32::from(prefix);
    if prefix == 0 {
        0
    } else {
        bits >> (width - prefix)
    }
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

    /// The parsed `trusted_proxies`.
    pub fn proxies(&self) -> Result<Vec<IpRange>, AppError> {
        self.trusted_proxies
            .iter()
            .map(|p| {
                IpRange::parse(p).ok_or_else(|| {
                    AppError::Config(format!(
                        "trusted_proxies: {p:?} is not an IP address or CIDR range (e.g. \"127.0.0.1\", \"10.0.0.0/8\")"
                    ))
                })
            })
            .collect()
    }

    /// True when people reach the server over HTTPS (`public_url` says so): cookies are `Secure`.
    pub fn served_over_https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.to_ascii_lowercase().starts_with("https://"))
    }

    /// The first admin's password from `admin_password` or `admin_password_file`, if configured.
    pub fn first_admin_password(&self) -> Result<Option<String>, AppError> {
        match (&self.admin_password, &self.admin_password_file) {
            (Some(_), Some(_)) => Err(AppError::Config(
                "set admin_password or admin_password_file, not both".into(),
            )),
            (Some(p), None) => Ok(Some(p.clone())),
            (None, Some(file)) => std::fs::read_to_string(file)
                .map(|s| Some(s.trim_end_matches(['\n', '\r']).to_owned()))
                .map_err(|e| {
                    AppError::Config(format!("admin_password_file {}: {e}", file.display()))
                }),
            (None, None) => Ok(None),
        }
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
        self.db_options()?;
        if jiff::tz::TimeZone::get(&self.timezone).is_err() {
            return Err(AppError::Config(format!(
                "timezone '{}' is not an IANA time zone name (e.g. Europe/Lisbon, Asia/Hong_Kong, UTC)",
                self.timezone
            )));
        }
        self.proxies()?;
        if let Some(url) = &self.public_url {
            let lower = url.to_ascii_lowercase();
            let rest = lower
                .strip_prefix("https://")
                .or_else(|| lower.strip_prefix("http://"));
            if rest.is_none_or(|r| {
                r.is_empty() || r.starts_with('/') || r.contains(char::is_whitespace)
            }) {
                return Err(AppError::Config(format!(
                    "public_url must be an http:// or https:// URL such as https://tickets.example.com, not {url:?}"
                )));
            }
        }
        if matches!(&self.payment_webhook_secret, Some(s) if s.len() < 16) {
            return Err(AppError::Config(
                "payment_webhook_secret must be at least 16 characters".into(),
            ));
        }
        Ok(())
    }
}
