//! OCTO 1.0, the open standard resellers use to book attractions (issue 18). Gangway's packages
//! are OCTO products with one option, its customer types the units, its OTA stock the
//! availability (one all-day slot per local date at the venue). A booking is an OTA reservation
//! underneath while on hold, and an OTA order paid in the same transaction once confirmed: one
//! inventory, one set of books, whichever API a partner uses.
//!
//! - `products.rs`     the supplier, products, options, units
//! - `pricing.rs`      the `octo/pricing` capability's objects, from the price matrix
//! - `availability.rs` slots, their ids, the calendar and the availability check
//! - `requests.rs`     request bodies and the contact object, and what they may say
//! - `rows.rs`         the `octo_bookings` and `octo_unit_items` tables
//! - `view.rs`         a booking as OCTO shows it; its status follows the hold, order and tickets
//! - `bookings.rs`     the use cases of a hold: reserve, extend, update; get and list
//! - `sale.rs`         confirm (order + payment in one transaction) and cancel
//!
//! Refusals are `AppError::Refused` with OCTO's codes (the constructors below); the HTTP floor
//! renders every error of these routes in OCTO's shape. Audit rows of OCTO use cases are
//! `octo.booking.*` with `"surface": "octo"` in their summary; the shared steps they compose
//! (`order.create`, `order.paid`, `reservation.expire`, `ticket.redeem`) write the rows they
//! write for the classic API, linked by reservation and order id.

pub mod availability;
pub mod bookings;
pub mod contact;
pub mod pricing;
pub mod products;
pub mod requests;
mod rows;
pub mod sale;
pub mod view;

use super::qr::QrSigner;
use super::venue::VenueClock;
use super::Ctx;
use crate::error::AppError;

/// The capabilities a request asked for (`Octo-Capabilities`) that Gangway applies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// `octo/pricing`: prices on units, availability and bookings.
    pub pricing: bool,
}

impl Capabilities {
    pub const PRICING: &'static str = "octo/pricing";

    /// Reads the header: comma-separated ids, possibly empty or missing; unknown ones are ignored.
    pub fn parse(header: Option<&str>) -> Capabilities {
        let asked = |id: &str| {
            header
                .unwrap_or("")
                .split(',')
                .any(|c| c.trim().eq_ignore_ascii_case(id))
        };
        Capabilities {
            pricing: asked(Capabilities::PRICING),
        }
    }

    /// The applied ones, as the answer's `Octo-Capabilities` header says them.
    pub fn applied(self) -> String {
        if self.pricing {
            Capabilities::PRICING.to_owned()
        } else {
            String::new()
        }
    }
}

/// What every OCTO answer is rendered with, owned so that it can go into a transaction.
#[derive(Clone)]
pub(super) struct Terms {
    pub venue: VenueClock,
    pub currency: String,
    pub caps: Capabilities,
    pub signer: QrSigner,
    pub hold_minutes: i64,
}

impl Terms {
    pub fn of(ctx: &Ctx, caps: Capabilities) -> Terms {
        Terms {
            venue: ctx.venue.clone(),
            currency: ctx.config.currency.clone(),
            caps,
            signer: ctx.qr.clone(),
            hold_minutes: ctx.config.octo_hold_minutes,
        }
    }
}

// OCTO's refusals. Every one is HTTP 400 with `{error, errorMessage}` and, for a bad id, that id
// echoed exactly as sent under its field name.

pub fn invalid_product(id: &str) -> AppError {
    AppError::refused_value(
        "INVALID_PRODUCT_ID",
        "The productId was missing or invalid.",
        "productId",
        id,
    )
}

pub fn invalid_option(id: &str) -> AppError {
    AppError::refused_value(
        "INVALID_OPTION_ID",
        "The optionId was missing or invalid.",
        "optionId",
        id,
    )
}

pub fn invalid_unit(id: &str) -> AppError {
    AppError::refused_value(
        "INVALID_UNIT_ID",
        "The unitId was missing or invalid.",
        "unitId",
        id,
    )
}

pub fn invalid_availability(id: &str) -> AppError {
    AppError::refused_value(
        "INVALID_AVAILABILITY_ID",
        "The availabilityId was missing or invalid.",
        "availabilityId",
        id,
    )
}

pub fn invalid_booking(uuid: &str, detail: &str) -> AppError {
    AppError::refused_value("INVALID_BOOKING_UUID", detail, "uuid", uuid)
}

pub fn bad_request(detail: impl Into<String>) -> AppError {
    AppError::refused("BAD_REQUEST", detail)
}

pub fn unprocessable(detail: impl Into<String>) -> AppError {
    AppError::refused("UNPROCESSABLE_ENTITY", detail)
}

/// A booking uuid as OCTO writes them (lower-case RFC 4122), or `INVALID_BOOKING_UUID`.
pub fn parse_uuid(raw: &str) -> Result<String, AppError> {
    uuid::Uuid::parse_str(raw.trim())
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| invalid_booking(raw, "The uuid is not a UUID."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_may_be_missing_empty_or_unknown() {
        assert_eq!(Capabilities::parse(None), Capabilities::default());
        assert_eq!(Capabilities::parse(Some("")), Capabilities::default());
        assert_eq!(Capabilities::parse(Some("octo/content")).applied(), "");
        let both = Capabilities::parse(Some("octo/content, octo/pricing"));
        assert!(both.pricing);
        assert_eq!(both.applied(), "octo/pricing");
    }

    #[test]
    fn booking_uuids_come_out_lower_case() {
        assert_eq!(
            parse_uuid("0F8FAD5B-D9CB-469F-A165-70867728950E").unwrap(),
            "0f8fad5b-d9cb-469f-a165-70867728950e"
        );
        let err = parse_uuid("invalidUUID").unwrap_err();
        assert_eq!(err.code(), "INVALID_BOOKING_UUID");
    }
}
