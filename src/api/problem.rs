//! Errors on the wire: every `AppError` becomes RFC 9457 `application/problem+json`, and the
//! catcher renders the same shape for errors Rocket raises itself (unknown route, guard failures).

use std::io::Cursor;

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::{MediaType, RefOr, Response as OpenApiResponse, Responses};
use rocket_okapi::okapi::schemars::schema::SchemaObject;
use rocket_okapi::response::OpenApiResponderInner;

use crate::error::{AppError, Problem};

/// The Rocket status of an error.
pub fn status(e: &AppError) -> Status {
    Status::from_code(e.status()).unwrap_or(Status::InternalServerError)
}

impl<'r> Responder<'r, 'static> for AppError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        respond(&self, None, req)
    }
}

/// The problem+json response of `e`; `extension` is one more member beside the standard ones
/// (RFC 9457 §3.2), e.g. the ticket a refused scan was about.
pub fn respond(
    e: &AppError,
    extension: Option<(&str, serde_json::Value)>,
    req: &Request<'_>,
) -> response::Result<'static> {
    let status = status(e);
    if status.code >= 500 {
        rocket::error!("{} {} -> {e}", req.method(), req.uri());
    }
    let problem = e.problem(status.reason().unwrap_or("Error"));
    let mut value = serde_json::to_value(&problem).unwrap_or_default();
    if let (Some((name, extra)), Some(members)) = (extension, value.as_object_mut()) {
        members.insert(name.to_owned(), extra);
    }
    let body = serde_json::to_vec(&value).unwrap_or_default();
    let mut res = Response::build();
    res.status(status)
        .header(ContentType::new("application", "problem+json"))
        .sized_body(body.len(), Cursor::new(body));
    if let AppError::RateLimited { retry_after_secs } = e {
        res.header(Header::new("Retry-After", retry_after_secs.to_string()));
    }
    if *e == AppError::Unauthenticated {
        res.header(Header::new("WWW-Authenticate", "Bearer, ApiKey"));
    }
    res.ok()
}

/// A guard's error, kept for the catcher: Rocket hands a catcher only the status.
pub struct StashedError(pub Option<AppError>);

/// Fails a guard with `e`, remembering it for the catcher.
pub fn stash(req: &Request<'_>, e: AppError) -> (Status, AppError) {
    req.local_cache(|| StashedError(Some(e.clone())));
    (status(&e), e)
}

/// Renders every error Rocket raises itself as problem+json, preferring a stashed guard error.
#[rocket::catch(default)]
pub fn default_catcher(status: Status, req: &Request<'_>) -> AppError {
    caught(status, req)
}

/// The error behind a status Rocket raised: the stashed guard error, or the status's own.
pub fn caught(status: Status, req: &Request<'_>) -> AppError {
    if let Some(e) = &req.local_cache(|| StashedError(None)).0 {
        return e.clone();
    }
    match status.code {
        400 => AppError::Malformed("The request is malformed.".into()),
        401 => AppError::Unauthenticated,
        403 => AppError::Forbidden("Not allowed.".into()),
        404 => AppError::NotFound,
        405 => AppError::MethodNotAllowed,
        413 => AppError::PayloadTooLarge,
        415 => AppError::UnsupportedMediaType,
        422 => AppError::validation("query", "a parameter has an invalid value"),
        429 => AppError::RateLimited {
            retry_after_secs: 60,
        },
        503 => AppError::Unavailable("unavailable".into()),
        _ => AppError::Internal(format!("status {status}")),
    }
}

/// Every error route can answer, as problem+json.
impl OpenApiResponderInner for AppError {
    fn responses(gen: &mut OpenApiGenerator) -> rocket_okapi::Result<Responses> {
        let schema = gen.json_schema::<Problem>();
        Ok(error_responses(schema))
    }
}

/// The error statuses every route can answer, each as problem+json of `schema`.
pub fn error_responses(schema: SchemaObject) -> Responses {
    documented(schema, "application/problem+json", &[
            ("400", "MALFORMED_REQUEST: not JSON, or not the expected shape"),
            ("401", "UNAUTHENTICATED: missing or invalid credentials"),
            ("403", "FORBIDDEN: role not allowed, partner suspended or key revoked"),
            ("404", "NOT_FOUND: unknown, or not yours"),
            ("409", "INSUFFICIENT_INVENTORY, RESERVATION_NOT_ACTIVE, ORDER_ALREADY_PAID, TICKET_NOT_ACTIVE, NO_REMAINING_USES, WRONG_VISIT_DATE (a dated ticket outside its visit date; `detail` states the date), INVALID_STATE or DUPLICATE_RESELLER_CODE"),
            ("413", "PAYLOAD_TOO_LARGE: body over 1 MiB"),
            ("415", "UNSUPPORTED_MEDIA_TYPE: send application/json (a camera frame: image/jpeg or image/png)"),
            ("422", "VALIDATION_FAILED (field named in `field`), IDEMPOTENCY_KEY_REUSED, QR_INVALID, QR_EXPIRED or QR_NOT_FOUND (no QR code in a camera frame)"),
            ("429", "RATE_LIMITED: see Retry-After"),
    ])
}

/// Error answers for OpenAPI: one per status, each with its description and the same body.
pub fn documented(schema: SchemaObject, media_type: &str, cases: &[(&str, &str)]) -> Responses {
    let mut responses = Responses::default();
    for (code, description) in cases {
        let mut content = rocket_okapi::okapi::Map::new();
        content.insert(
            media_type.to_owned(),
            MediaType {
                schema: Some(schema.clone()),
                ..Default::default()
            },
        );
        responses.responses.insert(
            (*code).to_owned(),
            RefOr::Object(OpenApiResponse {
                description: (*description).to_owned(),
                content,
                ..Default::default()
            }),
        );
    }
    responses
}
