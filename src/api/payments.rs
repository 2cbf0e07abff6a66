//! The payment gateway's webhook, HMAC-signed.

use rocket::post;
use rocket::serde::json::Json;
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};

use super::body::RawBody;
use super::headers::Signature;
use super::{ApiResult, App};
use crate::domain::gateway::{self, Notification, NotificationResult};

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: notify]
}

/// Payment result for a direct or OTA order. Bad or stale signature: 401. Amount or currency
/// mismatch: 422, recorded, no tickets. Duplicates return the first answer and issue nothing more.
#[openapi(tag = "Payments")]
#[post("/notify", data = "<body>")]
async fn notify(
    app: App,
    signature: Signature,
    body: RawBody<Notification>,
) -> ApiResult<Json<NotificationResult>> {
    let pending = gateway::notify(&app.ctx, signature.0.as_deref(), &body.bytes, body.value);
    Ok(Json(pending.await??))
}
