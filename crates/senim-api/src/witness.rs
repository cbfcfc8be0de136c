//! The witness's HTTP interface (issue 22, C2SP `tlog-witness` v1):
//! `POST /witness/add-checkpoint` and, for monitors,
//! `GET /witness/{origin hash}/checkpoint`. Answers are the spec's, in
//! plain text: a cosignature line, a one-line reason with the spec's
//! status, and for a 409 the size last cosigned as `text/x.tlog.size`.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use senim_app::state::AppState;
use senim_app::witness::Refused;

/// The largest request taken: 63 proof lines and a checkpoint with its
/// signatures fit in a few kilobytes.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// The routes, under `/witness`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .route("/{origin}/checkpoint", get(checkpoint))
}

fn plain(status: StatusCode, kind: &'static str, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

fn refused(r: Refused) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match r.size {
        Some(size) if r.status == 409 => plain(status, "text/x.tlog.size", format!("{size}\n")),
        _ => plain(
            status,
            "text/plain; charset=utf-8",
            format!("{}\n", r.message),
        ),
    }
}

/// `POST /witness/add-checkpoint`: the old size, the consistency proof, a
/// blank line and a signed checkpoint; the cosignature once it is kept.
async fn add_checkpoint(State(state): State<AppState>, body: Body) -> Response {
    let Ok(bytes) = axum::body::to_bytes(body, MAX_REQUEST_BYTES).await else {
        return refused(Refused {
            status: 400,
            message: format!("the request is larger than {MAX_REQUEST_BYTES} bytes, or broke off"),
            size: None,
        });
    };
    match senim_app::witness::add_checkpoint(&state, &bytes).await {
        Ok(line) => plain(StatusCode::OK, "text/plain; charset=utf-8", line),
        Err(r) => refused(r),
    }
}

/// `GET /witness/{origin hash}/checkpoint`: the latest checkpoint cosigned
/// for the log whose origin's SHA-256 is the lowercase hex hash.
async fn checkpoint(State(state): State<AppState>, Path(origin): Path<String>) -> Response {
    match senim_app::witness::latest(&state, &origin).await {
        Ok(Some(note)) => plain(StatusCode::OK, "text/plain; charset=utf-8", note),
        Ok(None) => plain(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "this witness has cosigned no checkpoint of that log\n".into(),
        ),
        Err(r) => refused(r),
    }
}
