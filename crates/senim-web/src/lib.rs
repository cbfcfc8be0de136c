//! The pages: server-rendered HTML in Kazakh, Russian and English.
//!
//! Every page is an askama template (`templates/`) rendered from a [`Ctx`],
//! which carries the reader's language ([`i18n`]), who is signed in, and the
//! CSRF token the page's forms carry. Pages work without JavaScript; htmx,
//! served from the binary ([`assets`]), only makes some of them faster. The
//! pages send a Content-Security-Policy that allows no inline script or style
//! and nothing from another site.
//!
//! Forms post to the pages, never to the JSON API; each POST handler takes a
//! [`Posted`], which refuses the request unless its `csrf_token` field
//! matches: the session's token when signed in, otherwise the value of the
//! `senim_csrf` cookie the page set (a double-submit token, so the sign-in
//! and the public report forms are protected too). A form with a file takes
//! a `PostedFile` (`web/upload.rs`) instead, which checks the same before the file is
//! read.

mod account;
mod admin;
pub mod assets;
mod cases;
pub mod charts;
mod desks;
mod education;
pub use senim_app::i18n;
mod inbox;
mod library;
mod log;
mod oversight;
mod profile;
mod programmes;
mod public;
mod report;
mod requests;
mod resources;
mod reviewers;
mod rulepacks;
mod selfcheck;
pub mod stats;
mod steward;
mod tokens;
mod upload;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

use senim_domain::classification::Lang;

use senim_app::auth::{
    constant_time_eq, cookie_value, random_secret, session_caller, Caller, Credential,
};
use senim_app::error::ApiError;
use senim_app::error::ErrorCode;
use senim_app::state::AppState;

pub use i18n::Tr;

/// The pages' Content-Security-Policy: scripts, styles and images only from
/// this site, no inline script or style, forms only to this site.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

pub use senim_app::auth::{CSRF_COOKIE, FILED_COOKIE};

/// Builds the page routes; `state` renders their errors as pages.
pub fn pages(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(public::home))
        .route("/register", get(public::register))
        .route("/register.csv", get(public::register_csv))
        .route("/register.json", get(public::register_json))
        .route("/systems/{id}", get(public::system))
        .route("/systems/{id}/certificate.pdf", get(public::certificate))
        .route("/systems/{id}/extract.pdf", get(public::extract))
        .route(
            "/systems/{id}/intake",
            axum::routing::post(public::set_intake),
        )
        .route(
            "/systems/{id}/withdraw",
            axum::routing::post(public::withdraw),
        )
        .route(
            "/systems/{id}/cases",
            axum::routing::post(public::open_case),
        )
        .route("/login", get(account::show).post(account::submit))
        .route(
            "/login/code",
            get(account::code_show).post(account::code_submit),
        )
        .route("/login/oidc/{provider}", get(account::oidc_begin))
        .route(
            "/login/signature",
            get(account::signature_show).post(account::signature_submit),
        )
        .route(
            "/login/oidc/{provider}/callback",
            get(account::oidc_callback),
        )
        .route(
            "/organisations/request",
            get(requests::show).post(requests::submit),
        )
        .route(
            "/admin/requests/{id}",
            get(requests::decide_show).post(requests::decide),
        )
        .route(
            "/password/forgot",
            get(account::forgot).post(account::forgot_submit),
        )
        .route(
            "/password/reset",
            get(account::reset).post(account::reset_submit),
        )
        .route("/logout", axum::routing::post(account::logout))
        .route("/report", get(report::show).post(report::submit))
        .route("/report/done", get(report::done))
        .route("/report/systems", get(report::systems))
        .route(
            "/report/status",
            get(report::status_form).post(report::status),
        )
        .route("/self-check", get(selfcheck::wizard))
        .route("/self-check/result", get(selfcheck::result))
        .route("/statistics", get(stats::page))
        .route("/programmes", get(programmes::list))
        .route("/programmes/desk", get(programmes::desk))
        .route(
            "/programmes/desk/programmes",
            axum::routing::post(programmes::create_programme),
        )
        .route(
            "/programmes/desk/calls",
            axum::routing::post(programmes::publish_call),
        )
        .route("/programmes/resources", get(resources::list))
        .route("/programmes/courses", get(education::list))
        .route(
            "/courses/desk",
            get(education::desk).post(education::create),
        )
        .route("/courses/{id}", get(education::show).post(education::enrol))
        .route(
            "/courses/{id}/reviewer-sectors",
            axum::routing::post(education::set_reviewer_sectors),
        )
        .route(
            "/badges/verify",
            get(education::verify_form).post(education::verify),
        )
        .route("/programmes/statistics", get(programmes::statistics))
        .route(
            "/resources/desk",
            get(resources::desk).post(resources::create),
        )
        .route("/calls/{id}", get(programmes::call))
        .route("/calls/{id}/apply", axum::routing::post(programmes::apply))
        .route("/library", get(library::search))
        .route("/library/{id}", get(library::dataset))
        .route(
            "/library/{id}/request",
            axum::routing::post(library::request),
        )
        .route("/developer", get(desks::developer))
        .route("/developer/datasets", get(desks::dataset_picker))
        .route("/developer/wizards/{id}", get(desks::resume_wizard))
        .route(
            "/developer/wizards/{id}/discard",
            axum::routing::post(desks::discard_wizard),
        )
        .route(
            "/developer/new",
            get(desks::wizard_start).post(desks::wizard_step),
        )
        .route(
            "/developer/systems/{id}/submit",
            axum::routing::post(desks::submit),
        )
        .route(
            "/developer/systems/{id}/version",
            get(desks::wizard_version),
        )
        .route(
            "/developer/systems/{id}/operator",
            axum::routing::post(desks::answer_operator),
        )
        .route("/reviewer", get(desks::reviewer))
        .route("/admin", get(admin::show))
        .route(
            "/admin/organisations",
            axum::routing::post(admin::add_organisation),
        )
        .route("/admin/accounts", axum::routing::post(admin::add_account))
        .route("/admin/mail/retry", axum::routing::post(admin::retry_mail))
        .route("/admin/{kind}/{id}", get(admin::record).post(admin::change))
        .route(
            "/admin/{kind}/{id}/close",
            axum::routing::post(admin::close),
        )
        .route("/supervisor", get(desks::supervisor))
        .route("/supervisor/reviewers", get(reviewers::list))
        .route(
            "/supervisor/reviewers/{id}",
            get(reviewers::show).post(reviewers::set),
        )
        .route(
            "/supervisor/rulepacks",
            get(rulepacks::show).post(rulepacks::submit),
        )
        .route("/auditor", get(desks::auditor))
        .route("/steward", get(desks::steward))
        .route(
            "/steward/datasets/new",
            get(steward::new_form).post(steward::create),
        )
        .route(
            "/library/{id}/edit",
            get(steward::edit_form).post(steward::update),
        )
        .route("/library/{id}/files", axum::routing::post(steward::upload))
        .route("/inbox", get(inbox::show))
        .route("/account/tokens", get(tokens::show).post(tokens::create))
        .route(
            "/account/tokens/{id}/revoke",
            axum::routing::post(tokens::revoke),
        )
        .route("/desk/cases/{id}", get(cases::show).post(cases::step))
        .route(
            "/desk/cases/{id}/signed",
            axum::routing::post(cases::signed),
        )
        .route("/desk/cases/{id}/dossier", get(desks::dossier))
        .route(
            "/desk/cases/{id}/metrics",
            axum::routing::post(cases::metrics),
        )
        .route("/desk/cases/{id}/metrics/{n}", get(cases::metrics_report))
        .route(
            "/desk/cases/{id}/respond",
            axum::routing::post(cases::respond),
        )
        .route(
            "/desk/cases/{id}/attachments/{sha256}",
            get(cases::attachment),
        )
        .route(
            "/desk/cases/{id}/audit-report.pdf",
            get(oversight::audit_report),
        )
        .route("/decisions", get(oversight::decisions))
        .route("/decisions/{id}", get(oversight::decision))
        .route("/decisions/{id}/decision.pdf", get(oversight::decision_pdf))
        .route("/trusted-lists", get(oversight::trusted_lists))
        .route("/audit-log", get(log::overview))
        .route("/audit-log/entry", get(log::find))
        .route("/audit-log/entries/{index}", get(log::entry))
        // Inside the policy's layer, so that error pages carry it too.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error_pages,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        ))
        .route("/assets/{name}", get(assets::serve))
}

/// What a page handler returns: the page, or why there is none.
pub type PageResult = Result<Response, PageError>;

/// Why a page could not be shown. Handlers return it with `?` from any
/// error the application core gives; the pages' error layer
/// (`error_pages`) renders it as the error page in the reader's language,
/// or sends the anonymous to sign in first.
#[derive(Debug)]
pub struct PageError(pub ApiError);

/// Every error the application core maps to its one error type is a page
/// error too.
macro_rules! page_errors {
    ($($error:ty),+ $(,)?) => {$(
        impl From<$error> for PageError {
            fn from(e: $error) -> PageError {
                PageError(e.into())
            }
        }
    )+};
}

page_errors!(
    ApiError,
    senim_store::StoreError,
    senim_app::blobs::BlobError,
    senim_search::SearchError,
    senim_app::policy::PolicyError,
    senim_domain::ValidationError,
);

/// A page error on its way to the error layer.
#[derive(Clone)]
struct Unrendered(ApiError);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut response = self.0.status.into_response();
        response.extensions_mut().insert(Unrendered(self.0));
        response
    }
}

/// Renders a handler's [`PageError`] as the error page, with the request's
/// language, account and cookies: the request's head is kept until the
/// handler has answered, and read again only when it failed.
async fn error_pages(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let (method, uri, headers) = (
        parts.method.clone(),
        parts.uri.clone(),
        parts.headers.clone(),
    );
    let mut response = next.run(Request::from_parts(parts, body)).await;
    // Only a failed page holds one.
    let Some(Unrendered(e)) = response.extensions_mut().remove::<Unrendered>() else {
        return response;
    };
    let mut head = Request::new(());
    *head.method_mut() = method;
    *head.uri_mut() = uri;
    *head.headers_mut() = headers;
    let (mut parts, ()) = head.into_parts();
    match Ctx::from_request_parts(&mut parts, &state).await {
        Ok(c) => c.error(e),
        Err(_) => e.into_response(),
    }
}

/// What every page knows about its request.
pub struct Ctx {
    pub t: Tr,
    pub caller: Caller,
    /// The token this page's forms carry.
    pub csrf: String,
    /// The request's path, for the language switch and sign-in returns.
    pub path: String,
    /// The request's query pairs, without `lang`.
    pub query: Vec<(String, String)>,
    /// Cookies the response sets (a language choice, a new CSRF token).
    cookies: Vec<String>,
    secure: bool,
    /// The desks the caller may open.
    desks: Vec<&'static Desk>,
    /// The server runs read-only (`senim serve --read-only`): every page
    /// says so.
    read_only: bool,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Ctx, ApiError> {
        let secure = if state.config.secure_cookies() {
            "; Secure"
        } else {
            ""
        };
        let mut cookies = Vec::new();
        let mut query = Vec::new();
        let mut chosen = None;
        for (k, v) in form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()) {
            if k == "lang" {
                chosen = i18n::parse(&v).filter(|_| v.len() == 2);
            } else {
                query.push((k.into_owned(), v.into_owned()));
            }
        }
        let remembered = cookie_value(&parts.headers, i18n::LANG_COOKIE).and_then(i18n::parse);
        if let Some(lang) = chosen {
            if remembered != Some(lang) {
                cookies.push(format!(
                    "{}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
                    i18n::LANG_COOKIE,
                    i18n::code(lang)
                ));
            }
        }
        let lang = chosen
            .or(remembered)
            .or_else(|| {
                parts
                    .headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(i18n::from_accept_language)
            })
            .unwrap_or(Lang::Kk);
        let caller = session_caller(parts, state).await?;
        let csrf = match &caller.credential {
            Credential::Session { csrf_token } => csrf_token.clone(),
            _ => {
                let name = senim_app::auth::cookie_name(CSRF_COOKIE, !secure.is_empty());
                match cookie_value(&parts.headers, name).filter(|c| c.len() >= 32 && c.len() <= 64)
                {
                    Some(c) => c.to_string(),
                    None => {
                        let token = random_secret("");
                        cookies.push(format!(
                            "{name}={token}; Path=/; HttpOnly; SameSite=Strict{secure}"
                        ));
                        token
                    }
                }
            }
        };
        Ok(Ctx {
            t: Tr::new(lang),
            desks: desks_of(state, caller.account.as_ref()),
            caller,
            csrf,
            path: parts.uri.path().to_string(),
            query,
            cookies,
            secure: !secure.is_empty(),
            read_only: state.store.read_only().is_some(),
        })
    }
}

impl Ctx {
    /// The message `id` in the reader's language.
    pub fn t(&self, id: &str) -> String {
        self.t.t(id)
    }

    /// The language's code, for `<html lang>`.
    pub fn lang(&self) -> &'static str {
        self.t.code()
    }

    /// ` lang="xx"` for an element holding `text` that people wrote (a
    /// system's documentation, a report, an answer) when it is in another
    /// language than the page, so screen readers speak it right (WCAG 3.1.2);
    /// empty otherwise. The language is read from the letters: see
    /// [`text_lang`].
    pub fn lang_of(&self, text: &str) -> &'static str {
        match text_lang(text) {
            Some(lang) if lang != self.lang() => match lang {
                "en" => " lang=\"en\"",
                "ru" => " lang=\"ru\"",
                _ => " lang=\"kk\"",
            },
            _ => "",
        }
    }

    /// This page in another language.
    pub fn lang_href(&self, code: &str) -> String {
        let mut pairs = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.query {
            pairs.append_pair(k, v);
        }
        pairs.append_pair("lang", code);
        format!("{}?{}", self.path, pairs.finish())
    }

    /// The language switch: (code, label, full name, current).
    pub fn languages(&self) -> Vec<(&'static str, &'static str, &'static str, bool)> {
        [
            ("kk", "ҚАЗ", "Қазақша"),
            ("ru", "РУС", "Русский"),
            ("en", "ENG", "English"),
        ]
        .into_iter()
        .map(|(code, label, name)| (code, label, name, code == self.lang()))
        .collect()
    }

    /// Whether the server runs read-only (a banner on every page).
    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// The sign-in page, leading back here afterwards (this page's path and
    /// query, without the language choice).
    pub fn login_href(&self) -> String {
        if self.path == "/login" || self.path == "/" {
            return "/login".to_string();
        }
        let mut here = self.path.clone();
        if !self.query.is_empty() {
            let mut q = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &self.query {
                q.append_pair(k, v);
            }
            here.push('?');
            here.push_str(&q.finish());
        }
        let mut next = form_urlencoded::Serializer::new(String::new());
        next.append_pair("next", &here);
        format!("/login?{}", next.finish())
    }

    /// The account signed in, if any.
    pub fn account(&self) -> Option<&senim_domain::Account> {
        self.caller.account.as_ref()
    }

    /// The value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// The banner a `?done=` names: the message `{prefix}-{value}` when it
    /// exists; never the address's own text.
    pub fn done(&self, prefix: &str) -> Option<String> {
        let key = format!("{prefix}-{}", self.param("done")?.replace('_', "-"));
        self.t.has(&key).then(|| self.t(&key))
    }

    /// Every value of a repeated query parameter (facet checkboxes).
    pub fn params(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// A rendered page, with the cookies this request decided on.
    pub fn render(&self, page: &impl askama::Template) -> Response {
        match page.render() {
            Ok(html) => self.html(StatusCode::OK, html),
            Err(e) => {
                tracing::error!(error = %e, "a page did not render");
                self.error(ApiError::internal())
            }
        }
    }

    /// An HTML body with the page headers.
    pub fn html(&self, status: StatusCode, html: String) -> Response {
        let mut response = (
            status,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            html,
        )
            .into_response();
        self.add_cookies(&mut response);
        response
    }

    fn add_cookies(&self, response: &mut Response) {
        for cookie in &self.cookies {
            if let Ok(value) = HeaderValue::from_str(cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
    }

    /// Sets a cookie with this response (`Secure` added behind TLS).
    pub fn add_cookie(&mut self, cookie: &str) {
        let secure = if self.secure { "; Secure" } else { "" };
        self.cookies.push(format!("{cookie}{secure}"));
    }

    /// A redirect after a form (303, so the browser GETs the target).
    pub fn redirect(&self, to: &str) -> Response {
        let mut response = Redirect::to(to).into_response();
        self.add_cookies(&mut response);
        response
    }

    /// An error as a page in the reader's language (sign-in first for the
    /// anonymous). Handlers return a [`PageError`] instead; the error layer
    /// calls this.
    pub fn error(&self, e: ApiError) -> Response {
        if e.status == StatusCode::UNAUTHORIZED && self.account().is_none() {
            return self.redirect(&self.login_href());
        }
        if e.status.is_server_error() {
            tracing::error!(status = %e.status, message = %e.message, "a page failed");
        }
        let key = format!("error-{}", e.code.as_str().replace('_', "-"));
        let message = if self.t.has(&key) {
            self.t(&key)
        } else {
            self.t("error-internal")
        };
        // A missing page is explained in the reader's language (the API's
        // message names the record, in English).
        let detail_key = format!("{key}-detail");
        let detail = if e.status == StatusCode::NOT_FOUND && self.t.has(&detail_key) {
            self.t(&detail_key)
        } else {
            e.message.clone()
        };
        let page = ErrorPage {
            c: self,
            title: message,
            detail,
            status: e.status.as_u16(),
        };
        match askama::Template::render(&page) {
            Ok(html) => self.html(e.status, html),
            Err(_) => e.into_response(),
        }
    }

    /// Whether cookies carry `Secure`.
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// The stylesheet's address (with its digest, cached for a year).
    pub fn css(&self) -> &'static str {
        assets::href("senim.css")
    }

    /// htmx's address.
    pub fn htmx(&self) -> &'static str {
        assets::href("htmx.min.js")
    }

    /// Senim's own small script.
    pub fn script(&self) -> &'static str {
        assets::href("senim.js")
    }

    /// The icon.
    pub fn icon(&self) -> &'static str {
        assets::href("icon.svg")
    }

    /// The desks the signed-in account may open: (address, label).
    pub fn desks(&self) -> Vec<(&'static str, String)> {
        self.desks
            .iter()
            .map(|d| (d.href, self.t(d.label)))
            .collect()
    }

    /// Whether the signed-in account may open `desk`.
    pub fn may_open(&self, desk: &str) -> bool {
        self.desks.iter().any(|d| d.name == desk)
    }

    /// The desk `desk` (its pages), or 401 for the anonymous and 403 for an
    /// account the policies do not let open it.
    pub fn require_desk(&self, desk: &str) -> Result<(), ApiError> {
        match self.account() {
            None => Err(ApiError::unauthenticated()),
            Some(_) if self.may_open(desk) => Ok(()),
            Some(_) => Err(ApiError::forbidden()),
        }
    }
}

/// A desk: the pages where a role does its work. Who may open which is the
/// policies' `desk.open`.
pub struct Desk {
    /// Its name in the policies (`Senim::Desk::"developer"`).
    pub name: &'static str,
    pub href: &'static str,
    /// Its label's message id.
    pub label: &'static str,
}

/// The desks, in the order the menu shows them and sign-in lands on them.
pub const DESKS: [Desk; 9] = [
    Desk {
        name: "developer",
        href: "/developer",
        label: "desk-developer",
    },
    Desk {
        name: "reviewer",
        href: "/reviewer",
        label: "desk-reviewer",
    },
    Desk {
        name: "supervisor",
        href: "/supervisor",
        label: "desk-supervisor",
    },
    Desk {
        name: "auditor",
        href: "/auditor",
        label: "desk-auditor",
    },
    Desk {
        name: "steward",
        href: "/steward",
        label: "desk-steward",
    },
    Desk {
        name: "programmes",
        href: "/programmes/desk",
        label: "desk-programmes",
    },
    Desk {
        name: "resources",
        href: "/resources/desk",
        label: "desk-resources",
    },
    Desk {
        name: "courses",
        href: "/courses/desk",
        label: "desk-courses",
    },
    Desk {
        name: "admin",
        href: "/admin",
        label: "desk-admin",
    },
];

/// The desks `account` may open, in menu order.
pub fn desks_of(state: &AppState, account: Option<&senim_domain::Account>) -> Vec<&'static Desk> {
    let Some(account) = account else {
        return Vec::new();
    };
    DESKS
        .iter()
        .filter(|d| {
            state
                .policies
                .allows(
                    Some(account),
                    senim_app::policy::Action::DeskOpen,
                    &senim_app::policy::Resource::Desk(d.name),
                )
                .unwrap_or(false)
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    c: &'a Ctx,
    title: String,
    detail: String,
    status: u16,
}

/// A form posted to a page, after its CSRF token was checked.
pub struct Posted {
    pub ctx: Ctx,
    pub form: FormData,
}

/// The largest form a page accepts (rule packs are pasted as text).
pub(crate) const MAX_FORM_BYTES: usize = 1024 * 1024;
/// The most fields a form may have (the largest, the wizard, has under a
/// hundred); more are refused before any field is read.
pub(crate) const MAX_FORM_FIELDS: usize = 1000;

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Posted, Response> {
        let (mut parts, body) = request.into_parts();
        let ctx = Ctx::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        check_origin(&parts.headers).map_err(|e| ctx.error(e))?;
        let bytes = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
            Ok(b) => b,
            Err(_) => {
                return Err(ctx.error(ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    "the form is larger than 1 MiB",
                )))
            }
        };
        if form_urlencoded::parse(&bytes)
            .nth(MAX_FORM_FIELDS)
            .is_some()
        {
            return Err(ctx.error(ApiError::new(
                ErrorCode::PayloadTooLarge,
                "the form has more than 1,000 fields",
            )));
        }
        let form = FormData::parse(&bytes);
        check_csrf(&ctx, &form).map_err(|e| ctx.error(e))?;
        Ok(Posted { ctx, form })
    }
}

/// Browsers say where a request comes from (Fetch Metadata): a form posted
/// from another site, or a sibling subdomain, is refused before its body is
/// read, a second lock beside the CSRF token. Clients that send no such
/// header (scripts, older browsers) still need the token.
pub(crate) fn check_origin(headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    let site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if site == "cross-site" || site == "same-site" {
        return Err(ApiError::new(
            ErrorCode::Csrf,
            "a form posted from another site is refused",
        ));
    }
    Ok(())
}

/// The form carries this session's CSRF token.
pub(crate) fn check_csrf(ctx: &Ctx, form: &FormData) -> Result<(), ApiError> {
    let sent = form.get("csrf_token").unwrap_or("");
    if !constant_time_eq(sent.as_bytes(), ctx.csrf.as_bytes()) {
        return Err(ApiError::new(
            ErrorCode::Csrf,
            "the form's CSRF token is missing or does not match this session",
        ));
    }
    Ok(())
}

/// The fields of a URL-encoded form, in order; a name may repeat.
#[derive(Debug, Default, Clone)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn parse(bytes: &[u8]) -> FormData {
        FormData(
            form_urlencoded::parse(bytes)
                .take(MAX_FORM_FIELDS)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, trimmed; empty when absent.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or("").trim().to_string()
    }

    /// The revision the form was read at (its hidden `revision` field): a
    /// form without one, or with one that is not a whole number, is refused
    /// as a problem of that field (422), never taken for a stale form.
    pub fn revision(&self) -> Result<i64, ApiError> {
        self.optional_revision()?
            .ok_or_else(|| ApiError::field(ErrorCode::Invalid, "revision", "is required"))
    }

    /// The revision, where a form may leave it out (closing a record).
    pub fn optional_revision(&self) -> Result<Option<i64>, ApiError> {
        let text = self.text("revision");
        if text.is_empty() {
            return Ok(None);
        }
        text.parse()
            .map(Some)
            .map_err(|_| ApiError::field(ErrorCode::Invalid, "revision", "must be a whole number"))
    }

    /// The first value of `name` as typed, empty when absent (a form shown again).
    pub fn value(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// Whether `name`'s value is `value` (a radio button or an option, chosen).
    pub fn is(&self, name: &str, value: &str) -> bool {
        self.value(name) == value
    }

    /// Whether `value` is among `name`'s values (a checkbox, ticked).
    pub fn chosen(&self, name: &str, value: &str) -> bool {
        self.all(name).contains(&value)
    }

    /// Every non-empty value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
            .collect()
    }
}

/// A field's problem on a form, in the reader's language.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The input's id, for the summary's link.
    pub field: String,
    pub message: String,
}

/// A form's problems: the summary at the top lists them all, each field
/// shows its own.
#[derive(Debug, Clone, Default)]
pub struct Problems {
    pub list: Vec<Problem>,
}

impl Problems {
    pub fn push(&mut self, field: &str, message: String) {
        self.list.push(Problem {
            field: field.to_string(),
            message,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The first problem of `field`.
    pub fn of(&self, field: &str) -> Option<&str> {
        self.list
            .iter()
            .find(|p| p.field == field)
            .map(|p| p.message.as_str())
    }

    /// The class a field's wrapper takes: marked when it has a problem.
    pub fn class(&self, field: &str) -> &'static str {
        if self.of(field).is_some() {
            "field field-error"
        } else {
            "field"
        }
    }
}

/// A refusal without a field, as a form's problem: a stale revision in the
/// reader's language alone (the API's words say the same in English);
/// another refusal with the domain's reason after it.
pub fn conflict_or(c: &Ctx, e: &ApiError) -> String {
    if e.status == StatusCode::CONFLICT && e.current.is_some() {
        c.t("error-conflict")
    } else {
        format!("{} {}", c.t("error-invalid"), e.message)
    }
}

/// A refused write's reasons as its form's problems: each beside the input
/// `place` names for the API's field path (with that input's label), and a
/// refusal without a field at `first`.
pub fn refusal(
    c: &Ctx,
    e: &ApiError,
    first: &str,
    place: impl Fn(&str) -> (String, String),
) -> Problems {
    let mut p = Problems::default();
    for f in &e.fields {
        let (id, label) = place(&f.field);
        p.push(&id, format!("{label}: {}", c.t.reason(&f.reason)));
    }
    if p.is_empty() {
        p.push(first, conflict_or(c, e));
    }
    p
}

/// A link target inside the site only: a path starting with one `/`.
pub fn local_target(next: Option<&str>) -> Option<String> {
    // Only plain path-and-query characters: a browser drops tabs and line
    // breaks from a URL, so `/\t/evil.example` would become `//evil.example`.
    let plain = |c: char| c.is_ascii_alphanumeric() || "/-._~%?=&+,;:@".contains(c);
    next.filter(|n| n.len() <= 2000 && n.starts_with('/') && !n.starts_with("//"))
        .filter(|n| n.chars().all(plain))
        .map(str::to_string)
}

/// The language of a text people wrote, from its letters: English when most
/// are Latin, Kazakh when Cyrillic with a letter only Kazakh has among the
/// three (ә ғ қ ң ө ұ ү һ і), Russian when Cyrillic without; `None` for a
/// text of digits and signs. The register holds three languages, so three
/// scripts' worth of evidence is enough; a text that mixes them is named by
/// the most.
pub fn text_lang(text: &str) -> Option<&'static str> {
    let (mut latin, mut cyrillic, mut kazakh) = (0usize, 0usize, false);
    for ch in text.chars() {
        if ch.is_ascii_alphabetic() {
            latin += 1;
        } else if ('\u{0400}'..='\u{04FF}').contains(&ch) {
            cyrillic += 1;
            kazakh |= "әғқңөұүһіӘҒҚҢӨҰҮҺІ".contains(ch);
        }
    }
    match (latin, cyrillic) {
        (0, 0) => None,
        (l, c) if l > c => Some("en"),
        _ if kazakh => Some("kk"),
        _ => Some("ru"),
    }
}

/// An official's signature of a decision, as the case and decision pages
/// show it (issue 21).
pub struct SignatureView {
    /// The step signed, in the reader's language.
    pub step: String,
    pub signer: String,
    pub organisation: Option<String>,
    pub serial: String,
    pub issuer: String,
    pub at: String,
    /// The signature (`.p7s`) and the signed document (`.json`).
    pub signature_href: String,
    pub document_href: String,
}

/// The signatures a case shows its reader (the case as they may read it).
pub fn signature_views(c: &Ctx, case: &senim_domain::Case) -> Vec<SignatureView> {
    case.signatures
        .iter()
        .map(|s| SignatureView {
            step: c.t(&format!("step-{}", s.step.replace('_', "-"))),
            signer: s.signer.clone(),
            organisation: s.organisation.clone(),
            serial: s.certificate_serial.clone(),
            issuer: s.issuer.clone(),
            at: crate::public::date(&s.signed_at.to_rfc3339()),
            signature_href: format!(
                "/api/v1/cases/{}/signatures/{}",
                case.id, s.signature_sha256
            ),
            document_href: format!("/api/v1/cases/{}/signatures/{}", case.id, s.document_sha256),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{local_target, text_lang};

    #[test]
    fn a_texts_language_is_read_from_its_letters() {
        assert_eq!(
            text_lang("Orders the emergency queue (v2, 2024)."),
            Some("en")
        );
        assert_eq!(
            text_lang("Сортировка пациентов в приёмном отделении"),
            Some("ru")
        );
        assert_eq!(text_lang("Науқастарды медициналық сұрыптау"), Some("kk"));
        assert_eq!(text_lang("SpO2 ниже 90 процентов"), Some("ru"));
        assert_eq!(text_lang("KZ-AI-2026-000004"), Some("en"));
        assert_eq!(text_lang("+7 7172 55 10 77"), None);
    }

    #[test]
    fn only_paths_on_this_site_are_targets() {
        assert_eq!(
            local_target(Some("/register?q=a&page=2")).as_deref(),
            Some("/register?q=a&page=2")
        );
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\\evil",
            "https://evil.example",
            "/\n/x",
            "/ /x",
            "",
            "x",
        ] {
            assert_eq!(local_target(Some(bad)), None, "{bad:?}");
        }
    }
}
