//! Time is UTC, whole seconds, RFC 3339 on the wire and in the database. Storing one fixed-width
//! format means text comparison in SQL orders timestamps correctly.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

pub fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(0).unwrap_or(t)
}

/// `2025-11-15T08:00:00Z`
pub fn to_db(t: OffsetDateTime) -> String {
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_default()
}

/// Parses a timestamp read from `column`; anything else means the stored data is corrupt.
pub fn from_db(s: &str, column: &str) -> Result<OffsetDateTime, crate::error::AppError> {
    parse_rfc3339(s).ok_or_else(|| crate::error::AppError::corrupt(column, s))
}

/// Parses a date read from `column`; anything else means the stored data is corrupt.
pub fn date_from_db(s: &str, column: &str) -> Result<Date, crate::error::AppError> {
    parse_date(s).ok_or_else(|| crate::error::AppError::corrupt(column, s))
}

/// `None` for anything that is not RFC 3339, or whose UTC time is out of range
/// (`9999-12-31T23:59:59-01:00` is valid RFC 3339, but in year 10000 in UTC).
pub fn parse_rfc3339(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .and_then(|t| t.checked_to_offset(time::UtcOffset::UTC))
}

pub fn parse_date(s: &str) -> Option<Date> {
    Date::parse(s, format_description!("[year]-[month]-[day]")).ok()
}

pub fn date_to_db(d: Date) -> String {
    d.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

/// serde adapter: `OffsetDateTime` as the same fixed RFC 3339 text.
pub mod rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::to_db(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_rfc3339(&s)
            .ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 timestamp"))
    }

    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};
        use time::OffsetDateTime;

        pub fn serialize<S: Serializer>(
            t: &Option<OffsetDateTime>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_str(&super::super::to_db(*t)),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<OffsetDateTime>, D::Error> {
            Option::<String>::deserialize(d)?
                .map(|s| {
                    super::super::parse_rfc3339(&s)
                        .ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 timestamp"))
                })
                .transpose()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_out_of_range_in_utc_do_not_parse() {
        assert_eq!(parse_rfc3339("9999-12-31T23:59:59-01:00"), None);
        assert_eq!(
            parse_rfc3339("2025-11-15T09:00:00+01:00").map(to_db),
            Some("2025-11-15T08:00:00Z".to_owned())
        );
    }
}
