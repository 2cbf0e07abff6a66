//! Errors on the OCTO routes in OCTO's shape: `{"error": CODE, "errorMessage": …}` plus the bad
//! id under its field name. OCTO refusals are HTTP 400; a missing or bad key is 401
//! `UNAUTHORIZED`, a revoked key or suspended partner 403 `FORBIDDEN`; over the rate limit is 429
//! (with `Retry-After`) and an unknown route 404, both as `BAD_REQUEST` since OCTO has no code of
//! its own for them. The catcher renders the errors Rocket raises itself (bad JSON, wrong content
//! type, guard failures) the same way, so nothing under `/octo` answers problem+json.

use std::io::Cursor;

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::Responses;
use rocket_okapi::response::OpenApiResponderInner;
use schemars::JsonSchema;
use serde::Serialize;

use crate::api::problem;
use crate::error::AppError;

/// An error of an OCTO route.
#[derive(Debug)]
pub struct OctoError(pub AppError);

impl From<AppError> for OctoError {
    fn from(e: AppError) -> OctoError {
        OctoError(e)
    }
}

/// OCTO's error body. Exactly one of the id fields appears, with the value as it was sent, when
/// the error is about that id.
#[derive(Debug, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OctoErrorBody {
    /// `INVALID_PRODUCT_ID`, `INVALID_OPTION_ID`, `INVALID_UNIT_ID`, `INVALID_AVAILABILITY_ID`,
    /// `INVALID_BOOKING_UUID`, `BAD_REQUEST`, `UNPROCESSABLE_ENTITY`, `UNAUTHORIZED`, `FORBIDDEN`
    /// or `INTERNAL_SERVER_ERROR`.
    pub error: String,
    pub error_message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub option_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
}

/// The HTTP status and OCTO code of an error: OCTO's own refusals as they are; Gangway's by what
/// their status means (a conflict with the state of things is OCTO's UNPROCESSABLE_ENTITY).
fn classify(e: &AppError) -> (Status, &'static str) {
    if let AppError::Refused(r) = e {
        return (Status::BadRequest, r.code);
    }
    match e.status() {
        409 => (Status::BadRequest, "UNPROCESSABLE_ENTITY"),
        401 => (Status::Unauthorized, "UNAUTHORIZED"),
        403 => (Status::Forbidden, "FORBIDDEN"),
        404 | 405 => (Status::NotFound, "BAD_REQUEST"),
        429 => (Status::TooManyRequests, "BAD_REQUEST"),
        code if code >= 500 => (problem::status(e), "INTERNAL_SERVER_ERROR"),
        _ => (Status::BadRequest, "BAD_REQUEST"),
    }
}

fn body(e: &AppError, req: &Request<'_>) -> OctoErrorBody {
    let (_, code) = classify(e);
    let error_message = match e {
        AppError::NotFound | AppError::MethodNotAllowed => {
            format!(
                "There is no OCTO endpoint {} {}.",
                req.method(),
                req.uri().path()
            )
        }
        e => e.detail(),
    };
    let mut body = OctoErrorBody {
        error: code.to_owned(),
        error_message,
        ..OctoErrorBody::default()
    };
    if let AppError::Refused(r) = e {
        if let Some((field, value)) = &r.field {
            let slot = match *field {
                "productId" => &mut body.product_id,
                "optionId" => &mut body.option_id,
                "unitId" => &mut body.unit_id,
                "availabilityId" => &mut body.availability_id,
                _ => &mut body.uuid,
            };
            *slot = Some(value.clone());
        }
    }
    body
}

impl<'r> Responder<'r, 'static> for OctoError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let (status, _) = classify(&self.0);
        if status.code >= 500 {
            rocket::error!("{} {} -> {}", req.method(), req.uri(), self.0);
        }
        let bytes = serde_json::to_vec(&body(&self.0, req)).unwrap_or_default();
        let mut res = Response::build();
        res.status(status)
            .header(ContentType::JSON)
            .sized_body(bytes.len(), Cursor::new(bytes));
        match self.0 {
            AppError::RateLimited { retry_after_secs } => {
                res.header(Header::new("Retry-After", retry_after_secs.to_string()));
            }
            AppError::Unauthenticated => {
                res.header(Header::new("WWW-Authenticate", "Bearer"));
            }
            _ => {}
        }
        res.ok()
    }
}

/// Every error under `/octo` that Rocket raises itself, in OCTO's shape.
#[rocket::catch(default)]
pub fn catcher(status: Status, req: &Request<'_>) -> OctoError {
    OctoError(problem::caught(status, req))
}

impl OpenApiResponderInner for OctoError {
    fn responses(gen: &mut OpenApiGenerator) -> rocket_okapi::Result<Responses> {
        let schema = gen.json_schema::<OctoErrorBody>();
        Ok(problem::documented(schema, "application/json", &[
            ("400", "INVALID_PRODUCT_ID (productId), INVALID_OPTION_ID (optionId), INVALID_UNIT_ID (unitId), INVALID_AVAILABILITY_ID (availabilityId), INVALID_BOOKING_UUID (uuid), BAD_REQUEST or UNPROCESSABLE_ENTITY"),
            ("401", "UNAUTHORIZED: no API key in `Authorization: Bearer`, or an unknown one"),
            ("403", "FORBIDDEN: the key is revoked or the partner suspended"),
            ("429", "BAD_REQUEST: over the partner's rate limit; see Retry-After"),
            ("500", "INTERNAL_SERVER_ERROR"),
        ]))
    }
}
