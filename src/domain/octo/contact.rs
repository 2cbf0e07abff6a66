//! An OCTO contact (of a booking or one of its unit items), stored as JSON beside the booking.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

/// A contact, as sent and as shown: every key is always present in answers (null when unknown).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct Contact {
    pub full_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email_address: Option<String>,
    pub phone_number: Option<String>,
    #[serde(deserialize_with = "list_or_null")]
    pub locales: Vec<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub notes: Option<String>,
}

fn list_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}
