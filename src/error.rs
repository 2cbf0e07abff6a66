//! The one error type of the application, rendered as RFC 9457 `application/problem+json` with a
//! stable machine `code`. Domain code returns it; handlers pass it on with `?`; catchers render
//! the same shape for errors Rocket raises itself (unknown route, guard failures).

use std::io::Cursor;

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use serde::Serialize;

pub type ApiResult<T> = Result<T, AppError>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    Malformed(String),
    Unauthenticated,
    Forbidden(String),
    NotFound,
    MethodNotAllowed,
    InsufficientInventory(String),
    ReservationNotActive(String),
    OrderAlreadyPaid,
    TicketNotActive(String),
    NoRemainingUses(String),
    InvalidState(String),
    DuplicateResellerCode,
    PayloadTooLarge,
    UnsupportedMediaType,
    Validation { field: String, detail: String },
    IdempotencyKeyReused,
    QrInvalid,
    QrExpired,
    RateLimited { retry_after_secs: u64 },
    Unavailable(String),
    Config(String),
    Internal(String),
}

impl AppError {
    pub fn validation(field: &str, detail: impl Into<String>) -> AppError {
        AppError::Validation {
            field: field.to_owned(),
            detail: detail.into(),
        }
    }

    pub fn invalid_state(detail: impl Into<String>) -> AppError {
        AppError::InvalidState(detail.into())
    }

    pub fn status(&self) -> Status {
        use AppError::*;
        match self {
            Malformed(_) => Status::BadRequest,
            Unauthenticated => Status::Unauthorized,
            Forbidden(_) => Status::Forbidden,
            NotFound => Status::NotFound,
            MethodNotAllowed => Status::MethodNotAllowed,
            InsufficientInventory(_)
            | ReservationNotActive(_)
            | OrderAlreadyPaid
            | TicketNotActive(_)
            | NoRemainingUses(_)
            | InvalidState(_)
            | DuplicateResellerCode => Status::Conflict,
            PayloadTooLarge => Status::PayloadTooLarge,
            UnsupportedMediaType => Status::UnsupportedMediaType,
            Validation { .. } | IdempotencyKeyReused | QrInvalid | QrExpired => {
                Status::UnprocessableEntity
            }
            RateLimited { .. } => Status::TooManyRequests,
            Unavailable(_) => Status::ServiceUnavailable,
            Config(_) | Internal(_) => Status::InternalServerError,
        }
    }

    pub fn code(&self) -> &'static str {
        use AppError::*;
        match self {
            Malformed(_) => "MALFORMED_REQUEST",
            Unauthenticated => "UNAUTHENTICATED",
            Forbidden(_) => "FORBIDDEN",
            NotFound => "NOT_FOUND",
            MethodNotAllowed => "METHOD_NOT_ALLOWED",
            InsufficientInventory(_) => "INSUFFICIENT_INVENTORY",
            ReservationNotActive(_) => "RESERVATION_NOT_ACTIVE",
            OrderAlreadyPaid => "ORDER_ALREADY_PAID",
            TicketNotActive(_) => "TICKET_NOT_ACTIVE",
            NoRemainingUses(_) => "NO_REMAINING_USES",
            InvalidState(_) => "INVALID_STATE",
            DuplicateResellerCode => "DUPLICATE_RESELLER_CODE",
            PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Validation { .. } => "VALIDATION_FAILED",
            IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            QrInvalid => "QR_INVALID",
            QrExpired => "QR_EXPIRED",
            RateLimited { .. } => "RATE_LIMITED",
            Unavailable(_) => "SERVICE_UNAVAILABLE",
            Config(_) | Internal(_) => "INTERNAL_ERROR",
        }
    }

    pub fn detail(&self) -> String {
        use AppError::*;
        match self {
            Malformed(d)
            | Forbidden(d)
            | InsufficientInventory(d)
            | ReservationNotActive(d)
            | TicketNotActive(d)
            | NoRemainingUses(d)
            | InvalidState(d) => d.clone(),
            Validation { field, detail } => format!("{field}: {detail}"),
            Unauthenticated => "Missing or invalid credentials.".into(),
            NotFound => "No such resource.".into(),
            MethodNotAllowed => "This method is not allowed on this resource.".into(),
            OrderAlreadyPaid => "The order is already paid with another payment reference.".into(),
            DuplicateResellerCode => "This reseller code is already used by this partner.".into(),
            PayloadTooLarge => "The request body is larger than the limit of 1 MiB.".into(),
            UnsupportedMediaType => "Send the body as application/json.".into(),
            IdempotencyKeyReused => {
                "This Idempotency-Key was already used with a different request.".into()
            }
            QrInvalid => "The QR token is not a valid Gangway token.".into(),
            QrExpired => "The QR token has expired; generate a fresh one.".into(),
            RateLimited { retry_after_secs } => {
                format!("Rate limit exceeded; retry in {retry_after_secs} s.")
            }
            // Internal details go to the log, never to the client.
            Unavailable(_) => "The service is temporarily unavailable.".into(),
            Config(_) | Internal(_) => "An internal error occurred.".into(),
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status();
        Problem {
            kind: format!("urn:gangway:problem:{}", self.code().to_ascii_lowercase()),
            title: status.reason().unwrap_or("Error").to_owned(),
            status: status.code,
            detail: self.detail(),
            code: self.code(),
            field: match self {
                AppError::Validation { field, .. } => Some(field.clone()),
                _ => None,
            },
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::Internal(d) | AppError::Config(d) | AppError::Unavailable(d) => {
                write!(f, "{}: {d}", self.code())
            }
            _ => write!(f, "{}: {}", self.code(), self.detail()),
        }
    }
}

impl std::error::Error for AppError {}

/// RFC 9457 problem details, plus our stable `code` (and the offending `field` for 422s).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> Self {
        AppError::Internal(format!("sqlite: {e}"))
    }
}

impl From<r2d2::Error> for AppError {
    fn from(e: r2d2::Error) -> Self {
        AppError::Unavailable(format!("database pool: {e}"))
    }
}

impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> Self {
        AppError::Internal(format!("json: {e}"))
    }
}

impl<'r> Responder<'r, 'static> for AppError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        if self.status().code >= 500 {
            rocket::error!("{} {} -> {self}", req.method(), req.uri());
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut res = Response::build();
        res.status(self.status())
            .header(ContentType::new("application", "problem+json"))
            .sized_body(body.len(), Cursor::new(body));
        if let AppError::RateLimited { retry_after_secs } = self {
            res.header(Header::new("Retry-After", retry_after_secs.to_string()));
        }
        if self == AppError::Unauthenticated {
            res.header(Header::new("WWW-Authenticate", "Bearer, ApiKey"));
        }
        res.ok()
    }
}

/// A guard's error, kept for the catcher: Rocket hands a catcher only the status.
pub struct StashedError(pub Option<AppError>);

/// Fails a guard with `e`, remembering it for the catcher.
pub fn stash(req: &Request<'_>, e: AppError) -> AppError {
    req.local_cache(|| StashedError(Some(e.clone())));
    e
}

/// Renders every error Rocket raises itself as problem+json, preferring a stashed guard error.
#[rocket::catch(default)]
pub fn default_catcher(status: Status, req: &Request<'_>) -> AppError {
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
