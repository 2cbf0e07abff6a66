//! What the dashboard shows about durability: the scheduled snapshots and, when Litestream's
//! control socket is configured, replication.

use rocket::get;
use rocket::serde::json::Json;
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};
use schemars::JsonSchema;
use serde::Serialize;

use crate::api::guards::Staff;
use crate::api::{answer, ApiResult, App};
use crate::domain::backups::BackupStatus;
use crate::domain::replication::{self, Replication};

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: backups]
}

#[derive(Serialize, JsonSchema)]
pub struct Durability {
    #[serde(flatten)]
    pub snapshots: BackupStatus,
    /// `null` when `litestream_socket` is not set.
    pub replication: Option<Replication>,
}

/// The last snapshot (its age and size), the schedule, every snapshot kept, the last failure;
/// and Litestream's replication status when its control socket is configured.
#[openapi(tag = "Admin")]
#[get("/backups")]
async fn backups(app: App, _staff: Staff) -> ApiResult<Json<Durability>> {
    answer(&app, |ctx| {
        Ok(Durability {
            snapshots: ctx.backups.status(),
            replication: ctx
                .config
                .litestream_socket
                .as_deref()
                .map(|socket| replication::status(socket, ctx.db.path())),
        })
    })
    .await
}
