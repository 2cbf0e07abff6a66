//! Redemption at the pier (role venue, staff or admin).

use rocket::post;
use rocket::serde::json::Json;
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};

use super::body::Body;
use super::guards::Venue;
use super::{ApiResult, App};
use crate::domain::redemption::{self, Redeemed, Scan};

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: redeem]
}

/// Verifies a QR token (live or voucher) and takes one use of one function code. A repeated
/// `scan_id` returns the first result and consumes nothing more.
#[openapi(tag = "QR and redemption")]
#[post("/redeem", data = "<body>")]
async fn redeem(app: App, venue: Venue, body: Body<Scan>) -> ApiResult<Json<Redeemed>> {
    let (scan, user_id) = (body.0, venue.0.user_id);
    Ok(Json(redemption::redeem(&app.ctx, scan, user_id).await?))
}
