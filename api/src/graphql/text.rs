//! Text from clients — 文本输入: every string argument and input field is a `Text` of a
//! kind (a name, a code or key, a long text), checked before it reaches a rule or the
//! database, so that SQLite and PostgreSQL give the same answer: PostgreSQL refuses a NUL
//! byte in text and indexes no key of several kilobytes, SQLite takes both.
//!
//! The schema still says `String`: the check is not part of the type clients declare their
//! variables with, so a client written against the SDL keeps working. A `Text` gives its value
//! up only through a check that names where it came from: `arg` for a query argument (a
//! `BAD_USER_INPUT` error naming the argument) or `Texts::take` for a mutation input (a
//! `TEXT_INVALID` or `TEXT_TOO_LONG` user error with the field's path).

use std::borrow::Cow;
use std::marker::PhantomData;

use async_graphql::{
    InputType, InputValueError, InputValueResult, MaybeUndefined, Value, registry,
};

use crate::domain::rules::Checks;
use crate::domain::{Failure, RuleCode};
use crate::error::{ApiError, ApiResult};

/// What a kind of text may hold.
pub trait Kind: Send + Sync + 'static {
    /// How a message names it.
    const WHAT: &'static str;
    /// Longest value, in characters (Unicode scalar values).
    const MAX_CHARS: usize;
    /// Whether tab and line breaks belong in it.
    const MULTILINE: bool;
}

/// A name or title: a department, unit, alias, service, person, matter, term. The longest the
/// Anhua list publishes has 28 characters.
pub struct Name;

impl Kind for Name {
    const WHAT: &'static str = "a name";
    const MAX_CHARS: usize = 200;
    const MULTILINE: bool = false;
}

/// A code or key: a regime code, an idempotency key, a certificate number, a phone, an audit
/// filter. ASCII in practice; long enough for any UUID, hash or identity provider's subject.
pub struct Code;

impl Kind for Code {
    const WHAT: &'static str = "a code";
    const MAX_CHARS: usize = 255;
    const MULTILINE: bool = false;
}

/// A text: a duty, work item, division, legal basis, case, record, reason, note, complaint or
/// search text. The longest the Anhua list publishes has 280 characters; a written record may
/// run to pages, hence the wide margin.
pub struct Long;

impl Kind for Long {
    const WHAT: &'static str = "a text";
    const MAX_CHARS: usize = 10_000;
    const MULTILINE: bool = true;
}

/// A string from a client, not yet checked.
pub struct Text<K: Kind> {
    value: String,
    kind: PhantomData<K>,
}

/// Why a text was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A control character (NUL included), at this character position (0-based).
    Control { position: usize, character: char },
    /// More characters than the kind allows.
    TooLong { chars: usize, max: usize },
}

impl Fault {
    pub fn code(&self) -> RuleCode {
        match self {
            Self::Control { .. } => RuleCode::TextInvalid,
            Self::TooLong { .. } => RuleCode::TextTooLong,
        }
    }

    fn describe<K: Kind>(&self) -> String {
        match self {
            Self::Control {
                position,
                character,
            } => {
                let allowed = if K::MULTILINE {
                    "only tab and line breaks are allowed"
                } else {
                    "none is allowed"
                };
                format!(
                    "holds the control character U+{:04X} at character {position}; {allowed} in {}",
                    u32::from(*character),
                    K::WHAT
                )
            }
            Self::TooLong { chars, max } => {
                format!(
                    "is {chars} characters long; {} holds at most {max}",
                    K::WHAT
                )
            }
        }
    }
}

/// The fault of `value` as a text of kind `K`, if any.
pub fn check<K: Kind>(value: &str) -> Result<(), Fault> {
    let mut chars = 0usize;
    for character in value.chars() {
        let allowed = K::MULTILINE && matches!(character, '\t' | '\n' | '\r');
        if character.is_control() && !allowed {
            return Err(Fault::Control {
                position: chars,
                character,
            });
        }
        chars += 1;
    }
    if chars > K::MAX_CHARS {
        return Err(Fault::TooLong {
            chars,
            max: K::MAX_CHARS,
        });
    }
    Ok(())
}

impl<K: Kind> Text<K> {
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            kind: PhantomData,
        }
    }

    /// The value of the query argument `name` (e.g. `filter.nameContains`), or a
    /// `BAD_USER_INPUT` error naming it.
    pub fn arg(self, name: &str) -> ApiResult<String> {
        match check::<K>(&self.value) {
            Ok(()) => Ok(self.value),
            Err(fault) => Err(ApiError::bad_input(
                name,
                format!("argument {name} {}", fault.describe::<K>()),
            )),
        }
    }

    /// The value of an optional query argument.
    pub fn opt_arg(text: Option<Self>, name: &str) -> ApiResult<Option<String>> {
        text.map(|text| text.arg(name)).transpose()
    }
}

impl<K: Kind> Default for Text<K> {
    fn default() -> Self {
        Self::new(String::new())
    }
}

impl<K: Kind> std::fmt::Debug for Text<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Text({:?})", self.value)
    }
}

/// Declared as `String` in the schema; any string parses, the check comes when the value is
/// taken (so a mutation can answer with user errors instead of failing).
impl<K: Kind> InputType for Text<K> {
    type RawValueType = String;

    fn type_name() -> Cow<'static, str> {
        <String as InputType>::type_name()
    }

    fn create_type_info(registry: &mut registry::Registry) -> String {
        <String as InputType>::create_type_info(registry)
    }

    fn parse(value: Option<Value>) -> InputValueResult<Self> {
        <String as InputType>::parse(value)
            .map(Self::new)
            .map_err(InputValueError::propagate)
    }

    fn to_value(&self) -> Value {
        Value::String(self.value.clone())
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(&self.value)
    }
}

/// The texts of one mutation input, taken field by field; every fault is kept, so the caller
/// hears about all of them at once.
#[derive(Default)]
pub struct Texts(Checks);

impl Texts {
    /// The value of the input field at `path` (e.g. `inspectors[1].name`); a fault becomes a
    /// user error and the value is left empty.
    pub fn take<K: Kind>(&mut self, path: &str, text: Text<K>) -> String {
        match check::<K>(&text.value) {
            Ok(()) => text.value,
            Err(fault) => {
                let message = format!("{path} {}", fault.describe::<K>());
                self.0.add(path, fault.code(), message);
                String::new()
            }
        }
    }

    pub fn take_opt<K: Kind>(&mut self, path: &str, text: Option<Text<K>>) -> Option<String> {
        text.map(|text| self.take(path, text))
    }

    /// A field of an update that no row goes without: left out, it stays as it is (`None`);
    /// an explicit `null` cannot be stored, and is a REQUIRED user error at `path`.
    pub fn kept_unless_given<T>(&mut self, path: &str, value: MaybeUndefined<T>) -> Option<T> {
        match value {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => {
                let message = format!("{path} may not be null: leave it out to keep it");
                self.0.add(path, RuleCode::Required, message);
                None
            }
            MaybeUndefined::Value(value) => Some(value),
        }
    }

    /// A text of an update that no row goes without (see `kept_unless_given`).
    pub fn take_update<K: Kind>(
        &mut self,
        path: &str,
        text: MaybeUndefined<Text<K>>,
    ) -> Option<String> {
        let text = self.kept_unless_given(path, text);
        self.take_opt(path, text)
    }

    /// A text of an update that may be empty: `null` clears it, as the empty text does in
    /// the domain; left out, it stays.
    pub fn take_clearable<K: Kind>(
        &mut self,
        path: &str,
        text: MaybeUndefined<Text<K>>,
    ) -> Option<String> {
        match text {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(String::new()),
            MaybeUndefined::Value(text) => Some(self.take(path, text)),
        }
    }

    /// A list of texts, each at `path[i]`.
    pub fn take_all<K: Kind>(&mut self, path: &str, texts: Vec<Text<K>>) -> Vec<String> {
        texts
            .into_iter()
            .enumerate()
            .map(|(i, text)| self.take(&format!("{path}[{i}]"), text))
            .collect()
    }

    /// Takes the write's turn and begins its transaction (`db::Write`), then runs
    /// `use_case` on it, when every text taken passed; else answers with their faults, and no
    /// turn is taken.
    pub async fn write<T, F, Fut>(
        self,
        db: &sea_orm::DatabaseConnection,
        use_case: F,
    ) -> Result<T, Failure>
    where
        F: FnOnce(crate::db::Write) -> Fut,
        Fut: std::future::Future<Output = Result<T, Failure>>,
    {
        self.write_with(db, crate::db::Turn::Exclusive, use_case)
            .await
    }

    /// As `write`, waiting for other writers as `turn` says.
    pub async fn write_with<T, F, Fut>(
        self,
        db: &sea_orm::DatabaseConnection,
        turn: crate::db::Turn,
        use_case: F,
    ) -> Result<T, Failure>
    where
        F: FnOnce(crate::db::Write) -> Fut,
        Fut: std::future::Future<Output = Result<T, Failure>>,
    {
        self.finish()?;
        use_case(crate::db::Write::begin_with(db, turn).await?).await
    }

    /// Nothing to complain about, or the user errors.
    pub fn finish(self) -> Result<(), Failure> {
        self.0.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check__refuses_control_characters_by_kind() {
        assert_eq!(check::<Name>("安化县人口和计划生育局"), Ok(()));
        assert_eq!(
            check::<Name>("计生\0局"),
            Err(Fault::Control {
                position: 2,
                character: '\0'
            })
        );
        assert!(check::<Name>("a\nb").is_err());
        assert!(check::<Code>("a\tb").is_err());
        assert!(check::<Name>("a\u{7f}").is_err());
        assert!(check::<Name>("a\u{85}").is_err(), "C1 controls too");
        assert_eq!(check::<Long>("第一条\n\t第二条\r\n"), Ok(()));
        assert!(check::<Long>("a\u{1b}[31m").is_err());
    }

    #[test]
    fn check__counts_characters_not_bytes() {
        assert_eq!(check::<Name>(&"清".repeat(200)), Ok(()));
        assert_eq!(
            check::<Name>(&"清".repeat(201)),
            Err(Fault::TooLong {
                chars: 201,
                max: 200
            })
        );
        assert!(check::<Code>(&"k".repeat(256)).is_err());
        assert!(check::<Long>(&"字".repeat(10_000)).is_ok());
    }

    /// (field, code) of every fault collected.
    fn faults(texts: Texts) -> Vec<(String, &'static str)> {
        let Err(Failure::Rules(violations)) = texts.finish() else {
            panic!("faults expected");
        };
        violations
            .into_iter()
            .map(|v| (v.field, v.code.as_str()))
            .collect()
    }

    fn pairs(expected: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
        expected.iter().map(|(f, c)| (f.to_string(), *c)).collect()
    }

    #[test]
    fn texts__collect_every_fault_with_its_path() {
        let mut texts = Texts::default();
        assert_eq!(texts.take("name", Text::<Name>::new("股")), "股");
        texts.take_all(
            "aliases",
            vec![Text::<Name>::new("ok"), Text::<Name>::new("x".repeat(201))],
        );
        texts.take_opt("remark", Some(Text::<Long>::new("\0")));
        assert_eq!(
            faults(texts),
            pairs(&[("aliases[1]", "TEXT_TOO_LONG"), ("remark", "TEXT_INVALID")])
        );
        assert!(Texts::default().finish().is_ok());
    }

    #[test]
    fn texts__an_explicit_null_clears_or_is_required() {
        let mut texts = Texts::default();
        let null = || MaybeUndefined::<Text<Long>>::Null;
        assert_eq!(texts.take_clearable("remark", null()), Some(String::new()));
        assert_eq!(
            texts.take_clearable::<Long>("remark", MaybeUndefined::Undefined),
            None
        );
        assert_eq!(
            texts.take_update::<Long>("text", MaybeUndefined::Undefined),
            None
        );
        assert!(texts.finish().is_ok(), "leaving a field out is no fault");
        let mut texts = Texts::default();
        assert_eq!(texts.take_update("text", null()), None);
        assert_eq!(
            texts.kept_unless_given("position", MaybeUndefined::<i32>::Null),
            None
        );
        let value = MaybeUndefined::Value(Text::<Long>::new("职责"));
        assert_eq!(texts.take_update("text", value), Some("职责".to_owned()));
        assert_eq!(
            faults(texts),
            pairs(&[("text", "REQUIRED"), ("position", "REQUIRED")])
        );
    }

    #[test]
    fn arg__names_the_argument() {
        let err = Text::<Code>::new("A\0").arg("code").unwrap_err();
        assert_eq!(err.code().as_str(), "BAD_USER_INPUT");
        assert!(
            err.message().starts_with("argument code holds"),
            "{}",
            err.message()
        );
    }
}
