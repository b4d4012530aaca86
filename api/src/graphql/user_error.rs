//! `userErrors`: the rules of the list an input broke, with the field at fault as a path and
//! a code from the domain's one vocabulary (`domain::rules::with_rule_codes!`).

use async_graphql::SimpleObject;

use crate::domain::rules::{self, with_rule_codes};
use crate::domain::{Failure, Violation};
use crate::error::ApiError;

/// Expands the domain's list of rule codes into the GraphQL enum, with the conversion.
macro_rules! graphql_codes {
    ($(#[$doc:meta])* $name:ident {
        $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)?
    }) => {
        $(#[$doc])*
        #[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
        #[graphql(name = "UserErrorCode")]
        pub enum $name {
            $($(#[$vdoc])* #[graphql(name = $text)] $variant),+
        }

        impl From<rules::$name> for $name {
            fn from(code: rules::$name) -> Self {
                match code { $(rules::$name::$variant => Self::$variant),+ }
            }
        }
    };
}

with_rule_codes!(graphql_codes);

/// User error — 规则错误: a rule of the list the input broke. Nothing was stored.
#[derive(SimpleObject, Clone, Debug)]
pub struct UserError {
    /// The path of the input field at fault, from the mutation's `input`: names and list
    /// indexes, e.g. `["inspectors", "1", "name"]` for `inspectors[1].name` — 字段.
    pub field: Option<Vec<String>>,
    /// Stable code, e.g. INSPECTORS_BELOW_MINIMUM — 规则代码.
    pub code: RuleCode,
    /// What is wrong, citing the clause of the list — 说明.
    pub message: String,
}

impl From<Violation> for UserError {
    fn from(violation: Violation) -> Self {
        let path = violation.path();
        Self {
            field: (!path.is_empty()).then_some(path),
            code: violation.code.into(),
            message: violation.message,
        }
    }
}

/// Splits a domain result: rule violations become `userErrors`, other failures GraphQL errors.
pub(crate) fn settle<T>(
    result: Result<T, Failure>,
) -> Result<(Option<T>, Vec<UserError>), ApiError> {
    match result {
        Ok(value) => Ok((Some(value), Vec::new())),
        Err(Failure::Rules(violations)) => {
            Ok((None, violations.into_iter().map(UserError::from).collect()))
        }
        Err(Failure::Api(err)) => Err(err),
    }
}

/// A mutation's result: the row it wrote (or, for a removal, removed) and the rules the
/// input broke. Each payload names its row's field for what the row is, so `payload!` writes
/// the struct and this trait is what resolvers share.
pub(crate) trait Payload: Sized {
    /// The domain's row the payload carries.
    type Row;
    /// The GraphQL type of the row, which names its global ids.
    const NODE: &'static str;

    fn of(row: Option<Self::Row>, user_errors: Vec<UserError>) -> Self;

    /// Rule violations become `userErrors`; other failures GraphQL errors.
    fn settle(result: Result<Self::Row, Failure>) -> Result<Self, ApiError> {
        let (row, user_errors) = settle(result)?;
        Ok(Self::of(row, user_errors))
    }
}

/// A payload type: `Name { /// doc  field: Node(Row) }`, with `userErrors` described as
/// usual unless a doc is given for it (`/// doc  user_errors`).
macro_rules! payload {
    ($(#[$doc:meta])* $name:ident {
        $(#[$row_doc:meta])* $field:ident: $node:ident($row:ty) $(,)?
    }) => {
        payload!($(#[$doc])* $name {
            $(#[$row_doc])* $field: $node($row),
            #[doc = " Rules the input broke — 规则错误."]
            user_errors
        });
    };
    ($(#[$doc:meta])* $name:ident {
        $(#[$row_doc:meta])* $field:ident: $node:ident($row:ty),
        $(#[$errors_doc:meta])+ user_errors $(,)?
    }) => {
        $(#[$doc])*
        #[derive(async_graphql::SimpleObject)]
        pub struct $name {
            $(#[$row_doc])*
            $field: Option<$node>,
            $(#[$errors_doc])+
            user_errors: Vec<$crate::graphql::user_error::UserError>,
        }

        impl $crate::graphql::user_error::Payload for $name {
            type Row = $row;
            const NODE: &'static str = stringify!($node);

            fn of(
                row: Option<$row>,
                user_errors: Vec<$crate::graphql::user_error::UserError>,
            ) -> Self {
                Self {
                    $field: row.map($node),
                    user_errors,
                }
            }
        }
    };
}
pub(crate) use payload;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RuleCode as Domain;

    #[test]
    fn user_error__every_rule_code_keeps_its_text() {
        for code in Domain::ALL {
            let value = async_graphql::resolver_utils::enum_value(RuleCode::from(*code));
            assert_eq!(value.to_string(), code.as_str());
        }
    }

    #[test]
    fn user_error__field_is_a_path() {
        let error = UserError::from(Violation::new(
            "inspectors[1].name",
            Domain::Required,
            "name is required",
        ));
        assert_eq!(
            error.field,
            Some(vec!["inspectors".into(), "1".into(), "name".into()])
        );
        assert_eq!(error.code, RuleCode::Required);
    }
}
