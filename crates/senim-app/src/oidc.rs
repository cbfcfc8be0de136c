//! Signing in through OpenID Connect identity providers (issue 21): the
//! authorization code flow with PKCE. The sign-in page sends the browser
//! to the provider with a fresh `state`, nonce and PKCE challenge, kept
//! under the hash of a cookie of that browser (`sign_in_flows`); the
//! provider sends it back with a code, which is taken once: its `state`
//! must be the one kept for that browser, the code is exchanged with the
//! verifier, and the ID token's signature (the provider's published keys),
//! issuer, audience, expiry (on the server's clock) and nonce are checked.
//!
//! The person is the account their identity is linked to
//! (`identities`): linked by an administrator (`senim admin account
//! link-identity`), or at the first sign-in when the provider vouches for
//! an e-mail address (`email_verified`) that is an active account's, the
//! invitation an administrator made by creating it. No account is ever
//! made for an identity nobody linked. Every refusal names its reason and
//! goes to the server's log (`security: ...`), never to the public log.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use openidconnect::core::{CoreClient, CoreProviderMetadata, CoreResponseType};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse,
};
use serde::Deserialize;

use senim_domain::{Account, AccountStatus, FieldError};
use senim_store::sign_in::Flow;
use senim_store::{Actor, Command};

use crate::auth::{constant_time_eq, cookie_name, random_secret, secret_hash};
use crate::error::ApiError;
use crate::state::AppState;

/// An identity provider as configured (`[[identity_providers]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityProvider {
    /// Its name in Senim's addresses (`/login/oidc/{id}`): lower-case
    /// letters, digits and dashes.
    pub id: String,
    /// The name on the sign-in button ("eGov").
    pub name: String,
    /// Its issuer (`https://idp.example.kz`); its settings are read from
    /// `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// A file holding the client's secret (read at each use, so it can be
    /// replaced without a restart) ...
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    /// ... or the environment variable holding it.
    #[serde(default)]
    pub client_secret_env: Option<String>,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// The ID token's claim that identifies the person at this provider:
    /// `sub` by default; a national provider may name the IIN's claim.
    #[serde(default = "default_identifier")]
    pub identifier_claim: String,
}

fn default_scopes() -> Vec<String> {
    vec!["openid".into(), "email".into()]
}

fn default_identifier() -> String {
    "sub".into()
}

/// How long a sign-in waits for its provider's answer.
pub const FLOW_SECONDS: i64 = 600;

/// The cookie that names a browser's sign-in waiting for its provider.
pub const FLOW_COOKIE: &str = "senim_oidc";

/// How long a provider's settings and keys are kept before they are read
/// again (keys are rotated).
const METADATA_TTL: Duration = Duration::from_secs(3600);

/// The configured providers, their settings as last read, and the HTTP
/// client that reads them (no redirects: a provider's answer is where it
/// says it is).
pub struct Providers {
    list: Vec<IdentityProvider>,
    metadata: Mutex<HashMap<String, (Instant, CoreProviderMetadata)>>,
    http: openidconnect::reqwest::Client,
}

impl Providers {
    pub fn new(list: Vec<IdentityProvider>) -> Providers {
        let http = openidconnect::reqwest::Client::builder()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Providers {
            list,
            metadata: Mutex::new(HashMap::new()),
            http,
        }
    }

    /// The providers, in the configuration's order.
    pub fn all(&self) -> &[IdentityProvider] {
        &self.list
    }

    fn get(&self, id: &str) -> Result<&IdentityProvider, ApiError> {
        self.list
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| ApiError::not_found("identity provider"))
    }

    /// Forgets a provider's settings and keys: the next use reads them again.
    fn forget(&self, id: &str) {
        if let Ok(mut cache) = self.metadata.lock() {
            cache.remove(id);
        }
    }

    async fn metadata(&self, p: &IdentityProvider) -> Result<CoreProviderMetadata, ApiError> {
        if let Ok(cache) = self.metadata.lock() {
            if let Some((at, m)) = cache.get(&p.id) {
                if at.elapsed() < METADATA_TTL {
                    return Ok(m.clone());
                }
            }
        }
        let issuer = IssuerUrl::new(p.issuer.clone()).map_err(|_| unavailable(p))?;
        let m = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| {
                tracing::warn!(provider = %p.id, error = %e, "the identity provider's settings could not be read");
                unavailable(p)
            })?;
        if let Ok(mut cache) = self.metadata.lock() {
            cache.insert(p.id.clone(), (Instant::now(), m.clone()));
        }
        Ok(m)
    }
}

fn unavailable(p: &IdentityProvider) -> ApiError {
    ApiError::new(
        crate::error::ErrorCode::Unavailable,
        format!(
            "{} does not answer now: try again later, or sign in another way",
            p.name
        ),
    )
}

fn refused(field: &str, reason: &str) -> ApiError {
    tracing::warn!(
        field,
        reason,
        "security: a sign-in through an identity provider was refused"
    );
    ApiError::invalid(vec![FieldError {
        field: field.into(),
        reason: reason.into(),
    }])
}

fn secret_of(p: &IdentityProvider) -> Option<ClientSecret> {
    let text = match (&p.client_secret_file, &p.client_secret_env) {
        (Some(file), _) => std::fs::read_to_string(file).ok()?,
        (None, Some(var)) => std::env::var(var).ok()?,
        (None, None) => return None,
    };
    Some(ClientSecret::new(text.trim().to_string()))
}

/// Where the provider sends the browser back.
pub fn redirect_url(state: &AppState, provider: &str) -> String {
    format!("{}/login/oidc/{provider}/callback", state.config.site_url())
}

/// Starts a sign-in through `provider`: the provider's address to send the
/// browser to, and the `Set-Cookie` value that binds the sign-in to it.
pub async fn begin(
    state: &AppState,
    provider: &str,
    next: String,
) -> Result<(String, String), ApiError> {
    let p = state.oidc.get(provider)?;
    let metadata = state.oidc.metadata(p).await?;
    let redirect = RedirectUrl::new(redirect_url(state, provider)).map_err(|_| unavailable(p))?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(p.client_id.clone()),
        secret_of(p),
    )
    .set_redirect_uri(redirect);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client.authorize_url(
        AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for scope in p.scopes.iter().filter(|s| *s != "openid") {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (url, csrf, nonce) = request.set_pkce_challenge(challenge).url();
    let cookie = random_secret("");
    let command = Command::StartSignInFlow {
        cookie_hash: secret_hash(&cookie),
        flow: Flow {
            provider: provider.to_string(),
            state: csrf.secret().clone(),
            verifier: verifier.secret().clone(),
            nonce: nonce.secret().clone(),
            next,
        },
        expires_at: state.clock.now().plus_seconds(FLOW_SECONDS),
    };
    state.execute(Actor::operator(), command).await?;
    Ok((url.to_string(), flow_cookie(state, &cookie, FLOW_SECONDS)))
}

/// The `Set-Cookie` value of a browser's waiting sign-in.
pub fn flow_cookie(state: &AppState, value: &str, max_age: i64) -> String {
    let secure = if state.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let name = cookie_name(FLOW_COOKIE, state.config.secure_cookies());
    format!("{name}={value}; Path=/login/oidc; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// An ID token's refusal, with the reason people read.
fn token_refused(p: &IdentityProvider, e: ClaimsVerificationError) -> ApiError {
    let reason = match e {
        ClaimsVerificationError::Expired(_) => "has expired",
        ClaimsVerificationError::InvalidAudience(_) => {
            "was issued for another client than this register"
        }
        ClaimsVerificationError::InvalidIssuer(_) => "comes from another issuer",
        ClaimsVerificationError::InvalidNonce(_) => "does not carry this sign-in's nonce",
        ClaimsVerificationError::SignatureVerification(_) => {
            "is not signed by the identity provider's keys"
        }
        _ => "could not be verified",
    };
    tracing::warn!(provider = %p.id, error = %e, "security: an ID token was refused");
    refused("id_token", reason)
}

/// The claim `name` of a verified ID token, as text.
fn claim_of(token: &str, name: &str) -> Option<String> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    match &claims[name] {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Ends a sign-in through `provider` with the provider's answer (`code`
/// and `state`, or the `error` it sent): the account signed in, and where
/// it goes next.
pub async fn finish(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    provider: &str,
    answer: &HashMap<String, String>,
) -> Result<(Account, String), ApiError> {
    let p = state.oidc.get(provider)?;
    let now = state.clock.now();
    let cookie = crate::auth::cookie_value(
        headers,
        cookie_name(FLOW_COOKIE, state.config.secure_cookies()),
    )
    .ok_or_else(|| {
        refused(
            "state",
            "names no sign-in waiting here: it was answered already or expired",
        )
    })?;
    let cookie_hash = secret_hash(cookie);
    let flow = state
        .store
        .sign_in_flow(&cookie_hash, now)
        .await?
        .ok_or_else(|| {
            refused(
                "state",
                "names no sign-in waiting here: it was answered already or expired",
            )
        })?;
    let sent = answer.get("state").map(String::as_str).unwrap_or("");
    if flow.provider != p.id || !constant_time_eq(sent.as_bytes(), flow.state.as_bytes()) {
        return Err(refused(
            "state",
            "is not the one this sign-in was sent with",
        ));
    }
    // The answer is taken once, whatever follows.
    state
        .execute(Actor::operator(), Command::EndSignInFlow { cookie_hash })
        .await?;
    if let Some(error) = answer.get("error") {
        tracing::warn!(provider = %p.id, error, "security: the identity provider refused the sign-in");
        return Err(refused(
            "code",
            "was not given: the identity provider refused the sign-in",
        ));
    }
    let code = answer
        .get("code")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| refused("code", "is missing from the identity provider's answer"))?;
    let metadata = state.oidc.metadata(p).await?;
    let redirect = RedirectUrl::new(redirect_url(state, provider)).map_err(|_| unavailable(p))?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(p.client_id.clone()),
        secret_of(p),
    )
    .set_redirect_uri(redirect);
    let tokens = client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .map_err(|_| unavailable(p))?
        .set_pkce_verifier(PkceCodeVerifier::new(flow.verifier.clone()))
        .request_async(&state.oidc.http)
        .await
        .map_err(|e| {
            tracing::warn!(provider = %p.id, error = %e, "security: the identity provider refused the code");
            refused("code", "was refused by the identity provider: it was used already, expired or is not this sign-in's")
        })?;
    let id_token = tokens
        .id_token()
        .ok_or_else(|| refused("id_token", "is missing from the identity provider's answer"))?;
    // Checked against the keys as last read; a signature none of them
    // verifies reads them again once (the provider rotated its keys).
    let nonce = Nonce::new(flow.nonce.clone());
    let mut read_again = false;
    let claims = loop {
        let metadata = state.oidc.metadata(p).await?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(p.client_id.clone()),
            secret_of(p),
        );
        let clock = state.clock.clone();
        let verifier = client.id_token_verifier().set_time_fn(move || {
            chrono::DateTime::from_timestamp_millis(clock.now().unix_millis()).unwrap_or_default()
        });
        match id_token.claims(&verifier, &nonce) {
            Ok(claims) => break claims.clone(),
            Err(ClaimsVerificationError::SignatureVerification(_)) if !read_again => {
                state.oidc.forget(&p.id);
                read_again = true;
            }
            Err(e) => return Err(token_refused(p, e)),
        }
    };
    let identifier = if p.identifier_claim == "sub" {
        Some(claims.subject().to_string())
    } else {
        claim_of(&id_token.to_string(), &p.identifier_claim)
    }
    .ok_or_else(|| refused("id_token", "does not name the person"))?;
    let linked = match state.store.identity(&p.id, &identifier).await? {
        Some(id) => Some(state.store.account(id).await?),
        None => None,
    };
    let account = match linked {
        Some(a) => a,
        None => {
            // A first sign-in: the provider vouches for an address that is
            // an active account's (the administrator's invitation).
            let email = claims
                .email()
                .filter(|_| claims.email_verified() == Some(true))
                .map(|e| e.as_str().to_string());
            let invited = match email {
                Some(e) => state.store.account_by_email(&e).await?.map(|(a, _)| a),
                None => None,
            };
            let Some(account) = invited.filter(|a| a.status == AccountStatus::Active) else {
                return Err(refused(
                    "id_token",
                    "names a person no account here is linked to: ask an administrator to link your identity to your account",
                ));
            };
            let command = Command::LinkIdentity {
                provider: p.id.clone(),
                subject: identifier,
                account_id: account.id,
            };
            state.execute(Actor::of(&account), command).await?;
            account
        }
    };
    if account.status != AccountStatus::Active {
        return Err(refused("id_token", "names an account that was withdrawn"));
    }
    tracing::info!(provider = %p.id, account = %account.id, "signed in through an identity provider");
    Ok((account, flow.next))
}
