//! The app's vocabularies (statuses, classifications, roles, powers, levels, answers…): enums whose
//! words are the JSON, the database text and the query-string values alike. One macro declares them,
//! so each word is written once — the variant's name, in the enum's case — and serde, `FromStr`,
//! `as_str` and the JSON Schema all come from it.

/// Declares a vocabulary: a fieldless enum whose words are its variants' names in kebab-case, or in the
/// case named after a colon (`pub enum Level: "lowercase" { … }`, as serde's `rename_all` spells it).
/// The enum takes doc comments only (they describe its schema); variants take any attributes.
///
/// It derives `Debug`, `Clone`, `Copy`, `PartialEq`, `Eq`, `Hash`, `PartialOrd`, `Ord` (declaration
/// order), serde's `Serialize` and `Deserialize`, and strum's `EnumString` (`FromStr`),
/// `IntoStaticStr` and `EnumIter`; and gives `Display`, `as_str`, `parse` (`None` for an unknown word) and a JSON
/// Schema (`{"type": "string", "enum": [every word]}`, a component named after the enum).
#[macro_export]
macro_rules! vocabulary {
    (
        $(#[doc = $doc:literal])*
        $vis:vis enum $name:ident { $($body:tt)* }
    ) => {
        $crate::vocabulary! { $(#[doc = $doc])* $vis enum $name: "kebab-case" { $($body)* } }
    };
    (
        $(#[doc = $doc:literal])*
        $vis:vis enum $name:ident: $case:literal {
            $( $(#[$variant_meta:meta])* $variant:ident ),* $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            ::serde::Serialize,
            ::serde::Deserialize,
            ::strum::EnumString,
            ::strum::IntoStaticStr,
            ::strum::EnumIter,
        )]
        #[serde(rename_all = $case)]
        #[strum(serialize_all = $case)]
        $vis enum $name {
            $( $(#[$variant_meta])* $variant ),*
        }

        impl $name {
            /// The word, as the JSON and the records spell it.
            pub fn as_str(self) -> &'static str {
                self.into()
            }

            /// The value a word names, if any.
            pub fn parse(text: &str) -> Option<$name> {
                text.parse().ok()
            }

            /// Every value, in declaration order.
            pub fn iter() -> impl Iterator<Item = $name> {
                <$name as ::strum::IntoEnumIterator>::iter()
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                $crate::schema::words($name::iter().map($name::as_str), &[$($doc),*])
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::access::audit::RecordType;
    use crate::access::auth::Role;
    use crate::cases::classification::Classification;
    use crate::cases::decision::CaseStatus;
    use crate::cases::intake::{Behaviour, Channel, Relationship};
    use crate::pins::{Decision, PinStatus};
    use crate::risk::referrals::{ReferralStatus, SharingBasis};
    use crate::risk::scoring::{Answer, Level, ReviewOutcome};
    use crate::searches::{Entries, Outcome, Power, Rank};

    /// Each value's word is its JSON, it parses back, and the schema lists exactly those words.
    fn words_agree<T>(values: impl Iterator<Item = T>, as_str: fn(T) -> &'static str)
    where
        T: Copy + PartialEq + std::fmt::Debug + serde::Serialize + serde::de::DeserializeOwned,
        T: std::str::FromStr + schemars::JsonSchema,
    {
        let mut words = Vec::new();
        for value in values {
            let word = as_str(value);
            assert_eq!(serde_json::to_value(value).unwrap(), word);
            assert_eq!(serde_json::from_value::<T>(word.into()).unwrap(), value);
            assert!(word.parse::<T>().is_ok_and(|v| v == value), "{word}");
            words.push(word);
        }
        assert!(!words.is_empty());
        let schema = schemars::SchemaGenerator::default().into_root_schema_for::<T>();
        assert_eq!(schema.get("enum"), Some(&serde_json::json!(words)));
    }

    #[test]
    fn every_vocabulary_word_is_its_json_and_its_schema() {
        words_agree(RecordType::iter(), RecordType::as_str);
        words_agree(Role::iter(), Role::as_str);
        words_agree(Classification::iter(), Classification::as_str);
        words_agree(CaseStatus::iter(), CaseStatus::as_str);
        words_agree(Behaviour::iter(), Behaviour::as_str);
        words_agree(Channel::iter(), Channel::as_str);
        words_agree(Relationship::iter(), Relationship::as_str);
        words_agree(Decision::iter(), Decision::as_str);
        words_agree(PinStatus::iter(), PinStatus::as_str);
        words_agree(ReferralStatus::iter(), ReferralStatus::as_str);
        words_agree(SharingBasis::iter(), SharingBasis::as_str);
        words_agree(Answer::iter(), Answer::as_str);
        words_agree(Level::iter(), Level::as_str);
        words_agree(ReviewOutcome::iter(), ReviewOutcome::as_str);
        words_agree(Entries::iter(), Entries::as_str);
        words_agree(Outcome::iter(), Outcome::as_str);
        words_agree(Power::iter(), Power::as_str);
        words_agree(Rank::iter(), Rank::as_str);
    }

    #[test]
    fn the_words_are_the_ones_the_api_has_always_used() {
        assert_eq!(
            Classification::iter()
                .map(Classification::as_str)
                .collect::<Vec<_>>(),
            [
                "harassment-s2",
                "harassment-s4",
                "stalking-s2a",
                "stalking-s4a",
                "controlling-or-coercive-behaviour",
                "malicious-communications",
                "criminal-damage",
                "assault",
                "threats-to-kill",
                "sexual-offence",
                "other-offence",
            ]
        );
        assert_eq!(
            Power::iter().map(Power::as_str).collect::<Vec<_>>(),
            [
                "pha-s2b-warrant",
                "pace-s8-warrant",
                "pace-s17",
                "pace-s18",
                "pace-s32",
                "consent",
            ]
        );
        assert_eq!(
            Answer::iter().map(Answer::as_str).collect::<Vec<_>>(),
            ["yes", "no", "dont_know", "not_asked"]
        );
        assert_eq!(
            RecordType::iter()
                .map(RecordType::as_str)
                .collect::<Vec<_>>(),
            [
                "case",
                "person",
                "order",
                "pin",
                "token",
                "token-request",
                "session",
                "risk-assessment",
                "referral",
                "instrument",
                "search",
                "statistics",
                "access-log",
                "action-plan",
                "victim-care",
                "victim-contact",
                "victim-update",
                "consideration",
            ]
        );
        assert_eq!(
            ReviewOutcome::iter()
                .map(ReviewOutcome::as_str)
                .collect::<Vec<_>>(),
            ["agreed", "raised"]
        );
    }
}
