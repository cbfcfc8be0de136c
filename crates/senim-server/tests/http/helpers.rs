//! `spawn_app`: the real server on port 0 with a fresh database, a seeded
//! cast (two organisations, an account per role) and an API token for each.

use std::net::SocketAddr;
use std::sync::Arc;

use senim_app::auth::{random_secret, secret_hash, TOKEN_PREFIX};
use senim_app::policy::Policies;
use senim_domain::{
    AccountInput, FixedClock, OrganisationId, OrganisationInput, Role, SystemId, Timestamp,
    TokenId, TokenScope, VersionInput,
};
use senim_server::{AppState, Config};
use senim_store::{Actor, Applied, Command, Location, NewToken, Store, StoreOptions};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Who sends a request in a test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Who {
    Anonymous,
    /// A developer of the owner organisation (the hospital).
    Developer,
    /// A developer of another organisation (the bank).
    OtherDeveloper,
    ExpertReviewer,
    Supervisor,
    Auditor,
    DataSteward,
    Administrator,
}

impl Who {
    pub const ALL: [Who; 8] = [
        Who::Anonymous,
        Who::Developer,
        Who::OtherDeveloper,
        Who::ExpertReviewer,
        Who::Supervisor,
        Who::Auditor,
        Who::DataSteward,
        Who::Administrator,
    ];
}

pub struct TestApp {
    pub address: SocketAddr,
    pub base: String,
    pub store: Store,
    pub hospital: OrganisationId,
    pub bank: OrganisationId,
    tokens: std::collections::HashMap<Who, String>,
    pub accounts: std::collections::HashMap<Who, senim_domain::AccountId>,
    pub http: reqwest::Client,
    /// The server's clock, to move time on.
    pub clock: Arc<FixedClock>,
    _dir: Option<tempfile::TempDir>,
    /// The server's data directory (files of the data library).
    pub files: tempfile::TempDir,
}

pub fn bin(first_eleven: &str) -> String {
    senim_domain::bin::complete(first_eleven).unwrap()
}

pub fn org_json(name: &str, bin_prefix: &str) -> serde_json::Value {
    serde_json::json!({
        "name": {"en": name, "kk": format!("{name} (қаз)")},
        "bin": bin(bin_prefix),
        "kind": "private",
        "size_class": "large",
        "contacts": {"email": "info@example.kz", "website": "https://example.kz", "contact_person": "Private Person +7 700 000 00 00"}
    })
}

pub fn system_json(name: &str) -> serde_json::Value {
    serde_json::json!({
        "name": {"en": name, "ru": "Сортировка пациентов"},
        "profile": {"sectors": ["healthcare"], "functions": ["decision_support"], "autonomy": "low",
                    "affects": ["health"], "failure_impact": "severe", "personal_data": true,
                    "special_categories": ["health"]},
        "documentation": {"purpose": "Orders the emergency queue by urgency.",
                          "training_data": "120,000 anonymised admissions 2019-2024 (confidential).",
                          "performance": "Under-triage 3.1% (internal figure)."},
        "visibility": {"training_data": "owner_and_authority", "performance": "authority_only"}
    })
}

async fn open_store(backend: Backend) -> (Store, Option<tempfile::TempDir>, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::at(
        Timestamp::parse("2026-03-02T09:00:00Z").unwrap(),
    ));
    let store_clock = clock.clone();
    let store = open_store_at(backend, store_clock).await;
    (store.0, store.1, clock)
}

async fn open_store_at(
    backend: Backend,
    clock: Arc<FixedClock>,
) -> (Store, Option<tempfile::TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(
                StoreOptions::new(Location::DataDir(dir.path().into())),
                clock,
            )
            .await
            .unwrap();
            (store, Some(dir))
        }
        Backend::Postgres => {
            let url = std::env::var("SENIM_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
            let options = senim_testing::fresh_postgres_schema(&url, "h")
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL at {url} is needed: {e}"));
            (Store::open(options, clock).await.unwrap(), None)
        }
    }
}

impl TestApp {
    /// Takes the SQLite database's directory out of the app, so that it
    /// outlives the app (what the replay fixtures are read from after a story).
    pub fn take_database_dir(&mut self) -> Option<tempfile::TempDir> {
        self._dir.take()
    }

    pub fn token(&self, who: Who) -> Option<&str> {
        self.tokens.get(&who).map(|s| s.as_str())
    }

    pub fn client(&self, who: Who) -> senim_client::Client {
        senim_client::Client::new(&self.base, self.token(who).map(str::to_string)).unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request builder with `who`'s token.
    pub fn request(
        &self,
        who: Who,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        let r = self.http.request(method, self.url(path));
        match self.token(who) {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    /// GETs `path` as `who` and decodes the JSON answer.
    pub async fn read(&self, who: Who, path: &str) -> serde_json::Value {
        let response = self
            .request(who, reqwest::Method::GET, path)
            .send()
            .await
            .unwrap();
        response.json().await.unwrap()
    }

    /// Creates an organisation directly in the store.
    pub async fn organisation(&self, name: &str, bin_prefix: &str) -> OrganisationId {
        let input: OrganisationInput = serde_json::from_value(org_json(name, bin_prefix)).unwrap();
        match self
            .store
            .execute(
                Actor::operator(),
                Command::CreateOrganisation(input.parse().unwrap()),
            )
            .await
            .unwrap()
        {
            Applied::Organisation(o) => o.id,
            _ => unreachable!(),
        }
    }

    /// Registers a hospital system directly in the store.
    pub async fn system(&self) -> SystemId {
        self.system_named("Triage").await
    }

    /// Registers a hospital system with this name directly in the store.
    pub async fn system_named(&self, name: &str) -> SystemId {
        self.system_from(system_json(name)).await
    }

    /// Registers a hospital system described by `json` directly in the store.
    async fn system_from(&self, json: serde_json::Value) -> SystemId {
        let input: VersionInput = serde_json::from_value(json).unwrap();
        match self
            .store
            .execute(
                Actor::operator(),
                Command::CreateSystem {
                    owner: self.hospital,
                    version: input.parse().unwrap(),
                    assessment: None,
                },
            )
            .await
            .unwrap()
        {
            Applied::System { system, .. } => system.id,
            _ => unreachable!(),
        }
    }

    /// A hospital system with this name in the public register: made with
    /// a profile whose path needs no expert review, and submitted through
    /// the API, so registered at once (a draft is its organisation's own).
    pub async fn registered_system_named(&self, name: &str) -> SystemId {
        let mut json = system_json(name);
        json["profile"] = serde_json::json!({"sectors": ["healthcare"], "functions": ["other"],
            "autonomy": "low", "affects": ["none"], "failure_impact": "minimal"});
        let id = self.system_from(json).await;
        self.submit(Who::Developer, id).await;
        id
    }

    /// Submits `id` for registration as `who` (its owner's developer): the
    /// system is public from then on.
    pub async fn submit(&self, who: Who, id: SystemId) {
        let r = self
            .request(who, reqwest::Method::POST, "/api/v1/cases")
            .json(&serde_json::json!({"kind": "registration", "system_id": id}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }

    /// A new account with these roles, and an admin-scoped token for it.
    pub async fn account_with_token(
        &self,
        email: &str,
        roles: Vec<Role>,
        organisation: Option<OrganisationId>,
    ) -> (senim_domain::AccountId, String) {
        let input = AccountInput {
            email: email.into(),
            display_name: email.into(),
            roles,
            organisation_id: organisation,
            password: None,
        };
        let Applied::Account(account) = self
            .store
            .execute(
                Actor::operator(),
                Command::CreateAccount {
                    account: input.parse().unwrap(),
                    password_hash: None,
                },
            )
            .await
            .unwrap()
        else {
            unreachable!()
        };
        let token = make_token(&self.store, account.id, vec![TokenScope::Admin]).await;
        (account.id, token)
    }

    /// An extra token for `who` with the given scopes.
    pub async fn scoped_token(&self, who: Who, scopes: Vec<TokenScope>) -> String {
        make_token(&self.store, self.accounts[&who], scopes).await
    }
}

pub(crate) async fn make_token(
    store: &Store,
    account: senim_domain::AccountId,
    scopes: Vec<TokenScope>,
) -> String {
    let secret = random_secret(TOKEN_PREFIX);
    store
        .execute(
            Actor::operator(),
            Command::CreateToken(NewToken {
                id: TokenId::generate(),
                account_id: account,
                name: "test".into(),
                scopes,
                expires_at: store.clock().now().plus_seconds(1000 * 86_400),
                token_hash: secret_hash(&secret),
            }),
        )
        .await
        .unwrap();
    secret
}

/// Test password for every seeded account.
pub const PASSWORD: &str = "correct horse battery staple";

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// [`spawn_app`] with changes to the server's configuration.
pub async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> TestApp {
    let (store, dir, clock) = open_store(backend).await;
    // Files (the data library's uploads and storage) go to their own
    // temporary directory on both backends.
    let files = tempfile::tempdir().unwrap();
    let mut config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: files.path().to_path_buf(),
        // Every test's requests come from one address: the intake's own
        // limits are tested with their own (`the_public_intake_holds_...`).
        reports_per_address_per_hour: 10_000,
        mail_poll_ms: 20,
        // The proof of work has its own test (session.rs); the others file
        // reports without one.
        report_proof_bits: 0,
        ..Config::default()
    };
    configure(&mut config);
    let rules = senim_app::load_rules(&store, senim_rules::DEFAULT_PACK)
        .await
        .unwrap();
    let state = AppState::new(
        store.clone(),
        Policies::default_policies().unwrap(),
        config,
        rules,
    )
    .unwrap();
    let operator = Actor::operator();
    let mut ids = Vec::new();
    for (name, prefix) in [("Hospital", "94054000013"), ("Bank", "05034000018")] {
        let input: OrganisationInput = serde_json::from_value(org_json(name, prefix)).unwrap();
        match store
            .execute(
                operator.clone(),
                Command::CreateOrganisation(input.parse().unwrap()),
            )
            .await
            .unwrap()
        {
            Applied::Organisation(o) => ids.push(o.id),
            _ => unreachable!(),
        }
    }
    let (hospital, bank) = (ids[0], ids[1]);
    // One argon2 hash shared by every seeded account keeps tests fast.
    let hash = senim_app::auth::hash_password(PASSWORD).unwrap();
    let cast = [
        (
            Who::Developer,
            "dev@hospital.kz",
            vec![Role::Developer],
            Some(hospital),
        ),
        (
            Who::OtherDeveloper,
            "dev@bank.kz",
            vec![Role::Developer],
            Some(bank),
        ),
        (
            Who::ExpertReviewer,
            "expert@ministry.kz",
            vec![Role::ExpertReviewer],
            None,
        ),
        (
            Who::Supervisor,
            "supervisor@ministry.kz",
            vec![Role::Supervisor],
            None,
        ),
        (
            Who::Auditor,
            "auditor@ministry.kz",
            vec![Role::Auditor],
            None,
        ),
        (
            Who::DataSteward,
            "steward@bank.kz",
            vec![Role::DataSteward],
            Some(bank),
        ),
        (
            Who::Administrator,
            "admin@senim.kz",
            vec![Role::Administrator],
            None,
        ),
    ];
    let mut tokens = std::collections::HashMap::new();
    let mut accounts = std::collections::HashMap::new();
    for (who, email, roles, org) in cast {
        let input = AccountInput {
            email: email.into(),
            display_name: format!("{who:?}"),
            roles,
            organisation_id: org,
            password: None,
        };
        let account = match store
            .execute(
                operator.clone(),
                Command::CreateAccount {
                    account: input.parse().unwrap(),
                    password_hash: Some(hash.clone()),
                },
            )
            .await
            .unwrap()
        {
            Applied::Account(a) => a,
            _ => unreachable!(),
        };
        let token = make_token(&store, account.id, vec![TokenScope::Admin]).await;
        tokens.insert(who, token);
        accounts.insert(who, account.id);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(senim_server::serve(listener, state, std::future::pending()));
    TestApp {
        address,
        base: format!("http://{address}"),
        store,
        hospital,
        bank,
        tokens,
        accounts,
        http: reqwest::Client::new(),
        clock,
        _dir: dir,
        files,
    }
}

/// Runs a test body on both backends.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await).await;
                }
            )+
        }
        mod postgres_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await).await;
                }
            )+
        }
    };
}

/// The error body's fields, as (field, reason) pairs.
pub async fn error_fields(response: reqwest::Response) -> (u16, String, Vec<(String, String)>) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap();
    let code = body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let fields = body["error"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no error shape in {body}"))
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_string(),
                f["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (status, code, fields)
}

/// An answer's status and, for an error, its message.
pub async fn error_or(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    (
        status,
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}
