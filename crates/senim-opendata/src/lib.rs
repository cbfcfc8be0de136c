//! The data library's standard faces, for the clients other catalogues
//! already have: the CKAN Action API (`/api/3/action/...`, read-only),
//! DCAT-AP 3 (`/catalog.jsonld`, `/dataset/{id}.jsonld`) and Croissant
//! (`/dataset/{id}/croissant.jsonld`). The library itself (its records, its
//! search index, its files) is the application core's; this crate only
//! speaks the formats.

pub mod ckan;
pub mod standards;

use axum::routing::get;
use axum::Router;

use senim_app::AppState;

/// The routes of the standard faces, at the site's root.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/3/action/{name}", get(ckan::action).post(ckan::action))
        .route("/api/action/{name}", get(ckan::action).post(ckan::action))
        .route("/api/3", get(ckan::version3))
        .route("/catalog.jsonld", get(standards::catalog))
        .route("/dataset/{file}", get(standards::dcat_dataset))
        .route("/dataset/{id}/croissant.jsonld", get(standards::croissant))
}
