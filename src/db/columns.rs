//! How values cross into and out of SQLite: small conveniences over rusqlite, and `text_enum!`
//! for the closed sets of values stored as TEXT (statuses, channels, roles). A stored value the
//! code does not know is an error that names its column — never a silent default.

use crate::error::AppError;

/// Small conveniences over rusqlite used by every domain module.
pub trait ConnExt {
    /// Like `query_row`, but "no row" is `Ok(None)`.
    fn try_query_row<T, P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
        map: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, AppError>;
}

impl ConnExt for rusqlite::Connection {
    fn try_query_row<T, P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
        map: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, AppError> {
        let mut stmt = self.prepare_cached(sql)?;
        let mut rows = stmt.query(params)?;
        match rows.next()? {
            Some(row) => Ok(Some(map(row)?)),
            None => Ok(None),
        }
    }
}

/// Tells whether an error is SQLite's UNIQUE constraint failing (used to turn races on unique
/// keys into the right 409 instead of a 500).
pub fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

/// A TEXT value that is not one of an enum's strings.
#[derive(Debug)]
pub struct UnknownValue {
    pub column: &'static str,
    pub value: String,
}

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "stored value '{}' in {} is not valid",
            self.value, self.column
        )
    }
}

impl std::error::Error for UnknownValue {}

/// A closed set of values stored as TEXT in `column`: the enum, its exact strings, serde and
/// JSON Schema as those strings, and `ToSql`/`FromSql`. Reading a string the enum does not know
/// fails with [`UnknownValue`], which names the column.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident in $column:literal {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The accepted strings, for error messages: `a, b or c`.
            pub fn expected() -> String {
                let all = [$($text),+];
                match all.split_last() {
                    Some((last, [])) => (*last).to_owned(),
                    Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                    None => String::new(),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| {
                    <D::Error as serde::de::Error>::custom(format!(
                        "expected {}",
                        $name::expected()
                    ))
                })
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> String {
                stringify!($name).to_owned()
            }

            fn json_schema(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
                schemars::schema::SchemaObject {
                    instance_type: Some(schemars::schema::InstanceType::String.into()),
                    enum_values: Some(vec![$(serde_json::Value::from($text)),+]),
                    ..Default::default()
                }
                .into()
            }
        }

        impl rusqlite::types::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(rusqlite::types::ToSqlOutput::Borrowed(
                    rusqlite::types::ValueRef::Text(self.as_str().as_bytes()),
                ))
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(
                value: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                let s = value.as_str()?;
                $name::parse(s).ok_or_else(|| {
                    rusqlite::types::FromSqlError::Other(Box::new($crate::db::UnknownValue {
                        column: $column,
                        value: s.to_owned(),
                    }))
                })
            }
        }
    };
}

pub(crate) use text_enum;

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    text_enum! {
        pub enum Colour in "paint.colour" {
            Red = "red",
            Blue = "blue",
        }
    }

    #[test]
    fn unknown_stored_values_are_errors_naming_the_column() {
        let conn = Connection::open_in_memory().unwrap();
        let ok: Colour = conn.query_row("SELECT 'blue'", [], |r| r.get(0)).unwrap();
        assert_eq!(ok, Colour::Blue);
        let err = conn
            .query_row("SELECT 'green'", [], |r| r.get::<_, Colour>(0))
            .unwrap_err();
        assert!(err.to_string().contains("'green' in paint.colour"), "{err}");
        assert_eq!(Colour::expected(), "red or blue");
        assert_eq!(Colour::ALL, &[Colour::Red, Colour::Blue]);
    }
}
