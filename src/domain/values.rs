//! Input values that several modules share, checked in one place: email addresses, a customer's
//! contact details, payment references, short printable labels.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The one shape check for email addresses (accounts, partners, resellers, ticket holders):
/// something@domain.tld, no spaces or control characters, at most 254 bytes.
pub fn is_email(email: &str) -> bool {
    email.len() <= 254
        && email.split_once('@').is_some_and(|(a, d)| {
            !a.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The trimmed address, or a 422 naming `field`.
pub fn email(value: &str, field: &str) -> Result<String, AppError> {
    let value = value.trim();
    if is_email(value) {
        Ok(value.to_owned())
    } else {
        Err(AppError::validation(field, "must be an email address"))
    }
}

/// A name or label: trimmed, at most `max` characters, no NUL; empty allowed unless `required`.
pub fn name(value: &str, field: &str, max: usize, required: bool) -> Result<String, AppError> {
    let value = value.trim();
    if (required && value.is_empty()) || value.chars().count() > max || value.contains('\0') {
        let rule = if required {
            format!("must be 1 to {max} characters")
        } else {
            format!("at most {max} characters")
        };
        return Err(AppError::validation(field, rule));
    }
    Ok(value.to_owned())
}

/// An optional client-chosen code (scan ids, venue codes): 1 to `max` printable characters.
pub fn printable(value: &Option<String>, field: &str, max: usize) -> Result<(), AppError> {
    match value {
        Some(s) if s.is_empty() || s.len() > max || s.chars().any(char::is_control) => Err(
            AppError::validation(field, format!("must be 1 to {max} printable characters")),
        ),
        _ => Ok(()),
    }
}

/// A payment reference, wherever one is reported: 1 to 255 printable characters.
pub fn payment_reference(reference: &str) -> Result<(), AppError> {
    if reference.trim().is_empty()
        || reference.len() > 255
        || reference.chars().any(char::is_control)
    {
        return Err(AppError::validation(
            "payment_reference",
            "must be 1 to 255 printable characters",
        ));
    }
    Ok(())
}

/// Who a ticket is for, as an OTA or a reseller reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CustomerDetails {
    pub name: String,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl CustomerDetails {
    pub fn validate(&self, field: &str) -> Result<(), AppError> {
        name(&self.name, &format!("{field}.name"), 200, true)?;
        if !is_email(&self.email) {
            return Err(AppError::validation(
                &format!("{field}.email"),
                "must be an email address",
            ));
        }
        if let Some(phone) = &self.phone {
            let ok = phone.len() <= 40
                && phone
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +-().".contains(c));
            if !ok {
                return Err(AppError::validation(
                    &format!("{field}.phone"),
                    "must be a phone number of at most 40 characters",
                ));
            }
        }
        Ok(())
    }
}
