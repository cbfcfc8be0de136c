//! Request parsing at the edge: JSON bodies, query strings and `If-Match`.
//!
//! Bodies and queries are decoded with the field path of every failure, so a
//! wrong type three levels deep is reported as `profile.sectors[2]` with the
//! allowed values, in the API's own error shape. Unknown fields are refused
//! by the types themselves (`deny_unknown_fields`).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use senim_domain::FieldError;

use crate::error::ApiError;

/// The largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A JSON body decoded into `T`.
pub struct JsonBody<T>(pub T);

/// Decodes JSON bytes, reporting the path of the first bad field. Shared by
/// the extractor and the fuzz target.
pub fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::field(
                StatusCode::BAD_REQUEST,
                "malformed_request",
                "body",
                format!("is not valid JSON: {inner}"),
            )
        } else {
            let field = if path == "." {
                "body".to_string()
            } else {
                path
            };
            ApiError::invalid(vec![FieldError {
                field,
                reason: clean_serde_message(&inner.to_string()),
            }])
        }
    })?;
    de.end().map_err(|e| {
        ApiError::field(
            StatusCode::BAD_REQUEST,
            "malformed_request",
            "body",
            format!("has trailing characters after the JSON value: {e}"),
        )
    })?;
    Ok(value)
}

/// serde's messages end with " at line 1 column 42"; the field path already
/// says where, so drop it.
fn clean_serde_message(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let mime = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::field(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Content-Type",
                "must be application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::field(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "body",
                    format!("must be at most {MAX_BODY_BYTES} bytes"),
                )
            } else {
                ApiError::field(
                    StatusCode::BAD_REQUEST,
                    "malformed_request",
                    "body",
                    rejection.body_text(),
                )
            }
        })?;
        decode_json(&bytes).map(JsonBody)
    }
}

/// A JSON body that may be absent (withdraw requests).
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let has_body = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .map(|v| v != "0")
            .unwrap_or(false)
            || req.headers().contains_key(header::CONTENT_TYPE);
        if !has_body {
            return Ok(OptionalJsonBody(None));
        }
        let JsonBody(value) = JsonBody::<T>::from_request(req, state).await?;
        Ok(OptionalJsonBody(Some(value)))
    }
}

/// Query parameters decoded into `T`.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
        serde_path_to_error::deserialize(de)
            .map(QueryParams)
            .map_err(|e| {
                let path = e.path().to_string();
                let field = if path == "." {
                    "query".to_string()
                } else {
                    path
                };
                ApiError::invalid(vec![FieldError {
                    field,
                    reason: clean_serde_message(&e.into_inner().to_string()),
                }])
            })
    }
}

fn form_urlencoded_parse(query: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(query.as_bytes())
}

/// The revision a client says its update starts from (`If-Match`).
pub struct IfMatch(pub Option<i64>);

impl IfMatch {
    /// The revision, or 428 when the header is missing.
    pub fn required(self) -> Result<i64, ApiError> {
        self.0.ok_or_else(|| {
            ApiError::field(
                StatusCode::PRECONDITION_REQUIRED,
                "precondition_required",
                "If-Match",
                "is required: send the ETag of the version you are updating",
            )
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let text = value.to_str().unwrap_or("").trim();
        let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
        text.parse::<i64>().map(|v| IfMatch(Some(v))).map_err(|_| {
            ApiError::field(
                StatusCode::BAD_REQUEST,
                "malformed_request",
                "If-Match",
                "must be the ETag a read returned, such as \"3\"",
            )
        })
    }
}

/// An ETag header value for a revision.
pub fn etag(revision: i64) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{revision}\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use senim_domain::SystemInput;

    #[test]
    fn nested_bad_value_names_its_path() {
        let body = br#"{"name":{"en":"x"},"profile":{"sectors":["healthcare","space"],"functions":["other"],"autonomy":"low","affects":["none"],"failure_impact":"minimal"}}"#;
        let err = decode_json::<SystemInput>(body).err().unwrap();
        assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err.fields[0].field, "profile.sectors[1]");
        assert!(
            err.fields[0].reason.contains("healthcare"),
            "{}",
            err.fields[0].reason
        );
    }

    #[test]
    fn syntax_error_is_400() {
        let err = decode_json::<SystemInput>(b"{\"name\":").err().unwrap();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
    }
}
