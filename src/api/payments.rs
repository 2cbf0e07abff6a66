//! The payment gateway's webhook, HMAC-signed.

use rocket::serde::json::Json;
use rocket::{post, State};
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::{Object, Parameter, ParameterValue};
use rocket_okapi::request::{OpenApiFromRequest, RequestHeaderInput};
use rocket_okapi::settings::OpenApiSettings;
use rocket_okapi::{openapi, openapi_get_routes_spec};

use super::body::RawBody;
use super::{run, ApiResult};
use crate::clock;
use crate::domain::payments::{self, Notification, NotificationResult};
use crate::App;

pub fn routes(
    settings: &OpenApiSettings,
) -> (Vec<rocket::Route>, rocket_okapi::okapi::openapi3::OpenApi) {
    openapi_get_routes_spec![settings: notify]
}

/// The `X-Gangway-Signature` header, checked against the raw body in the handler.
pub struct Signature(Option<String>);

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for Signature {
    type Error = std::convert::Infallible;
    async fn from_request(
        req: &'r rocket::Request<'_>,
    ) -> rocket::request::Outcome<Self, Self::Error> {
        rocket::outcome::Outcome::Success(Signature(
            req.headers()
                .get_one("X-Gangway-Signature")
                .map(str::to_owned),
        ))
    }
}

impl<'r> OpenApiFromRequest<'r> for Signature {
    fn from_request_input(
        gen: &mut OpenApiGenerator,
        _: String,
        _: bool,
    ) -> rocket_okapi::Result<RequestHeaderInput> {
        Ok(RequestHeaderInput::Parameter(Parameter {
            name: "X-Gangway-Signature".to_owned(),
            location: "header".to_owned(),
            description: Some("`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<raw body>\")>`; `t` within 300 s of now.".to_owned()),
            required: true,
            deprecated: false,
            allow_empty_value: false,
            value: ParameterValue::Schema { style: None, explode: None, allow_reserved: false, schema: gen.json_schema::<String>(), example: None, examples: None },
            extensions: Object::default(),
        }))
    }
}

/// Payment result for a direct or OTA order. Bad or stale signature: 401. Amount or currency
/// mismatch: 422, recorded, no tickets. Duplicates return the first answer and issue nothing more.
#[openapi(tag = "Payments")]
#[post("/notify", data = "<body>")]
async fn notify(
    app: &State<App>,
    signature: Signature,
    body: RawBody<Notification>,
) -> ApiResult<Json<NotificationResult>> {
    payments::verify_signature(
        &app.webhook_secret,
        signature.0.as_deref(),
        &body.bytes,
        clock::now(),
    )?;
    let n = body.value;
    Ok(Json(
        run(app, move |app| app.db.write(|tx| payments::notify(tx, &n))).await??,
    ))
}
