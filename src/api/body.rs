//! `Body<T>`: our JSON data guard. Rocket 0.5.1's `Json<T>` answers a wrong shape with 422 and a
//! wrong content type with 404; the contract wants 400 `MALFORMED_REQUEST` and 415, so every JSON
//! route takes `Body<T>` instead.

use rocket::data::{self, Data, FromData, ToByteUnit};
use rocket::outcome::Outcome;
use rocket::request::Request;
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::RequestBody;
use rocket_okapi::request::OpenApiFromData;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use super::docs::media_content;
use super::problem::stash;
use crate::error::AppError;

pub struct Body<T>(pub T);

/// `Body<T>` for a route whose whole body is optional: no body at all is `T::default()` (an OCTO
/// reseller may cancel or extend without one).
pub struct OptionalBody<T>(pub T);

/// The raw bytes next to the parsed value, for routes that must verify a signature over the exact
/// body (the payment webhook) or fingerprint it (idempotency).
pub struct RawBody<T> {
    pub value: T,
    pub bytes: Vec<u8>,
}

async fn read_json<T: DeserializeOwned>(
    req: &Request<'_>,
    data: Data<'_>,
) -> Result<RawBody<T>, AppError> {
    let is_json = req
        .content_type()
        .is_some_and(|ct| ct.is_json() || ct.sub().as_str().ends_with("+json"));
    if !is_json {
        return Err(AppError::UnsupportedMediaType);
    }
    let limit = req.limits().get("json").unwrap_or_else(|| 1.mebibytes());
    let capped = data
        .open(limit)
        .into_bytes()
        .await
        .map_err(|e| AppError::Malformed(format!("could not read the body: {e}")))?;
    if !capped.is_complete() {
        return Err(AppError::PayloadTooLarge);
    }
    let bytes = capped.into_inner();
    // Every body is a JSON object. serde would also build a struct from an array of its fields
    // (`[]` for one whose fields all have defaults), which is not the documented shape.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(AppError::Malformed(
            "The body must be a JSON object.".into(),
        ));
    }
    let value = serde_json::from_slice(&bytes).map_err(|e| AppError::Malformed(describe(&e)))?;
    Ok(RawBody { value, bytes })
}

fn describe(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Data => format!("The body does not have the expected shape: {e}."),
        _ => format!("The body is not valid JSON: {e}."),
    }
}

fn outcome<'r, T>(
    req: &'r Request<'_>,
    result: Result<T, AppError>,
) -> data::Outcome<'r, T, AppError> {
    match result {
        Ok(v) => Outcome::Success(v),
        Err(e) => Outcome::Error(stash(req, e)),
    }
}

#[rocket::async_trait]
impl<'r, T: DeserializeOwned> FromData<'r> for Body<T> {
    type Error = AppError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let parsed = read_json::<T>(req, data).await.map(|raw| Body(raw.value));
        outcome(req, parsed)
    }
}

#[rocket::async_trait]
impl<'r, T: DeserializeOwned + Default> FromData<'r> for OptionalBody<T> {
    type Error = AppError;

    async fn from_data(req: &'r Request<'_>, mut data: Data<'r>) -> data::Outcome<'r, Self> {
        if data.peek(1).await.is_empty() {
            return Outcome::Success(OptionalBody(T::default()));
        }
        let parsed = read_json::<T>(req, data)
            .await
            .map(|raw| OptionalBody(raw.value));
        outcome(req, parsed)
    }
}

#[rocket::async_trait]
impl<'r, T: DeserializeOwned> FromData<'r> for RawBody<T> {
    type Error = AppError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let parsed = read_json::<T>(req, data).await;
        outcome(req, parsed)
    }
}

impl<'r, T: DeserializeOwned + JsonSchema> OpenApiFromData<'r> for Body<T> {
    fn request_body(gen: &mut OpenApiGenerator) -> rocket_okapi::Result<RequestBody> {
        rocket::serde::json::Json::<T>::request_body(gen)
    }
}

impl<'r, T: DeserializeOwned + Default + JsonSchema> OpenApiFromData<'r> for OptionalBody<T> {
    fn request_body(gen: &mut OpenApiGenerator) -> rocket_okapi::Result<RequestBody> {
        let mut body = rocket::serde::json::Json::<T>::request_body(gen)?;
        body.required = false;
        Ok(body)
    }
}

impl<'r, T: DeserializeOwned + JsonSchema> OpenApiFromData<'r> for RawBody<T> {
    fn request_body(gen: &mut OpenApiGenerator) -> rocket_okapi::Result<RequestBody> {
        rocket::serde::json::Json::<T>::request_body(gen)
    }
}

/// A camera frame from the scanner: the bytes of an `image/jpeg` or `image/png` body of at most
/// 1 MiB (a downscaled phone frame is 30–150 KB).
pub struct Frame(pub Vec<u8>);

const FRAME_TYPES: [&str; 2] = ["image/jpeg", "image/png"];

async fn read_frame(req: &Request<'_>, data: Data<'_>) -> Result<Frame, AppError> {
    let is_image = req
        .content_type()
        .is_some_and(|ct| FRAME_TYPES.contains(&format!("{}/{}", ct.top(), ct.sub()).as_str()));
    if !is_image {
        return Err(AppError::UnsupportedMediaType);
    }
    let capped = data
        .open(1.mebibytes())
        .into_bytes()
        .await
        .map_err(|e| AppError::Malformed(format!("could not read the body: {e}")))?;
    if !capped.is_complete() {
        return Err(AppError::PayloadTooLarge);
    }
    Ok(Frame(capped.into_inner()))
}

#[rocket::async_trait]
impl<'r> FromData<'r> for Frame {
    type Error = AppError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let frame = read_frame(req, data).await;
        outcome(req, frame)
    }
}

impl<'r> OpenApiFromData<'r> for Frame {
    fn request_body(_: &mut OpenApiGenerator) -> rocket_okapi::Result<RequestBody> {
        Ok(RequestBody {
            description: Some("A camera frame, at most 1 MiB.".into()),
            content: media_content(&FRAME_TYPES, true),
            required: true,
            ..Default::default()
        })
    }
}
