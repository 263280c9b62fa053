//! One table per layer of stable error names: an enum whose variants are
//! the only names that layer can produce, its text (what the ASL and API
//! clients match), and a `names` module of constants for matching and for
//! call sites that read better with the text's shape.

/// `error_names! { Enum, module; Variant => CONST = "Text", ... }` defines
/// `Enum` (`as_str`, `ALL`, `Display`, `Serialize` as its text, equality
/// with `&str`) and `module` with one constant per name.
macro_rules! error_names {
    (
        $(#[$enum_doc:meta])*
        $name:ident, $module:ident;
        $( $(#[$doc:meta])* $variant:ident => $constant:ident = $text:literal, )+
    ) => {
        $(#[$enum_doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$doc])* $variant, )+
        }

        impl $name {
            /// Every name, in the table's order.
            pub const ALL: &'static [$name] = &[$( $name::$variant, )+];

            /// The name as the ASL and clients match it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// As its text: an error prints the name it is matched by.
        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Debug::fmt(self.as_str(), f)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.as_str()
            }
        }

        impl From<$name> for String {
            fn from(name: $name) -> String {
                name.as_str().to_owned()
            }
        }

        /// The names as constants, `SHOUTING` like the text's dotted shape.
        pub mod $module {
            use super::$name;
            $( pub const $constant: $name = $name::$variant; )+
        }
    };
}

pub(crate) use error_names;
