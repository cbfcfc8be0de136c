//! Senim's HTTP server: [`router`] assembles the JSON API (`senim-api`), the
//! pages (`senim-web`) and the data library's standard faces
//! (`senim-opendata`) over the application core (`senim-app`), and [`serve`]
//! runs it with graceful shutdown. Nothing else lives here.
//!
//! [`router`] builds the whole application from an [`AppState`], so tests can
//! serve it on port 0 exactly as `senim serve` does; [`open`] (from the core)
//! turns a [`Config`] into that state.

use std::net::SocketAddr;

use axum::http::{header, Extensions, HeaderMap, HeaderValue, StatusCode, Version};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

pub use senim_app::{load_rules, location, open, store_options, AppState, Config};
pub use senim_demo as demo;

use senim_app::error::ApiError;
use senim_app::error::ErrorCode;
use senim_app::extract::MAX_BODY_BYTES;

/// Builds the application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(senim_web::pages(&state))
        .route("/healthz", get(senim_api::healthz))
        .route("/readyz", get(senim_api::readyz))
        .route("/metrics", get(senim_app::telemetry::metrics))
        .nest("/api/v1", senim_api::api())
        .merge(senim_opendata::routes())
        .nest("/log", senim_api::log::tiles())
        .nest("/witness", senim_api::witness::routes())
        .route(
            "/badges/status/{year}",
            get(senim_api::education::status_list),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            senim_app::log::receipts,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            senim_app::telemetry::track,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal().into_response()
        }))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .br(true)
                .compress_when(compressible),
        )
        .with_state(state)
}

/// Whether a response is worth compressing for a client that accepts it:
/// pages, stylesheets, scripts, JSON and other text of some size. Never the
/// library's files (served with `Accept-Ranges`, often large, read in
/// ranges whose offsets compression would change), nor a partial response.
fn compressible(status: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions) -> bool {
    if status == StatusCode::PARTIAL_CONTENT
        || headers.contains_key(header::ACCEPT_RANGES)
        || headers.contains_key(header::CONTENT_RANGE)
    {
        return false;
    }
    let text = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            t.starts_with("text/")
                || t.starts_with("application/json")
                || t.starts_with("application/ld+json")
                || t.starts_with("application/javascript")
                || t.starts_with("image/svg+xml")
        });
    let size = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    text && size.is_none_or(|n| n >= 512)
}

/// Nothing at this address: a page in the reader's language for a browser
/// (with a way back), the JSON error for the API, the log and other clients.
async fn not_found(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let (mut parts, _) = request.into_parts();
    let path = parts.uri.path();
    let browser = !path.starts_with("/api/")
        && !path.starts_with("/log/")
        && !path.starts_with("/witness/")
        && parts
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"));
    if browser {
        use axum::extract::FromRequestParts;
        if let Ok(c) = senim_web::Ctx::from_request_parts(&mut parts, &state).await {
            return c.error(ApiError::not_found("page"));
        }
    }
    ApiError::not_found("page").into_response()
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        "this address does not accept that method",
    )
}

/// Serves until `shutdown` resolves, then drains.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if state.library.is_empty() {
        // Unless the caller built it already (`senim serve` does, to report it).
        state.rebuild_library_index().await.map_err(|e| {
            std::io::Error::other(format!("cannot build the library's search index: {e}"))
        })?;
    }
    if state.register.is_empty() {
        state.rebuild_register().await.map_err(|e| {
            std::io::Error::other(format!("cannot read the register's systems: {e}"))
        })?;
    }
    let app = router(state.clone());
    if state.store.read_only().is_none() {
        // Read-only, they would only fail at every turn: nothing is due
        // that cannot wait until the register is started normally.
        senim_app::sweeps::start(state.clone());
        senim_app::cosigning::start(state.clone());
        senim_app::mail::start(state.clone()).map_err(std::io::Error::other)?;
    }
    let drain = state.clone();
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        drain.set_ready(false);
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(
                name,
                HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")),
            );
        }
        h
    }

    #[test]
    fn only_text_of_some_size_is_compressed_and_never_a_file_of_the_library() {
        let ok = StatusCode::OK;
        let v = Version::HTTP_11;
        let e = Extensions::new();
        let html = |len: &str| {
            headers(&[
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CONTENT_LENGTH, len),
            ])
        };
        assert!(compressible(ok, v, &html("20000"), &e));
        assert!(!compressible(ok, v, &html("100"), &e));
        assert!(compressible(
            ok,
            v,
            &headers(&[(header::CONTENT_TYPE, "application/json")]),
            &e
        ));
        assert!(!compressible(
            ok,
            v,
            &headers(&[(header::CONTENT_TYPE, "image/png")]),
            &e
        ));
        let file = headers(&[
            (header::CONTENT_TYPE, "text/csv"),
            (header::ACCEPT_RANGES, "bytes"),
        ]);
        assert!(!compressible(ok, v, &file, &e));
        assert!(!compressible(
            StatusCode::PARTIAL_CONTENT,
            v,
            &html("20000"),
            &e
        ));
    }
}
