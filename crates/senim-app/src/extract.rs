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
use base64::Engine;
use serde::de::DeserializeOwned;

use senim_domain::FieldError;

use crate::error::ApiError;
use crate::error::ErrorCode;

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
                ErrorCode::MalformedRequest,
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
            ErrorCode::MalformedRequest,
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
                ErrorCode::UnsupportedMediaType,
                "Content-Type",
                "must be application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::field(
                    ErrorCode::PayloadTooLarge,
                    "body",
                    format!("must be at most {MAX_BODY_BYTES} bytes"),
                )
            } else {
                ApiError::field(ErrorCode::MalformedRequest, "body", rejection.body_text())
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
                ErrorCode::PreconditionRequired,
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
                ErrorCode::MalformedRequest,
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

/// Encodes a store position as an opaque cursor.
pub fn encode_cursor(after: Option<String>) -> Option<String> {
    after.map(|a| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(a))
}

/// Decodes a cursor from a list request.
pub fn decode_cursor(cursor: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|s| uuid::Uuid::parse_str(s).is_ok())
        .ok_or_else(|| {
            ApiError::invalid(vec![senim_domain::FieldError {
                field: "cursor".into(),
                reason: "is not a cursor this server returned".into(),
            }])
        })?;
    Ok(Some(bytes))
}

/// A cursor for a list that pages by position (search results, in the
/// order of their relevance).
pub fn encode_offset_cursor(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("@{offset}"))
}

/// Decodes a cursor made by [`encode_offset_cursor`]; no cursor is the start.
pub fn decode_offset_cursor(cursor: Option<&str>) -> Result<usize, ApiError> {
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(0);
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix('@')?.parse().ok())
        .ok_or_else(|| {
            ApiError::invalid(vec![senim_domain::FieldError {
                field: "cursor".into(),
                reason: "is not a cursor this server returned".into(),
            }])
        })
}

/// The page size: 50 unless asked, at most 500.
pub fn page_limit(limit: Option<u32>) -> Result<u32, ApiError> {
    match limit {
        None => Ok(50),
        Some(n) if (1..=500).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid(vec![senim_domain::FieldError {
            field: "limit".into(),
            reason: "must be between 1 and 500".into(),
        }])),
    }
}

/// The optional reason of a withdrawal: trimmed, at most 2,000 characters.
pub fn parse_reason(reason: Option<String>) -> Result<Option<String>, ApiError> {
    match reason {
        None => Ok(None),
        Some(r) => senim_domain::error::optional_text(&r, 2000)
            .map(|t| Some(t).filter(|t| !t.is_empty()))
            .map_err(|reason| {
                ApiError::invalid(vec![senim_domain::FieldError {
                    field: "reason".into(),
                    reason,
                }])
            }),
    }
}

/// Parses an id from the path, or 404 (an id that cannot exist names nothing).
pub fn path_id<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, ApiError> {
    text.parse().map_err(|_| ApiError::not_found(what))
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
