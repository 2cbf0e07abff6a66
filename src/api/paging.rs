//! Lists and query parameters: one `Page` request type, one `Paged<T>` answer
//! (`{"<items>": [...], "total_count", "page", "page_size"}`), `Items<T>` for short unpaged lists
//! (`{"<items>": [...]}`), and the parsers of optional query values that answer 422 naming the
//! parameter.

use schemars::gen::SchemaGenerator;
use schemars::schema::{InstanceType, ObjectValidation, Schema, SchemaObject};
use schemars::JsonSchema;
use serde::ser::SerializeMap;
use serde::Serialize;

use crate::clock;
use crate::domain::tickets::TicketStatus;
use crate::error::AppError;

/// `page` ≥ 1, `limit` 1–`max` (default `default`).
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub page: i64,
    pub limit: i64,
}

impl Page {
    pub fn parse(
        page: Option<&str>,
        limit: Option<&str>,
        default: i64,
        max: i64,
    ) -> Result<Page, AppError> {
        let page = match page {
            None => 1,
            Some(p) => p
                .parse::<i64>()
                .ok()
                .filter(|p| (1..=1_000_000).contains(p))
                .ok_or_else(|| AppError::validation("page", "must be an integer of at least 1"))?,
        };
        let limit = match limit {
            None => default,
            Some(l) => l
                .parse::<i64>()
                .ok()
                .filter(|l| (1..=max).contains(l))
                .ok_or_else(|| {
                    AppError::validation("limit", format!("must be an integer from 1 to {max}"))
                })?,
        };
        Ok(Page { page, limit })
    }

    pub fn offset(self) -> i64 {
        (self.page - 1) * self.limit
    }

    /// The answer for this page of `items`, out of `total_count` in all.
    pub fn of<T>(self, (items, total_count): (Vec<T>, i64)) -> Paged<T> {
        Paged {
            items,
            total_count,
            page: self.page,
            page_size: self.limit,
        }
    }
}

/// What the items of a list are called in its answer (`tickets`, `resellers`, …).
pub trait Listed {
    const KEY: &'static str;
}

/// One page of a list.
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total_count: i64,
    pub page: i64,
    pub page_size: i64,
}

const COUNTS: [&str; 3] = ["total_count", "page", "page_size"];

impl<T: Serialize + Listed> Serialize for Paged<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(4))?;
        map.serialize_entry(T::KEY, &self.items)?;
        let counts = [self.total_count, self.page, self.page_size];
        for (name, value) in COUNTS.iter().zip(counts) {
            map.serialize_entry(name, &value)?;
        }
        map.end()
    }
}

impl<T: JsonSchema + Listed> JsonSchema for Paged<T> {
    fn schema_name() -> String {
        format!("{}Page", T::schema_name())
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        list_schema::<T>(gen, &COUNTS)
    }
}

/// A short list answered whole.
pub struct Items<T>(pub Vec<T>);

impl<T: Serialize + Listed> Serialize for Items<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(T::KEY, &self.0)?;
        map.end()
    }
}

impl<T: JsonSchema + Listed> JsonSchema for Items<T> {
    fn schema_name() -> String {
        format!("{}List", T::schema_name())
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        list_schema::<T>(gen, &[])
    }
}

/// `{"<T::KEY>": [T], <each of counts>: integer}`, all required.
fn list_schema<T: JsonSchema + Listed>(gen: &mut SchemaGenerator, counts: &[&str]) -> Schema {
    let mut object = ObjectValidation::default();
    object
        .properties
        .insert(T::KEY.to_owned(), gen.subschema_for::<Vec<T>>());
    for count in counts {
        object
            .properties
            .insert((*count).to_owned(), gen.subschema_for::<i64>());
    }
    object.required = std::iter::once(T::KEY)
        .chain(counts.iter().copied())
        .map(str::to_owned)
        .collect();
    SchemaObject {
        instance_type: Some(InstanceType::Object.into()),
        object: Some(Box::new(object)),
        ..Default::default()
    }
    .into()
}

/// Parses an optional RFC 3339 query parameter into the stored text form.
pub fn query_time(value: Option<&str>, field: &str) -> Result<Option<String>, AppError> {
    value
        .map(|v| {
            clock::parse_rfc3339(v)
                .map(clock::to_db)
                .ok_or_else(|| AppError::validation(field, "expected an RFC 3339 timestamp"))
        })
        .transpose()
}

/// Parses an optional ticket `status` query parameter (one of the five statuses).
pub fn query_status(value: Option<&str>) -> Result<Option<TicketStatus>, AppError> {
    value
        .map(|s| {
            TicketStatus::parse(s).ok_or_else(|| {
                AppError::validation("status", format!("must be {}", TicketStatus::expected()))
            })
        })
        .transpose()
}

/// Parses an optional integer query parameter.
pub fn query_int(value: Option<&str>, field: &str) -> Result<Option<i64>, AppError> {
    value
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| AppError::validation(field, "expected an integer"))
        })
        .transpose()
}
