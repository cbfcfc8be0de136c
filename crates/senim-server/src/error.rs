//! The one error shape of the HTTP API, and the one place errors become HTTP.
//!
//! Which error type each layer uses: the domain returns `ValidationError`
//! (field and reason), the store returns `StoreError`, the policies return
//! `PolicyError`; handlers return [`ApiError`], and the `From` impls below are
//! the only mapping from those to status codes. Every error body is
//! `{"error": {"code", "message", "fields": [{"field", "reason"}]}}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use senim_domain::{FieldError, ValidationError};
use senim_store::StoreError;

use crate::policy::PolicyError;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code: `invalid`, `malformed_request`,
    /// `unauthenticated`, `forbidden`, `not_found`, `conflict`,
    /// `precondition_required`, `payload_too_large`, `unsupported_media_type`,
    /// `rate_limited`, `unavailable`, `internal`.
    pub code: &'static str,
    /// A sentence for people.
    pub message: String,
    /// Each bad field with the reason; empty when no field is at fault.
    pub fields: Vec<FieldError>,
    /// For conflicts: the current revision or version of the record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
}

/// An error a handler returns.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<FieldError>,
    pub current: Option<String>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
            current: None,
            retry_after: None,
        }
    }

    pub fn invalid(fields: Vec<FieldError>) -> ApiError {
        let message = if fields.len() == 1 {
            format!("{} {}", fields[0].field, fields[0].reason)
        } else {
            format!("{} fields are invalid", fields.len())
        };
        ApiError {
            fields,
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
        }
    }

    pub fn field(
        status: StatusCode,
        code: &'static str,
        field: &str,
        reason: impl Into<String>,
    ) -> ApiError {
        let reason = reason.into();
        ApiError {
            fields: vec![FieldError {
                field: field.to_string(),
                reason: reason.clone(),
            }],
            ..ApiError::new(status, code, format!("{field}: {reason}"))
        }
    }

    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in or send an API token to do this",
        )
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "your account is not allowed to do this",
        )
    }

    pub fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on our side; it has been logged",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                fields: self.fields,
                current: self.current,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        ApiError::invalid(e.0)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, .. } => ApiError::not_found(what),
            StoreError::Conflict { message, current } => ApiError {
                current: current.filter(|c| !c.is_empty()),
                ..ApiError::new(StatusCode::CONFLICT, "conflict", message)
            },
            StoreError::Invalid(v) => ApiError::invalid(v.0),
            StoreError::Unavailable => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the server is shutting down; try again",
            ),
            other => {
                tracing::error!(error = %other, "store error");
                ApiError::internal()
            }
        }
    }
}

impl From<senim_search::SearchError> for ApiError {
    fn from(e: senim_search::SearchError) -> Self {
        match e {
            senim_search::SearchError::Query(q) => ApiError::invalid(vec![FieldError {
                field: "q".into(),
                reason: q.0,
            }]),
            other => {
                tracing::error!(error = %other, "search index error");
                ApiError::internal()
            }
        }
    }
}

impl From<PolicyError> for ApiError {
    fn from(e: PolicyError) -> Self {
        tracing::error!(error = %e, "policy error");
        ApiError::internal()
    }
}
