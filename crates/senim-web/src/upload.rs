//! Forms that carry a file (`multipart/form-data`): a data steward's file
//! for a dataset, an auditor's predictions for an audit, a step's
//! attachment, a reporter's evidence. Such a form without a file may also
//! come as a plain form.
//!
//! The form's text fields come first and are checked exactly as
//! [`Posted`](crate::Posted) checks a plain form (where the browser
//! says it comes from, then the CSRF token); the file, which must be the
//! form's last field, is left unread for the handler, which streams it to
//! where it belongs only once it has decided the request may go on. Nobody
//! makes the server read a file they may not send.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures::stream::BoxStream;
use futures::StreamExt;

use crate::{check_csrf, check_origin, Ctx, FormData, MAX_FORM_BYTES, MAX_FORM_FIELDS};
use senim_app::error::{ApiError, ErrorCode};
use senim_app::state::AppState;

/// A form with a file, posted to a page, after its CSRF token was checked.
pub struct PostedFile {
    pub ctx: Ctx,
    /// The text fields that came before the file.
    pub form: FormData,
    /// The file, unread; `None` when the form's file input was left empty.
    pub file: Option<FilePart>,
}

/// A file sent with a form, not yet read.
pub struct FilePart {
    /// The name the browser gave (the file's own name, without its folder).
    pub name: String,
    /// The form field's name.
    pub field: String,
    part: multer::Field<'static>,
}

impl FilePart {
    /// The file's bytes as they arrive; an error if the connection breaks.
    pub fn stream(self) -> BoxStream<'static, Result<Bytes, axum::Error>> {
        self.part
            .map(|chunk| chunk.map_err(axum::Error::new))
            .boxed()
    }

    /// The whole file, refused beyond `limit` bytes (the error names `field`).
    pub async fn bytes(mut self, limit: usize) -> Result<Bytes, ApiError> {
        let mut out = BytesMut::new();
        while let Some(chunk) = self.part.chunk().await.map_err(|e| {
            ApiError::field(
                ErrorCode::MalformedRequest,
                &self.field,
                format!("could not be read: {e}"),
            )
        })? {
            if out.len() + chunk.len() > limit {
                return Err(ApiError::field(
                    ErrorCode::PayloadTooLarge,
                    &self.field,
                    format!("must be at most {} MiB", limit >> 20),
                ));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out.freeze())
    }
}

fn refuse(ctx: &Ctx, code: ErrorCode, message: &str) -> Response {
    ctx.error(ApiError::new(code, message))
}

impl FromRequest<AppState> for PostedFile {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<PostedFile, Response> {
        // A form with no file may come as a plain form (a client that
        // sends no file, or a page from before the form took one).
        let plain = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if plain {
            let crate::Posted { ctx, form } = crate::Posted::from_request(request, state).await?;
            return Ok(PostedFile {
                ctx,
                form,
                file: None,
            });
        }
        let (mut parts, body) = request.into_parts();
        let ctx = Ctx::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        check_origin(&parts.headers).map_err(|e| ctx.error(e))?;
        let boundary = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| multer::parse_boundary(v).ok());
        let Some(boundary) = boundary else {
            return Err(refuse(
                &ctx,
                ErrorCode::UnsupportedMediaType,
                "this form is sent as multipart/form-data",
            ));
        };
        let mut multipart = multer::Multipart::new(body.into_data_stream(), boundary);
        let malformed = |ctx: &Ctx, e: multer::Error| {
            refuse(
                ctx,
                ErrorCode::MalformedRequest,
                &format!("the form could not be read: {e}"),
            )
        };
        let mut form = FormData::default();
        let mut text_bytes = 0usize;
        let mut file = None;
        while let Some(mut part) = multipart
            .next_field()
            .await
            .map_err(|e| malformed(&ctx, e))?
        {
            let name = part.name().unwrap_or("").to_string();
            if let Some(file_name) = part.file_name() {
                // A file input left empty arrives as a part with no name
                // and no bytes.
                let file_name = file_name
                    .rsplit(['/', '\\'])
                    .next()
                    .unwrap_or("")
                    .to_string();
                if !file_name.is_empty() {
                    file = Some(FilePart {
                        name: file_name,
                        field: name,
                        part,
                    });
                }
                // The file is the form's last field: what follows it is
                // not read.
                break;
            }
            if form.0.len() >= MAX_FORM_FIELDS {
                return Err(refuse(
                    &ctx,
                    ErrorCode::PayloadTooLarge,
                    "the form has more than 1,000 fields",
                ));
            }
            let mut value = Vec::new();
            while let Some(chunk) = part.chunk().await.map_err(|e| malformed(&ctx, e))? {
                text_bytes += chunk.len();
                if text_bytes > MAX_FORM_BYTES {
                    return Err(refuse(
                        &ctx,
                        ErrorCode::PayloadTooLarge,
                        "the form's fields are larger than 1 MiB",
                    ));
                }
                value.extend_from_slice(&chunk);
            }
            form.0
                .push((name, String::from_utf8_lossy(&value).into_owned()));
        }
        check_csrf(&ctx, &form).map_err(|e| ctx.error(e))?;
        Ok(PostedFile { ctx, form, file })
    }
}
