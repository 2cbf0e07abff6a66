//! Gangway: a self-hosted ticketing server for a small cruise / attraction operator.
//!
//! `build_rocket` assembles the whole application from a configuration figment; the binary and the
//! integration tests both use it, so tests run exactly what ships.

pub mod api;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod ids;

use std::ops::Deref;
use std::sync::Arc;

use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::{Build, Rocket};

use auth::rate_limit::RateLimiter;
use config::Config;
use db::Db;
use domain::qr::QrSigner;
use error::AppError;

/// Everything a request needs, shared by all of them (cheap to clone).
#[derive(Clone)]
pub struct App(Arc<AppState>);

pub struct AppState {
    pub db: Db,
    pub config: Config,
    pub qr: QrSigner,
    pub webhook_secret: String,
    pub rate_limiter: RateLimiter,
}

impl Deref for App {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        &self.0
    }
}

impl App {
    /// Opens and migrates the database and loads (or creates) the server's secrets.
    pub fn open(config: Config) -> Result<App, AppError> {
        let db = Db::open(&config.database_path, config.db_read_pool_size)?;
        let secrets =
            domain::settings::load_or_create(&db, config.payment_webhook_secret.as_deref())?;
        if secrets.webhook_secret_generated {
            println!(
                "Generated the payment webhook secret (shown only this once): {}",
                secrets.webhook_secret
            );
            println!(
                "  Configure your payment gateway with it, or set GANGWAY_PAYMENT_WEBHOOK_SECRET."
            );
        }
        let qr = QrSigner::new(
            secrets.qr_key,
            time::Duration::minutes(config.qr_ttl_minutes),
        );
        Ok(App(Arc::new(AppState {
            db,
            config,
            qr,
            webhook_secret: secrets.webhook_secret,
            rate_limiter: RateLimiter::default(),
        })))
    }
}

/// The whole server: state, fairings, routes, OpenAPI, catchers.
pub fn build_rocket(figment: Figment) -> Rocket<Build> {
    let rocket = rocket::custom(figment)
        .attach(AdHoc::try_on_ignite(
            "Database and secrets",
            |rocket| async move {
                let opened = Config::from_figment(rocket.figment()).and_then(App::open);
                match opened {
                    Ok(app) => Ok(rocket.manage(app)),
                    Err(e) => {
                        rocket::error!("cannot start: {e}");
                        Err(rocket)
                    }
                }
            },
        ))
        .attach(api::expiry_job())
        .attach(api::rate_limit_headers());
    api::mount(rocket)
}
