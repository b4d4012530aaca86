//! One error vocabulary for the API: every failure a client sees carries a stable
//! `extensions.code`; internal causes are logged and never returned.

use std::sync::Arc;

/// The stable codes of GraphQL errors (Apollo's vocabulary, as DESIGN.md fixes it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    LimitExceeded,
    Conflict,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::LimitExceeded => "LIMIT_EXCEEDED",
            Self::Conflict => "CONFLICT",
            Self::Unavailable => "UNAVAILABLE",
            Self::Internal => "INTERNAL",
        }
    }
}

/// Every failure a resolver can return. Deliberately not `Display`: the only way out to a
/// client is `message()` and `code()` (over GraphQL, `graphql::error`'s conversion), which
/// hide internal causes. `Clone` (hence the `Arc`s) because async-graphql requires it of
/// resolver error types.
#[derive(Debug, Clone)]
pub enum ApiError {
    Unauthenticated,
    /// A bearer token was sent and refused; the reason is RFC 6750's `error_description`.
    InvalidToken {
        reason: String,
    },
    /// The identity provider's signing keys cannot be fetched: nobody's token can be checked.
    KeysUnavailable,
    Forbidden {
        reason: String,
    },
    NotFound {
        kind: &'static str,
        id: String,
    },
    BadUserInput {
        field: String,
        message: String,
    },
    LimitExceeded {
        limit: String,
    },
    /// A concurrent write got there first; the same request, sent again, is answered afresh.
    Conflict,
    Db(Arc<sea_orm::DbErr>),
    Internal(Arc<anyhow::Error>),
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Db(Arc::new(err))
    }
}

impl From<Arc<sea_orm::DbErr>> for ApiError {
    fn from(err: Arc<sea_orm::DbErr>) -> Self {
        Self::Db(err)
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(err: anyhow::Error) -> Self {
        Self::Internal(Arc::new(err))
    }
}

impl ApiError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// What the client is told.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated => "authentication required".to_owned(),
            Self::InvalidToken { reason } => format!("invalid token: {reason}"),
            Self::KeysUnavailable => {
                "the identity provider's signing keys cannot be fetched; retry later".to_owned()
            }
            Self::Forbidden { reason } => format!("forbidden: {reason}"),
            Self::NotFound { kind, id } => format!("{kind} not found: {id}"),
            Self::BadUserInput { message, .. } => message.clone(),
            Self::LimitExceeded { limit } => format!("limit exceeded: {limit}"),
            Self::Conflict => CONFLICT_MESSAGE.to_owned(),
            Self::Db(err) if is_conflict(err) => CONFLICT_MESSAGE.to_owned(),
            Self::Db(err) if is_connection_failure(err) => {
                "the database is unavailable; retry later".to_owned()
            }
            Self::Internal(err) if chain_is_connection_failure(err) => {
                "the database is unavailable; retry later".to_owned()
            }
            Self::Db(_) | Self::Internal(_) => "internal error".to_owned(),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated | Self::InvalidToken { .. } => ErrorCode::Unauthenticated,
            Self::KeysUnavailable => ErrorCode::Unavailable,
            Self::Forbidden { .. } => ErrorCode::Forbidden,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::BadUserInput { .. } => ErrorCode::BadUserInput,
            Self::LimitExceeded { .. } => ErrorCode::LimitExceeded,
            Self::Conflict => ErrorCode::Conflict,
            Self::Db(err) if is_conflict(err) => ErrorCode::Conflict,
            Self::Db(err) if is_connection_failure(err) => ErrorCode::Unavailable,
            Self::Internal(err) if chain_is_connection_failure(err) => ErrorCode::Unavailable,
            Self::Db(_) | Self::Internal(_) => ErrorCode::Internal,
        }
    }
}

/// A database that cannot be reached is a passing condition the caller may retry,
/// not a bug: it gets its own code. Besides failing to get a connection, a statement fails
/// this way when its connection breaks under it (I/O), or when PostgreSQL ends the session
/// (SQLSTATE class 08, connection exception, and 57P01–57P03, shutting down).
pub fn is_connection_failure(err: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr, sqlx};
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(err)) | DbErr::Query(RuntimeErr::SqlxError(err)) => {
            match &**err {
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed => true,
                sqlx::Error::Database(db) => db.code().is_some_and(|code| {
                    code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")
                }),
                _ => false,
            }
        }
        _ => false,
    }
}

const CONFLICT_MESSAGE: &str = "a concurrent change conflicted with this one; send it again";

/// A constraint a concurrent write made this one break, rather than a bug: a unique or
/// foreign-key violation no rule caught first (the rules check them; only a row changed by
/// another transaction in between gets past), PostgreSQL's serialization failure or deadlock
/// (40001, 40P01), or SQLite still busy with another process's write after its busy timeout.
/// The caller may send the same request again.
pub fn is_conflict(err: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr, SqlErr, sqlx};
    if matches!(
        err.sql_err(),
        Some(SqlErr::UniqueConstraintViolation(_) | SqlErr::ForeignKeyConstraintViolation(_))
    ) {
        return true;
    }
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(err)) | DbErr::Query(RuntimeErr::SqlxError(err)) => {
            match &**err {
                sqlx::Error::Database(db) => {
                    matches!(
                        db.kind(),
                        sqlx::error::ErrorKind::UniqueViolation
                            | sqlx::error::ErrorKind::ForeignKeyViolation
                    ) || db.code().is_some_and(|code| {
                        // SQLITE_BUSY and its extended codes (…_RECOVERY 261, …_SNAPSHOT 517)
                        matches!(&*code, "40001" | "40P01" | "5" | "261" | "517")
                    })
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// The database error somewhere in an error chain, if it is a connection failure: domain
/// code may wrap one in context.
fn chain_is_connection_failure(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<sea_orm::DbErr>()
            .is_some_and(is_connection_failure)
            || cause
                .downcast_ref::<Arc<sea_orm::DbErr>>()
                .is_some_and(|err| is_connection_failure(err))
    })
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(err: ApiError) -> (String, String) {
        (err.message(), err.code().as_str().to_owned())
    }

    #[test]
    fn mapping__each_variant_has_its_code() {
        assert_eq!(code_of(ApiError::Unauthenticated).1, "UNAUTHENTICATED");
        assert_eq!(
            code_of(ApiError::Forbidden { reason: "x".into() }).1,
            "FORBIDDEN"
        );
        assert_eq!(
            code_of(ApiError::NotFound {
                kind: "Department",
                id: "9".into()
            }),
            ("Department not found: 9".into(), "NOT_FOUND".into())
        );
        assert_eq!(
            code_of(ApiError::bad_input("first", "too big")).1,
            "BAD_USER_INPUT"
        );
        assert_eq!(
            code_of(ApiError::LimitExceeded {
                limit: "depth".into()
            })
            .1,
            "LIMIT_EXCEEDED"
        );
    }

    #[test]
    fn mapping__an_unreachable_database_is_unavailable_not_internal() {
        use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr, sqlx};
        let broken = || {
            let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
            RuntimeErr::SqlxError(Arc::new(sqlx::Error::Io(io)))
        };
        for err in [
            DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
            DbErr::Conn(broken()),
            DbErr::Query(broken()),
            DbErr::Exec(broken()),
        ] {
            let (message, code) = code_of(ApiError::from(err));
            assert_eq!(code, "UNAVAILABLE");
            assert!(!message.contains("reset"), "{message}");
        }
        // Wrapped in context by domain code
        let wrapped = anyhow::Error::new(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))
            .context("loading the checklist");
        assert_eq!(code_of(ApiError::from(wrapped)).1, "UNAVAILABLE");
        // A broken query is still a bug
        let bad = DbErr::Query(RuntimeErr::SqlxError(Arc::new(sqlx::Error::RowNotFound)));
        assert_eq!(code_of(ApiError::from(bad)).1, "INTERNAL");
    }

    /// A database's error with a code, as the drivers report them.
    #[derive(Debug)]
    struct Coded(&'static str, bool);

    impl std::fmt::Display for Coded {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "error {}", self.0)
        }
    }

    impl std::error::Error for Coded {}

    impl sea_orm::sqlx::error::DatabaseError for Coded {
        fn message(&self) -> &str {
            "constraint detail"
        }
        fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
            Some(self.0.into())
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sea_orm::sqlx::error::ErrorKind {
            if self.1 {
                sea_orm::sqlx::error::ErrorKind::UniqueViolation
            } else {
                sea_orm::sqlx::error::ErrorKind::Other
            }
        }
    }

    #[test]
    fn mapping__a_write_a_concurrent_one_spoiled_is_a_retryable_conflict() {
        use sea_orm::{DbErr, RuntimeErr, sqlx};
        let db = |code, kind| {
            let err = sqlx::Error::Database(Box::new(Coded(code, kind)));
            DbErr::Exec(RuntimeErr::SqlxError(Arc::new(err)))
        };
        for err in [
            db("23505", true),
            db("40001", false),
            db("40P01", false),
            db("5", false),
            db("517", false),
        ] {
            let (message, code) = code_of(ApiError::from(err));
            assert_eq!(code, "CONFLICT");
            assert!(!message.contains("detail"), "{message}");
        }
        // Any other database error is still a bug
        let (_, code) = code_of(ApiError::from(db("42601", false)));
        assert_eq!(code, "INTERNAL");
    }

    #[test]
    fn mapping__internal_causes_are_hidden() {
        let (message, code) = code_of(ApiError::from(sea_orm::DbErr::Custom(
            "SELECT secret".into(),
        )));
        assert_eq!(
            (message.as_str(), code.as_str()),
            ("internal error", "INTERNAL")
        );
        let (message, code) = code_of(ApiError::from(anyhow::anyhow!("stack detail")));
        assert_eq!(
            (message.as_str(), code.as_str()),
            ("internal error", "INTERNAL")
        );
    }
}
