//! The one error shape of the HTTP API, and the one place errors become HTTP.
//!
//! Which error type each layer uses: the domain returns `ValidationError`
//! (field and reason), the store returns `StoreError`, the policies return
//! `PolicyError`; handlers return [`ApiError`], and the `From` impls below are
//! the only mapping from those to status codes. Every error body is
//! `{"error": {"code", "message", "fields": [{"field", "reason", "message",
//! "args"}]}}`, where a field's `message` and `args` name the `reason-*`
//! message its English reason is (`i18n::reason_of`).

use std::collections::BTreeMap;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use senim_domain::{FieldError, ValidationError};
use senim_store::StoreError;

use crate::blobs::BlobError;
use crate::policy::PolicyError;

/// The machine-readable code of an error, each with its one HTTP status.
/// `docs/API.md` lists them; the OpenAPI document names them as an enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 422: a field is missing or wrong; `fields` names each.
    Invalid,
    /// 400: the body or a header cannot be read at all.
    MalformedRequest,
    /// 401: no valid session or token.
    Unauthenticated,
    /// 403: the policies refuse this to this caller.
    Forbidden,
    /// 403: a page's form without its CSRF token, or posted from another site.
    Csrf,
    /// 404: nothing at this address (or nothing this caller may know of).
    NotFound,
    /// 405: the address does not take this method.
    MethodNotAllowed,
    /// 409: the record changed since it was read, or its state forbids this.
    Conflict,
    /// 413: the body is larger than this address takes.
    PayloadTooLarge,
    /// 415: the body is not in a format this address takes.
    UnsupportedMediaType,
    /// 416: the byte range lies outside the file.
    RangeNotSatisfiable,
    /// 428: a change without `If-Match`.
    PreconditionRequired,
    /// 429: too many attempts; `Retry-After` says when to try again.
    RateLimited,
    /// 503: the database does not answer or the server is shutting down.
    Unavailable,
    /// 503: the server was started read-only (`senim serve --read-only`)
    /// while its operator investigates: reads work, changes do not.
    ReadOnly,
    /// 500: a fault of the server's own, logged.
    Internal,
}

impl ErrorCode {
    /// The HTTP status every error with this code has.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::MalformedRequest => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden | ErrorCode::Csrf => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::RangeNotSatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
            ErrorCode::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Unavailable | ErrorCode::ReadOnly => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The code as it appears on the wire (`"malformed_request"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Invalid => "invalid",
            ErrorCode::MalformedRequest => "malformed_request",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::Csrf => "csrf",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::RangeNotSatisfiable => "range_not_satisfiable",
            ErrorCode::PreconditionRequired => "precondition_required",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::ReadOnly => "read_only",
            ErrorCode::Internal => "internal",
        }
    }
}

/// Why the application could not start or rebuild what it keeps in memory
/// (the callers are the CLI and the tests; a request never sees one).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot read policy file {path}: {source}")]
    PolicyFile {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Rules(#[from] senim_rules::PackError),
    #[error(transparent)]
    Files(#[from] BlobError),
    #[error(transparent)]
    Search(#[from] senim_search::SearchError),
    /// A certification authority's file (`[eds]`) does not read.
    #[error("cannot read {path}: {reason}")]
    Eds {
        path: std::path::PathBuf,
        reason: String,
    },
    /// The witness's configuration (`[witness]`) or key does not work.
    #[error("{0}")]
    Witness(String),
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code; each has one HTTP status.
    pub code: ErrorCode,
    /// A sentence for people.
    pub message: String,
    /// Each bad field with the reason; empty when no field is at fault.
    pub fields: Vec<FieldProblem>,
    /// For conflicts: the current revision or version of the record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
}

/// A refused field in an error response: the reason in English, and the
/// message that words it with its arguments, for a client that shows it in
/// another language (the `reason-*` messages of `locales/`).
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The path of the field, dotted (`profile.sectors[1]`, `name.kk`).
    pub field: String,
    /// Why the value was refused, in plain words (English).
    pub reason: String,
    /// The id of the message the reason is, when it is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The message's arguments.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
}

impl From<FieldError> for FieldProblem {
    fn from(f: FieldError) -> FieldProblem {
        let found = crate::i18n::reason_of(&f.reason);
        FieldProblem {
            field: f.field,
            message: found.as_ref().map(|(id, _)| id.to_string()),
            args: found
                .map(|(_, args)| args.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
                .unwrap_or_default(),
            reason: f.reason,
        }
    }
}

/// An error a handler returns.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    pub fields: Vec<FieldError>,
    pub current: Option<String>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status: code.status(),
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
            ..ApiError::new(ErrorCode::Invalid, message)
        }
    }

    pub fn field(code: ErrorCode, field: &str, reason: impl Into<String>) -> ApiError {
        let reason = reason.into();
        ApiError {
            fields: vec![FieldError {
                field: field.to_string(),
                reason: reason.clone(),
            }],
            ..ApiError::new(code, format!("{field}: {reason}"))
        }
    }

    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            ErrorCode::Unauthenticated,
            "sign in or send an API token to do this",
        )
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(
            ErrorCode::Forbidden,
            "your account is not allowed to do this",
        )
    }

    pub fn internal() -> ApiError {
        ApiError::new(
            ErrorCode::Internal,
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
                fields: self.fields.into_iter().map(FieldProblem::from).collect(),
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
                ..ApiError::new(ErrorCode::Conflict, message)
            },
            StoreError::Invalid(v) => ApiError::invalid(v.0),
            StoreError::ReadOnly => ApiError::new(
                ErrorCode::ReadOnly,
                "the register is open read-only while its operator checks it: nothing can be changed (or signed in) now; try again later",
            ),
            StoreError::Unavailable => ApiError::new(
                ErrorCode::Unavailable,
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

/// A step the domain refused: 409 naming the current state, 403, or 422
/// naming the fields.
impl From<senim_domain::case::Refusal> for ApiError {
    fn from(r: senim_domain::case::Refusal) -> ApiError {
        use senim_domain::case::Refusal;
        match r {
            Refusal::State { message, current } => ApiError {
                current: Some(current),
                ..ApiError::new(ErrorCode::Conflict, message)
            },
            Refusal::Forbidden(message) => ApiError::new(ErrorCode::Forbidden, message),
            Refusal::Invalid(v) => ApiError::invalid(v.0),
        }
    }
}

impl From<PolicyError> for ApiError {
    fn from(e: PolicyError) -> Self {
        tracing::error!(error = %e, "policy error");
        ApiError::internal()
    }
}

/// What a failure of the file storage means to the caller.
impl From<BlobError> for ApiError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::NoUpload => ApiError::not_found("upload"),
            BlobError::Empty => ApiError::field(ErrorCode::Invalid, "file", e.to_string()),
            BlobError::Broken => {
                ApiError::field(ErrorCode::MalformedRequest, "file", e.to_string())
            }
            BlobError::Missing => ApiError::not_found("file"),
            BlobError::Busy => ApiError::new(ErrorCode::Conflict, e.to_string()),
            BlobError::WrongOffset { current, .. } => ApiError {
                current: Some(current.to_string()),
                fields: vec![FieldError {
                    field: "Upload-Offset".into(),
                    reason: e.to_string(),
                }],
                ..ApiError::new(ErrorCode::Conflict, e.to_string())
            },
            BlobError::TooLong { .. } => {
                ApiError::field(ErrorCode::PayloadTooLarge, "body", e.to_string())
            }
            BlobError::Checksum { .. } => {
                ApiError::field(ErrorCode::Invalid, "sha256", e.to_string())
            }
            BlobError::Io(_) | BlobError::Store(_) => {
                tracing::error!(error = %e, "file storage");
                ApiError::internal()
            }
        }
    }
}
