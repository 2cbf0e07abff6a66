//! The staff console: static files embedded in the binary at build time, so the server works from
//! any directory. The console talks only to the public JSON API.

use rocket::http::{ContentType, Header};
use rocket::response::{self, Responder};
use rocket::{get, Request};

use crate::error::AppError;

macro_rules! assets {
    ($($name:literal => $ct:expr),* $(,)?) => {
        const ASSETS: &[(&str, &[u8])] = &[$(($name, include_bytes!(concat!("../../static/", $name)))),*];
        fn content_type(name: &str) -> ContentType {
            match name { $($name => $ct,)* _ => ContentType::Binary }
        }
    };
}

assets! {
    "index.html" => ContentType::HTML,
    "style.css" => ContentType::CSS,
    "venue.css" => ContentType::CSS,
    "print.css" => ContentType::CSS,
    "app.js" => ContentType::JavaScript,
    "api.js" => ContentType::JavaScript,
    "ui.js" => ContentType::JavaScript,
    "format.js" => ContentType::JavaScript,
    "download.js" => ContentType::JavaScript,
    "ticket-card.js" => ContentType::JavaScript,
    "camera.js" => ContentType::JavaScript,
    "dashboard.js" => ContentType::JavaScript,
    "batches.js" => ContentType::JavaScript,
    "partners.js" => ContentType::JavaScript,
    "resellers.js" => ContentType::JavaScript,
    "audit.js" => ContentType::JavaScript,
    "users.js" => ContentType::JavaScript,
    "account.js" => ContentType::JavaScript,
    "scanner.js" => ContentType::JavaScript,
    "manifest.js" => ContentType::JavaScript,
    "lookup.js" => ContentType::JavaScript,
    "ticket.js" => ContentType::JavaScript,
    "order.js" => ContentType::JavaScript,
    "print.js" => ContentType::JavaScript,
}

/// The console's Content-Security-Policy (a macro, so the docs page can extend the literal).
macro_rules! console_csp {
    () => {
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; frame-ancestors 'none'"
    };
}

/// What the console's pages may load and who may frame them.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", console_csp!()),
    ("Referrer-Policy", "no-referrer"),
];

/// The docs page: the console's policy, and the one `<style>` element that the Swagger UI
/// bundle shipped by rocket_okapi 0.9 injects, allowed by its hash (no other inline style, and
/// no inline script at all). The browser test fails if an upgrade changes it.
pub const DOCS_SECURITY_HEADERS: &[(&str, &str)] = &[
    ("X-Content-Type-Options", "nosniff"),
    (
        "Content-Security-Policy",
        concat!(
            console_csp!(),
            "; style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='"
        ),
    ),
    ("Referrer-Policy", "no-referrer"),
];

pub struct Asset(&'static str, &'static [u8]);

impl<'r> Responder<'r, 'static> for Asset {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let mut res = rocket::Response::build_from((content_type(self.0), self.1).respond_to(req)?);
        // The files change with the binary; revalidate instead of caching stale code.
        res.header(Header::new("Cache-Control", "no-cache"));
        for (name, value) in SECURITY_HEADERS {
            res.header(Header::new(*name, *value));
        }
        res.ok()
    }
}

fn asset(name: &str) -> Result<Asset, AppError> {
    ASSETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, b)| Asset(n, b))
        .ok_or(AppError::NotFound)
}

#[get("/")]
fn index() -> Result<Asset, AppError> {
    asset("index.html")
}

#[get("/<file>", rank = 20)]
fn file(file: &str) -> Result<Asset, AppError> {
    asset(file)
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![index, file]
}
