//! Records' ids, one type per kind of record, so that one kind's id cannot be passed where another's
//! is wanted. An id is opaque text, built only by parsing (1 to 64 printable ASCII characters, no
//! spaces: longer than any id the app makes, so a longer path parameter is a 404 before any lookup)
//! or from the id generator; it reads as its text.

/// The longest id accepted anywhere (path parameters, bodies, stored rows).
pub const MAX_ID: usize = 64;

macro_rules! record_id {
    ($($(#[$doc:meta])* $name:ident;)+) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// An id as text from outside (a path, a body, a row); `None` if it cannot be one.
            pub fn parse(text: &str) -> Option<$name> {
                let valid = !text.is_empty()
                    && text.len() <= MAX_ID
                    && text.bytes().all(|b| b.is_ascii_graphic());
                valid.then(|| $name(text.to_string()))
            }

            /// A new id from the generator (which makes only valid ones).
            pub fn new(generated: String) -> $name {
                debug_assert!($name::parse(&generated).is_some(), "a generated id is valid");
                $name(generated)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = ();

            fn from_str(text: &str) -> Result<$name, ()> {
                $name::parse(text).ok_or(())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl From<&$name> for String {
            fn from(id: &$name) -> String {
                id.0.clone()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl From<&$name> for crate::sql::Value {
            fn from(id: &$name) -> crate::sql::Value {
                crate::sql::Value::Text(id.0.clone())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let text = String::deserialize(d)?;
                $name::parse(&text).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "not an id (1 to {MAX_ID} printable characters, no spaces)"
                    ))
                })
            }
        }
    )+};
}

record_id! {
    /// A case: a course of conduct against one victim.
    CaseId;
    /// A person (a nominal): the same person across cases.
    PersonId;
    /// A request for a Police Information Notice.
    PinId;
    /// An order against a suspect (SPO, restraining order, bail conditions).
    OrderId;
    /// A risk assessment (DASH, S-DASH).
    AssessmentId;
    /// A referral to a partner agency (MASH, MARAC).
    ReferralId;
    /// A search record under a power of entry and search.
    SearchId;
    /// An API token (its id, never its secret).
    TokenId;
    /// A request for a token that waits for a second admin.
    TokenRequestId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_short_printable_text_and_nothing_else() {
        let id = CaseId::parse("3f2a9c1e8b7d4a60b5e1c2d3f4a5b6c7").unwrap();
        assert_eq!(&*id, "3f2a9c1e8b7d4a60b5e1c2d3f4a5b6c7");
        assert_eq!(
            CaseId::parse(&"a".repeat(MAX_ID)).map(|i| i.len()),
            Some(64)
        );
        for bad in ["", " ", "a b", "a\u{0}", "é", &"a".repeat(MAX_ID + 1)] {
            assert_eq!(CaseId::parse(bad), None, "{bad:?}");
        }
        let json: CaseId = serde_json::from_str("\"c1\"").unwrap();
        assert_eq!(serde_json::to_string(&json).unwrap(), "\"c1\"");
        assert!(serde_json::from_str::<CaseId>("\"\"").is_err());
    }
}
