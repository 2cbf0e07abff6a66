//! The OCTO 1.0 supplier API under `/octo` (issue 18), for any OCTO reseller. Thin like every
//! audience: guard (`OctoPartner`: the partner's API key as a bearer token) → parse → one call
//! into `domain::octo` → respond. Answers echo the capabilities applied in `Octo-Capabilities`;
//! errors, including those Rocket raises itself, are in OCTO's shape (`error.rs`).

mod bookings;
mod catalog;
mod error;

use rocket::http::Header;
use rocket::request::{self, FromRequest, Request};
use rocket::response::{self, Responder};
use rocket::serde::json::Json;
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::{OpenApi, Responses};
use rocket_okapi::request::RequestHeaderInput;
use rocket_okapi::response::OpenApiResponderInner;
use rocket_okapi::settings::OpenApiSettings;
use schemars::JsonSchema;
use serde::Serialize;

use crate::api::guards::openapi_security;
use crate::api::headers::OctoCapabilitiesHeader;
use crate::api::{run, App};
use crate::domain::octo::Capabilities;
use crate::domain::Ctx;
use crate::error::AppError;
pub use error::{catcher, OctoError};

/// Where the OCTO routes are mounted; the supplier's `endpoint` is this under the server's URL.
pub const BASE: &str = "/octo";

pub fn routes(settings: &OpenApiSettings) -> (Vec<rocket::Route>, OpenApi) {
    crate::api::docs::combine([catalog::routes(settings), bookings::routes(settings)])
}

/// A JSON answer that says, in `Octo-Capabilities`, which capabilities shaped it.
pub struct OctoJson<T> {
    value: T,
    caps: Capabilities,
}

pub type OctoResult<T> = Result<OctoJson<T>, OctoError>;

impl<'r, T: Serialize> Responder<'r, 'static> for OctoJson<T> {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let mut res = Json(self.value).respond_to(req)?;
        res.set_header(Header::new("Octo-Capabilities", self.caps.applied()));
        Ok(res)
    }
}

impl<T: Serialize + JsonSchema + Send> OpenApiResponderInner for OctoJson<T> {
    fn responses(gen: &mut OpenApiGenerator) -> rocket_okapi::Result<Responses> {
        Json::<T>::responses(gen)
    }
}

/// Runs the one domain call of an OCTO handler and answers it with the capabilities applied.
pub async fn octo<T: Send + 'static>(
    app: &App,
    caps: &OctoCapabilitiesHeader,
    f: impl FnOnce(&Ctx, Capabilities) -> Result<T, AppError> + Send + 'static,
) -> OctoResult<T> {
    let caps = caps.applied();
    let value = run(app, move |ctx| f(ctx, caps)).await?;
    Ok(OctoJson { value, caps })
}

/// The OCTO endpoint as this request reached it (`X-Forwarded-Proto` from a TLS proxy, else
/// http), for `GET /supplier`.
pub struct Endpoint(pub String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Endpoint {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let scheme = match req.headers().get_one("X-Forwarded-Proto") {
            Some(p) if p.eq_ignore_ascii_case("https") => "https",
            _ => "http",
        };
        let host = req.host().map(|h| h.to_string()).unwrap_or_else(|| {
            let config = req.rocket().config();
            format!("{}:{}", config.address, config.port)
        });
        request::Outcome::Success(Endpoint(format!("{scheme}://{host}{BASE}")))
    }
}

openapi_security!(Endpoint, Ok(RequestHeaderInput::None));
