//! A typed client for Senim's HTTP API, used by the `senim` command-line
//! tool and by the server's own tests, so the API is exercised the way
//! programs use it. [`verify`] checks a server's public audit log.

pub mod verify;

/// HTTP methods, for [`Client::send`].
pub use reqwest::Method;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, ETAG, IF_MATCH};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use senim_domain::api::{
    AccountList, LogEntry, NewTokenResponse, OrganisationList, Receipt, SystemDetail, SystemList,
    TokenLoginInput, VersionList, WithdrawInput,
};
use senim_domain::{
    Account, AccountInput, FieldError, Organisation, OrganisationInput, SystemInput, TokenScope,
    VersionInput,
};

/// What went wrong talking to the server.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the server: {0}")]
    Transport(#[from] reqwest::Error),
    /// The server answered with its error shape.
    #[error("{status} {code}: {message}{}", fields_text(.fields))]
    Api {
        status: u16,
        code: String,
        message: String,
        fields: Vec<FieldError>,
        current: Option<String>,
    },
    #[error("unexpected answer from the server ({status}): {body}")]
    Unexpected { status: u16, body: String },
}

fn fields_text(fields: &[FieldError]) -> String {
    fields
        .iter()
        .map(|f| format!("\n  - {}: {}", f.field, f.reason))
        .collect()
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorPayload,
}

#[derive(Deserialize)]
struct ErrorPayload {
    code: String,
    message: String,
    #[serde(default)]
    fields: Vec<FieldError>,
    #[serde(default)]
    current: Option<String>,
}

/// A response body with the ETag the server sent.
#[derive(Debug, Clone)]
pub struct Tagged<T> {
    pub value: T,
    pub etag: Option<i64>,
    /// The audit log receipt a write's answer carries.
    pub receipt: Option<Receipt>,
}

/// Decodes the `senim-receipt` header (base64url JSON).
pub fn decode_receipt(header: &str) -> Option<Receipt> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.trim())
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// What an upload chunk did.
#[derive(Debug)]
pub enum Chunked {
    /// The upload now has this many bytes.
    At(u64),
    /// The last byte arrived and the file checked out: the new resource.
    Done(serde_json::Value),
}

/// Filters for listing systems.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SystemQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// A connection to one Senim server.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    /// `base` is the server's address, e.g. `http://127.0.0.1:8080`.
    pub fn new(base: &str, token: Option<String>) -> Result<Client, ClientError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("senim-client/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Client {
            http,
            base: base.trim_end_matches('/').to_string(),
            token,
        })
    }

    pub fn with_token(&self, token: Option<String>) -> Client {
        Client {
            token,
            ..self.clone()
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn headers(&self, if_match: Option<i64>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(token) = &self.token {
            if let Ok(v) = HeaderValue::from_str(&format!("Bearer {token}")) {
                headers.insert(AUTHORIZATION, v);
            }
        }
        if let Some(revision) = if_match {
            if let Ok(v) = HeaderValue::from_str(&format!("\"{revision}\"")) {
                headers.insert(IF_MATCH, v);
            }
        }
        headers
    }

    /// Sends a request; a non-2xx answer becomes [`ClientError::Api`].
    pub async fn send<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        if_match: Option<i64>,
    ) -> Result<Tagged<T>, ClientError> {
        let mut request = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .headers(self.headers(if_match));
        if let Some(body) = body {
            request = request.json(body);
        }
        self.answer(request.send().await?).await
    }

    /// An answer's value, ETag and receipt; a non-2xx answer becomes
    /// [`ClientError::Api`].
    async fn answer<T: DeserializeOwned>(
        &self,
        response: reqwest::Response,
    ) -> Result<Tagged<T>, ClientError> {
        let status = response.status();
        let etag = response
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim_matches('"').parse().ok());
        let receipt = response
            .headers()
            .get("senim-receipt")
            .and_then(|v| v.to_str().ok())
            .and_then(decode_receipt);
        let text = response.text().await?;
        if !status.is_success() {
            return Err(match serde_json::from_str::<ErrorEnvelope>(&text) {
                Ok(e) => ClientError::Api {
                    status: status.as_u16(),
                    code: e.error.code,
                    message: e.error.message,
                    fields: e.error.fields,
                    current: e.error.current,
                },
                Err(_) => ClientError::Unexpected {
                    status: status.as_u16(),
                    body: text,
                },
            });
        }
        let text = if status == StatusCode::NO_CONTENT {
            "null".into()
        } else {
            text
        };
        let value = serde_json::from_str(&text).map_err(|e| ClientError::Unexpected {
            status: status.as_u16(),
            body: format!("{e}: {text}"),
        })?;
        Ok(Tagged {
            value,
            etag,
            receipt,
        })
    }

    /// Turns a non-2xx answer into [`ClientError`].
    async fn failure(response: reqwest::Response) -> ClientError {
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        match serde_json::from_str::<ErrorEnvelope>(&text) {
            Ok(e) => ClientError::Api {
                status,
                code: e.error.code,
                message: e.error.message,
                fields: e.error.fields,
                current: e.error.current,
            },
            Err(_) => ClientError::Unexpected { status, body: text },
        }
    }

    /// Sends one chunk of an upload at `offset`: the new offset, or (with the
    /// last byte) the resource the server made of the file.
    pub async fn upload_chunk(
        &self,
        upload: &str,
        offset: u64,
        bytes: Vec<u8>,
    ) -> Result<Chunked, ClientError> {
        let response = self
            .http
            .patch(format!("{}/api/v1/uploads/{upload}", self.base))
            .headers(self.headers(None))
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(bytes)
            .send()
            .await?;
        match response.status() {
            StatusCode::CREATED => Ok(Chunked::Done(response.json().await?)),
            StatusCode::NO_CONTENT => Ok(Chunked::At(
                response
                    .headers()
                    .get("upload-offset")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(offset),
            )),
            _ => Err(Self::failure(response).await),
        }
    }

    /// Streams a file from `path` into `out`, starting at byte `from` (a
    /// `Range` request when above 0); returns the bytes written.
    pub async fn download_into(
        &self,
        path: &str,
        from: u64,
        out: &mut (impl std::io::Write + ?Sized),
        mut progress: impl FnMut(u64),
    ) -> Result<u64, ClientError> {
        let mut request = self
            .http
            .get(format!("{}{}", self.base, path))
            .headers(self.headers(None));
        if from > 0 {
            request = request.header("Range", format!("bytes={from}-"));
        }
        let mut response = request.send().await?;
        if !response.status().is_success() {
            return Err(Self::failure(response).await);
        }
        if from > 0 && response.status() != StatusCode::PARTIAL_CONTENT {
            // Appending a whole answer to a partial file would corrupt it.
            return Err(ClientError::Unexpected {
                status: response.status().as_u16(),
                body: "the server did not continue the download from where it stopped".into(),
            });
        }
        let mut written = 0u64;
        while let Some(chunk) = response.chunk().await? {
            out.write_all(&chunk).map_err(|e| ClientError::Unexpected {
                status: 0,
                body: format!("cannot write the file: {e}"),
            })?;
            written += chunk.len() as u64;
            progress(written);
        }
        Ok(written)
    }

    /// GETs raw bytes; `None` when the server has no such thing (404).
    pub async fn get_bytes(&self, path: &str) -> Result<Option<Vec<u8>>, ClientError> {
        let response = self
            .http
            .get(format!("{}{}", self.base, path))
            .headers(self.headers(None))
            .send()
            .await?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => Ok(Some(response.bytes().await?.to_vec())),
            s => Err(ClientError::Unexpected {
                status: s.as_u16(),
                body: response.text().await.unwrap_or_default(),
            }),
        }
    }

    /// One log entry with its inclusion proof to the newest checkpoint.
    pub async fn log_entry(&self, index: u64) -> Result<LogEntry, ClientError> {
        Ok(self
            .get(&format!("/api/v1/log/entries/{index}"))
            .await?
            .value)
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<Tagged<T>, ClientError> {
        self.send::<(), T>(Method::GET, path, None, None).await
    }

    /// Exchanges e-mail and password (and the authenticator app's code, for
    /// an account that signs in with one) for an API token.
    #[allow(clippy::too_many_arguments)]
    pub async fn token_login(
        &self,
        email: &str,
        password: &str,
        code: Option<&str>,
        name: &str,
        scopes: Vec<TokenScope>,
        expires_in_days: Option<i64>,
    ) -> Result<NewTokenResponse, ClientError> {
        let body = TokenLoginInput {
            email: email.to_string(),
            password: senim_domain::account::Password(password.to_string()),
            code: code.map(str::to_string),
            name: name.to_string(),
            scopes,
            expires_in_days,
        };
        Ok(self
            .send(Method::POST, "/api/v1/tokens", Some(&body), None)
            .await?
            .value)
    }

    pub async fn me(&self) -> Result<Account, ClientError> {
        Ok(self.get("/api/v1/accounts/me").await?.value)
    }

    pub async fn register_system(
        &self,
        input: &SystemInput,
    ) -> Result<Tagged<SystemDetail>, ClientError> {
        self.send(Method::POST, "/api/v1/systems", Some(input), None)
            .await
    }

    pub async fn add_version(
        &self,
        id: &str,
        expected_version: i64,
        input: &VersionInput,
    ) -> Result<Tagged<SystemDetail>, ClientError> {
        self.send(
            Method::POST,
            &format!("/api/v1/systems/{id}/versions"),
            Some(input),
            Some(expected_version),
        )
        .await
    }

    /// Files a report from the public: solves the intake's proof-of-work
    /// challenge, then sends the report with it.
    pub async fn file_report(
        &self,
        report: &serde_json::Value,
    ) -> Result<Tagged<serde_json::Value>, ClientError> {
        let challenge: serde_json::Value = self
            .send::<(), _>(Method::GET, "/api/v1/reports/challenge", None, None)
            .await?
            .value;
        let challenge = challenge["challenge"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let proof = senim_domain::proof::solve(&challenge);
        let mut request = self
            .http
            .request(Method::POST, format!("{}/api/v1/reports", self.base))
            .headers(self.headers(None))
            .json(report);
        if let Some(proof) = proof {
            request = request.header("senim-proof", proof);
        }
        self.answer(request.send().await?).await
    }

    /// The caller's organisation, named as the system's operator, answers.
    pub async fn answer_operator(
        &self,
        id: &str,
        decision: senim_domain::system::OperatorDecision,
    ) -> Result<senim_domain::System, ClientError> {
        let body = senim_domain::system::OperatorAnswer { decision };
        Ok(self
            .send(
                Method::POST,
                &format!("/api/v1/systems/{id}/operator"),
                Some(&body),
                None,
            )
            .await?
            .value)
    }

    /// The systems that name `organisation` as operator and await its answer.
    pub async fn operator_requests(
        &self,
        organisation: &str,
    ) -> Result<Vec<senim_domain::system::OperatorRequest>, ClientError> {
        Ok(self
            .send::<(), _>(
                Method::GET,
                &format!("/api/v1/organisations/{organisation}/operator-requests"),
                None,
                None,
            )
            .await?
            .value)
    }

    pub async fn withdraw_system(
        &self,
        id: &str,
        reason: Option<String>,
    ) -> Result<SystemDetail, ClientError> {
        let body = WithdrawInput { reason };
        Ok(self
            .send(
                Method::POST,
                &format!("/api/v1/systems/{id}/withdraw"),
                Some(&body),
                None,
            )
            .await?
            .value)
    }

    pub async fn system(&self, id: &str) -> Result<Tagged<SystemDetail>, ClientError> {
        self.get(&format!("/api/v1/systems/{id}")).await
    }

    pub async fn system_versions(&self, id: &str) -> Result<VersionList, ClientError> {
        Ok(self
            .get(&format!("/api/v1/systems/{id}/versions"))
            .await?
            .value)
    }

    pub async fn systems(&self, query: &SystemQuery) -> Result<SystemList, ClientError> {
        let qs = serde_urlencoded_query(query);
        Ok(self.get(&format!("/api/v1/systems{qs}")).await?.value)
    }

    pub async fn create_organisation(
        &self,
        input: &OrganisationInput,
    ) -> Result<Tagged<Organisation>, ClientError> {
        self.send(Method::POST, "/api/v1/organisations", Some(input), None)
            .await
    }

    pub async fn organisation(&self, id: &str) -> Result<Tagged<Organisation>, ClientError> {
        self.get(&format!("/api/v1/organisations/{id}")).await
    }

    pub async fn organisations(&self, q: Option<&str>) -> Result<OrganisationList, ClientError> {
        let path = match q {
            Some(q) => format!("/api/v1/organisations?q={}", encode(q)),
            None => "/api/v1/organisations".to_string(),
        };
        Ok(self.get(&path).await?.value)
    }

    pub async fn create_account(
        &self,
        input: &AccountInput,
    ) -> Result<Tagged<Account>, ClientError> {
        self.send(Method::POST, "/api/v1/accounts", Some(input), None)
            .await
    }

    pub async fn accounts(&self) -> Result<AccountList, ClientError> {
        Ok(self.get("/api/v1/accounts").await?.value)
    }
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn serde_urlencoded_query(query: &SystemQuery) -> String {
    let value = serde_json::to_value(query).unwrap_or_default();
    let Some(map) = value.as_object() else {
        return String::new();
    };
    let parts: Vec<String> = map
        .iter()
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            format!("{k}={}", encode(&text))
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}
