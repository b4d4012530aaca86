//! The document of a request, parsed once: limits, metrics, the cache, GET's query-only
//! rule, execution and the answer's field order all read this one value. What is true of a
//! document whatever its variables (the limits' verdict, which operations passed validation)
//! is kept with it (`Settled`).

use async_graphql::ServerError;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, OnceLock};

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, OperationDefinition, OperationType,
    Selection, SelectionSet, Type,
};
use async_graphql::{Value, Variables};

use super::{limits, metrics};
use crate::config::Limits;
use crate::data_version::Scope;

/// Documents parsed before, by their text: clients send the same few documents with other
/// variables again and again (a new complaint, another unit), so each is parsed once per
/// process. Kept within `MAX_TEXT_BYTES` of document text, least recently sent out first; a
/// document that does not parse is never kept.
pub struct Parsed {
    held: Mutex<Held>,
}

struct Held {
    documents: lru::LruCache<Box<str>, (Arc<ExecutableDocument>, Arc<Settled>)>,
    bytes: usize,
}

/// What is true of a parsed document whatever a request's variables: worked out for its
/// first request and kept with it, since the same document comes again and again.
#[derive(Default)]
pub struct Settled {
    /// The front door's limits' verdict (`limits::check_document`).
    within_limits: OnceLock<Result<(), String>>,
    /// The operations, by the name requests select them with, that the schema has validated
    /// with every rule and found no error in.
    validated: Mutex<Vec<Option<Box<str>>>>,
}

impl Settled {
    fn validated(&self) -> std::sync::MutexGuard<'_, Vec<Option<Box<str>>>> {
        self.validated.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Parsed {
    /// The document text kept; a parsed document takes some ten times its text.
    const MAX_TEXT_BYTES: usize = 1 << 20;

    pub fn new() -> Self {
        Self {
            held: Mutex::new(Held {
                documents: lru::LruCache::unbounded(),
                bytes: 0,
            }),
        }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `query`, parsed now or before, as the operation `operation_name` names; `fresh` is
    /// told of a parse.
    pub fn get(
        &self,
        query: &str,
        operation_name: Option<&str>,
        fresh: impl FnOnce(),
    ) -> Result<Operation, ServerError> {
        let held = self.held().documents.get(query).cloned();
        let (document, settled) = match held {
            Some(held) => held,
            None => {
                fresh();
                let parsed = (
                    Arc::new(async_graphql::parser::parse_query(query)?),
                    Arc::default(),
                );
                self.keep(query, &parsed);
                parsed
            }
        };
        Ok(Operation::of(document, settled, operation_name))
    }

    fn keep(&self, query: &str, parsed: &(Arc<ExecutableDocument>, Arc<Settled>)) {
        if query.len() > Self::MAX_TEXT_BYTES {
            return;
        }
        let mut held = self.held();
        if held.documents.put(query.into(), parsed.clone()).is_none() {
            held.bytes += query.len();
        }
        while held.bytes > Self::MAX_TEXT_BYTES {
            let Some((text, _)) = held.documents.pop_lru() else {
                break;
            };
            held.bytes -= text.len();
        }
    }
}

impl Default for Parsed {
    fn default() -> Self {
        Self::new()
    }
}

/// A parsed request document and what the front door reads of it.
pub struct Operation {
    /// Shared with every request that sent the same text (`Parsed`).
    pub document: Arc<ExecutableDocument>,
    /// The operation's name as a metrics label (`anonymous`, or `other` past the cap).
    pub name: String,
    /// Query, mutation or subscription: of the operation the request names, or of its only
    /// one; `None` when it names none the document has, or names none of several (validation
    /// reports both), unless one of those is a mutation.
    pub kind: Option<OperationType>,
    /// What its answer reads (`graphql::scopes_read`): a cached answer stays valid while
    /// these scopes are unchanged. All of them when the operation is not known.
    pub scopes: Arc<[Scope]>,
    /// The name the request selects the operation with, as sent.
    selected_as: Option<Box<str>>,
    /// Shared with every request that sent the same text (`Parsed`).
    settled: Arc<Settled>,
}

impl Operation {
    /// Parses `query`, the document of a request naming `operation_name`.
    pub fn parse(query: &str, operation_name: Option<&str>) -> Result<Self, ServerError> {
        let document = async_graphql::parser::parse_query(query)?;
        Ok(Self::of(Arc::new(document), Arc::default(), operation_name))
    }

    /// What the front door reads of `document`, run as `operation_name`.
    fn of(
        document: Arc<ExecutableDocument>,
        settled: Arc<Settled>,
        operation_name: Option<&str>,
    ) -> Self {
        let selected = document
            .operations
            .iter()
            .find(|(name, _)| match (operation_name, name) {
                (Some(wanted), Some(name)) => wanted == name.as_str(),
                (None, _) => true,
                (Some(_), None) => false,
            });
        let several = document.operations.iter().nth(1).is_some();
        let kind = if operation_name.is_none() && several {
            // Which one runs is ambiguous (validation refuses it); one that might write is
            // taken for a mutation, so GET never runs it.
            document
                .operations
                .iter()
                .any(|(_, operation)| operation.node.ty == OperationType::Mutation)
                .then_some(OperationType::Mutation)
        } else {
            selected.map(|(_, operation)| operation.node.ty)
        };
        let name = match (operation_name, selected) {
            (Some(wanted), _) => metrics::label(Some(wanted)),
            (None, Some((name, _))) if !several => metrics::label(name.map(|name| name.as_str())),
            (None, _) => metrics::label(None),
        };
        let scopes = match selected {
            Some((_, operation)) if !(operation_name.is_none() && several) => {
                let mut fields = BTreeSet::new();
                root_fields(
                    &document,
                    &operation.node.selection_set.node,
                    &mut fields,
                    &mut BTreeSet::new(),
                );
                let read: BTreeSet<Scope> = fields
                    .iter()
                    .flat_map(|field| crate::graphql::scopes_read(field).iter().copied())
                    .collect();
                read.into_iter().collect()
            }
            _ => Arc::from(Scope::ALL),
        };
        Self {
            document,
            name,
            kind,
            scopes,
            selected_as: operation_name.map(Into::into),
            settled,
        }
    }

    pub fn is_mutation(&self) -> bool {
        self.kind == Some(OperationType::Mutation)
    }

    /// The first limit the document passes, as the refusal's message; found once per
    /// document kept.
    pub fn check_limits(&self, limits: &Limits) -> Result<(), String> {
        self.settled
            .within_limits
            .get_or_init(|| limits::check_document(limits, &self.document))
            .clone()
    }

    /// Whether validating this operation with `variables` can only find what it found before:
    /// nothing. So it is when the schema validated it with every rule before, and each of
    /// `variables` it declares is a plain value of its declared built-in type, which is all
    /// the rules read of variables (an argument's value); a null, an enum, an input object
    /// or a custom scalar is validated again.
    pub fn validated_before(&self, variables: &Variables) -> bool {
        let selected = self.selected_as.as_deref();
        let validated = self
            .settled
            .validated()
            .iter()
            .any(|name| name.as_deref() == selected);
        validated
            && self.definition().is_some_and(|operation| {
                operation.variable_definitions.iter().all(|definition| {
                    let definition = &definition.node;
                    variables
                        .get(&definition.name.node)
                        .is_none_or(|value| plain(&definition.var_type.node, value))
                })
            })
    }

    /// Why the request cannot run for want of a variable: one the operation declares
    /// non-null without a default, not given. (The framework would report it during
    /// execution, as an error of the field, without a code.)
    pub fn missing_variable(&self, variables: &Variables) -> Option<String> {
        let operation = self.definition()?;
        operation
            .variable_definitions
            .iter()
            .find_map(|definition| {
                let definition = &definition.node;
                let required =
                    !definition.var_type.node.nullable && definition.default_value.is_none();
                (required && variables.get(&definition.name.node).is_none()).then(|| {
                    format!(
                        "variable ${} of type {} is required and was not given",
                        definition.name.node, definition.var_type.node
                    )
                })
            })
    }

    /// Notes that the schema validated this operation with every rule and found no error.
    pub fn validated(&self) {
        let mut validated = self.settled.validated();
        let selected = self.selected_as.as_deref();
        if !validated.iter().any(|name| name.as_deref() == selected) {
            validated.push(selected.map(Into::into));
        }
    }

    /// The operation the request selects, as the schema selects it.
    fn definition(&self) -> Option<&OperationDefinition> {
        let operation = match (&self.document.operations, self.selected_as.as_deref()) {
            (DocumentOperations::Single(operation), None) => operation,
            (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name)?,
            (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
                operations.values().next()?
            }
            _ => return None,
        };
        Some(&operation.node)
    }
}

/// Whether `value` is, beyond doubt, a valid value of the built-in type `ty` (a list of
/// them included): what validation would find nothing wrong with.
fn plain(ty: &Type, value: &Value) -> bool {
    match (&ty.base, value) {
        (BaseType::List(item), Value::List(items)) => items.iter().all(|v| plain(item.as_ref(), v)),
        (BaseType::Named(name), value) => match (name.as_str(), value) {
            ("String" | "ID", Value::String(_)) | ("Boolean", Value::Boolean(_)) => true,
            ("Int", Value::Number(n)) => n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
            ("Float", Value::Number(_)) => true,
            _ => false,
        },
        _ => false,
    }
}

/// The names of the root fields `set` selects, through fragments (each entered once: the
/// document is not validated yet, so a fragment may spread itself).
fn root_fields<'a>(
    document: &'a ExecutableDocument,
    set: &'a SelectionSet,
    fields: &mut BTreeSet<&'a str>,
    entered: &mut BTreeSet<&'a str>,
) {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                fields.insert(field.node.name.node.as_str());
            }
            Selection::InlineFragment(inline) => {
                root_fields(document, &inline.node.selection_set.node, fields, entered);
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                if entered.insert(name)
                    && let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node)
                {
                    root_fields(document, &fragment.node.selection_set.node, fields, entered);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsed__a_document_is_parsed_once_whatever_it_runs_and_a_failure_never_kept() {
        let parsed = Parsed::new();
        let mut parses = 0;
        let text = "query A { __typename } mutation B { __typename }";
        let a = parsed.get(text, Some("A"), || parses += 1).unwrap();
        let again = parsed.get(text, Some("A"), || parses += 1).unwrap();
        assert!(Arc::ptr_eq(&a.document, &again.document));
        assert_eq!(parses, 1);
        let b = parsed.get(text, Some("B"), || parses += 1).unwrap();
        assert_eq!((b.name.as_str(), parses), ("B", 1));
        assert!(
            !a.is_mutation() && b.is_mutation(),
            "each as the operation it names"
        );
        for _ in 0..2 {
            assert!(parsed.get("{ unclosed", None, || parses += 1).is_err());
        }
        assert_eq!(parses, 3, "a failure is parsed each time it is sent");
    }

    #[test]
    fn parsed__keeps_its_text_budget_dropping_the_least_recently_sent() {
        let parsed = Parsed::new();
        let long = |n: usize| format!("query Q{n} {{ __typename }} # {}", "x".repeat(300_000));
        for n in 0..5 {
            parsed.get(&long(n), None, || ()).unwrap();
        }
        assert!(parsed.held().bytes <= Parsed::MAX_TEXT_BYTES);
        let mut parses = 0;
        parsed.get(&long(4), None, || parses += 1).unwrap();
        parsed.get(&long(0), None, || parses += 1).unwrap();
        assert_eq!(parses, 1, "the newest kept, the oldest dropped");
    }

    #[test]
    fn validated_before__only_once_validated_and_only_with_plain_values_of_built_in_types() {
        let parsed = Parsed::new();
        let text = "query Q($i: Int, $s: [String!], $b: Boolean, $f: Float, $id: ID!, \
                    $day: Date, $role: DivisionRole) { __typename }";
        let variables = |value: serde_json::Value| Variables::from_json(value);
        let plain = variables(serde_json::json!({
            "i": -2147483648, "s": ["甲", "乙"], "b": true, "f": 1.5, "id": "RGVw", "other": {}
        }));
        let operation = parsed.get(text, None, || ()).unwrap();
        // Given an operation not yet validated, Then it is validated whatever its variables
        assert!(!operation.validated_before(&plain));
        // Given it validated, as the request selected it
        operation.validated();
        let again = parsed.get(text, None, || ()).unwrap();
        assert!(again.validated_before(&plain), "kept with the document");
        assert!(again.validated_before(&variables(serde_json::json!({}))));
        assert!(
            !parsed
                .get(text, Some("Q"), || ())
                .unwrap()
                .validated_before(&plain),
            "selected by name, it is another request to validate"
        );
        // Then a value that validation could refuse is validated again
        for fault in [
            serde_json::json!({ "i": 2147483648_i64 }),
            serde_json::json!({ "i": 1.5 }),
            serde_json::json!({ "i": "1" }),
            serde_json::json!({ "i": null }),
            serde_json::json!({ "s": ["甲", null] }),
            serde_json::json!({ "s": "甲" }),
            serde_json::json!({ "b": "true" }),
            serde_json::json!({ "f": "1.5" }),
            serde_json::json!({ "id": 7 }),
            serde_json::json!({ "day": "2026-01-01" }),
            serde_json::json!({ "role": "LEAD" }),
        ] {
            assert!(
                !again.validated_before(&variables(fault.clone())),
                "{fault}"
            );
        }
        // And a document not kept starts unvalidated
        let unkept = Operation::parse(text, None).unwrap();
        assert!(!unkept.validated_before(&plain));
    }

    #[test]
    fn missing_variable__a_required_one_not_given() {
        let operation = Operation::parse(
            "query Q($t: String!, $f: Int! = 5, $on: Date) { __typename }",
            None,
        )
        .unwrap();
        let variables = |value: serde_json::Value| Variables::from_json(value);
        assert_eq!(
            operation.missing_variable(&variables(serde_json::json!({ "f": 1 }))),
            Some("variable $t of type String! is required and was not given".to_owned())
        );
        // A default, a nullable type or a value given is no fault
        assert_eq!(
            operation.missing_variable(&variables(serde_json::json!({ "t": "超生" }))),
            None
        );
    }

    #[test]
    fn check_limits__the_verdict_on_a_document_is_found_once_and_kept() {
        let parsed = Parsed::new();
        let limits = Limits {
            max_aliases: 1,
            ..Limits::default()
        };
        let text = "{ a: __typename b: __typename }";
        let refused = parsed.get(text, None, || ()).unwrap().check_limits(&limits);
        assert!(refused.unwrap_err().contains("2 aliases"));
        let lenient = Limits::default();
        assert!(
            parsed
                .get(text, None, || ())
                .unwrap()
                .check_limits(&lenient)
                .is_err(),
            "the verdict kept with the document"
        );
        assert!(
            Operation::parse(text, None)
                .unwrap()
                .check_limits(&lenient)
                .is_ok()
        );
    }

    #[test]
    fn parse__kind_and_name_of_the_operation_asked_for() {
        let two = "query A { __typename } mutation B { x }";
        let first = Operation::parse(two, None).unwrap();
        assert!(
            first.is_mutation(),
            "unnamed, either may run: taken for a mutation"
        );
        assert_eq!(first.name, "anonymous", "two operations, none named");
        let b = Operation::parse(two, Some("B")).unwrap();
        assert!(b.is_mutation());
        assert_eq!(b.name, "B");
        assert_eq!(Operation::parse(two, Some("C")).unwrap().kind, None);
        let named = Operation::parse("query Units { __typename }", None).unwrap();
        assert_eq!(named.name, "Units");
        assert!(
            Operation::parse("mutation { x }", None)
                .unwrap()
                .is_mutation()
        );
        assert!(Operation::parse("{ departments", None).is_err());
        let late = Operation::parse("fragment F on Query { a } query Late { ...F }", None);
        assert_eq!(late.unwrap().name, "Late");
        // A name that is not a GraphQL name never becomes a label
        let forged = Operation::parse("{ a }", Some("x\"} 1\nfake 2")).unwrap();
        assert_eq!(forged.name, metrics::OTHER);
    }

    #[test]
    fn parse__the_scopes_its_root_fields_read() {
        let scopes = |query: &str| Operation::parse(query, None).unwrap().scopes.to_vec();
        assert_eq!(
            scopes("{ duties(first: 1) { nodes { text } } }"),
            [Scope::Lists]
        );
        assert_eq!(
            scopes("query Q { ...F } fragment F on Query { inspections(first: 1) { totalCount } }"),
            [Scope::Lists, Scope::Supervision]
        );
        assert_eq!(scopes("{ node(id: \"x\") { id } }"), Scope::ALL);
        assert_eq!(scopes("{ unknownField }"), Scope::ALL);
        // A fragment spreading itself is refused later, by validation; reading it ends
        assert_eq!(
            scopes("{ ...F } fragment F on Query { duties(first: 1) { totalCount } ...F }"),
            [Scope::Lists]
        );
    }
}
