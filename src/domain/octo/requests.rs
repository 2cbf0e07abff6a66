//! What OCTO requests say. Every field is optional at the parsing stage, so that a missing one is
//! refused with OCTO's own code in OCTO's order (product, option, availability, unit items, …)
//! rather than as a malformed body; a field of the wrong JSON type is `BAD_REQUEST`. The checks
//! of what they say that the use cases share (the people, the hold's length, free text) are here.

use std::collections::HashSet;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use time::{Duration, OffsetDateTime};

use super::super::catalog::Product as Package;
use super::super::reservations::{LONGEST_HOLD, MAX_QUANTITY, SHORTEST_HOLD};
use super::super::values::{self, CustomerDetails};
use super::contact::Contact;
use super::products::check_unit;
use super::rows::UnitItemRow;
use super::{bad_request, unprocessable, Terms};
use crate::clock;
use crate::error::AppError;
use crate::ids;

/// A nested object (a contact) must be a JSON object: serde would also build one from an array of
/// its fields, which is not the documented shape.
fn object<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Contact>, D::Error> {
    use serde::de::Error;
    match Option::<serde_json::Map<String, serde_json::Value>>::deserialize(d)? {
        Some(fields) => serde_json::from_value(serde_json::Value::Object(fields))
            .map(Some)
            .map_err(D::Error::custom),
        None => Ok(None),
    }
}

/// A key that may be sent as `null` to clear the value: missing → `None`, null → `Some(None)`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

/// Free text of at most `max` characters (line breaks allowed, other control characters not).
pub(super) fn text(value: Option<&str>, field: &str, max: usize) -> Result<(), AppError> {
    let Some(v) = value else { return Ok(()) };
    let bad = v.chars().count() > max
        || v.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'));
    if bad {
        return Err(bad_request(format!(
            "{field} must be at most {max} characters of text"
        )));
    }
    Ok(())
}

impl Contact {
    pub(super) fn validate(&self, field: &str) -> Result<(), AppError> {
        let short = [
            ("fullName", &self.full_name),
            ("firstName", &self.first_name),
            ("lastName", &self.last_name),
            ("emailAddress", &self.email_address),
            ("phoneNumber", &self.phone_number),
            ("postalCode", &self.postal_code),
            ("country", &self.country),
        ];
        for (name, value) in short {
            text(value.as_deref(), &format!("{field}.{name}"), 200)?;
        }
        text(self.notes.as_deref(), &format!("{field}.notes"), 2000)?;
        if let Some(email) = self.email_address.as_deref().filter(|e| !e.is_empty()) {
            if !values::is_email(email) {
                return Err(bad_request(format!(
                    "{field}.emailAddress must be an email address"
                )));
            }
        }
        if self.locales.len() > 20 || self.locales.iter().any(|l| l.len() > 35) {
            return Err(bad_request(format!(
                "{field}.locales: at most 20 language tags"
            )));
        }
        Ok(())
    }

    /// Who the order and its tickets are for: the full name, or first and last name.
    pub(super) fn customer(&self) -> CustomerDetails {
        let name = match &self.full_name {
            Some(full) if !full.trim().is_empty() => full.trim().to_owned(),
            _ => [&self.first_name, &self.last_name]
                .into_iter()
                .flatten()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        };
        CustomerDetails {
            name,
            email: self.email_address.clone().unwrap_or_default(),
            phone: self.phone_number.clone().filter(|p| !p.is_empty()),
        }
    }
}

/// One person of a booking.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct UnitItemInput {
    /// Keeps an existing unit item (on confirm and update); new ones get a generated uuid.
    pub uuid: Option<String>,
    pub unit_id: Option<String>,
    pub reseller_reference: Option<String>,
    #[serde(deserialize_with = "object")]
    pub contact: Option<Contact>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct UnitQuantity {
    pub id: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CalendarRequest {
    pub product_id: Option<String>,
    pub option_id: Option<String>,
    pub local_date_start: Option<String>,
    pub local_date_end: Option<String>,
    pub units: Option<Vec<UnitQuantity>>,
    pub currency: Option<String>,
}

/// The calendar's request, or instead of its dates the slots' ids.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct AvailabilityRequest {
    #[serde(flatten)]
    pub range: CalendarRequest,
    pub availability_ids: Option<Vec<String>>,
}

/// `POST /bookings`: a hold. `uuid` makes it idempotent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ReserveRequest {
    pub uuid: Option<String>,
    pub product_id: Option<String>,
    pub option_id: Option<String>,
    pub availability_id: Option<String>,
    /// 1 to 10080; default `octo_hold_minutes`.
    pub expiration_minutes: Option<i64>,
    pub notes: Option<String>,
    pub reseller_reference: Option<String>,
    #[serde(deserialize_with = "object")]
    pub contact: Option<Contact>,
    pub unit_items: Option<Vec<UnitItemInput>>,
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ExtendRequest {
    /// The hold ends this many minutes from now (1 to 10080; default `octo_hold_minutes`).
    pub expiration_minutes: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ConfirmRequest {
    /// Required (all its keys are optional; a full name is enough).
    #[serde(deserialize_with = "object")]
    pub contact: Option<Contact>,
    pub reseller_reference: Option<String>,
    /// Accepted; Gangway sends no e-mail (the reseller delivers the tickets).
    pub email_receipt: Option<bool>,
    /// Replaces the unit items (the hold follows).
    pub unit_items: Option<Vec<UnitItemInput>>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateRequest {
    pub reseller_reference: Option<String>,
    pub product_id: Option<String>,
    pub option_id: Option<String>,
    pub availability_id: Option<String>,
    pub expiration_minutes: Option<i64>,
    /// `null` clears the notes.
    #[serde(deserialize_with = "present")]
    #[schemars(with = "Option<String>")]
    pub notes: Option<Option<String>>,
    pub email_receipt: Option<bool>,
    pub unit_items: Option<Vec<UnitItemInput>>,
    #[serde(deserialize_with = "object")]
    pub contact: Option<Contact>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CancelRequest {
    pub reason: Option<String>,
    /// Accepted; Gangway has no cancellation cutoff to force past.
    pub force: Option<bool>,
}

/// `GET /bookings`: at least one of the references or dates.
#[derive(Debug, Clone, Default)]
pub struct BookingQuery {
    pub reseller_reference: Option<String>,
    pub supplier_reference: Option<String>,
    pub local_date: Option<String>,
    pub local_date_start: Option<String>,
    pub local_date_end: Option<String>,
    pub product_id: Option<String>,
    pub option_id: Option<String>,
}

/// When a hold asked for `minutes` (default: `octo_hold_minutes`) ends.
pub(super) fn hold_until(minutes: Option<i64>, terms: &Terms) -> Result<OffsetDateTime, AppError> {
    let minutes = minutes.unwrap_or(terms.hold_minutes);
    let (shortest, longest) = (SHORTEST_HOLD.whole_minutes(), LONGEST_HOLD.whole_minutes());
    if !(shortest..=longest).contains(&minutes) {
        return Err(bad_request(format!(
            "expirationMinutes must be {shortest} to {longest} (7 days)"
        )));
    }
    Ok(clock::now() + Duration::minutes(minutes))
}

/// The free-text fields of a booking.
pub(super) fn check_details(
    contact: &Contact,
    reseller_reference: Option<&str>,
    notes: Option<&str>,
) -> Result<(), AppError> {
    contact.validate("contact")?;
    text(reseller_reference, "resellerReference", 100)?;
    text(notes, "notes", 2000)
}

/// The people a request lists, in order: each unit a customer type of the package, each uuid
/// once; an item naming an existing uuid keeps it (and its contact unless it sends one), new
/// ones get a generated uuid. Missing or empty: `UNPROCESSABLE_ENTITY`.
pub(super) fn people(
    package: &Package,
    current: &[UnitItemRow],
    asked: Option<&[UnitItemInput]>,
) -> Result<Vec<UnitItemRow>, AppError> {
    let asked = asked.unwrap_or_default();
    if asked.is_empty() {
        return Err(unprocessable("unitItems must list at least one unit item."));
    }
    if asked.len() as i64 > MAX_QUANTITY {
        return Err(unprocessable("A booking has at most 5000 unit items."));
    }
    let mut seen = HashSet::new();
    asked
        .iter()
        .map(|input| {
            let unit_id = check_unit(package, input.unit_id.as_deref())?;
            let uuid = match &input.uuid {
                Some(u) => uuid::Uuid::parse_str(u)
                    .map(|u| u.hyphenated().to_string())
                    .map_err(|_| bad_request("unitItems[].uuid must be a UUID"))?,
                None => ids::new_uuid(),
            };
            if !seen.insert(uuid.clone()) {
                return Err(bad_request("unitItems[].uuid must be unique"));
            }
            let kept = current.iter().find(|c| c.uuid == uuid);
            let contact = match (&input.contact, kept) {
                (Some(c), _) => c.clone(),
                (None, Some(k)) => k.contact.clone(),
                (None, None) => Contact::default(),
            };
            contact.validate("unitItems[].contact")?;
            text(
                input.reseller_reference.as_deref(),
                "unitItems[].resellerReference",
                100,
            )?;
            Ok(UnitItemRow {
                uuid,
                unit_id,
                reseller_reference: input
                    .reseller_reference
                    .clone()
                    .or_else(|| kept.and_then(|k| k.reseller_reference.clone())),
                contact,
                ticket_id: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_keeps_what_was_sent_and_names_the_customer() {
        let c: Contact = serde_json::from_str(r#"{"fullName":"John Doe","locales":null}"#).unwrap();
        assert_eq!(c.customer().name, "John Doe");
        assert!(c.locales.is_empty() && c.validate("contact").is_ok());
        let split: Contact = serde_json::from_str(
            r#"{"firstName":" Mei ","lastName":"Chen","phoneNumber":"+00000000"}"#,
        )
        .unwrap();
        let who = split.customer();
        assert_eq!(
            (who.name.as_str(), who.phone.as_deref()),
            ("Mei Chen", Some("+00000000"))
        );
        let shown = serde_json::to_value(Contact::default()).unwrap();
        assert_eq!(shown.as_object().unwrap().len(), 9);
        assert!(shown["postalCode"].is_null() && shown["locales"] == serde_json::json!([]));
    }

    #[test]
    fn bad_contacts_are_bad_requests() {
        let bad_email = Contact {
            email_address: Some("not-an-email".into()),
            ..Contact::default()
        };
        let long_name = Contact {
            full_name: Some("x".repeat(201)),
            ..Contact::default()
        };
        for c in [bad_email, long_name] {
            assert_eq!(c.validate("contact").unwrap_err().code(), "BAD_REQUEST");
        }
    }

    #[test]
    fn a_contact_is_an_object_not_a_list() {
        let listed = serde_json::from_str::<ConfirmRequest>(r#"{"contact": []}"#);
        assert!(listed.is_err());
        let missing: ConfirmRequest = serde_json::from_str("{}").unwrap();
        assert!(missing.contact.is_none());
    }

    #[test]
    fn notes_null_clears_and_missing_keeps() {
        let clear: UpdateRequest = serde_json::from_str(r#"{"notes":null}"#).unwrap();
        assert_eq!(clear.notes, Some(None));
        let keep: UpdateRequest = serde_json::from_str("{}").unwrap();
        assert_eq!(keep.notes, None);
    }
}
