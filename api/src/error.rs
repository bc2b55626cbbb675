//! One error type for the whole service, mapped once to GraphQL errors with `extensions.code`.
//!
//! Database and internal errors are logged (with the request id of the span they occur in) and
//! reach the client only as "internal error".

use std::sync::Arc;

use async_graphql::ServerError;
use sea_orm::{DbErr, SqlErr};

/// The stable, machine-readable codes of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    NotFound,
    Validation,
    VersionConflict,
    Conflict,
    LimitExceeded,
    RateLimited,
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 9] = [
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Validation,
        ErrorCode::VersionConflict,
        ErrorCode::Conflict,
        ErrorCode::LimitExceeded,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Validation => "VALIDATION",
            ErrorCode::VersionConflict => "VERSION_CONFLICT",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::LimitExceeded => "LIMIT_EXCEEDED",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// `field` is the path of the offending input, e.g. `input.cvr`.
    #[error("{message}")]
    Validation { field: String, message: String },
    #[error("{0}")]
    VersionConflict(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("too many requests, try again later")]
    RateLimited,
    /// Logged where it arises (`From<DbErr>`), inside the service's span, so the log line
    /// names the operation and the records involved.
    #[error("internal error")]
    Database(DbErr),
    #[error("internal error")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl From<DbErr> for AppError {
    fn from(e: DbErr) -> Self {
        // Emitted in the span of the service call (`#[tracing::instrument]`), whose name and
        // fields say which operation on which record failed; the client sees "internal error".
        tracing::error!(error = %e, "database error");
        AppError::Database(e)
    }
}

/// A unique constraint of the schema, as each database names it in a violation: PostgreSQL by
/// the constraint's name, SQLite by `table.column`.
#[derive(Debug, Clone, Copy)]
pub struct UniqueConstraint {
    pub postgres: &'static str,
    pub sqlite: &'static str,
}

pub const COMPANY_CVR: UniqueConstraint = UniqueConstraint {
    postgres: "company_cvr_key",
    sqlite: "company.cvr",
};
pub const PRODUCTION_UNIT_P_NUMBER: UniqueConstraint = UniqueConstraint {
    postgres: "production_unit_p_number_key",
    sqlite: "production_unit.p_number",
};

/// Whether a database message reports a violation of exactly `c`.
fn names_constraint(message: &str, c: &UniqueConstraint) -> bool {
    message.contains(&format!("\"{}\"", c.postgres))
        || message
            .rsplit_once("UNIQUE constraint failed: ")
            .is_some_and(|(_, columns)| columns.trim() == c.sqlite)
}

/// Whether `e` is a violation of the unique constraint `c` (and not of another one).
pub fn violates(e: &DbErr, c: &UniqueConstraint) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(m)) if names_constraint(&m, c))
}

/// Maps a violation of `c` to the error `f` makes; any other error stays what it was.
pub fn on_constraint(e: DbErr, c: &UniqueConstraint, f: impl FnOnce() -> AppError) -> AppError {
    if violates(&e, c) { f() } else { e.into() }
}

impl AppError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            AppError::Forbidden(_) => ErrorCode::Forbidden,
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::Validation { .. } => ErrorCode::Validation,
            AppError::VersionConflict(_) => ErrorCode::VersionConflict,
            AppError::Conflict(_) => ErrorCode::Conflict,
            AppError::LimitExceeded(_) => ErrorCode::LimitExceeded,
            AppError::RateLimited => ErrorCode::RateLimited,
            AppError::Database(_) | AppError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// Logs what the client must not see; called once, where the error leaves the service.
    pub fn log_if_internal(&self) {
        match self {
            // Database errors were logged where they arose, with their operation.
            AppError::Database(_) => {}
            AppError::Internal(e) => tracing::error!(error = %e, "internal error"),
            _ => {}
        }
    }
}

/// Error messages are cut to this many bytes.
pub const MAX_MESSAGE_BYTES: usize = 500;

/// The one place an error becomes what the client sees: sets `extensions.code` (and `field`
/// for validation) from the `AppError` a resolver returned with `?`, and logs internal errors.
/// Errors raised by async-graphql itself (parse, validation, limits, argument coercion) carry
/// no `AppError`; they get LIMIT_EXCEEDED or VALIDATION. Returns the code.
pub fn annotate(error: &mut ServerError) -> ErrorCode {
    let app = error
        .source::<AppError>()
        .or_else(|| error.source::<Arc<AppError>>().map(|a| a.as_ref()));
    let (code, field) = match app {
        Some(app) => {
            app.log_if_internal();
            let field = match app {
                AppError::Validation { field, .. } => Some(field.clone()),
                _ => None,
            };
            (app.code(), field)
        }
        None => {
            let m = error.message.as_str();
            let limit = m.contains("nested too deep")
                || m.contains("too complex")
                || m.contains("number of directives")
                || m.contains("recursion");
            let code = if limit {
                ErrorCode::LimitExceeded
            } else {
                ErrorCode::Validation
            };
            // Coercion errors name the argument: `Invalid value for argument "input.cvr", …`.
            let field = m
                .split_once("argument \"")
                .and_then(|(_, rest)| rest.split_once('"'))
                .map(|(field, _)| field.to_owned());
            (code, field)
        }
    };
    // A parse error quotes the document; an answer never echoes more than a few lines of it.
    if error.message.len() > MAX_MESSAGE_BYTES {
        let mut end = MAX_MESSAGE_BYTES;
        while !error.message.is_char_boundary(end) {
            end -= 1;
        }
        error.message.truncate(end);
        error.message.push_str(" …");
    }
    let ext = error.extensions.get_or_insert_with(Default::default);
    ext.set("code", code.as_str());
    if let Some(field) = field {
        ext.set("field", field);
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error(e: AppError) -> ServerError {
        let e: async_graphql::Error = e.into();
        e.into_server_error(async_graphql::Pos::default())
    }

    #[test]
    fn constraints_are_told_apart_by_name() {
        let pg = "duplicate key value violates unique constraint \"company_cvr_key\"";
        let sqlite = "UNIQUE constraint failed: company.cvr";
        assert!(names_constraint(pg, &COMPANY_CVR));
        assert!(names_constraint(sqlite, &COMPANY_CVR));
        assert!(!names_constraint(pg, &PRODUCTION_UNIT_P_NUMBER));
        assert!(!names_constraint(sqlite, &PRODUCTION_UNIT_P_NUMBER));
        let other = "duplicate key value violates unique constraint \"audit_event_subject_pkey\"";
        assert!(!names_constraint(other, &COMPANY_CVR));
        assert!(!names_constraint(
            "UNIQUE constraint failed: company.cvr_shadow",
            &COMPANY_CVR
        ));
    }

    #[test]
    fn database_errors_do_not_leak() {
        let mut e = server_error(AppError::Database(DbErr::Custom(
            "relation \"company\" does not exist".into(),
        )));
        assert_eq!(annotate(&mut e), ErrorCode::Internal);
        assert_eq!(e.message, "internal error");
        let ext = format!("{:?}", e.extensions);
        assert!(ext.contains("INTERNAL"), "{ext}");
        assert!(!ext.contains("relation"), "{ext}");
    }

    #[test]
    fn validation_carries_field() {
        let mut e = server_error(AppError::validation("input.cvr", "bad checksum"));
        assert_eq!(annotate(&mut e), ErrorCode::Validation);
        let ext = format!("{:?}", e.extensions);
        assert!(
            ext.contains("VALIDATION") && ext.contains("input.cvr"),
            "{ext}"
        );
    }

    #[test]
    fn coercion_errors_name_their_argument() {
        let mut e = ServerError::new(
            "Invalid value for argument \"input.cvr\", expected type \"String\"",
            None,
        );
        assert_eq!(annotate(&mut e), ErrorCode::Validation);
        let ext = format!("{:?}", e.extensions);
        assert!(ext.contains("input.cvr"), "{ext}");
    }

    #[test]
    fn shared_loader_errors_keep_their_code() {
        let e: async_graphql::Error = Arc::new(AppError::NotFound("no such company".into())).into();
        let mut e = e.into_server_error(async_graphql::Pos::default());
        assert_eq!(annotate(&mut e), ErrorCode::NotFound);
        assert_eq!(e.message, "no such company");
    }
}
