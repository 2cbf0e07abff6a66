//! QR tokens and images for a ticket's owner (OTA key or the customer's bearer), and ticket info.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rocket::http::{ContentType, Header};
use rocket::response::{self, Responder};
use rocket::serde::json::Json;
use rocket::{get, post, Request};
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::Responses;
use rocket_okapi::response::OpenApiResponderInner;
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};
use schemars::JsonSchema;
use serde::Serialize;

use super::guards::TicketViewer;
use super::{answer, created, run, ApiResult, App, CreatedJson};
use crate::clock;
use crate::domain::tickets::{self, TicketInfo};

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: new_qr, qr_image, ticket_info]
}

#[derive(Serialize, JsonSchema)]
pub struct QrCode {
    pub ticket_code: String,
    pub qr_token: String,
    pub expires_at: String,
    /// The PNG image of the token, base64.
    pub png_base64: String,
}

/// A fresh live QR token (30 minutes by default) and its PNG. 409 `TICKET_NOT_ACTIVE` unless ACTIVE.
#[openapi(tag = "QR and redemption")]
#[post("/<code>")]
async fn new_qr(app: App, viewer: TicketViewer, code: String) -> ApiResult<CreatedJson<QrCode>> {
    let qr = run(&app, move |ctx| tickets::live_qr(ctx, &code, viewer.0)).await?;
    let location = format!("/qr/{}/image.png", qr.ticket_code);
    Ok(created(
        location,
        QrCode {
            ticket_code: qr.ticket_code,
            qr_token: qr.token,
            expires_at: clock::to_db(qr.expires_at),
            png_base64: STANDARD.encode(qr.png),
        },
    ))
}

/// A PNG that must not be cached: each one carries a token with its own expiry.
pub struct NoStorePng(pub Vec<u8>);

impl<'r> Responder<'r, 'static> for NoStorePng {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        rocket::Response::build_from((ContentType::PNG, self.0).respond_to(req)?)
            .header(Header::new("Cache-Control", "no-store"))
            .ok()
    }
}

impl OpenApiResponderInner for NoStorePng {
    fn responses(gen: &mut OpenApiGenerator) -> rocket_okapi::Result<Responses> {
        <(ContentType, Vec<u8>)>::responses(gen)
    }
}

/// The QR image of a fresh live token, `image/png`, `Cache-Control: no-store`.
#[openapi(tag = "QR and redemption")]
#[get("/<code>/image.png")]
async fn qr_image(app: App, viewer: TicketViewer, code: String) -> ApiResult<NoStorePng> {
    let qr = run(&app, move |ctx| tickets::live_qr(ctx, &code, viewer.0)).await?;
    Ok(NoStorePng(qr.png))
}

/// Status and remaining uses, without issuing a QR token.
#[openapi(tag = "QR and redemption")]
#[get("/<code>/info")]
async fn ticket_info(app: App, viewer: TicketViewer, code: String) -> ApiResult<Json<TicketInfo>> {
    answer(&app, move |ctx| tickets::info(ctx, &code, viewer.0)).await
}
