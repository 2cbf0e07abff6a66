//! Camera scanning on every phone. Browsers with `BarcodeDetector` read the QR code themselves;
//! iOS Safari and Firefox have none, so their scanner sends a downscaled camera frame (JPEG or PNG)
//! and the server finds the QR code in it and redeems it exactly like a typed token. Decoding runs
//! before the redemption's transaction opens: the writer is never held for image work.

use std::io::Cursor;

use super::redemption::{self, Redeemed, Refusal, Scan, Scanner};
use super::Ctx;
use crate::error::AppError;

/// Larger frames are refused before they are decoded: a small file may claim a huge size (a
/// decompression bomb), and no phone needs more to show a QR code.
const MAX_SIDE: u32 = 4096;
/// Frames are searched at this size at most: the QR code stays readable and the search is quick.
const SEARCH_SIDE: u32 = 1024;

/// The text of the first readable QR code in a JPEG or PNG frame; `QR_NOT_FOUND` when there is
/// none, 422 `VALIDATION_FAILED` when the bytes are not an image.
pub fn read_qr(frame: &[u8]) -> Result<String, AppError> {
    let mut reader = image::ImageReader::new(Cursor::new(frame))
        .with_guessed_format()
        .map_err(|e| AppError::Internal(format!("frame: {e}")))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(128 << 20);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|_| AppError::validation("image", "not a readable JPEG or PNG image"))?;
    let img = if img.width().max(img.height()) > SEARCH_SIDE {
        img.resize(
            SEARCH_SIDE,
            SEARCH_SIDE,
            image::imageops::FilterType::Triangle,
        )
    } else {
        img
    };
    let luma = img.to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        luma.width() as usize,
        luma.height() as usize,
        |x, y| luma.get_pixel(x as u32, y as u32).0[0],
    );
    prepared
        .detect_grids()
        .iter()
        .find_map(|grid| grid.decode().ok().map(|(_, text)| text))
        .ok_or(AppError::QrNotFound)
}

/// Finds the QR code in a camera frame and redeems it; the frame's token replaces
/// `scan.qr_token`.
pub fn redeem_frame(
    ctx: &Ctx,
    frame: &[u8],
    mut scan: Scan,
    by: Scanner,
) -> Result<Redeemed, Refusal> {
    scan.qr_token = read_qr(frame)?;
    redemption::answer(redemption::redeem(ctx, scan, by).wait())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::ImageEncoder;

    /// A QR code drawn small on a grey, noisy "photo", then encoded as a JPEG.
    fn photo_of(token: &str) -> Vec<u8> {
        let png = crate::domain::qr::png(token).unwrap();
        let code = image::load_from_memory(&png).unwrap().to_luma8();
        let (w, h) = (900u32, 700u32);
        let mut frame = image::GrayImage::from_fn(w, h, |x, y| {
            image::Luma([150 + ((x * 7 + y * 13) % 40) as u8])
        });
        image::imageops::overlay(&mut frame, &code, 250, 150);
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
            .write_image(frame.as_raw(), w, h, image::ExtendedColorType::L8)
            .unwrap();
        jpeg
    }

    #[test]
    fn a_jpeg_frame_gives_its_token() {
        let token = "AQEyd2rjZhZsHBAq0vdQ3nYvSgHm5oZ4ZRS7wRNaVnYk";
        assert_eq!(read_qr(&photo_of(token)).unwrap(), token);
    }

    #[test]
    fn frames_without_a_code_and_non_images_are_told_apart() {
        let mut blank = Vec::new();
        image::codecs::png::PngEncoder::new(&mut blank)
            .write_image(&[255u8; 64 * 64], 64, 64, image::ExtendedColorType::L8)
            .unwrap();
        assert_eq!(read_qr(&blank), Err(AppError::QrNotFound));
        assert!(matches!(
            read_qr(b"not an image at all"),
            Err(AppError::Validation { .. })
        ));
    }
}
