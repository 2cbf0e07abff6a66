//! Configuration: the embedded `Rocket.toml` as defaults, then a `Rocket.toml` on disk, then
//! `ROCKET_*` and `GANGWAY_*` environment variables. Server and CLI read the same figment.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    /// Where scheduled snapshots go; empty: `backups/` beside the database.
    pub backup_dir: String,
    /// How often (`6h`, `30m`, `1d`, `90s`), or `off`.
    pub backup_every: String,
    /// How many snapshots to keep (the newest).
    pub backup_keep: u32,
    /// A token a Prometheus scraper presents as `Authorization: Bearer …` to read `/metrics`
    /// (staff sessions may read it too). Unset: staff only.
    #[serde(default)]
    pub metrics_token: Option<String>,
    /// Litestream's control socket, to report replication (`GET /list`). Unset: not reported.
    #[serde(default)]
    pub litestream_socket: Option<PathBuf>,
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

    /// The scheduled snapshots.
    pub fn backup_schedule(&self) -> Result<BackupSchedule, AppError> {
        BackupSchedule::from_settings(
            &self.database_path,
            &self.backup_dir,
            &self.backup_every,
            self.backup_keep,
        )
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
        self.backup_schedule()?;
        if matches!(&self.metrics_token, Some(t) if t.len() < 24) {
            return Err(AppError::Config(
                "metrics_token must be at least 24 characters (e.g. openssl rand -hex 16)".into(),
            ));
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

/// The `backup_*` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSchedule {
    pub dir: PathBuf,
    /// `None`: scheduled snapshots are off (`backup_every = "off"`).
    pub every: Option<Duration>,
    pub keep: usize,
}

impl BackupSchedule {
    /// From the settings: `backup_dir` (empty: `backups/` beside the database), `backup_every`
    /// (`6h`, `30m`, `1d`, `90s` or `off`) and `backup_keep` (at least 1).
    pub fn from_settings(
        database_path: &Path,
        dir: &str,
        every: &str,
        keep: u32,
    ) -> Result<BackupSchedule, AppError> {
        let dir = if dir.trim().is_empty() {
            database_path
                .parent()
                .unwrap_or(Path::new(""))
                .join("backups")
        } else {
            PathBuf::from(dir)
        };
        if keep == 0 {
            return Err(AppError::Config(
                "backup_keep must be at least 1 (set backup_every = \"off\" to stop snapshots)"
                    .into(),
            ));
        }
        Ok(BackupSchedule {
            dir,
            every: parse_every(every)?,
            keep: keep as usize,
        })
    }
}

/// `90s`, `30m`, `6h`, `1d` (a whole number and one unit), or `off`.
pub fn parse_every(s: &str) -> Result<Option<Duration>, AppError> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let bad = || {
        AppError::Config(format!(
            "backup_every must be a whole number with a unit (90s, 30m, 6h, 1d) or \"off\", not {s:?}"
        ))
    };
    let unit_at = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = s.split_at(unit_at);
    let n: u64 = n.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    match n.checked_mul(seconds) {
        Some(0) | None => Err(bad()),
        Some(secs) => Ok(Some(Duration::from_secs(secs))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_as_operators_write_them() {
        let h = |n| Some(Duration::from_secs(n));
        assert_eq!(parse_every("6h").unwrap(), h(6 * 3600));
        assert_eq!(parse_every("30m").unwrap(), h(1800));
        assert_eq!(parse_every("1d").unwrap(), h(86_400));
        assert_eq!(parse_every(" 90s ").unwrap(), h(90));
        assert_eq!(parse_every("off").unwrap(), None);
        for bad in [
            "",
            "6",
            "h",
            "0h",
            "1.5h",
            "6 h",
            "-1h",
            "6w",
            "99999999999999999999d",
        ] {
            assert!(parse_every(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn the_default_directory_is_beside_the_database() {
        let s =
            BackupSchedule::from_settings(Path::new("/var/lib/gangway/gangway.db"), "", "6h", 28)
                .unwrap();
        assert_eq!(s.dir, PathBuf::from("/var/lib/gangway/backups"));
        assert!(BackupSchedule::from_settings(Path::new("g.db"), "", "6h", 0).is_err());
    }
}
