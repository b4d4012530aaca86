//! How an `ApiError` reaches a GraphQL client: its message and stable `extensions.code`, with
//! the details a client acts on. Here rather than in `error`, so the domain, which returns
//! `ApiError`, does not depend on async-graphql.

use async_graphql::ErrorExtensions;

use crate::error::{ApiError, ErrorCode};

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        let code = err.code();
        match code {
            ErrorCode::Internal => tracing::error!(error = ?err, "internal error"),
            ErrorCode::Unavailable => tracing::warn!(error = ?err, "unavailable"),
            _ => {}
        }
        async_graphql::Error::new(err.message()).extend_with(|_, ext| {
            ext.set("code", code.as_str());
            match &err {
                ApiError::Conflict | ApiError::Db(_) if code == ErrorCode::Conflict => {
                    ext.set("retryable", true)
                }
                ApiError::BadUserInput { field, .. } => ext.set("field", field.as_str()),
                ApiError::NotFound { kind, .. } => ext.set("kind", *kind),
                _ => {}
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extensions(err: ApiError) -> async_graphql::ErrorExtensionValues {
        async_graphql::Error::from(err)
            .extensions
            .expect("extensions")
    }

    #[test]
    fn conversion__carries_the_code_and_what_the_client_acts_on() {
        let ext = extensions(ApiError::bad_input("first", "too big"));
        assert_eq!(ext.get("code").unwrap().to_string(), "\"BAD_USER_INPUT\"");
        assert_eq!(ext.get("field").unwrap().to_string(), "\"first\"");
        let ext = extensions(ApiError::NotFound {
            kind: "Department",
            id: "9".into(),
        });
        assert_eq!(ext.get("kind").unwrap().to_string(), "\"Department\"");
        let ext = extensions(ApiError::Conflict);
        assert_eq!(ext.get("code").unwrap().to_string(), "\"CONFLICT\"");
        assert_eq!(ext.get("retryable").unwrap().to_string(), "true");
        assert!(
            extensions(ApiError::Unauthenticated)
                .get("retryable")
                .is_none()
        );
    }

    #[test]
    fn conversion__hides_internal_causes() {
        let err = async_graphql::Error::from(ApiError::from(anyhow::anyhow!("stack detail")));
        assert_eq!(err.message, "internal error");
        let ext = err.extensions.unwrap();
        assert_eq!(ext.get("code").unwrap().to_string(), "\"INTERNAL\"");
    }
}
