//! Signing in and out of the pages.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;

use senim_domain::account::Password;

use crate::{local_target, Ctx, Posted, Problems};
use senim_app::auth::ClientIp;
use senim_app::session::{
    challenge, challenge_cookie, check_code, check_credentials, end_session, enrolment_secret,
    request_password_reset, reset_password, second_step, start_session, waiting, SecondStep,
};
use senim_app::state::AppState;

#[derive(askama::Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    problems: Problems,
    email: String,
    next: String,
    /// A banner after a new password was chosen.
    done: Option<String>,
    /// Whether the password form is offered.
    passwords: bool,
    /// The identity providers' sign-in links: (address, "Sign in with ..."),
    /// the electronic digital signature's last where it is taken.
    providers: Vec<(String, String)>,
}

fn login_page<'a>(
    c: &'a Ctx,
    state: &AppState,
    problems: Problems,
    email: String,
    next: String,
) -> LoginPage<'a> {
    let query = if next.is_empty() {
        String::new()
    } else {
        format!(
            "?next={}",
            form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        )
    };
    LoginPage {
        c,
        crumbs: vec![(String::new(), c.t("sign-in"))],
        problems,
        email,
        done: (c.param("password") == Some("changed")).then(|| c.t("password-changed")),
        passwords: state.config.passwords,
        providers: state
            .oidc
            .all()
            .iter()
            .map(|p| {
                (
                    format!("/login/oidc/{}{query}", p.id),
                    c.t.tn("login-with", &[("provider", p.name.clone())]),
                )
            })
            .chain(
                state
                    .eds
                    .enabled()
                    .then(|| (format!("/login/signature{query}"), c.t("login-with-eds"))),
            )
            .collect(),
        next,
    }
}

/// `GET /login`.
pub async fn show(State(state): State<AppState>, c: Ctx) -> Response {
    let next = local_target(c.param("next")).unwrap_or_default();
    c.render(&login_page(
        &c,
        &state,
        Problems::default(),
        String::new(),
        next,
    ))
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
        let mut r = c.render(&login_page(&c, &state, problems, email, next));
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
            let mut r = c.render(&login_page(&c, &state, problems, email, next));
            *r.status_mut() = e.status;
            return r;
        }
    };
    // An account that signs in with an authenticator app (or must enrol
    // one) gives its code on the next page, before any session starts.
    match second_step(&state, &account).await {
        Ok(SecondStep::None) => {}
        Ok(_) => {
            return match challenge(&state, &account).await {
                Ok(cookie) => {
                    let mut to = "/login/code".to_string();
                    if !next.is_empty() {
                        to.push_str("?next=");
                        to.extend(form_urlencoded::byte_serialize(next.as_bytes()));
                    }
                    with_cookies(c.redirect(&to), &[cookie])
                }
                Err(e) => c.error(e),
            }
        }
        Err(e) => return c.error(e),
    }
    signed_in(&c, &state, &account, next, Vec::new()).await
}

/// Starts the session of an account whose sign-in is complete and goes on
/// to `next` or its desk, setting `cookies` too.
async fn signed_in(
    c: &Ctx,
    state: &AppState,
    account: &senim_domain::Account,
    next: String,
    mut cookies: Vec<String>,
) -> Response {
    match start_session(state, account).await {
        Ok((cookie, _)) => {
            let to = if next.is_empty() {
                crate::desks_of(state, Some(account))
                    .first()
                    .map_or("/", |d| d.href)
                    .to_string()
            } else {
                next
            };
            cookies.push(cookie);
            with_cookies(c.redirect(&to), &cookies)
        }
        Err(e) => c.error(e),
    }
}

fn with_cookies(mut r: Response, cookies: &[String]) -> Response {
    for cookie in cookies {
        if let Ok(v) = HeaderValue::from_str(cookie) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

#[derive(askama::Template)]
#[template(path = "login_code.html")]
struct CodePage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    problems: Problems,
    next: String,
    /// While enrolling: the QR code (SVG), the secret in groups of four,
    /// and the `otpauth://` address.
    enrol: Option<(String, String, String)>,
}

/// The page asking for the code, or enrolling an app first.
async fn code_page(
    c: &Ctx,
    state: &AppState,
    account: &senim_domain::Account,
    next: String,
    problems: Problems,
) -> Result<Response, senim_app::error::ApiError> {
    let enrol = match second_step(state, account).await? {
        SecondStep::Enrol => {
            let secret = enrolment_secret(state, account).await?;
            let bytes = senim_domain::totp::from_base32(&secret)
                .ok_or_else(senim_app::error::ApiError::internal)?;
            let uri = senim_domain::totp::otpauth_uri("Senim", account.email.as_str(), &bytes);
            let svg = qrcode::QrCode::new(uri.as_bytes())
                .map_err(|_| senim_app::error::ApiError::internal())?
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .build();
            let grouped = secret
                .as_bytes()
                .chunks(4)
                .map(|g| String::from_utf8_lossy(g).into_owned())
                .collect::<Vec<_>>()
                .join(" ");
            Some((svg, grouped, uri))
        }
        _ => None,
    };
    let failed = !problems.is_empty();
    let mut r = c.render(&CodePage {
        c,
        crumbs: vec![(String::new(), c.t("sign-in"))],
        problems,
        next,
        enrol,
    });
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// The sign-in page again, when the sign-in waiting for a code is gone
/// (it took too long, or too many wrong codes).
fn sign_in_again(c: &Ctx, state: &AppState, next: String) -> Response {
    let mut problems = Problems::default();
    problems.push("email", c.t("login-code-expired"));
    let mut r = c.render(&login_page(c, state, problems, String::new(), next));
    *r.status_mut() = StatusCode::UNAUTHORIZED;
    r
}

/// `GET /login/code`: the second step of a sign-in whose password was
/// right: the code of the account's authenticator app, or, for an account
/// whose role requires one and that has none, the app's enrolment first.
pub async fn code_show(State(state): State<AppState>, headers: HeaderMap, c: Ctx) -> Response {
    let next = local_target(c.param("next")).unwrap_or_default();
    match waiting(&state, &headers).await {
        Ok(Some((account, _))) => code_page(&c, &state, &account, next, Problems::default())
            .await
            .unwrap_or_else(|e| c.error(e)),
        Ok(None) => sign_in_again(&c, &state, next),
        Err(e) => c.error(e),
    }
}

/// `POST /login/code`: checks the code (a wrong one counts against the
/// waiting sign-in; the fifth ends it), then starts the session.
pub async fn code_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Posted { ctx: c, form }: Posted,
) -> Response {
    let next = local_target(form.get("next")).unwrap_or_default();
    let (account, hash) = match waiting(&state, &headers).await {
        Ok(Some(found)) => found,
        Ok(None) => return sign_in_again(&c, &state, next),
        Err(e) => return c.error(e),
    };
    let code = form.text("code");
    if code.is_empty() {
        let mut problems = Problems::default();
        problems.push("code", c.t("login-code-missing"));
        return code_page(&c, &state, &account, next, problems)
            .await
            .unwrap_or_else(|e| c.error(e));
    }
    match check_code(&state, &account, &code, Some(&hash)).await {
        Ok(()) => {
            let clear = challenge_cookie(&state, "", 0);
            signed_in(&c, &state, &account, next, vec![clear]).await
        }
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            // The fifth wrong code ended the sign-in.
            if matches!(waiting(&state, &headers).await, Ok(None)) {
                return sign_in_again(&c, &state, next);
            }
            let problems = crate::refusal(&c, &e, "code", |_| ("code".into(), c.t("login-code")));
            code_page(&c, &state, &account, next, problems)
                .await
                .unwrap_or_else(|e| c.error(e))
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

#[derive(askama::Template)]
#[template(path = "password.html")]
struct PasswordPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    problems: Problems,
    /// The link's token, when choosing the new password; none when asking
    /// for a link.
    token: Option<String>,
    email: String,
    /// Said after a link was asked for.
    sent: bool,
}

fn password_page(c: &Ctx, problems: Problems, token: Option<String>, email: String) -> Response {
    let failed = !problems.is_empty();
    let mut r = c.render(&PasswordPage {
        c,
        crumbs: vec![
            ("/login".into(), c.t("sign-in")),
            (String::new(), c.t("password-title")),
        ],
        problems,
        token,
        email,
        sent: false,
    });
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// `GET /password/forgot`: asks for the address a link goes to.
pub async fn forgot(c: Ctx) -> Response {
    password_page(&c, Problems::default(), None, String::new())
}

/// `POST /password/forgot`: mails a link when an active account has the
/// address; the same answer either way.
pub async fn forgot_submit(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Posted { ctx: c, form }: Posted,
) -> Response {
    let email = form.text("email");
    let mut problems = Problems::default();
    if email.is_empty() {
        problems.push("email", c.t("login-email-missing"));
        return password_page(&c, problems, None, email);
    }
    match request_password_reset(&state, client, &email).await {
        Ok(()) => c.render(&PasswordPage {
            c: &c,
            crumbs: vec![
                ("/login".into(), c.t("sign-in")),
                (String::new(), c.t("password-title")),
            ],
            problems,
            token: None,
            email,
            sent: true,
        }),
        Err(e) if e.status == StatusCode::TOO_MANY_REQUESTS => {
            problems.push("email", c.t("error-rate-limited"));
            let mut r = password_page(&c, problems, None, email);
            *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            r
        }
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            for f in &e.fields {
                problems.push(
                    "email",
                    format!("{}: {}", c.t("login-email"), c.t.reason(&f.reason)),
                );
            }
            password_page(&c, problems, None, email)
        }
        Err(e) => c.error(e),
    }
}

/// `GET /password/reset?token=...`: the form for the new password. The
/// page sends no referrer, so the token leaves with no link followed.
pub async fn reset(c: Ctx) -> Response {
    let token = c.param("token").unwrap_or_default().to_string();
    let mut r = password_page(&c, Problems::default(), Some(token), String::new());
    r.headers_mut()
        .insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    r
}

/// `POST /password/reset`: sets the new password, then on to sign in.
pub async fn reset_submit(
    State(state): State<AppState>,
    Posted { ctx: c, form }: Posted,
) -> Response {
    let token = form.get("token").unwrap_or("").to_string();
    let password = form.get("password").unwrap_or("").to_string();
    let again = form.get("password_again").unwrap_or("").to_string();
    let mut problems = Problems::default();
    if password.is_empty() {
        problems.push("password", c.t("login-password-missing"));
    } else if password != again {
        problems.push("password_again", c.t("password-mismatch"));
    }
    if !problems.is_empty() {
        return password_page(&c, problems, Some(token), String::new());
    }
    match reset_password(&state, &token, Password(password)).await {
        Ok(_) => c.redirect("/login?password=changed"),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            for f in &e.fields {
                let (field, label) = if f.field == "token" {
                    ("password", c.t("password-link"))
                } else {
                    ("password", c.t("password-new"))
                };
                problems.push(field, format!("{label}: {}", c.t.reason(&f.reason)));
            }
            password_page(&c, problems, Some(token), String::new())
        }
        Err(e) => c.error(e),
    }
}

/// `GET /login/oidc/{provider}`: sends the browser to the identity
/// provider, the sign-in bound to it by a cookie.
pub async fn oidc_begin(
    State(state): State<AppState>,
    axum::extract::Path(provider): axum::extract::Path<String>,
    c: Ctx,
) -> Response {
    let next = local_target(c.param("next")).unwrap_or_default();
    match senim_app::oidc::begin(&state, &provider, next.clone()).await {
        Ok((to, cookie)) => with_cookies(c.redirect(&to), &[cookie]),
        Err(e) if e.status == StatusCode::NOT_FOUND => c.error(e),
        Err(e) => oidc_refused(&c, &state, &e, next),
    }
}

/// The sign-in page with why the identity provider's sign-in failed.
fn oidc_refused(
    c: &Ctx,
    state: &AppState,
    e: &senim_app::error::ApiError,
    next: String,
) -> Response {
    let problems = crate::refusal(c, e, "email", |field| {
        let label = match field {
            "state" => c.t("login-oidc-state"),
            "code" => c.t("login-oidc-code"),
            _ => c.t("login-oidc-token"),
        };
        ("email".into(), label)
    });
    let mut r = c.render(&login_page(c, state, problems, String::new(), next));
    *r.status_mut() = if e.status == StatusCode::UNPROCESSABLE_ENTITY {
        StatusCode::UNAUTHORIZED
    } else {
        e.status
    };
    r
}

/// `GET /login/oidc/{provider}/callback`: the provider's answer; the
/// session starts once every check passed.
pub async fn oidc_callback(
    State(state): State<AppState>,
    axum::extract::Path(provider): axum::extract::Path<String>,
    axum::extract::Query(answer): axum::extract::Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
    c: Ctx,
) -> Response {
    let clear = senim_app::oidc::flow_cookie(&state, "", 0);
    match senim_app::oidc::finish(&state, &headers, &provider, &answer).await {
        Ok((account, next)) => signed_in(&c, &state, &account, next, vec![clear]).await,
        Err(e) if e.status == StatusCode::NOT_FOUND => c.error(e),
        Err(e) => with_cookies(oidc_refused(&c, &state, &e, String::new()), &[clear]),
    }
}

#[derive(askama::Template)]
#[template(path = "login_signature.html")]
struct SignaturePage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    problems: Problems,
    next: String,
    /// The text to sign, and when it can no longer be.
    nonce: String,
    expires: String,
}

/// The page that has a fresh text signed, with `problems` of the last try.
async fn signature_page(
    c: &Ctx,
    state: &AppState,
    next: String,
    problems: Problems,
    status: StatusCode,
) -> Response {
    let (nonce, expires_at) = match senim_app::eds::nonce(state).await {
        Ok(n) => n,
        Err(e) => return c.error(e),
    };
    // Astana's time (UTC+5), to the minute.
    let local = expires_at.plus_seconds(5 * 3600).to_rfc3339();
    let time = format!("{} (UTC+5)", local.get(11..16).unwrap_or(""));
    let mut r = c.render(&SignaturePage {
        c,
        crumbs: vec![
            ("/login".into(), c.t("sign-in")),
            (String::new(), c.t("login-eds-title")),
        ],
        problems,
        next,
        nonce,
        expires: c.t.tn("login-eds-expires", &[("time", time)]),
    });
    *r.status_mut() = status;
    // NCALayer listens on this computer's own port 13579.
    if let Ok(v) = HeaderValue::from_str(&crate::PAGE_CSP.replace(
        "connect-src 'self'",
        "connect-src 'self' wss://127.0.0.1:13579",
    )) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r
}

/// `GET /login/signature`: signing in with an electronic digital
/// signature (404 where no certification authority is trusted).
pub async fn signature_show(State(state): State<AppState>, c: Ctx) -> Response {
    let next = local_target(c.param("next")).unwrap_or_default();
    signature_page(&c, &state, next, Problems::default(), StatusCode::OK).await
}

/// `POST /login/signature`: the signature of the page's text; the session
/// starts when it verifies and names a linked account.
pub async fn signature_submit(
    State(state): State<AppState>,
    Posted { ctx: c, form }: Posted,
) -> Response {
    let next = local_target(form.get("next")).unwrap_or_default();
    let nonce = form.get("nonce").unwrap_or("").to_string();
    let signature = form.get("signature").unwrap_or("").to_string();
    match senim_app::eds::sign_in(&state, &nonce, &signature).await {
        Ok(account) => signed_in(&c, &state, &account, next, Vec::new()).await,
        Err(e) if e.status == StatusCode::NOT_FOUND => c.error(e),
        Err(e) => {
            let problems = crate::refusal(&c, &e, "signature", |field| match field {
                "nonce" => ("nonce".into(), c.t("login-eds-nonce")),
                _ => ("signature".into(), c.t("login-eds-signature")),
            });
            let status = if e.status == StatusCode::UNPROCESSABLE_ENTITY {
                StatusCode::UNAUTHORIZED
            } else {
                e.status
            };
            signature_page(&c, &state, next, problems, status).await
        }
    }
}
