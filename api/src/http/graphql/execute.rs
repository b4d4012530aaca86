//! Execution of one parsed operation, and the stable code of every error it answers.

use async_graphql::parser::types::ExecutableDocument;

use crate::auth::Viewer;
use crate::error::{Code, ErrorCode, TransportCode};
use crate::graphql;
use crate::http::AppState;
use crate::http::metrics::Outcome;
use crate::http::operation::Operation;

/// Executes one parsed operation for `viewer`, every error coded.
pub(super) async fn run(
    state: &AppState,
    viewer: Viewer,
    request: async_graphql::Request,
    operation: Operation,
) -> async_graphql::Response {
    // One DataLoader a request, so batching never serves a stale row; its batch loads run as
    // spawned tasks, counted toward this request's SQL statements when they are counted.
    // A mutation reads what it wrote before this process has heard of the write: its
    // answer is read from SQL, not from the published lists in memory.
    let published = (!operation.is_mutation()).then(|| state.published.clone());
    let loader = graphql::loaders::ListLoader::new(
        state.db.clone(),
        state.clock.clone(),
        state.in_force.clone(),
        published,
        state.submitted.clone(),
    );
    let statements = crate::db::REQUEST_STATEMENTS
        .try_with(std::sync::Arc::clone)
        .ok();
    let loader = async_graphql::dataloader::DataLoader::new(loader, move |load| {
        let counted = statements.clone();
        tokio::spawn(async move {
            match counted {
                Some(statements) => crate::db::REQUEST_STATEMENTS.scope(statements, load).await,
                None => load.await,
            }
        })
    });
    let operation_name = request.operation_name.clone();
    let mut request = request.data(viewer).data(loader);
    // The schema takes the parsed document; a copy stays to put the answer in the order it
    // asks for (see `order`).
    request.set_parsed_query(ExecutableDocument::clone(&operation.document));
    let variables = request.variables.clone();
    // Validation with every rule is a tenth of a small request's work, and finds the same
    // in the same document each time: it is run again only when the variables could change
    // the verdict.
    let response = if operation.validated_before(&variables) {
        state.schema_revalidating.execute(request).await
    } else {
        state.metrics.validated();
        let response = state.schema.execute(request).await;
        if response.errors.is_empty() {
            operation.validated();
        }
        response
    };
    let mut response = state
        .measure
        .explain(
            response,
            &operation.document,
            &variables,
            operation_name.as_deref(),
        )
        .await;
    crate::http::order::follow_selection(
        &mut response.data,
        &operation.document,
        operation_name.as_deref(),
    );
    fill_codes(&mut response.errors);
    response
}

/// How an executed request ended, from its errors.
pub(super) fn outcome_of(errors: &[async_graphql::ServerError], request_error: bool) -> Outcome {
    let unavailable = errors.iter().any(|error| {
        error
            .extensions
            .as_ref()
            .and_then(|ext| ext.get("code"))
            .is_some_and(|code| {
                *code == async_graphql::Value::from(ErrorCode::Unavailable.as_str())
            })
    });
    if unavailable {
        Outcome::Unavailable
    } else if request_error {
        Outcome::Refused
    } else if errors.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Error
    }
}

/// Gives every error a stable `extensions.code`. Ours carry theirs; the framework's come
/// without. Limits, parse errors and recursion are refused before the schema sees the
/// document, with their own codes, and depth and complexity by `cost::Measure`; what remains
/// is validation (no path) and one kind the framework reports by message alone, an argument
/// value its scalar cannot hold (an Int past 32 bits, found by validation for a literal and
/// during execution for a variable): the client's input.
pub(super) fn fill_codes(errors: &mut [async_graphql::ServerError]) {
    for error in errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_some() {
            continue;
        }
        let code: Code = if error.message.starts_with("Failed to parse")
            || error.message.starts_with("Invalid value for argument")
        {
            ErrorCode::BadUserInput.into()
        } else if error.path.is_empty() {
            TransportCode::GraphqlValidationFailed.into()
        } else {
            ErrorCode::Internal.into()
        };
        extensions.set("code", code.as_str());
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use async_graphql::parser::types::ExecutableDocument;

    use crate::http::operation::Operation;

    #[tokio::test]
    async fn run__the_schema_executes_the_parsed_document_and_never_parses_the_text() {
        // Given a request whose text and parsed document differ
        let schema = crate::graphql::schema_builder().finish();
        let mut request = async_graphql::Request::new("{ fromText: __typename }");
        let parsed = Operation::parse("{ fromParse: __typename }", None).unwrap();
        request.set_parsed_query(ExecutableDocument::clone(&parsed.document));
        // When the schema executes it, Then it answers the parsed document
        let response = schema.execute(request).await;
        let data = response.data.into_json().unwrap();
        assert_eq!(
            data,
            json!({ "fromParse": "Query" }),
            "{:?}",
            response.errors
        );
    }
}
