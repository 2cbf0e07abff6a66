//! HTTP: one module per audience, mounted here. Handlers are thin: parse, authorize (guards), call
//! one domain operation off the async executor, map the result.

pub mod accounts;
pub mod admin;
pub mod body;
pub mod console;
pub mod direct;
pub mod docs;
pub mod ota;
pub mod payments;
pub mod public;
pub mod qr;
pub mod venue;
pub mod zip;

use std::time::Duration;

use rocket::fairing::{AdHoc, Fairing};
use rocket::http::Header;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::status::Created;
use rocket::serde::json::Json;
use rocket::{Build, Rocket};
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::{Object, Parameter, ParameterValue};
use rocket_okapi::request::{OpenApiFromRequest, RequestHeaderInput};
use rocket_okapi::settings::OpenApiSettings;

use crate::auth::guards::RateLimitSeen;
use crate::clock;
use crate::domain::{expiry, idempotency::IdempotencyKey};
use crate::error::{default_catcher, AppError};
use crate::App;

pub use crate::error::ApiResult;

/// Runs blocking work (SQLite, argon2, PNG) on Tokio's blocking pool.
pub async fn run<T: Send + 'static>(
    app: &App,
    f: impl FnOnce(&App) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let app = app.clone();
    rocket::tokio::task::spawn_blocking(move || f(&app))
        .await
        .map_err(|e| AppError::Internal(format!("worker: {e}")))?
}

/// 201 with a `Location` and a JSON body.
pub type CreatedJson<T> = Created<Json<T>>;

pub fn created<T>(location: String, value: T) -> CreatedJson<T> {
    Created::new(location).body(Json(value))
}

/// One pagination type for every list: `page` ≥ 1, `limit` 1–`max` (default `default`).
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub page: i64,
    pub limit: i64,
}

impl Page {
    pub fn parse(
        page: Option<&str>,
        limit: Option<&str>,
        default: i64,
        max: i64,
    ) -> Result<Page, AppError> {
        let page = match page {
            None => 1,
            Some(p) => p
                .parse::<i64>()
                .ok()
                .filter(|p| (1..=1_000_000).contains(p))
                .ok_or_else(|| AppError::validation("page", "must be an integer of at least 1"))?,
        };
        let limit = match limit {
            None => default,
            Some(l) => l
                .parse::<i64>()
                .ok()
                .filter(|l| (1..=max).contains(l))
                .ok_or_else(|| {
                    AppError::validation("limit", format!("must be an integer from 1 to {max}"))
                })?,
        };
        Ok(Page { page, limit })
    }

    pub fn offset(self) -> i64 {
        (self.page - 1) * self.limit
    }
}

/// Parses an optional RFC 3339 query parameter into the stored text form.
pub fn query_time(value: Option<&str>, field: &str) -> Result<Option<String>, AppError> {
    value
        .map(|v| {
            clock::parse_rfc3339(v)
                .map(clock::to_db)
                .ok_or_else(|| AppError::validation(field, "expected an RFC 3339 timestamp"))
        })
        .transpose()
}

/// Parses an optional integer query parameter.
pub fn query_int(value: Option<&str>, field: &str) -> Result<Option<i64>, AppError> {
    value
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| AppError::validation(field, "expected an integer"))
        })
        .transpose()
}

/// The optional `Idempotency-Key` header.
pub struct IdempotencyHeader(pub Option<String>);

impl IdempotencyHeader {
    /// The key fingerprinted with this request's route and body.
    pub fn for_request(
        &self,
        route: &str,
        body: &[u8],
    ) -> Result<Option<IdempotencyKey>, AppError> {
        self.0
            .as_deref()
            .map(|k| IdempotencyKey::new(k, route, body))
            .transpose()
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IdempotencyHeader {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(IdempotencyHeader(
            req.headers().get_one("Idempotency-Key").map(str::to_owned),
        ))
    }
}

impl<'r> OpenApiFromRequest<'r> for IdempotencyHeader {
    fn from_request_input(
        gen: &mut OpenApiGenerator,
        _: String,
        _: bool,
    ) -> rocket_okapi::Result<RequestHeaderInput> {
        let schema = gen.json_schema::<String>();
        Ok(RequestHeaderInput::Parameter(Parameter {
            name: "Idempotency-Key".to_owned(),
            location: "header".to_owned(),
            description: Some("1–255 characters, scoped to the partner, kept 48 h. The same key with the same body replays the first answer; with another body: 422 IDEMPOTENCY_KEY_REUSED.".to_owned()),
            required: false,
            deprecated: false,
            allow_empty_value: false,
            value: ParameterValue::Schema { style: None, explode: None, allow_reserved: false, schema, example: None, examples: None },
            extensions: Object::default(),
        }))
    }
}

/// Sweeps expired holds every `expiry_interval_seconds` until shutdown.
pub fn expiry_job() -> impl Fairing {
    AdHoc::on_liftoff("Expiry job", |rocket| {
        Box::pin(async move {
            let Some(app) = rocket.state::<App>().cloned() else {
                return;
            };
            let mut shutdown = rocket.shutdown();
            let every = Duration::from_secs(app.config.expiry_interval_seconds);
            rocket::tokio::spawn(async move {
                loop {
                    rocket::tokio::select! {
                        _ = &mut shutdown => break,
                        _ = rocket::tokio::time::sleep(every) => {}
                    }
                    match run(&app, |app| expiry::run_once(&app.db)).await {
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
                }
            });
        })
    })
}

/// `RateLimit-*` headers on every response to an API-key request.
pub fn rate_limit_headers() -> impl Fairing {
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

/// Mounts every audience's routes and the merged OpenAPI document.
pub fn mount(rocket: Rocket<Build>) -> Rocket<Build> {
    let settings = OpenApiSettings::default();
    let parts = vec![
        ("/", public::routes(&settings)),
        ("/api/auth", accounts::routes(&settings)),
        ("/api", accounts::me_routes(&settings)),
        ("/api/ota", ota::routes(&settings)),
        ("/qr", qr::routes(&settings)),
        ("/venue", venue::routes(&settings)),
        ("/payments", payments::routes(&settings)),
        ("/api", direct::routes(&settings)),
        ("/api/admin", admin::routes(&settings)),
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
        .register("/", rocket::catchers![default_catcher])
}
