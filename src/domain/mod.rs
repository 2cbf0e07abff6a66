//! The business: each rule of the product in one module named after it, with its SQL. Knows
//! nothing of HTTP.
//!
//! Each public operation (a use case: reserve, create an order, activate, redeem, …) takes `&Db`
//! or `&Ctx`, opens its one transaction, writes its audit row (and its idempotency record) inside
//! it, and returns a typed result. Steps that compose inside a transaction take `&Transaction` and
//! stay private to `domain`. Every table has one module that writes it (see ARCHITECTURE.md).

pub mod accounts;
pub mod api_keys;
pub mod archive;
pub mod audit;
pub mod availability;
pub mod backups;
pub mod batches;
pub mod billing;
pub mod camera;
pub mod catalog;
pub mod check;
pub mod csv;
pub mod direct_orders;
pub mod expiry;
pub mod gateway;
pub mod idempotency;
pub mod inventory;
pub mod lookup;
pub mod manifest;
pub mod octo;
pub mod orders;
pub mod ota_orders;
pub mod partners;
pub mod passwords;
pub mod payments;
pub mod pricing;
pub mod qr;
pub mod reconciliation;
pub mod redemption;
pub mod replication;
pub mod reports;
pub mod resellers;
pub mod reservations;
pub mod sessions;
pub mod settings;
pub mod tickets;
pub mod users;
pub mod values;
pub mod venue;
pub mod vouchers;

use crate::config::Config;
use crate::db::Db;
use crate::error::AppError;
use backups::Backups;
use qr::QrSigner;
use venue::VenueClock;

/// What the use cases run on: the database, the QR signer, the venue's clock and the
/// configuration.
pub struct Ctx {
    pub db: Db,
    pub qr: QrSigner,
    pub venue: VenueClock,
    pub config: Config,
    /// The HMAC secret of the payment gateway's webhook.
    pub webhook_secret: String,
    /// API keys this process resolved recently.
    pub keys: api_keys::KeyCache,
    /// The catalog and holidays, as availability reads them.
    pub offer: availability::OfferCache,
    /// The scheduled snapshots of the database.
    pub backups: Backups,
}

impl Ctx {
    /// Opens and migrates the database and loads (or creates) the server's secrets. The second
    /// value is the webhook secret when it was generated just now (to be shown once).
    pub fn open(config: Config) -> Result<(Ctx, Option<String>), AppError> {
        let db = Db::open_with(&config.database_path, config.db_options()?)?;
        let secrets = settings::load_or_create(&db, config.payment_webhook_secret.as_deref())
            .map_err(|e| {
                AppError::Config(format!(
                    "database {}: cannot load the server's secrets: {e}",
                    config.database_path.display()
                ))
            })?;
        let generated = secrets
            .webhook_secret_generated
            .then(|| secrets.webhook_secret.clone());
        let qr = QrSigner::new(
            secrets.qr_key,
            time::Duration::minutes(config.qr_ttl_minutes),
        );
        let backups = Backups::new(config.backup_schedule()?, &config.database_path);
        let ctx = Ctx {
            backups,
            db,
            qr,
            venue: VenueClock::new(&config.timezone)?,
            config,
            webhook_secret: secrets.webhook_secret,
            keys: api_keys::KeyCache::default(),
            offer: availability::OfferCache::default(),
        };
        Ok((ctx, generated))
    }
}
