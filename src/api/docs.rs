//! The OpenAPI document (`/openapi.json`) and the interactive docs page (`/docs`).

use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::{Info, MediaType, OpenApi, RefOr, Response, Responses};
use rocket_okapi::response::OpenApiResponderInner;
use rocket_okapi::swagger_ui::{make_swagger_ui, SwaggerUIConfig};

use crate::error::{AppError, Problem};

/// Every error route can answer, as problem+json.
impl OpenApiResponderInner for AppError {
    fn responses(gen: &mut OpenApiGenerator) -> rocket_okapi::Result<Responses> {
        let schema = gen.json_schema::<Problem>();
        let mut responses = Responses::default();
        for (code, description) in [
            ("400", "MALFORMED_REQUEST: not JSON, or not the expected shape"),
            ("401", "UNAUTHENTICATED: missing or invalid credentials"),
            ("403", "FORBIDDEN: role not allowed, partner suspended or key revoked"),
            ("404", "NOT_FOUND: unknown, or not yours"),
            ("409", "INSUFFICIENT_INVENTORY, RESERVATION_NOT_ACTIVE, ORDER_ALREADY_PAID, TICKET_NOT_ACTIVE, NO_REMAINING_USES, INVALID_STATE or DUPLICATE_RESELLER_CODE"),
            ("413", "PAYLOAD_TOO_LARGE: body over 1 MiB"),
            ("415", "UNSUPPORTED_MEDIA_TYPE: send application/json"),
            ("422", "VALIDATION_FAILED (field named in `field`), IDEMPOTENCY_KEY_REUSED, QR_INVALID or QR_EXPIRED"),
            ("429", "RATE_LIMITED: see Retry-After"),
        ] {
            let mut content = rocket_okapi::okapi::Map::new();
            content.insert("application/problem+json".to_owned(), MediaType { schema: Some(schema.clone()), ..Default::default() });
            responses.responses.insert(code.to_owned(), RefOr::Object(Response { description: description.to_owned(), content, ..Default::default() }));
        }
        Ok(responses)
    }
}

pub fn merge(parts: Vec<(&'static str, OpenApi)>) -> OpenApi {
    let mut spec = rocket_okapi::okapi::merge::marge_spec_list(&parts).expect("route specs merge");
    spec.info = Info {
        title: "Gangway".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        description: Some(
            "Ticketing for a small cruise / attraction operator: OTA inventory, reservations, orders, payments, \
             QR tickets, batches and resellers; direct sales; redemption at the pier. Errors are \
             application/problem+json with a stable `code`."
                .to_owned(),
        ),
        ..Default::default()
    };
    spec
}

pub fn swagger() -> Vec<rocket::Route> {
    make_swagger_ui(&SwaggerUIConfig {
        url: "/openapi.json".to_owned(),
        ..Default::default()
    })
    .into()
}
