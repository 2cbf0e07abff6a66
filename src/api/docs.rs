//! The OpenAPI document (`/openapi.json`) and the interactive docs page (`/docs`).

use rocket_okapi::okapi::openapi3::{Info, MediaType, OpenApi, RefOr, Response, Responses};
use rocket_okapi::okapi::schemars::schema::{InstanceType, SchemaObject};
use rocket_okapi::swagger_ui::{make_swagger_ui, SwaggerUIConfig};

/// Routes and specs of several modules mounted under one prefix, as one part.
pub fn combine(
    parts: impl IntoIterator<Item = (Vec<rocket::Route>, OpenApi)>,
) -> (Vec<rocket::Route>, OpenApi) {
    let mut routes = Vec::new();
    let mut specs = Vec::new();
    for (r, s) in parts {
        routes.extend(r);
        specs.push(("/", s));
    }
    let spec = rocket_okapi::okapi::merge::marge_spec_list(&specs).expect("route specs merge");
    (routes, spec)
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

/// The console's icon, for the favicons Swagger UI's page names but rocket_okapi does not ship.
const ICON: &str = "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'><rect width='32' height='32' rx='7' fill='#0b3d66'/><path d='M6 21h20l-3 5H9z M9 18V9l8 3-8 3 M15 18V6l8 4-8 4' fill='#fff'/></svg>";

#[rocket::get("/<_name>", rank = 20)]
fn favicon(_name: &str) -> Option<(rocket::http::ContentType, &'static str)> {
    _name
        .starts_with("favicon-")
        .then_some((rocket::http::ContentType::SVG, ICON))
}

pub fn swagger() -> Vec<rocket::Route> {
    let mut routes: Vec<rocket::Route> = make_swagger_ui(&SwaggerUIConfig {
        url: "/openapi.json".to_owned(),
        ..Default::default()
    })
    .into();
    routes.extend(rocket::routes![favicon]);
    routes
}

/// A string schema; `format: binary` for file bodies.
pub fn text_schema(binary: bool) -> SchemaObject {
    SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        format: binary.then(|| "binary".to_owned()),
        ..Default::default()
    }
}

/// The 200 answer of a file download in `media_types`.
pub fn file_responses(media_types: &[&str], binary: bool, description: &str) -> Responses {
    let mut responses = Responses::default();
    responses.responses.insert(
        "200".to_owned(),
        RefOr::Object(Response {
            description: description.to_owned(),
            content: media_content(media_types, binary),
            ..Default::default()
        }),
    );
    responses
}

/// One string-schema entry per media type (a download, or an image request body).
pub fn media_content(
    media_types: &[&str],
    binary: bool,
) -> rocket_okapi::okapi::Map<String, MediaType> {
    media_types
        .iter()
        .map(|t| {
            let media = MediaType {
                schema: Some(text_schema(binary)),
                ..Default::default()
            };
            ((*t).to_owned(), media)
        })
        .collect()
}
