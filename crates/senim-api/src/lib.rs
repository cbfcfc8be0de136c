//! The JSON API under `/api/v1`, one module per resource, plus health,
//! readiness, the OpenAPI document and the audit log's endpoints (`/log`,
//! C2SP tlog-tiles). The handlers parse the request, call the use case of
//! `senim-app` and shape the answer; the rules live below them.

pub mod accounts;
pub mod allocations;
pub mod attachments;
pub mod cases;
pub mod datasets;
pub mod education;
pub mod fairness;
pub mod files;
pub mod log;
pub mod openapi;
pub mod organisations;
pub mod programmes;
mod report_page;
pub mod rulepacks;
pub mod session;
pub mod systems;
pub mod witness;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use senim_app::error::ErrorCode;
use senim_app::{ApiError, AppState};

/// Builds the API routes.
pub fn api() -> Router<AppState> {
    Router::new()
        .route(
            "/organisations",
            get(organisations::list).post(organisations::create),
        )
        .route(
            "/organisations/{id}",
            get(organisations::show).put(organisations::update),
        )
        .route(
            "/organisations/{id}/withdraw",
            post(organisations::withdraw),
        )
        .route(
            "/organisations/{id}/operator-requests",
            get(organisations::operator_requests),
        )
        .route("/accounts", get(accounts::list).post(accounts::create))
        .route("/accounts/me", get(accounts::me))
        .route("/accounts/{id}", get(accounts::show).put(accounts::update))
        .route("/accounts/{id}/withdraw", post(accounts::withdraw))
        .route(
            "/accounts/{id}/tokens",
            get(accounts::list_tokens).post(accounts::create_token),
        )
        .route(
            "/accounts/{id}/tokens/{token_id}",
            axum::routing::delete(accounts::revoke_token),
        )
        .route("/systems", get(systems::list).post(systems::create))
        .route("/systems/{id}", get(systems::show))
        .route("/systems/{id}/certificate", get(systems::certificate))
        .route("/systems/{id}/extract", get(systems::extract))
        .route(
            "/systems/{id}/versions",
            get(systems::versions).post(systems::add_version),
        )
        .route("/systems/{id}/versions/{version}", get(systems::version))
        .route("/systems/{id}/withdraw", post(systems::withdraw))
        .route("/systems/{id}/operator", post(systems::answer_operator))
        .route(
            "/systems/{id}/intake",
            get(systems::intake).put(systems::set_intake),
        )
        .route(
            "/systems/{id}/classifications",
            get(systems::classifications),
        )
        .route("/datasets", get(datasets::list).post(datasets::create))
        .route("/datasets/{id}", get(datasets::show).put(datasets::update))
        .route("/datasets/{id}/uploads", post(files::declare))
        .route("/datasets/{id}/resources", get(files::list))
        .route("/datasets/{id}/systems", get(datasets::systems))
        .route(
            "/uploads/{id}",
            get(files::status)
                .patch(files::append)
                .delete(files::abandon),
        )
        .route("/resources/{id}", get(files::show))
        .route("/resources/{id}/file", get(files::download))
        .route("/cases", get(cases::list).post(cases::create))
        .route("/cases/{id}", get(cases::show))
        .route("/cases/{id}/steps", post(cases::step))
        .route("/cases/{id}/steps/document", post(cases::step_document))
        .route(
            "/cases/{id}/signatures/{sha256}",
            get(cases::signature_file),
        )
        .route("/cases/{id}/dossier", get(cases::dossier))
        .route("/cases/{id}/metrics", post(fairness::run))
        .route("/cases/{id}/attachments", post(attachments::attach))
        .route("/cases/{id}/attachments/{sha256}", get(attachments::read))
        .route("/reviewers", get(cases::reviewers))
        .route(
            "/reviewers/{account_id}",
            axum::routing::put(cases::set_reviewer),
        )
        .route("/inbox", get(cases::inbox))
        .route("/cases/{id}/audit-report", get(cases::audit_report))
        .route(
            "/cases/{id}/audit-report/document",
            get(cases::audit_report_document),
        )
        .route("/reports", post(cases::submit_report))
        .route("/reports/challenge", get(cases::report_challenge))
        .route("/reports/{tracking_code}", get(cases::report_status))
        .route("/decisions", get(cases::decisions))
        .route("/decisions/{id}/document", get(cases::decision_document))
        .route("/trusted-lists/{sector}", get(cases::trusted_list))
        .route("/review-due/sweep", post(cases::sweep_review_due))
        .route(
            "/programmes",
            get(programmes::list).post(programmes::create),
        )
        .route("/programmes/statistics", get(programmes::statistics))
        .route("/programmes/{id}", get(programmes::show))
        .route("/programmes/{id}/calls", post(programmes::publish_call))
        .route("/calls/{id}", get(programmes::call))
        .route("/calls/{id}/awards", get(programmes::awards))
        .route("/calls/{id}/applications", post(programmes::apply))
        .route("/applications/managed", get(programmes::managed))
        .route(
            "/platform-resources",
            get(allocations::list).post(allocations::create),
        )
        .route("/platform-resources/{id}", get(allocations::show))
        .route(
            "/applications/{id}/allocations",
            get(allocations::of_application).post(allocations::request),
        )
        .route("/allocations/provided", get(allocations::provided))
        .route("/applications/to-assess", get(allocations::to_assess))
        .route("/allocations/{id}/usage", post(allocations::usage))
        .route("/courses", get(education::list))
        .route("/courses/{id}", get(education::show))
        .route(
            "/courses/{id}/enrolments",
            get(education::enrolments).post(education::enrol),
        )
        .route("/programmes/{id}/courses", post(education::create))
        .route(
            "/courses/{id}/reviewer-sectors",
            axum::routing::put(education::set_reviewer_sectors),
        )
        .route("/enrolments/mine", get(education::mine))
        .route("/enrolments/{id}/certificate", get(education::certificate))
        .route("/certificates/verify", post(education::verify))
        .route("/classify", post(rulepacks::classify))
        .route("/rulepacks", get(rulepacks::list).post(rulepacks::publish))
        .route("/rulepacks/{id}/{version}", get(rulepacks::show))
        .route(
            "/session",
            get(session::show)
                .post(session::login)
                .delete(session::logout),
        )
        .route("/session/signature/text", post(session::signature_text))
        .route("/session/signature", post(session::signature_login))
        .route("/tokens", post(session::token_login))
        .nest("/log", log::api())
        .route("/openapi.json", get(openapi_json))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// Liveness: the process answers.
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Readiness: the database answers and the server is not draining.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.is_ready() && state.store.ping().await {
        (StatusCode::OK, Json(Health { status: "ready" })).into_response()
    } else {
        ApiError::new(
            ErrorCode::Unavailable,
            "the database does not answer or the server is shutting down",
        )
        .into_response()
    }
}

async fn openapi_json() -> impl IntoResponse {
    Json(crate::openapi::document())
}
