//! The OpenAPI 3.1 document, generated from the handlers' annotations and the
//! wire types; `tests/` keeps a snapshot so every API change shows in review.

use utoipa::OpenApi;

use crate::{
    accounts, allocations, attachments, cases, datasets, education, fairness, files, log,
    organisations, programmes, rulepacks, session, systems,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Senim API",
        description = "The public register of AI systems under Kazakhstan's Law on Artificial Intelligence. \
Errors always have the shape {\"error\": {\"code\", \"message\", \"fields\": [{\"field\", \"reason\"}]}}.",
        license(name = "Apache-2.0")
    ),
    paths(
        organisations::list, organisations::create, organisations::show,
        organisations::update, organisations::withdraw, organisations::operator_requests,
        accounts::list, accounts::create, accounts::me, accounts::show, accounts::update,
        accounts::withdraw, accounts::list_tokens, accounts::create_token, accounts::revoke_token,
        systems::list, systems::create, systems::show, systems::certificate, systems::extract, systems::versions, systems::version,
        systems::add_version, systems::withdraw, systems::answer_operator, systems::intake, systems::set_intake, systems::classifications,
        rulepacks::classify, rulepacks::list, rulepacks::show, rulepacks::publish,
        session::login, session::show, session::logout, session::token_login,
        session::signature_text, session::signature_login,
        log::entry, log::inclusion, log::consistency, log::document, log::rotations, log::rollbacks,
        cases::create, cases::list, cases::show, cases::step, cases::step_document, cases::signature_file, cases::dossier,
        cases::reviewers, cases::set_reviewer, cases::inbox, cases::audit_report, cases::audit_report_document,
        cases::submit_report, cases::report_challenge, cases::report_status, cases::decisions, cases::decision_document, cases::trusted_list,
        cases::sweep_review_due, fairness::run, attachments::attach, attachments::read,
        datasets::list, datasets::show, datasets::create, datasets::update, datasets::systems,
        files::declare, files::status, files::append, files::abandon, files::list, files::show,
        files::download,
        programmes::list, programmes::create, programmes::show, programmes::publish_call,
        programmes::call, programmes::awards, programmes::apply, programmes::managed,
        programmes::statistics,
        allocations::list, allocations::show, allocations::create, allocations::request,
        allocations::of_application, allocations::provided, allocations::to_assess,
        allocations::usage,
        education::list, education::show, education::create, education::enrol,
        education::enrolments, education::mine, education::certificate, education::verify,
        education::set_reviewer_sectors,
    ),
    components(schemas(senim_app::error::ErrorBody)),
    tags(
        (name = "organisations", description = "Legal entities that own, operate or supervise AI systems"),
        (name = "systems", description = "AI systems and their versions"),
        (name = "accounts", description = "Accounts, roles and API tokens"),
        (name = "session", description = "Signing in"),
        (name = "rules", description = "Rule packs and classification"),
        (name = "cases", description = "The authority's work: registration dossiers and their steps, the reviewer pool, inboxes"),
        (name = "datasets", description = "The National AI Platform's data library"),
        (name = "programmes", description = "The National AI Platform's support programmes: calls, applications, awards, resources and allocations, courses and certificates"),
        (name = "log", description = "The public audit log: entries and proofs (tiles and checkpoints are at /log, as C2SP tlog-tiles)")
    )
)]
pub struct ApiDoc;

/// The document served at `/api/v1/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
