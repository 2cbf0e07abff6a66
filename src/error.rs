//! The one error type of the application: a stable machine `code`, an HTTP status and a detail
//! that is safe to show. Domain code returns it; the HTTP layer renders it as RFC 9457
//! `application/problem+json` (`api/problem.rs`), the CLI prints it.

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
    /// A dated ticket presented on another day than its visit date (the detail names the date).
    WrongVisitDate(String),
    InvalidState(String),
    DuplicateResellerCode,
    PayloadTooLarge,
    UnsupportedMediaType,
    Validation {
        field: String,
        detail: String,
    },
    IdempotencyKeyReused,
    QrInvalid,
    QrExpired,
    /// A camera frame in which no QR code could be read.
    QrNotFound,
    Refused(Refusal),
    RateLimited {
        retry_after_secs: u64,
    },
    /// The database cannot be written (disk full, read-only file, I/O error): nothing changed.
    StorageUnavailable(String),
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

    /// A refusal in the vocabulary of a standard Gangway speaks besides its own.
    pub fn refused(code: &'static str, detail: impl Into<String>) -> AppError {
        AppError::Refused(Refusal {
            code,
            detail: detail.into(),
            field: None,
        })
    }

    /// A refusal that names the offending value under the field name of that standard.
    pub fn refused_value(
        code: &'static str,
        detail: impl Into<String>,
        field: &'static str,
        value: impl Into<String>,
    ) -> AppError {
        AppError::Refused(Refusal {
            code,
            detail: detail.into(),
            field: Some((field, value.into())),
        })
    }

    /// A stored value that the code does not know: the books are corrupt, never guess.
    pub fn corrupt(column: &str, value: impl std::fmt::Display) -> AppError {
        AppError::Internal(format!("stored value '{value}' in {column} is not valid"))
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        use AppError::*;
        match self {
            Malformed(_) | Refused(_) => 400,
            Unauthenticated => 401,
            Forbidden(_) => 403,
            NotFound => 404,
            MethodNotAllowed => 405,
            InsufficientInventory(_)
            | ReservationNotActive(_)
            | OrderAlreadyPaid
            | TicketNotActive(_)
            | NoRemainingUses(_)
            | WrongVisitDate(_)
            | InvalidState(_)
            | DuplicateResellerCode => 409,
            PayloadTooLarge => 413,
            UnsupportedMediaType => 415,
            Validation { .. } | IdempotencyKeyReused | QrInvalid | QrExpired | QrNotFound => 422,
            RateLimited { .. } => 429,
            StorageUnavailable(_) | Unavailable(_) => 503,
            Config(_) | Internal(_) => 500,
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
            WrongVisitDate(_) => "WRONG_VISIT_DATE",
            InvalidState(_) => "INVALID_STATE",
            DuplicateResellerCode => "DUPLICATE_RESELLER_CODE",
            PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Validation { .. } => "VALIDATION_FAILED",
            IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            QrInvalid => "QR_INVALID",
            QrExpired => "QR_EXPIRED",
            QrNotFound => "QR_NOT_FOUND",
            RateLimited { .. } => "RATE_LIMITED",
            Refused(r) => r.code,
            StorageUnavailable(_) => "STORAGE_UNAVAILABLE",
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
            | WrongVisitDate(d)
            | InvalidState(d) => d.clone(),
            Validation { field, detail } => format!("{field}: {detail}"),
            Refused(r) => r.detail.clone(),
            Unauthenticated => "Missing or invalid credentials.".into(),
            NotFound => "No such resource.".into(),
            MethodNotAllowed => "This method is not allowed on this resource.".into(),
            OrderAlreadyPaid => "The order is already paid with another payment reference.".into(),
            DuplicateResellerCode => "This reseller code is already used by this partner.".into(),
            PayloadTooLarge => "The request body is larger than the limit of 1 MiB.".into(),
            UnsupportedMediaType => {
                "Send the body in the content type this route takes (application/json; a camera frame as image/jpeg or image/png).".into()
            }
            IdempotencyKeyReused => {
                "This Idempotency-Key was already used with a different request.".into()
            }
            QrInvalid => "The QR token is not a valid Gangway token.".into(),
            QrExpired => "The QR token has expired; generate a fresh one.".into(),
            QrNotFound => "No QR code could be read in this image.".into(),
            RateLimited { retry_after_secs } => {
                format!("Rate limit exceeded; retry in {retry_after_secs} s.")
            }
            StorageUnavailable(_) => "The database cannot be written right now (disk full or read-only); nothing was changed. Retry later with the same Idempotency-Key.".into(),
            // Internal details go to the log, never to the client.
            Unavailable(_) => "The service is temporarily unavailable.".into(),
            Config(_) | Internal(_) => "An internal error occurred.".into(),
        }
    }

    /// The problem details body; `title` is the status's reason phrase.
    pub fn problem(&self, title: &str) -> Problem {
        Problem {
            kind: format!("urn:gangway:problem:{}", self.code().to_ascii_lowercase()),
            title: title.to_owned(),
            status: self.status(),
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
            // Said to the operator at start-up: the sentence itself (it names the file or key).
            AppError::Config(d) => write!(f, "{d}"),
            AppError::Internal(d) | AppError::Unavailable(d) | AppError::StorageUnavailable(d) => {
                write!(f, "{}: {d}", self.code())
            }
            _ => write!(f, "{}: {}", self.code(), self.detail()),
        }
    }
}

impl std::error::Error for AppError {}

/// A refusal with a code of another standard's vocabulary (OCTO's `INVALID_PRODUCT_ID`,
/// `UNPROCESSABLE_ENTITY`, …) and, where that standard wants it, the offending value under its
/// field name (`productId: "invalidProductId"`). Only that standard's routes produce and render it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub detail: String,
    pub field: Option<(&'static str, String)>,
}

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
        use rusqlite::ErrorCode::*;
        match e.sqlite_error_code() {
            // The storage, not the request, is at fault; SQLite rolled the statement back.
            Some(DiskFull | ReadOnly | SystemIoFailure | CannotOpen | PermissionDenied) => {
                AppError::StorageUnavailable(format!("sqlite: {e}"))
            }
            // Another process held the file beyond the busy timeout.
            Some(DatabaseBusy | DatabaseLocked) => AppError::Unavailable(format!("sqlite: {e}")),
            _ => AppError::Internal(format!("sqlite: {e}")),
        }
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
