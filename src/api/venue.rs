//! Redemption at the pier (role venue, staff or admin).

use rocket::serde::json::Json;
use rocket::{post, State};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};

use super::body::Body;
use super::{run, ApiResult};
use crate::auth::guards::Venue;
use crate::domain::redemption::{self, Redeemed, Scan};
use crate::App;

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: redeem]
}

/// Verifies a QR token (live or voucher) and takes one use of one function code. A repeated
/// `scan_id` returns the first result and consumes nothing more.
#[openapi(tag = "QR and redemption")]
#[post("/redeem", data = "<body>")]
async fn redeem(app: &State<App>, venue: Venue, body: Body<Scan>) -> ApiResult<Json<Redeemed>> {
    let scan = body.0;
    let user_id = venue.0.user_id;
    Ok(Json(
        run(app, move |app| {
            app.db
                .write(|tx| redemption::redeem(tx, &scan, user_id, &app.qr))
        })
        .await?,
    ))
}
