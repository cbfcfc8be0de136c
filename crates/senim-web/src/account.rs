//! Signing in and out of the pages.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;

use senim_domain::account::Password;

use crate::{local_target, Ctx, Posted, Problems};
use senim_app::auth::ClientIp;
use senim_app::session::{check_credentials, end_session, start_session};
use senim_app::state::AppState;

#[derive(askama::Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    problems: Problems,
    email: String,
    next: String,
}

fn login_page(c: &Ctx, problems: Problems, email: String, next: String) -> LoginPage<'_> {
    LoginPage {
        c,
        crumbs: vec![(String::new(), c.t("sign-in"))],
        problems,
        email,
        next,
    }
}

/// `GET /login`.
pub async fn show(c: Ctx) -> Response {
    let next = local_target(c.param("next")).unwrap_or_default();
    c.render(&login_page(&c, Problems::default(), String::new(), next))
}

/// `POST /login`: checks the password (rate-limited like the API), starts a
/// session, and goes on to `next` or the account's desk.
pub async fn submit(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Posted { ctx: c, form }: Posted,
) -> Response {
    let email = form.text("email");
    let password = form.get("password").unwrap_or("").to_string();
    let next = local_target(form.get("next")).unwrap_or_default();
    let mut problems = Problems::default();
    if email.is_empty() {
        problems.push("email", c.t("login-email-missing"));
    }
    if password.is_empty() {
        problems.push("password", c.t("login-password-missing"));
    }
    if !problems.is_empty() {
        let mut r = c.render(&login_page(&c, problems, email, next));
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return r;
    }
    let account = match check_credentials(&state, client, &email, Password(password)).await {
        Ok(a) => a,
        Err(e) => {
            let message = if e.status == StatusCode::TOO_MANY_REQUESTS {
                c.t("error-rate-limited")
            } else {
                c.t("login-wrong")
            };
            let mut problems = Problems::default();
            problems.push("email", message);
            let mut r = c.render(&login_page(&c, problems, email, next));
            *r.status_mut() = e.status;
            return r;
        }
    };
    match start_session(&state, &account).await {
        Ok((cookie, _)) => {
            let to = if next.is_empty() {
                crate::desks_of(&state, Some(&account))
                    .first()
                    .map_or("/", |d| d.href)
                    .to_string()
            } else {
                next
            };
            let mut r = c.redirect(&to);
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => c.error(e),
    }
}

/// `POST /logout`.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap, posted: Posted) -> Response {
    let c = posted.ctx;
    match end_session(&state, &c.caller, &headers).await {
        Ok(cookie) => {
            let mut r = c.redirect("/");
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => c.error(e),
    }
}
