//! The pier (role venue, staff or admin): redeem a typed or camera-read token, redeem a camera
//! frame the phone could not read itself, and the venue's day for the console.

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

use super::body::{Body, Frame};
use super::guards::Venue;
use super::problem::{self, error_responses};
use super::{run, App};
use crate::domain::camera;
use crate::domain::redemption::{self, Redeemed, Refusal, Scan, Scanner};
use crate::domain::tickets::TicketCard;
use crate::error::{AppError, Problem};

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: redeem, scan_image, today]
}

impl Venue {
    fn scanner(&self) -> Scanner {
        Scanner {
            user_id: self.0.user_id,
            role: self.0.role,
        }
    }
}

/// A refused scan is problem+json; about a genuine ticket it also carries `ticket`, its card.
impl<'r> Responder<'r, 'static> for Refusal {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let ticket = self
            .ticket
            .and_then(|t| serde_json::to_value(t).ok())
            .map(|t| ("ticket", t));
        problem::respond(&self.error, ticket, req)
    }
}

/// The problem details of a refused scan.
#[derive(Serialize, JsonSchema)]
pub struct ScanProblem {
    #[serde(flatten)]
    pub problem: Problem,
    /// The ticket, when the token was genuine (never for a forged or unreadable one).
    pub ticket: Option<TicketCard>,
}

impl OpenApiResponderInner for Refusal {
    fn responses(gen: &mut OpenApiGenerator) -> rocket_okapi::Result<Responses> {
        Ok(error_responses(gen.json_schema::<ScanProblem>()))
    }
}

/// Verifies a QR token (live or voucher) and takes one use of one function code. A repeated
/// `scan_id` returns the first result and consumes nothing more. A dated ticket redeems only on
/// its visit date (the venue's local day, ± `visit_grace_days`): 409 `WRONG_VISIT_DATE`, unless
/// staff send `override_visit_date`. Refusals of a genuine ticket carry its card in `ticket`.
#[openapi(tag = "QR and redemption")]
#[post("/redeem", data = "<body>")]
async fn redeem(app: App, venue: Venue, body: Body<Scan>) -> Result<Json<Redeemed>, Refusal> {
    let (s, by) = (body.0, venue.scanner());
    redemption::answer(redemption::redeem(&app.ctx, s, by).await).map(Json)
}

/// Redeems the QR code in a camera frame (`image/jpeg` or `image/png`, at most 1 MiB), for phones
/// whose browser cannot read QR codes. Answers like `/venue/redeem`; 422 `QR_NOT_FOUND` when the
/// frame shows no readable QR code (nothing is consumed: send the next frame).
#[openapi(tag = "QR and redemption")]
#[post(
    "/scan-image?<function_code>&<scan_id>&<venue_code>&<session_code>&<override_visit_date>",
    data = "<frame>"
)]
#[allow(clippy::too_many_arguments)]
async fn scan_image(
    app: App,
    venue: Venue,
    function_code: Option<String>,
    scan_id: Option<String>,
    venue_code: Option<String>,
    session_code: Option<String>,
    override_visit_date: Option<bool>,
    frame: Frame,
) -> Result<Json<Redeemed>, Refusal> {
    let function_code =
        function_code.ok_or_else(|| AppError::validation("function_code", "is required"))?;
    let s = Scan {
        qr_token: String::new(),
        function_code,
        session_code,
        venue_code,
        scan_id,
        override_visit_date: override_visit_date.unwrap_or(false),
    };
    let by = venue.scanner();
    // Reading the frame is CPU work: off the async executor, then the write is waited for there.
    let outcome = run(&app, move |ctx| {
        Ok(camera::redeem_frame(ctx, &frame.0, s, by))
    })
    .await?;
    outcome.map(Json)
}

#[derive(Serialize, JsonSchema)]
pub struct VenueDay {
    /// The venue's local date (`YYYY-MM-DD`).
    pub date: String,
    /// The venue's IANA time zone; the console shows every time in it.
    pub timezone: String,
    /// Days before or after its visit date on which a dated ticket still redeems.
    pub visit_grace_days: i64,
}

/// The venue's day: its local date, its time zone and the visit-date grace.
#[openapi(tag = "QR and redemption")]
#[get("/today")]
async fn today(app: App, _venue: Venue) -> Json<VenueDay> {
    let ctx = &app.ctx;
    Json(VenueDay {
        date: crate::clock::date_to_db(ctx.venue.today()),
        timezone: ctx.venue.name().to_owned(),
        visit_grace_days: ctx.config.visit_grace_days,
    })
}
