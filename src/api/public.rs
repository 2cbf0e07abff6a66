//! Public routes: health and the catalog.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rocket::get;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};
use schemars::JsonSchema;
use serde::Serialize;

use super::{answer, run, ApiResult, App};
use crate::domain::availability::{self, Catalog};

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: health, get_catalog]
}

#[derive(Serialize, JsonSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// Why not ok: `database_unreadable`, `database_unwritable` (the background job's last write
    /// failed: disk full, read-only file) or `database_writes_overdue` (it has not written lately).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

/// When the background job last wrote, and whether its last write failed.
pub struct WriteCheck {
    state: Mutex<(Instant, bool)>,
}

impl Default for WriteCheck {
    /// Start-up counts as a success: the job has not had its first turn yet.
    fn default() -> Self {
        WriteCheck {
            state: Mutex::new((Instant::now(), false)),
        }
    }
}

impl WriteCheck {
    pub fn record(&self, result: Result<(), &crate::error::AppError>) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match result {
            Ok(()) => *state = (Instant::now(), false),
            Err(_) => state.1 = true,
        }
    }

    /// Why writes look broken, if they do: the job runs every `every`; three missed turns (and
    /// some slack for a long sweep) count as overdue.
    fn problem(&self, every: Duration) -> Option<&'static str> {
        let (last_success, failed) = *self.state.lock().unwrap_or_else(|p| p.into_inner());
        if failed {
            Some("database_unwritable")
        } else if last_success.elapsed() > every * 3 + Duration::from_secs(10) {
            Some("database_writes_overdue")
        } else {
            None
        }
    }
}

/// Liveness and database check: 503 when the database cannot be read, or when the background
/// job's last write failed or is overdue (`reason` says which).
#[openapi(tag = "Public")]
#[get("/health")]
async fn health(app: App) -> (Status, Json<Health>) {
    let every = Duration::from_secs(app.ctx.config.expiry_interval_seconds);
    let reason = match run(&app, |ctx| ctx.db.ping()).await {
        Ok(()) => app.writes.problem(every),
        Err(_) => Some("database_unreadable"),
    };
    match reason {
        None => (
            Status::Ok,
            Json(Health {
                status: "ok",
                reason: None,
            }),
        ),
        Some(reason) => (
            Status::ServiceUnavailable,
            Json(Health {
                status: "unavailable",
                reason: Some(reason),
            }),
        ),
    }
}

/// Packages, prices (with savings versus adult) and direct-channel availability.
#[openapi(tag = "Public")]
#[get("/api/catalog")]
async fn get_catalog(app: App) -> ApiResult<Json<Catalog>> {
    answer(&app, availability::catalog).await
}
