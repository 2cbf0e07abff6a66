//! Camera scanning on phones without BarcodeDetector: the scanner posts a camera frame, the
//! server reads the QR code in it and redeems it under the same rules as a typed token.

use image::ImageEncoder;
use rocket::http::ContentType;

use crate::helpers::*;

/// A phone's photo of a QR code: the code drawn on a grey, slightly noisy frame, as JPEG.
fn photo_of(token: &str) -> Vec<u8> {
    let png = gangway::domain::qr::png(token).unwrap();
    let code = image::load_from_memory(&png).unwrap().to_luma8();
    let (w, h) = (640u32, 480u32);
    let mut frame = image::GrayImage::from_fn(w, h, |x, y| {
        image::Luma([140 + ((x * 3 + y * 5) % 50) as u8])
    });
    image::imageops::overlay(&mut frame, &code, 150, 60);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 75)
        .write_image(frame.as_raw(), w, h, image::ExtendedColorType::L8)
        .unwrap();
    jpeg
}

fn blank_png() -> Vec<u8> {
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&[250u8; 320 * 240], 320, 240, image::ExtendedColorType::L8)
        .unwrap();
    png
}

/// An app, a venue scanner's token and a ticket sold for today.
fn at_the_pier() -> (TestApp, String, serde_json::Value) {
    let app = spawn_app();
    let p = app.partner("P");
    let scanner = venue(&app);
    let ticket = app.sold_ticket(&p, 106);
    (app, scanner, ticket)
}

fn frame(app: &TestApp, scanner: &str, query: &str, bytes: Vec<u8>, ct: ContentType) -> Resp {
    app.post(&format!("/venue/scan-image?{query}"))
        .bearer(scanner)
        .raw(bytes, Some(ct))
        .send()
}

#[test]
fn a_camera_frame_redeems_like_a_typed_token() {
    let (app, scanner, ticket) = at_the_pier();
    let token = text_of(&ticket, "qr_token");

    let upload = || {
        let query = "function_code=ferry&scan_id=cam-1";
        frame(&app, &scanner, query, photo_of(&token), ContentType::JPEG).expect(200)
    };
    let ok = upload();
    assert_eq!(
        (
            ok.body["ticket_code"].as_str(),
            ok.body["remaining_uses"].as_i64()
        ),
        (ticket["ticket_code"].as_str(), Some(1))
    );
    assert_eq!(ok.body["ticket"]["product_name"], "Premium Plan");
    // The same scan id again (a retried upload) consumes nothing more.
    assert_eq!(upload().body, ok.body);
    // A PNG works too, and the rules are the rules: the second ferry use, then none left.
    let png = gangway::domain::qr::png(&token).unwrap();
    frame(
        &app,
        &scanner,
        "function_code=ferry",
        png.clone(),
        ContentType::PNG,
    )
    .expect(200);
    let r = frame(&app, &scanner, "function_code=ferry", png, ContentType::PNG)
        .problem(409, "NO_REMAINING_USES");
    assert_eq!(r.body["ticket"]["ticket_code"], ticket["ticket_code"]);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM redemptions"), 2);
}

#[test]
fn a_frame_without_a_code_consumes_nothing_and_says_so() {
    let (app, scanner, _ticket) = at_the_pier();
    frame(
        &app,
        &scanner,
        "function_code=ferry",
        blank_png(),
        ContentType::PNG,
    )
    .problem(422, "QR_NOT_FOUND");
    let r = frame(
        &app,
        &scanner,
        "function_code=ferry",
        b"\x89PNG but not really".to_vec(),
        ContentType::PNG,
    )
    .problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["field"], "image");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM redemptions"), 0);
}

#[test]
fn the_frame_route_checks_its_body_and_its_query() {
    let (app, scanner, ticket) = at_the_pier();
    let token = text_of(&ticket, "qr_token");
    let photo = photo_of(&token);
    frame(
        &app,
        &scanner,
        "function_code=ferry",
        photo.clone(),
        ContentType::JSON,
    )
    .problem(415, "UNSUPPORTED_MEDIA_TYPE");
    frame(
        &app,
        &scanner,
        "function_code=ferry",
        photo.clone(),
        ContentType::GIF,
    )
    .problem(415, "UNSUPPORTED_MEDIA_TYPE");
    let r = frame(
        &app,
        &scanner,
        "scan_id=x",
        photo.clone(),
        ContentType::JPEG,
    )
    .problem(422, "VALIDATION_FAILED");
    assert_eq!(r.body["field"], "function_code");
    let mut huge = photo.clone();
    huge.resize(1024 * 1024 + 1, 0);
    frame(
        &app,
        &scanner,
        "function_code=ferry",
        huge,
        ContentType::JPEG,
    )
    .problem(413, "PAYLOAD_TOO_LARGE");
    // A venue scanner cannot override the date through this route either.
    frame(
        &app,
        &scanner,
        "function_code=ferry&override_visit_date=true",
        photo,
        ContentType::JPEG,
    )
    .problem(403, "FORBIDDEN");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM redemptions"), 0);
    // The OpenAPI document describes the image body and the new codes.
    let spec = app.get("/openapi.json").send().expect(200).body;
    let op = &spec["paths"]["/venue/scan-image"]["post"];
    assert!(
        op["requestBody"]["content"]["image/jpeg"].is_object(),
        "{op}"
    );
    let text = spec.to_string();
    assert!(text.contains("QR_NOT_FOUND") && text.contains("WRONG_VISIT_DATE"));
}
