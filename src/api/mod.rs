//! HTTP: one module per audience, mounted here. Handlers are thin: guard → parse → one domain call
//! (off the async executor, through `run`) → respond. This floor is the only one that knows
//! Rocket; it never touches SQL.

pub mod accounts;
pub mod admin;
pub mod body;
pub mod console;
pub mod csv;
pub mod direct;
pub mod docs;
pub mod guards;
pub mod headers;
pub mod metrics;
pub mod octo;
pub mod ota;
pub mod paging;
pub mod payments;
pub mod problem;
pub mod public;
pub mod qr;
pub mod rate_limit;
pub mod shared;
pub mod venue;
pub mod views;
pub mod zip;

use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use rocket::fairing::{AdHoc, Fairing};
use rocket::figment::Figment;
use rocket::http::Header;
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};
use rocket::response::status::Created;
use rocket::serde::json::Json;
use rocket::{Build, Orbit, Rocket};
use rocket_okapi::request::RequestHeaderInput;
use rocket_okapi::settings::OpenApiSettings;
use rusqlite::Connection;

use crate::config::{Config, IpRange};
use crate::db::CheckpointMode;
use crate::domain::{expiry, replication, Ctx};
use crate::error::AppError;
use guards::RateLimitSeen;
use metrics::{Metrics, RequestMetrics};
use public::WriteCheck;
use rate_limit::{AccountLockout, RateLimiter};

pub type ApiResult<T> = Result<T, AppError>;

/// Everything a request needs, shared by all of them (cheap to clone): the domain's context, the
/// in-memory rate limits, the metrics, and what the background job last saw of the database.
#[derive(Clone)]
pub struct App(Arc<AppState>);

pub struct AppState {
    pub ctx: Ctx,
    pub rate_limiter: RateLimiter,
    pub metrics: Metrics,
    pub lockout: AccountLockout,
    /// `trusted_proxies`, parsed.
    pub proxies: Vec<IpRange>,
    /// The expiry job's writes: `/health` answers 503 when the last one failed or is overdue.
    pub writes: WriteCheck,
}

impl Deref for App {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        &self.0
    }
}

/// Handlers take the `App` itself as a guard (a cheap clone of the managed state).
#[rocket::async_trait]
impl<'r> FromRequest<'r> for App {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let app = req.rocket().state::<App>();
        Outcome::Success(app.expect("App state is managed by build_rocket").clone())
    }
}

guards::openapi_security!(App, Ok(RequestHeaderInput::None));

impl App {
    /// Opens the domain (database, secrets); a webhook secret generated now is printed once.
    pub fn open(config: Config) -> Result<App, AppError> {
        let proxies = config.proxies()?;
        let (ctx, generated) = Ctx::open(config)?;
        if let Some(secret) = generated {
            println!("Generated the payment webhook secret (shown only this once): {secret}");
            println!(
                "  Configure your payment gateway with it, or set GANGWAY_PAYMENT_WEBHOOK_SECRET."
            );
        }
        let metrics = Metrics::new(ctx.config.litestream_socket.is_some());
        Ok(App(Arc::new(AppState {
            ctx,
            rate_limiter: RateLimiter::default(),
            metrics,
            lockout: AccountLockout::default(),
            proxies,
            writes: WriteCheck::default(),
        })))
    }
}

/// The one way to run blocking work (SQLite, argon2, PNG): on Tokio's blocking pool.
pub async fn run<T: Send + 'static>(
    app: &App,
    f: impl FnOnce(&Ctx) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let app = app.clone();
    rocket::tokio::task::spawn_blocking(move || f(&app.ctx))
        .await
        .map_err(|e| AppError::Internal(format!("worker: {e}")))?
}

/// Answers a short read (a few indexed rows, pages the OS has cached) in place on the async
/// worker when a read connection is idle, and on the blocking pool otherwise. The hop to the
/// blocking pool and back (two thread wake-ups) costs more than such a read; a read that can
/// take long (lists, reports, files) goes through [`answer`].
pub async fn answer_read<T: Send + 'static>(
    app: &App,
    f: impl FnOnce(&Ctx, &Connection) -> Result<T, AppError> + Send + 'static,
) -> ApiResult<Json<T>> {
    if let Some(conn) = app.ctx.db.idle_reader() {
        return f(&app.ctx, &conn).map(Json);
    }
    answer(app, move |ctx| ctx.db.read(|conn| f(ctx, conn))).await
}

/// Runs `f` like [`run`] and answers its value as JSON: the body of most handlers.
pub async fn answer<T: Send + 'static>(
    app: &App,
    f: impl FnOnce(&Ctx) -> Result<T, AppError> + Send + 'static,
) -> ApiResult<Json<T>> {
    run(app, f).await.map(Json)
}

/// 201 with a `Location` and a JSON body.
pub type CreatedJson<T> = Created<Json<T>>;

pub fn created<T>(location: String, value: T) -> CreatedJson<T> {
    Created::new(location).body(Json(value))
}

/// The whole server: state, fairings, routes, OpenAPI, catchers.
pub fn build_rocket(figment: Figment) -> Rocket<Build> {
    let rocket = rocket::custom(figment)
        .attach(AdHoc::try_on_ignite(
            "Database and secrets",
            |rocket| async move {
                let config = Config::from_figment(rocket.figment());
                // Opening migrates and writes: blocking work, off the executor.
                let opened =
                    rocket::tokio::task::spawn_blocking(move || config.and_then(App::open))
                        .await
                        .unwrap_or_else(|e| Err(AppError::Internal(format!("start-up: {e}"))));
                match opened {
                    Ok(app) => Ok(rocket.manage(app)),
                    Err(e) => {
                        rocket::error!("cannot start: {e}");
                        Err(rocket)
                    }
                }
            },
        ))
        .attach(expiry_job())
        .attach(backup_job())
        .attach(external_checkpoints_warning())
        .attach(RequestMetrics)
        .attach(rate_limit_headers())
        .attach(private_answers());
    mount(rocket)
}

/// Runs `step` on the running server after each `wait` (`None`: stop) until shutdown.
fn background<W, S, F>(rocket: &Rocket<Orbit>, wait: W, step: S)
where
    W: Fn(&App) -> Option<Duration> + Send + 'static,
    S: Fn(App) -> F + Send + 'static,
    F: Future<Output = ()> + Send,
{
    let Some(app) = rocket.state::<App>().cloned() else {
        return;
    };
    let mut shutdown = rocket.shutdown();
    rocket::tokio::spawn(async move {
        while let Some(wait) = wait(&app) {
            rocket::tokio::select! {
                _ = &mut shutdown => break,
                _ = rocket::tokio::time::sleep(wait) => {}
            }
            step(app.clone()).await;
        }
    });
}

/// Sweeps expired holds every `expiry_interval_seconds` until shutdown.
fn expiry_job() -> impl Fairing {
    AdHoc::on_liftoff("Expiry job", |rocket| {
        Box::pin(async move {
            let every =
                |app: &App| Some(Duration::from_secs(app.ctx.config.expiry_interval_seconds));
            background(rocket, every, |app| async move {
                let result = run(&app, |ctx| expiry::run_once(&ctx.db)).await;
                app.metrics.expiry_ran(&result);
                app.writes.record(result.as_ref().map(|_| ()));
                match result {
                    Ok(r) if r.reservations + r.direct_orders > 0 => {
                        rocket::info!(
                            "expiry: released {} reservations, {} direct orders",
                            r.reservations,
                            r.direct_orders
                        )
                    }
                    Ok(_) => {}
                    Err(e) => rocket::error!("expiry job: {e}"),
                }
            });
        })
    })
}

/// Takes the scheduled snapshots (`backup_every`, into `backup_dir`) until shutdown.
fn backup_job() -> impl Fairing {
    AdHoc::on_liftoff("Scheduled snapshots", |rocket| {
        Box::pin(async move {
            let until_due = |app: &App| {
                let due = app.ctx.backups.next_at()?;
                let wait = due - time::OffsetDateTime::now_utc();
                Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
            };
            background(rocket, until_due, |app| async move {
                let result = run(&app, |ctx| ctx.backups.take(&ctx.db)).await;
                app.metrics.backup_ran(result.is_ok());
                match result {
                    Ok(s) => rocket::info!("backup: wrote {} ({} bytes)", s.file, s.size_bytes),
                    Err(e) => rocket::error!("backup failed: {e}"),
                }
            });
        })
    })
}

/// `checkpoint = "external"` hands every checkpoint to Litestream; without it the WAL grows without
/// bound. Say so at start when Litestream does not answer (or cannot be asked).
fn external_checkpoints_warning() -> impl Fairing {
    AdHoc::on_liftoff("External checkpoints", |rocket| {
        Box::pin(async move {
            let Some(app) = rocket.state::<App>().cloned() else {
                return;
            };
            let config = &app.ctx.config;
            if config.db_options().map(|o| o.checkpoint) != Ok(CheckpointMode::External) {
                return;
            }
            let warning = match &config.litestream_socket {
                None => "checkpoint = \"external\": Litestream must run beside this server, or the WAL grows without bound (set litestream_socket to have it checked)".to_owned(),
                Some(socket) => {
                    let (socket, db) = (socket.clone(), app.ctx.db.path().to_path_buf());
                    let found = rocket::tokio::task::spawn_blocking(move || replication::status(&socket, &db)).await;
                    match found {
                        Ok(r) if r.status != "unreachable" && r.status != "not_listed" => return,
                        Ok(r) => format!("checkpoint = \"external\" but Litestream is {}: {}; the WAL grows without bound until it runs", r.status, r.detail.unwrap_or_default()),
                        Err(e) => format!("checkpoint = \"external\": cannot ask Litestream: {e}"),
                    }
                }
            };
            eprintln!("gangway: warning: {warning}");
        })
    })
}

/// `RateLimit-*` headers on every response to an API-key request.
fn rate_limit_headers() -> impl Fairing {
    AdHoc::on_response("Rate limit headers", |req, res| {
        Box::pin(async move {
            if let Some(d) = req.local_cache(|| RateLimitSeen(None)).0 {
                res.set_header(Header::new("RateLimit-Limit", d.limit.to_string()));
                res.set_header(Header::new("RateLimit-Remaining", d.remaining.to_string()));
                res.set_header(Header::new("RateLimit-Reset", d.reset_secs.to_string()));
            }
        })
    })
}

/// Answers that may hold someone's data are never stored by a browser or a proxy: every JSON
/// answer to a request that carries credentials (bearer token, session cookie, API key), and
/// every answer of `/api/auth`. The docs page gets the console's security headers.
fn private_answers() -> impl Fairing {
    AdHoc::on_response("Private answers", |req, res| {
        Box::pin(async move {
            let path = req.uri().path();
            if path.starts_with("/docs") {
                for (name, value) in console::DOCS_SECURITY_HEADERS {
                    res.set_header(Header::new(*name, *value));
                }
                return;
            }
            let json = res
                .content_type()
                .is_some_and(|ct| ct.is_json() || ct.sub().as_str().ends_with("+json"));
            let credentials = req.headers().contains("Authorization")
                || req.headers().contains("X-API-Key")
                || req.cookies().get(guards::SESSION_COOKIE).is_some();
            if (json && credentials) || path.starts_with("/api/auth/") {
                res.set_header(Header::new("Cache-Control", "no-store"));
            }
        })
    })
}

/// Mounts every audience's routes and the merged OpenAPI document.
fn mount(rocket: Rocket<Build>) -> Rocket<Build> {
    let settings = OpenApiSettings::default();
    let parts = vec![
        ("/", public::routes(&settings)),
        ("/", metrics::routes(&settings)),
        ("/api/auth", accounts::routes(&settings)),
        ("/api", accounts::me_routes(&settings)),
        ("/api/ota", ota::routes(&settings)),
        ("/qr", qr::routes(&settings)),
        ("/venue", venue::routes(&settings)),
        ("/payments", payments::routes(&settings)),
        ("/api", direct::routes(&settings)),
        ("/api/admin", admin::routes(&settings)),
        (octo::BASE, octo::routes(&settings)),
    ];
    let mut rocket = rocket;
    let mut specs = Vec::new();
    for (path, (routes, spec)) in parts {
        rocket = rocket.mount(path, routes);
        specs.push((path, spec));
    }
    let spec = docs::merge(specs);
    rocket
        .mount("/", vec![rocket_okapi::get_openapi_route(spec, &settings)])
        .mount("/docs", docs::swagger())
        .mount("/", console::routes())
        .register("/", rocket::catchers![problem::default_catcher])
        .register(octo::BASE, rocket::catchers![octo::catcher])
}
