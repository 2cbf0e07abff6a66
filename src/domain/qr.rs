//! QR tokens: compact, signed, self-describing strings. A *live* token names a ticket and an expiry
//! (minutes); a *voucher* token (printed in batch archives) names only the ticket; a *dated*
//! token (an OCTO reseller prints or e-mails it) names the ticket and the end of its visit date.
//! All are `base64url(kind ‖ key id ‖ 12-byte ticket code ‖ [u32 expiry] ‖ 16-byte HMAC-SHA256)`:
//! 46 / 40 / 46 characters, small enough for a low-density QR code that phone cameras read in poor
//! light. The kind is signed too, so one kind never passes for another.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{KeyInit, Mac};
use image::ImageEncoder;
use qrcode::{EcLevel, QrCode};
use time::{Duration, OffsetDateTime};

use crate::error::AppError;
use crate::ids;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

const LIVE: u8 = 1;
const VOUCHER: u8 = 2;
const DATED: u8 = 3;
const KEY_ID: u8 = 1;
const CODE_LEN: usize = 12;
const MAC_LEN: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Live,
    Voucher,
    /// Valid until a stated instant (the end of the visit date), however often it is shown.
    Dated,
}

#[derive(Clone)]
pub struct QrSigner {
    key: [u8; 32],
    live_ttl: Duration,
}

impl QrSigner {
    pub fn new(key: [u8; 32], live_ttl: Duration) -> QrSigner {
        QrSigner { key, live_ttl }
    }

    /// A fresh live token for a ticket, and when it stops working.
    pub fn fresh(&self, ticket_code: &str) -> Result<(String, OffsetDateTime), AppError> {
        let expires_at = crate::clock::now() + self.live_ttl;
        Ok((self.live_token(ticket_code, expires_at)?, expires_at))
    }

    fn mac(&self, payload: &[u8]) -> [u8; MAC_LEN] {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(payload);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; MAC_LEN];
        out.copy_from_slice(&full[..MAC_LEN]);
        out
    }

    fn sign(
        &self,
        kind: u8,
        ticket_code: &str,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<String, AppError> {
        let code = URL_SAFE_NO_PAD
            .decode(ticket_code)
            .ok()
            .filter(|c| c.len() == CODE_LEN)
            .ok_or_else(|| AppError::Internal("ticket code is not 12 bytes of base64url".into()))?;
        let mut payload = vec![kind, KEY_ID];
        payload.extend_from_slice(&code);
        if let Some(t) = expires_at {
            payload.extend_from_slice(&(t.unix_timestamp() as u32).to_be_bytes());
        }
        let mac = self.mac(&payload);
        payload.extend_from_slice(&mac);
        Ok(URL_SAFE_NO_PAD.encode(payload))
    }

    pub fn live_token(
        &self,
        ticket_code: &str,
        expires_at: OffsetDateTime,
    ) -> Result<String, AppError> {
        self.sign(LIVE, ticket_code, Some(expires_at))
    }

    pub fn voucher_token(&self, ticket_code: &str) -> Result<String, AppError> {
        self.sign(VOUCHER, ticket_code, None)
    }

    /// A printable token that verifies until `valid_until` (the same token every time it is asked
    /// for, so a reseller may print it once and e-mail it).
    pub fn dated_token(
        &self,
        ticket_code: &str,
        valid_until: OffsetDateTime,
    ) -> Result<String, AppError> {
        self.sign(DATED, ticket_code, Some(valid_until))
    }

    /// Returns the ticket code a token names, if the signature holds and a live or dated token is
    /// not past its expiry. The expiry is checked only after the signature, so a forged token never learns
    /// anything from the answer.
    pub fn verify(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<(String, TokenKind), AppError> {
        if token.len() > 128 {
            return Err(AppError::QrInvalid);
        }
        let raw = URL_SAFE_NO_PAD
            .decode(token.trim())
            .map_err(|_| AppError::QrInvalid)?;
        let (kind, body_len) = match raw.first() {
            Some(&LIVE) => (TokenKind::Live, 2 + CODE_LEN + 4),
            Some(&VOUCHER) => (TokenKind::Voucher, 2 + CODE_LEN),
            Some(&DATED) => (TokenKind::Dated, 2 + CODE_LEN + 4),
            _ => return Err(AppError::QrInvalid),
        };
        if raw.len() != body_len + MAC_LEN || raw[1] != KEY_ID {
            return Err(AppError::QrInvalid);
        }
        let (payload, mac) = raw.split_at(body_len);
        if !ids::constant_time_eq(&self.mac(payload), mac) {
            return Err(AppError::QrInvalid);
        }
        let code = URL_SAFE_NO_PAD.encode(&payload[2..2 + CODE_LEN]);
        if kind != TokenKind::Voucher {
            let expiry = u32::from_be_bytes(
                payload[2 + CODE_LEN..]
                    .try_into()
                    .map_err(|_| AppError::QrInvalid)?,
            );
            if i64::from(expiry) <= now.unix_timestamp() {
                return Err(AppError::QrExpired);
            }
        }
        Ok((code, kind))
    }
}

/// Pixels per module and the quiet zone in modules (the standard asks for 4).
const MODULE_PX: usize = 8;
const QUIET_ZONE: usize = 4;

/// Renders a token as a PNG QR code: error correction Q (survives a scuffed print or a cracked
/// phone screen), 8 px modules, the standard quiet zone. The bitmap is filled directly, which is
/// several times faster than the generic renderer; batch archives render thousands.
pub fn png(token: &str) -> Result<Vec<u8>, AppError> {
    let code = QrCode::with_error_correction_level(token.as_bytes(), EcLevel::Q)
        .map_err(|e| AppError::Internal(format!("qr encode: {e}")))?;
    let modules = code.width();
    let side = (modules + 2 * QUIET_ZONE) * MODULE_PX;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (x0, y0) = (
            (i % modules + QUIET_ZONE) * MODULE_PX,
            (i / modules + QUIET_ZONE) * MODULE_PX,
        );
        for row in pixels.chunks_exact_mut(side).skip(y0).take(MODULE_PX) {
            row[x0..x0 + MODULE_PX].fill(0);
        }
    }
    let mut out = Vec::with_capacity(2048);
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            &pixels,
            side as u32,
            side as u32,
            image::ExtendedColorType::L8,
        )
        .map_err(|e| AppError::Internal(format!("png encode: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> QrSigner {
        QrSigner::new([7u8; 32], Duration::minutes(30))
    }

    #[test]
    fn live_tokens_verify_until_they_expire() {
        let now = crate::clock::now();
        let code = ids::new_ticket_code();
        let token = signer()
            .live_token(&code, now + Duration::minutes(30))
            .unwrap();
        assert_eq!(token.len(), 46);
        assert_eq!(
            signer().verify(&token, now).unwrap(),
            (code.clone(), TokenKind::Live)
        );
        assert_eq!(
            signer().verify(&token, now + Duration::minutes(31)),
            Err(AppError::QrExpired)
        );
    }

    #[test]
    fn vouchers_do_not_expire_and_forgeries_fail() {
        let code = ids::new_ticket_code();
        let token = signer().voucher_token(&code).unwrap();
        let later = crate::clock::now() + Duration::days(3650);
        assert_eq!(
            signer().verify(&token, later).unwrap().1,
            TokenKind::Voucher
        );
        assert_eq!(
            QrSigner::new([8u8; 32], Duration::minutes(30)).verify(&token, later),
            Err(AppError::QrInvalid)
        );
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        bytes[5] ^= 1;
        assert_eq!(
            signer().verify(&URL_SAFE_NO_PAD.encode(&bytes), later),
            Err(AppError::QrInvalid)
        );
        assert_eq!(
            signer().verify(&token[..20], later),
            Err(AppError::QrInvalid)
        );
        assert_eq!(
            signer().verify("not base64 !", later),
            Err(AppError::QrInvalid)
        );
    }

    #[test]
    fn tampering_with_any_byte_is_refused() {
        let now = crate::clock::now();
        let code = ids::new_ticket_code();
        for token in [
            signer()
                .live_token(&code, now + Duration::minutes(5))
                .unwrap(),
            signer().voucher_token(&code).unwrap(),
            signer()
                .dated_token(&code, now + Duration::days(2))
                .unwrap(),
        ] {
            let bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
            for i in 0..bytes.len() {
                for flip in [0x01u8, 0x80] {
                    let mut forged = bytes.clone();
                    forged[i] ^= flip;
                    let result = signer().verify(&URL_SAFE_NO_PAD.encode(&forged), now);
                    assert_eq!(
                        result,
                        Err(AppError::QrInvalid),
                        "byte {i} flipped with {flip:#x}"
                    );
                }
            }
        }
    }

    #[test]
    fn dated_tokens_verify_through_their_date_and_are_stable() {
        let now = crate::clock::now();
        let code = ids::new_ticket_code();
        let until = now + Duration::days(3);
        let token = signer().dated_token(&code, until).unwrap();
        assert_eq!(token.len(), 46);
        assert_eq!(signer().dated_token(&code, until).unwrap(), token);
        assert_eq!(
            signer()
                .verify(&token, until - Duration::seconds(1))
                .unwrap(),
            (code, TokenKind::Dated)
        );
        assert_eq!(signer().verify(&token, until), Err(AppError::QrExpired));
        // A dated token is not a live one with another name: flipping the kind breaks the MAC.
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        bytes[0] = LIVE;
        assert_eq!(
            signer().verify(&URL_SAFE_NO_PAD.encode(&bytes), now),
            Err(AppError::QrInvalid)
        );
    }

    #[test]
    fn a_live_token_cannot_pass_as_a_voucher() {
        let code = ids::new_ticket_code();
        let live = signer()
            .live_token(&code, crate::clock::now() + Duration::minutes(5))
            .unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(&live).unwrap();
        bytes[0] = VOUCHER;
        assert_eq!(
            signer().verify(&URL_SAFE_NO_PAD.encode(&bytes), crate::clock::now()),
            Err(AppError::QrInvalid)
        );
    }

    #[test]
    fn png_is_a_png() {
        let png = png(&signer().voucher_token(&ids::new_ticket_code()).unwrap()).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }
}
