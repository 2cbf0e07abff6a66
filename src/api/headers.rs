//! Optional request headers read by handlers (`Idempotency-Key`, the gateway's signature), each
//! a guard that never fails, documented in OpenAPI, made by one macro.

use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest, Request};
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::{Object, Parameter, ParameterValue};
use rocket_okapi::request::{OpenApiFromRequest, RequestHeaderInput};

use super::body::RawBody;
use super::{ApiResult, App};
use crate::db::Pending;
use crate::domain::idempotency::IdempotencyKey;
use crate::domain::octo::Capabilities;
use crate::domain::Ctx;
use crate::error::AppError;

/// The value of one request header, if the request has it.
macro_rules! header_guard {
    ($(#[$meta:meta])* $name:ident, $header:literal, required: $required:literal, $description:literal) => {
        $(#[$meta])*
        pub struct $name(pub Option<String>);

        #[rocket::async_trait]
        impl<'r> FromRequest<'r> for $name {
            type Error = std::convert::Infallible;
            async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
                Outcome::Success($name(req.headers().get_one($header).map(str::to_owned)))
            }
        }

        impl<'r> OpenApiFromRequest<'r> for $name {
            fn from_request_input(
                gen: &mut OpenApiGenerator,
                _: String,
                _: bool,
            ) -> rocket_okapi::Result<RequestHeaderInput> {
                Ok(RequestHeaderInput::Parameter(header_parameter(gen, $header, $required, $description)))
            }
        }
    };
}

fn header_parameter(
    gen: &mut OpenApiGenerator,
    name: &str,
    required: bool,
    description: &str,
) -> Parameter {
    Parameter {
        name: name.to_owned(),
        location: "header".to_owned(),
        description: Some(description.to_owned()),
        required,
        deprecated: false,
        allow_empty_value: false,
        value: ParameterValue::Schema {
            style: None,
            explode: None,
            allow_reserved: false,
            schema: gen.json_schema::<String>(),
            example: None,
            examples: None,
        },
        extensions: Object::default(),
    }
}

header_guard!(
    /// The optional `Idempotency-Key` of an OTA write.
    IdempotencyHeader,
    "Idempotency-Key",
    required: false,
    "1–255 characters, scoped to the partner, kept 48 h. The same key with the same body replays the first answer; with another body: 422 IDEMPOTENCY_KEY_REUSED."
);

header_guard!(
    /// The payment gateway's `X-Gangway-Signature`, checked against the raw body.
    Signature,
    "X-Gangway-Signature",
    required: true,
    "`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<raw body>\")>`; `t` within 300 s of now."
);

header_guard!(
    /// The capabilities an OCTO request asks for.
    OctoCapabilitiesHeader,
    "Octo-Capabilities",
    required: false,
    "Comma-separated OCTO capability ids; may be empty or missing. Gangway applies `octo/pricing` and echoes what it applied in the answer's `Octo-Capabilities`."
);

impl OctoCapabilitiesHeader {
    /// What of it Gangway applies.
    pub fn applied(&self) -> Capabilities {
        Capabilities::parse(self.0.as_deref())
    }
}

impl IdempotencyHeader {
    /// The key fingerprinted with this request's route and body.
    pub fn for_request(
        &self,
        route: &str,
        body: &[u8],
    ) -> Result<Option<IdempotencyKey>, AppError> {
        self.0
            .as_deref()
            .map(|k| IdempotencyKey::new(k, route, body))
            .transpose()
    }
}

/// An idempotent partner write: the key (if any) is fingerprinted with `route` and the raw body,
/// and `op` runs with it, so a retry replays the first answer.
pub async fn idempotent<B, T>(
    app: &App,
    partner_id: i64,
    idem: IdempotencyHeader,
    route: &str,
    body: RawBody<B>,
    op: fn(&Ctx, i64, B, Option<IdempotencyKey>) -> Pending<T>,
) -> ApiResult<T> {
    let key = idem.for_request(route, &body.bytes)?;
    op(&app.ctx, partner_id, body.value, key).await
}
