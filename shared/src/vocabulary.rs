//! The `vocabulary!` macro: a closed set of values (DOMAIN.md) as an enum whose wire, database
//! and OpenAPI form is the given text, with `ALL`, `as_str`, `parse` (a readable error naming
//! the allowed values) and `Display`. Every function declares its vocabularies with it.
//!
//! The using crate needs `serde` and `utoipa` (the derives expand to paths into them).

/// Declares a vocabulary enum:
///
/// ```
/// shared::vocabulary! {
///     /// Where a thing is.
///     Place { Stage => "stage", Wings => "wings" }
/// }
/// assert_eq!(Place::parse("wings"), Ok(Place::Wings));
/// assert_eq!(Place::Stage.to_string(), "stage");
/// assert!(Place::parse("pit").unwrap_err().contains("stage, wings"));
/// ```
#[macro_export]
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash,
            ::serde::Serialize, ::serde::Deserialize, ::utoipa::ToSchema,
        )]
        // utoipa reads `rename_all` (the variants' snake_case names are the wire forms); serde
        // takes each variant's own text.
        #[serde(rename_all = "snake_case")]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            /// Every value, in vocabulary order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire and database form.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the wire (or database) form.
            pub fn parse(s: &str) -> Result<Self, String> {
                match s.trim() {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "unknown value {other:?}; expected one of: {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
