//! The pages' static files, compiled into the binary: the stylesheet, htmx
//! (vendored from npm by `scripts/vendor.sh`) and the icon. Each is served
//! under a name carrying its digest, so browsers may keep it for a year and
//! still see a new release at once.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "senim.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../assets/senim.css"),
    },
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/htmx.min.js"),
    },
    Asset {
        name: "senim.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/senim.js"),
    },
    Asset {
        name: "icon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../assets/icon.svg"),
    },
];

/// Each asset's address: `/assets/{stem}.{digest}.{extension}`.
fn hrefs() -> &'static Vec<(&'static str, String)> {
    static HREFS: OnceLock<Vec<(&'static str, String)>> = OnceLock::new();
    HREFS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let digest = hex::encode(&Sha256::digest(a.body)[..6]);
                let (stem, ext) = a.name.split_once('.').unwrap_or((a.name, ""));
                (a.name, format!("/assets/{stem}.{digest}.{ext}"))
            })
            .collect()
    })
}

/// The address of the asset `name` (for example `senim.css`).
pub fn href(name: &str) -> &'static str {
    hrefs()
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, h)| h.as_str())
        .unwrap_or("/assets/missing")
}

/// `GET /assets/{name}`: the file whose current address this is.
pub async fn serve(Path(name): Path<String>) -> Response {
    let wanted = format!("/assets/{name}");
    let found = hrefs()
        .iter()
        .position(|(_, h)| *h == wanted)
        .and_then(|i| ASSETS.get(i));
    match found {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            asset.body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn addresses_carry_digests_and_differ() {
        let css = href("senim.css");
        assert!(css.starts_with("/assets/senim.") && css.ends_with(".css"));
        assert_ne!(css, href("htmx.min.js"));
        assert_eq!(href("nothing"), "/assets/missing");
    }
}
