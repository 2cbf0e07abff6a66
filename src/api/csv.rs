//! A CSV file answer (the passenger list, settlement): `text/csv; charset=utf-8`, offered as a
//! download. The bytes come from `domain::csv`, the one writer of CSV.

use rocket::http::{ContentType, Header};
use rocket::response::{self, Responder};
use rocket::Request;
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::Responses;
use rocket_okapi::response::OpenApiResponderInner;

use super::docs::file_responses;

/// (file name, CSV text).
pub struct CsvFile(pub String, pub String);

impl<'r> Responder<'r, 'static> for CsvFile {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let content_type = ContentType::new("text", "csv").with_params(("charset", "utf-8"));
        rocket::Response::build_from(self.1.respond_to(req)?)
            .header(content_type)
            .header(Header::new(
                "Content-Disposition",
                format!("attachment; filename=\"{}\"", self.0),
            ))
            .header(Header::new("Cache-Control", "no-store"))
            .ok()
    }
}

impl OpenApiResponderInner for CsvFile {
    fn responses(_: &mut OpenApiGenerator) -> rocket_okapi::Result<Responses> {
        Ok(file_responses(
            &["text/csv"],
            false,
            "CSV, UTF-8 with a byte-order mark; money in currency units.",
        ))
    }
}
