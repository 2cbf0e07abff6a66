//! QR tokens and images for a ticket's owner (OTA key or the customer's bearer), and ticket info.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rocket::http::{ContentType, Header};
use rocket::response::{self, Responder};
use rocket::serde::json::Json;
use rocket::{get, post, Request, State};
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::Responses;
use rocket_okapi::response::OpenApiResponderInner;
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};
use schemars::JsonSchema;
use serde::Serialize;

use super::{created, run, ApiResult, CreatedJson};
use crate::auth::guards::TicketViewer;
use crate::clock;
use crate::domain::catalog;
use crate::domain::qr;
use crate::domain::tickets::{self, Owner, RemainingUses, TicketRow};
use crate::error::AppError;
use crate::App;

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: new_qr, qr_image, ticket_info]
}

fn owner(viewer: TicketViewer) -> Owner {
    match viewer {
        TicketViewer::Partner(p) => Owner::Partner(p),
        TicketViewer::User(u) => Owner::User(u),
    }
}

/// The ticket if the viewer owns it and it is ACTIVE.
fn active_ticket(app: &App, code: &str, viewer: TicketViewer) -> Result<TicketRow, AppError> {
    let row = app.db.read(|c| tickets::find(c, code, owner(viewer)))?;
    if row.status != "ACTIVE" {
        return Err(AppError::TicketNotActive(format!(
            "The ticket is {}; only ACTIVE tickets get a QR code.",
            row.status
        )));
    }
    Ok(row)
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
async fn new_qr(
    app: &State<App>,
    viewer: TicketViewer,
    code: String,
) -> ApiResult<CreatedJson<QrCode>> {
    let qr = run(app, move |app| {
        let row = active_ticket(app, &code, viewer)?;
        let (token, expires) = app.qr.fresh(&row.code)?;
        let png = qr::png(&token)?;
        Ok(QrCode {
            ticket_code: row.code,
            qr_token: token,
            expires_at: clock::to_db(expires),
            png_base64: STANDARD.encode(png),
        })
    })
    .await?;
    Ok(created(format!("/qr/{}/image.png", qr.ticket_code), qr))
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
async fn qr_image(app: &State<App>, viewer: TicketViewer, code: String) -> ApiResult<NoStorePng> {
    let png = run(app, move |app| {
        let row = active_ticket(app, &code, viewer)?;
        qr::png(&app.qr.fresh(&row.code)?.0)
    })
    .await?;
    Ok(NoStorePng(png))
}

#[derive(Serialize, JsonSchema)]
pub struct ProductInfo {
    pub id: i64,
    pub name: String,
}

#[derive(Serialize, JsonSchema)]
pub struct TicketInfo {
    pub ticket_code: String,
    /// `OTA` or `NORMAL` (direct).
    pub ticket_type: String,
    pub status: String,
    pub entitlements: Vec<RemainingUses>,
    pub can_generate_qr: bool,
    pub product_info: ProductInfo,
}

/// Status and remaining uses, without issuing a QR token.
#[openapi(tag = "QR and redemption")]
#[get("/<code>/info")]
async fn ticket_info(
    app: &State<App>,
    viewer: TicketViewer,
    code: String,
) -> ApiResult<Json<TicketInfo>> {
    let info = run(app, move |app| {
        app.db.read(|c| {
            let row = tickets::find(c, &code, owner(viewer))?;
            let product = catalog::product(c, row.product_id, "product_id")?;
            Ok(TicketInfo {
                ticket_type: if row.partner_id.is_some() {
                    "OTA"
                } else {
                    "NORMAL"
                }
                .to_owned(),
                can_generate_qr: row.status == "ACTIVE",
                entitlements: tickets::remaining_uses(c, row.id)?,
                status: row.status,
                ticket_code: row.code,
                product_info: ProductInfo {
                    id: product.product_id,
                    name: product.name,
                },
            })
        })
    })
    .await?;
    Ok(Json(info))
}
