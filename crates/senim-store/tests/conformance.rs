//! The store's conformance suite: every test runs against SQLite and against
//! PostgreSQL, so the two backends cannot drift apart.
//!
//! PostgreSQL comes from `SENIM_TEST_POSTGRES_URL` (default: the local server,
//! database `test`); each test gets a fresh schema, so tests never see each
//! other's rows. The README's test command creates a fresh database per run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use senim_domain::account::ValidAccount;
use senim_domain::organisation::ValidOrganisation;
use senim_domain::system::ValidVersion;
use senim_domain::{
    AccountId, AccountInput, Email, FixedClock, OrganisationId, OrganisationInput, Role,
    SystemStatus, Timestamp, TokenId, TokenScope, VersionInput,
};
use senim_store::{
    AccountFilter, Actor, Applied, Command, Drafts, Location, NewToken, OrganisationFilter, Store,
    StoreError, StoreOptions, SystemFilter,
};

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::at(
        Timestamp::parse("2026-03-02T09:00:00Z").unwrap(),
    ))
}

async fn sqlite() -> (Store, Option<tempfile::TempDir>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(
        StoreOptions::new(Location::DataDir(dir.path().to_path_buf())),
        clock(),
    )
    .await
    .unwrap();
    (store, Some(dir))
}

pub fn postgres_url() -> String {
    std::env::var("SENIM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

async fn postgres() -> (Store, Option<tempfile::TempDir>) {
    let url = postgres_url();
    let options = senim_testing::fresh_postgres_schema(&url, "t")
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {url} is needed for the conformance suite: {e}"));
    (Store::open(options, clock()).await.unwrap(), None)
}

macro_rules! conformance {
    ($($name:ident),+ $(,)?) => {
        mod sqlite_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (store, _dir) = super::sqlite().await;
                    super::$name(store).await;
                }
            )+
        }
        mod postgres_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (store, _dir) = super::postgres().await;
                    super::$name(store).await;
                }
            )+
        }
    };
}

conformance!(
    organisation_revisions_and_stale_updates,
    duplicate_bin_names_the_field,
    versions_are_kept_and_stale_versions_change_nothing,
    system_needs_an_existing_owner,
    list_filters_pagination_and_totals,
    cyrillic_search_ignores_case,
    failed_commands_leave_no_event,
    concurrent_versions_exactly_one_wins,
    accounts_tokens_and_sessions,
    withdrawn_account_loses_tokens_and_sessions,
    the_log_holds_every_change_and_proves_it,
);

fn bin(first_eleven: &str) -> String {
    senim_domain::bin::complete(first_eleven).unwrap()
}

fn org_input(name: &str, bin_prefix: &str) -> ValidOrganisation {
    serde_json::from_value::<OrganisationInput>(serde_json::json!({
        "name": {"en": name, "ru": format!("{name} (рус)")},
        "bin": bin(bin_prefix),
        "kind": "private",
        "size_class": "medium",
        "contacts": {"email": "info@example.kz", "contact_person": "A. Person"}
    }))
    .unwrap()
    .parse()
    .unwrap()
}

fn version(name: &str, sector: &str) -> ValidVersion {
    serde_json::from_value::<VersionInput>(serde_json::json!({
        "name": {"en": name},
        "profile": {"sectors": [sector], "functions": ["decision_support"], "autonomy": "low",
                    "affects": ["health"], "failure_impact": "severe"},
        "documentation": {"purpose": format!("{name} purpose"), "training_data": "confidential set"},
        "visibility": {"training_data": "owner_and_authority"}
    }))
    .unwrap()
    .parse()
    .unwrap()
}

async fn create_org(store: &Store, name: &str, bin_prefix: &str) -> OrganisationId {
    match store
        .execute(
            Actor::operator(),
            Command::CreateOrganisation(org_input(name, bin_prefix)),
        )
        .await
        .unwrap()
    {
        Applied::Organisation(o) => o.id,
        other => panic!("{other:?}"),
    }
}

async fn create_system(
    store: &Store,
    owner: OrganisationId,
    name: &str,
    sector: &str,
) -> senim_domain::System {
    match store
        .execute(
            Actor::operator(),
            Command::CreateSystem {
                owner,
                version: version(name, sector),
                assessment: None,
            },
        )
        .await
        .unwrap()
    {
        Applied::System { system, .. } => system,
        other => panic!("{other:?}"),
    }
}

async fn organisation_revisions_and_stale_updates(store: Store) {
    let id = create_org(&store, "Clinic", "94054000013").await;
    let org = store.organisation(id).await.unwrap();
    assert_eq!(org.revision, 1);
    let updated = store
        .execute(
            Actor::operator(),
            Command::UpdateOrganisation {
                id,
                expected_revision: 1,
                organisation: org_input("Clinic Two", "94054000013"),
            },
        )
        .await
        .unwrap();
    let Applied::Organisation(updated) = updated else {
        panic!()
    };
    assert_eq!(updated.revision, 2);
    assert_eq!(updated.name.get("en"), "Clinic Two");
    let stale = store
        .execute(
            Actor::operator(),
            Command::UpdateOrganisation {
                id,
                expected_revision: 1,
                organisation: org_input("Clinic Three", "94054000013"),
            },
        )
        .await;
    match stale {
        Err(StoreError::Conflict { current, .. }) => assert_eq!(current.as_deref(), Some("2")),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let now = store.organisation(id).await.unwrap();
    assert_eq!(now.name.get("en"), "Clinic Two");
    assert_eq!(now.revision, 2);
    store
        .execute(
            Actor::operator(),
            Command::WithdrawOrganisation {
                id,
                expected_revision: Some(2),
                reason: Some("merged".into()),
            },
        )
        .await
        .unwrap();
    let events = store
        .events_of("organisation", &id.to_string())
        .await
        .unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "organisation.created",
            "organisation.updated",
            "organisation.withdrawn"
        ]
    );
}

async fn duplicate_bin_names_the_field(store: Store) {
    create_org(&store, "One", "94054000013").await;
    let err = store
        .execute(
            Actor::operator(),
            Command::CreateOrganisation(org_input("Two", "94054000013")),
        )
        .await
        .unwrap_err();
    match err {
        StoreError::Invalid(v) => assert_eq!(v.0[0].field, "bin"),
        other => panic!("{other:?}"),
    }
    // The failed command must not have left a second organisation behind.
    let page = store
        .organisations(&OrganisationFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 1);
}

async fn versions_are_kept_and_stale_versions_change_nothing(store: Store) {
    let owner = create_org(&store, "Hospital", "94054000013").await;
    let system = create_system(&store, owner, "Triage", "healthcare").await;
    for n in 1..=2 {
        store
            .execute(
                Actor::operator(),
                Command::AddVersion {
                    id: system.id,
                    expected_version: n,
                    version: version(&format!("Triage v{}", n + 1), "healthcare"),
                    assessment: None,
                },
            )
            .await
            .unwrap();
    }
    let before_events = store.event_count().await.unwrap();
    let stale = store
        .execute(
            Actor::operator(),
            Command::AddVersion {
                id: system.id,
                expected_version: 2,
                version: version("Stale", "education"),
                assessment: None,
            },
        )
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { .. })),
        "{stale:?}"
    );
    assert_eq!(store.event_count().await.unwrap(), before_events);
    let versions = store.system_versions(system.id).await.unwrap();
    let names: Vec<&str> = versions.iter().map(|v| v.name.get("en")).collect();
    assert_eq!(names, ["Triage", "Triage v2", "Triage v3"]);
    let record = store.system_with_current(system.id).await.unwrap();
    assert_eq!(record.system.current_version, 3);
    assert_eq!(record.version.version, 3);
    assert_eq!(
        store
            .system_version(system.id, 1)
            .await
            .unwrap()
            .name
            .get("en"),
        "Triage"
    );
}

async fn system_needs_an_existing_owner(store: Store) {
    let err = store
        .execute(
            Actor::operator(),
            Command::CreateSystem {
                owner: OrganisationId::generate(),
                version: version("Orphan", "other"),
                assessment: None,
            },
        )
        .await
        .unwrap_err();
    match err {
        StoreError::Invalid(v) => assert_eq!(v.0[0].field, "owner_organisation_id"),
        other => panic!("{other:?}"),
    }
}

async fn list_filters_pagination_and_totals(store: Store) {
    let a = create_org(&store, "Alpha", "94054000013").await;
    let b = create_org(&store, "Beta", "05034000018").await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let (owner, sector) = if i % 2 == 0 {
            (a, "healthcare")
        } else {
            (b, "education")
        };
        ids.push(
            create_system(&store, owner, &format!("System {i}"), sector)
                .await
                .id,
        );
    }
    store
        .execute(
            Actor::operator(),
            Command::WithdrawSystem {
                id: ids[0],
                expected_version: None,
                reason: None,
            },
        )
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut filter = SystemFilter {
        drafts: Drafts::All,
        limit: 3,
        ..Default::default()
    };
    loop {
        let page = store.systems(&filter).await.unwrap();
        assert_eq!(page.total, 7);
        seen.extend(page.items.iter().map(|s| s.id));
        match page.next_after {
            Some(after) => filter.after = Some(after),
            None => break,
        }
    }
    assert_eq!(
        seen, ids,
        "pages must return every system once, in creation order"
    );
    let health = store
        .systems(&SystemFilter {
            drafts: Drafts::All,
            sector: Some("healthcare".parse().unwrap()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(health.total, 4);
    let of_b = store
        .systems(&SystemFilter {
            drafts: Drafts::All,
            organisation: Some(b),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(of_b.total, 3);
    let withdrawn = store
        .systems(&SystemFilter {
            drafts: Drafts::All,
            status: Some(SystemStatus::Withdrawn),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        withdrawn.items.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![ids[0]]
    );
    let text = store
        .systems(&SystemFilter {
            drafts: Drafts::All,
            text: Some("system 5".into()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(text.total, 1);
    // LIKE wildcards typed by a user are literal characters.
    let wildcard = store
        .systems(&SystemFilter {
            drafts: Drafts::All,
            text: Some("%".into()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(wildcard.total, 0);
    // Drafts are their organisations' own: every system here is a draft
    // (one withdrawn before it was ever submitted), so the public's list is
    // empty and an organisation's holds its own.
    let public = store
        .systems(&SystemFilter {
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(public.total, 0);
    let own = store
        .systems(&SystemFilter {
            drafts: Drafts::Of(b),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(own.total, 3);
    // Confidential documentation is not searchable.
    let secret = store
        .systems(&SystemFilter {
            drafts: Drafts::All,
            text: Some("confidential set".into()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(secret.total, 0);
}

async fn cyrillic_search_ignores_case(store: Store) {
    let owner = create_org(&store, "Акимат", "94054000013").await;
    let v: ValidVersion = serde_json::from_value::<VersionInput>(serde_json::json!({
        "name": {"kk": "Қала трафигін басқару", "ru": "Управление светофорами"},
        "profile": {"sectors": ["urban_infrastructure"], "functions": ["safety_component"],
                    "autonomy": "medium", "affects": ["safety"], "failure_impact": "severe"}
    }))
    .unwrap()
    .parse()
    .unwrap();
    store
        .execute(
            Actor::operator(),
            Command::CreateSystem {
                owner,
                version: v,
                assessment: None,
            },
        )
        .await
        .unwrap();
    for q in ["светофор", "СВЕТОФОРАМИ", "қала", "ҚАЛА ТРАФИГІН"]
    {
        let page = store
            .systems(&SystemFilter {
                drafts: Drafts::All,
                text: Some(q.into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(page.total, 1, "query {q}");
    }
    let orgs = store
        .organisations(&OrganisationFilter {
            text: Some("акимат".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(orgs.total, 1);
}

async fn failed_commands_leave_no_event(store: Store) {
    let owner = create_org(&store, "Hospital", "94054000013").await;
    let before = store.event_count().await.unwrap();
    let _ = store
        .execute(
            Actor::operator(),
            Command::CreateOrganisation(org_input("Dup", "94054000013")),
        )
        .await
        .unwrap_err();
    let _ = store
        .execute(
            Actor::operator(),
            Command::AddVersion {
                id: senim_domain::SystemId::generate(),
                expected_version: 1,
                version: version("Nothing", "other"),
                assessment: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(store.event_count().await.unwrap(), before);
    create_system(&store, owner, "Real", "healthcare").await;
    assert_eq!(store.event_count().await.unwrap(), before + 1);
}

async fn concurrent_versions_exactly_one_wins(store: Store) {
    let owner = create_org(&store, "Hospital", "94054000013").await;
    let system = create_system(&store, owner, "Triage", "healthcare").await;
    let attempts = (0..20).map(|i| {
        let store = store.clone();
        async move {
            store
                .execute(
                    Actor::operator(),
                    Command::AddVersion {
                        id: system.id,
                        expected_version: 1,
                        version: version(&format!("Attempt {i}"), "healthcare"),
                        assessment: None,
                    },
                )
                .await
        }
    });
    let results = futures::future::join_all(attempts).await;
    let wins = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "{results:?}");
    assert!(results
        .iter()
        .filter(|r| r.is_err())
        .all(|r| matches!(r, Err(StoreError::Conflict { .. }))));
    assert_eq!(store.system_versions(system.id).await.unwrap().len(), 2);
}

fn account_input(email: &str, org: Option<OrganisationId>, roles: &[Role]) -> ValidAccount {
    AccountInput {
        email: email.into(),
        display_name: "Test Person".into(),
        roles: roles.to_vec(),
        organisation_id: org,
        password: None,
    }
    .parse()
    .unwrap()
}

async fn create_account(
    store: &Store,
    email: &str,
    org: Option<OrganisationId>,
    roles: &[Role],
) -> AccountId {
    match store
        .execute(
            Actor::operator(),
            Command::CreateAccount {
                account: account_input(email, org, roles),
                password_hash: Some("$argon2id$fake".into()),
            },
        )
        .await
        .unwrap()
    {
        Applied::Account(a) => a.id,
        other => panic!("{other:?}"),
    }
}

async fn token(store: &Store, account: AccountId, hash: &str, expires: Timestamp) -> TokenId {
    let id = TokenId::generate();
    store
        .execute(
            Actor::operator(),
            Command::CreateToken(NewToken {
                id,
                account_id: account,
                name: "test".into(),
                scopes: vec![TokenScope::Read],
                expires_at: expires,
                token_hash: hash.into(),
            }),
        )
        .await
        .unwrap();
    id
}

async fn accounts_tokens_and_sessions(store: Store) {
    let org = create_org(&store, "Hospital", "94054000013").await;
    let dev = create_account(&store, "Dev@Hospital.kz", Some(org), &[Role::Developer]).await;
    create_account(
        &store,
        "sup@ministry.kz",
        None,
        &[Role::Supervisor, Role::Auditor],
    )
    .await;
    let dup = store
        .execute(
            Actor::operator(),
            Command::CreateAccount {
                account: account_input("dev@hospital.kz", Some(org), &[Role::Developer]),
                password_hash: None,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(dup, StoreError::Invalid(ref v) if v.0[0].field == "email"),
        "{dup:?}"
    );
    let (found, hash) = store
        .account_by_email("DEV@hospital.kz")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, dev);
    assert_eq!(hash.as_deref(), Some("$argon2id$fake"));
    let auditors = store
        .accounts(&AccountFilter {
            role: Some(Role::Auditor),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(auditors.total, 1);

    let now = store.clock().now();
    let live = token(&store, dev, "hash-live", now.plus_seconds(3600)).await;
    token(&store, dev, "hash-expired", now.plus_seconds(-1)).await;
    assert_eq!(
        store
            .authenticate_token("hash-live", now)
            .await
            .unwrap()
            .unwrap()
            .account
            .id,
        dev
    );
    assert!(store
        .authenticate_token("hash-expired", now)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .authenticate_token("unknown", now)
        .await
        .unwrap()
        .is_none());
    store
        .execute(
            Actor::operator(),
            Command::RevokeToken {
                id: live,
                account_id: Some(dev),
            },
        )
        .await
        .unwrap();
    assert!(store
        .authenticate_token("hash-live", now)
        .await
        .unwrap()
        .is_none());
    assert_eq!(store.tokens_of(dev).await.unwrap().len(), 2);

    store
        .execute(
            Actor::operator(),
            Command::CreateSession {
                token_hash: "session-1".into(),
                account_id: dev,
                csrf_token: "csrf".into(),
                expires_at: now.plus_seconds(60),
            },
        )
        .await
        .unwrap();
    let session = store
        .authenticate_session("session-1", now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.csrf_token, "csrf");
    assert!(store
        .authenticate_session("session-1", now.plus_seconds(61))
        .await
        .unwrap()
        .is_none());
    store
        .execute(
            Actor::operator(),
            Command::DeleteSession {
                token_hash: "session-1".into(),
            },
        )
        .await
        .unwrap();
    assert!(store
        .authenticate_session("session-1", now)
        .await
        .unwrap()
        .is_none());
    let email = Email::parse("dev@hospital.kz").unwrap();
    assert_eq!(store.account(dev).await.unwrap().email, email);
}

async fn withdrawn_account_loses_tokens_and_sessions(store: Store) {
    let dev = create_account(&store, "dev@x.kz", None, &[Role::Auditor]).await;
    let now = store.clock().now();
    token(&store, dev, "t", now.plus_seconds(3600)).await;
    store
        .execute(
            Actor::operator(),
            Command::CreateSession {
                token_hash: "s".into(),
                account_id: dev,
                csrf_token: "c".into(),
                expires_at: now.plus_seconds(60),
            },
        )
        .await
        .unwrap();
    store
        .execute(
            Actor::operator(),
            Command::WithdrawAccount {
                id: dev,
                expected_revision: Some(1),
            },
        )
        .await
        .unwrap();
    assert!(store.authenticate_token("t", now).await.unwrap().is_none());
    assert!(store
        .authenticate_session("s", now)
        .await
        .unwrap()
        .is_none());
    let again = store
        .execute(
            Actor::operator(),
            Command::WithdrawAccount {
                id: dev,
                expected_revision: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(again, StoreError::Conflict { .. }));
}

async fn the_log_holds_every_change_and_proves_it(store: Store) {
    use senim_tlog::{leaf_hash, root, verify_consistency, verify_inclusion, Checkpoint};

    let verifier = senim_tlog::NoteVerifier::parse(&store.log_signer().verifier_key()).unwrap();
    let owner = create_org(&store, "Logged Clinic", "94054000013").await;
    // Concurrent writes are group-committed: several share one checkpoint.
    let writes = (0..40).map(|i| {
        let store = store.clone();
        async move {
            store
                .execute_logged(
                    Actor::operator(),
                    Command::CreateSystem {
                        owner,
                        version: version(&format!("Logged {i}"), "healthcare"),
                        assessment: None,
                    },
                )
                .await
                .unwrap()
        }
    });
    let receipts: Vec<_> = futures::future::join_all(writes).await;
    let latest = store.checkpoint().await.unwrap().unwrap();
    let body = verifier.open(&latest.note).unwrap();
    let checkpoint = Checkpoint::parse(body).unwrap();
    assert_eq!(checkpoint.size, latest.size);
    assert_eq!(checkpoint.size as i64, store.event_count().await.unwrap());

    // Every entry is there, in order, and the tree over them is the signed one.
    let entries = store.log_entries(0, checkpoint.size).await.unwrap();
    assert_eq!(entries.len() as u64, checkpoint.size);
    let leaves: Vec<_> = entries.iter().map(|e| leaf_hash(e.as_bytes())).collect();
    assert_eq!(root(&leaves), checkpoint.root);
    for (i, entry) in entries.iter().enumerate() {
        let value: serde_json::Value = serde_json::from_str(entry).unwrap();
        assert_eq!(value["index"], i as u64);
        assert_eq!(
            senim_tlog::canonical(&value).unwrap(),
            *entry,
            "entry {i} is canonical"
        );
        // Confidential documentation and personal data stay out of the log.
        assert!(!entry.contains("confidential set"), "{entry}");
        assert!(!entry.contains("A. Person"), "{entry}");
        let proof = store
            .inclusion_proof(i as u64, checkpoint.size)
            .await
            .unwrap();
        assert!(verify_inclusion(
            i as u64,
            checkpoint.size,
            &leaves[i],
            &proof,
            &checkpoint.root
        ));
    }
    let system_entry: serde_json::Value =
        serde_json::from_str(&entries[entries.len() - 1]).unwrap();
    assert!(
        system_entry["private"]["version"].as_str().unwrap().len() == 64,
        "{system_entry}"
    );

    // Each write's receipt: its entry is in a checkpoint signed for its batch,
    // and that checkpoint is consistent with the newest one.
    let mut sizes = std::collections::BTreeSet::new();
    for committed in &receipts {
        let position = committed.log.unwrap();
        sizes.insert(position.size);
        let note = store.checkpoint_at(position.size).await.unwrap().unwrap();
        let at = Checkpoint::parse(verifier.open(&note.note).unwrap()).unwrap();
        let proof = store
            .inclusion_proof(position.index, position.size)
            .await
            .unwrap();
        assert!(verify_inclusion(
            position.index,
            position.size,
            &leaves[position.index as usize],
            &proof,
            &at.root
        ));
        let consistency = store
            .consistency_proof(position.size, checkpoint.size)
            .await
            .unwrap();
        assert!(verify_consistency(
            position.size,
            checkpoint.size,
            &at.root,
            &checkpoint.root,
            &consistency
        ));
    }
    assert!(
        sizes.len() < receipts.len(),
        "some writes shared a batch: {sizes:?}"
    );

    // A proof past the end is refused, not invented.
    assert!(store.inclusion_proof(0, checkpoint.size + 1).await.is_err());
    assert!(store
        .inclusion_proof(checkpoint.size, checkpoint.size)
        .await
        .is_err());
}

/// A data directory whose log was signed by one key does not open with
/// another: a lost or unshared key must not start a second history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_different_log_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let open = || {
        Store::open(
            StoreOptions::new(Location::DataDir(dir.path().to_path_buf())),
            clock(),
        )
    };
    let store = open().await.unwrap();
    create_org(&store, "Signed", "94054000013").await;
    store.close().await;
    drop(store);
    let other = senim_tlog::NoteSigner::from_seed("localhost/senim", &[9; 32]).unwrap();
    std::fs::write(dir.path().join("log.key"), other.private_key()).unwrap();
    match open().await {
        Err(StoreError::Config(message)) => assert!(message.contains("another key"), "{message}"),
        Err(other) => panic!("expected a configuration error, got {other}"),
        Ok(_) => panic!("a different key was accepted"),
    }
}

/// A store serves the newest checkpoint it read or wrote for a second of
/// its clock, then reads it again: another process's appends show within a
/// second, and a test moves the injected clock instead of sleeping.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_checkpoint_is_read_once_a_second_old_on_the_clock() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let open = || {
        Store::open(
            StoreOptions::new(Location::DataDir(dir.path().to_path_buf())),
            clock.clone(),
        )
    };
    let reader = open().await.unwrap();
    create_org(&reader, "Read", "94054000013").await;
    let before = reader.checkpoint().await.unwrap().unwrap();
    let writer = open().await.unwrap();
    create_org(&writer, "Written elsewhere", "05034000018").await;
    let written = writer.checkpoint().await.unwrap().unwrap();
    assert_eq!(written.size, before.size + 1);
    // Within the second, the copy it holds: still a valid checkpoint.
    clock.advance_seconds(0);
    assert_eq!(reader.checkpoint().await.unwrap().unwrap(), before);
    clock.advance_seconds(1);
    assert_eq!(reader.checkpoint().await.unwrap().unwrap(), written);
}

// ---------------------------------------------------------------------------
// Rotating the log's key (issue 19): on both backends, with the key files a
// deployment keeps (`log.key`, `log.key.next`, `log.key.retired-...`,
// `log.key.published`), reopened the way `senim serve` opens a register.

mod rotation {
    use std::path::PathBuf;
    use std::sync::Arc;

    use senim_store::rotation::{
        install_staged_key, stage_key, staged_key_path, KeyRotation, LostKey, RotationReason,
    };
    use senim_store::{Location, Store, StoreError, StoreOptions};
    use senim_tlog::rotation::{follow, RotationProof};
    use senim_tlog::{note_signers, Checkpoint, NoteSigner};

    use super::{clock, create_org, postgres_url};

    /// The first eleven digits of a BIN not used before in this run.
    fn bin_prefix() -> String {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(10_000_000_000);
        loop {
            let prefix = format!("{:011}", NEXT.fetch_add(1, Ordering::SeqCst));
            if senim_domain::bin::complete(&prefix).is_some() {
                return prefix;
            }
        }
    }

    async fn org(store: &Store, name: &str) {
        create_org(store, name, &bin_prefix()).await;
    }

    const ORIGIN: &str = "test.senim/log";

    #[derive(Clone, Copy, Debug)]
    enum Backend {
        Sqlite,
        Postgres,
    }

    macro_rules! both {
        ($($name:ident),+ $(,)?) => {
            mod sqlite_backend {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        super::$name(super::Backend::Sqlite).await;
                    }
                )+
            }
            mod postgres_backend {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        super::$name(super::Backend::Postgres).await;
                    }
                )+
            }
        };
    }

    both!(
        a_rotation_is_co_signed_and_followed_from_the_old_key,
        bad_rotations_name_the_field_and_change_nothing,
        a_server_left_on_the_retired_key_signs_nothing,
        a_retired_key_is_refused_on_start,
        a_crash_after_the_commit_is_finished_on_start,
        a_crash_before_the_commit_leaves_the_old_key,
        a_lost_key_is_replaced_by_the_new_key_alone,
        a_rollback_is_refused_read_only_or_recorded_once_accepted,
    );

    /// Issue 19, item 5: a register restored behind the checkpoint it
    /// published last is refused; opened read-only it serves reads, says
    /// why, and refuses every write (the published file untouched); once
    /// the operator accepts the rollback, it is recorded in the log (once)
    /// with the reason, and the file follows the log again.
    async fn a_rollback_is_refused_read_only_or_recorded_once_accepted(backend: Backend) {
        let register = Register::new(backend).await;
        let store = register.open().await.unwrap();
        org(&store, "Kept").await;
        let size = store.checkpoint().await.unwrap().unwrap().size;
        store.close().await;
        drop(store);
        // What the register published before the backup was restored: a
        // larger tree, signed by its key.
        let published = register.dir.path().join("log.key.published");
        let ahead = Checkpoint {
            origin: ORIGIN.to_string(),
            size: size + 5,
            root: [7; 32],
        };
        let note = senim_tlog::sign_note(&ahead.body(), &[&register.key()]).unwrap();
        std::fs::write(&published, &note).unwrap();

        match register.open().await {
            Err(StoreError::Config(message)) => {
                assert!(
                    message.contains(&format!("holds {size} entries, behind the {}", size + 5)),
                    "{message}"
                );
                assert!(message.contains("--accept-rollback"), "{message}");
            }
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("a rolled-back log was opened"),
        }

        let store = Store::open(
            StoreOptions {
                read_only: true,
                ..register.options()
            },
            clock(),
        )
        .await
        .unwrap();
        let found = store.read_only().cloned().unwrap();
        assert_eq!(found.findings.len(), 1, "{:?}", found.findings);
        assert!(
            found.findings[0].contains("behind the"),
            "{:?}",
            found.findings
        );
        let rollback = found.rollback.unwrap();
        assert_eq!(
            (rollback.published_size, rollback.restored_size),
            (Some(size + 5), size)
        );
        assert!(store.event_count().await.unwrap() > 0, "reads are served");
        let refused = store
            .execute(
                senim_store::Actor::operator(),
                senim_store::Command::DiscardMail,
            )
            .await;
        assert!(matches!(refused, Err(StoreError::ReadOnly)), "{refused:?}");
        assert_eq!(store.checkpoint().await.unwrap().unwrap().size, size);
        assert!(store.log_rollbacks().await.unwrap().is_empty());
        store.close().await;
        drop(store);
        assert_eq!(std::fs::read_to_string(&published).unwrap(), note);

        let store = Store::open(
            StoreOptions {
                accept_rollback: Some("  disk failure; restored from the nightly backup ".into()),
                ..register.options()
            },
            clock(),
        )
        .await
        .unwrap();
        let recorded = store.log_rollbacks().await.unwrap();
        assert_eq!(recorded.len(), 1);
        let r = &recorded[0];
        assert_eq!(r.index, size, "the first entry after the restore");
        assert_eq!(r.reason, "disk failure; restored from the nightly backup");
        assert_eq!(
            (r.published_size, r.restored_size, r.lost_entries()),
            (Some(size + 5), size, 5)
        );
        assert_eq!(r.published_checkpoint, note);
        let now = store.checkpoint().await.unwrap().unwrap();
        assert_eq!(now.size, size + 1);
        assert_eq!(std::fs::read_to_string(&published).unwrap(), now.note);
        org(&store, "After").await;
        store.close().await;
        drop(store);
        let store = register.open().await.unwrap();
        assert_eq!(store.log_rollbacks().await.unwrap().len(), 1);
        assert!(store.read_only().is_none());
    }

    fn new_key() -> NoteSigner {
        NoteSigner::from_seed(ORIGIN, &rand::random::<[u8; 32]>()).unwrap()
    }

    /// A SQLite register restored from a backup taken before a rotation:
    /// the retired key goes back in place, the restore is accepted once,
    /// and the log is rotated again to the key that was announced.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_backup_from_before_a_rotation_is_restored_and_rotated_again() {
        let register = Register::new(Backend::Sqlite).await;
        let data = register.dir.path().join("data");
        let store = register.open().await.unwrap();
        org(&store, "Before").await;
        let backup = register.dir.path().join("backup.db");
        store.backup_into(&backup).await.unwrap();
        let old = register.key();
        let announced = register.rotate(&store, RotationReason::Planned).await;
        org(&store, "After").await;
        store.close().await;
        drop(store);
        // The writer's connection closes after the store is dropped: the
        // WAL is folded into the file and removed then.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while data.join("senim.db-wal").exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "the store never closed"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }

        std::fs::copy(&backup, data.join("senim.db")).unwrap();
        for extra in ["senim.db-wal", "senim.db-shm"] {
            let _ = std::fs::remove_file(data.join(extra));
        }
        match register.open().await {
            Err(StoreError::Config(message)) => {
                assert!(message.contains("another key"), "{message}")
            }
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("the new key opened a log it never signed"),
        }
        let aside = register.dir.path().join("announced.key");
        std::fs::rename(register.key_file(), &aside).unwrap();
        std::fs::write(register.key_file(), old.private_key()).unwrap();
        match register.open().await {
            Err(StoreError::Config(message)) => {
                assert!(message.contains("newer than this database"), "{message}")
            }
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("a published checkpoint of another key was accepted"),
        }
        let store = Store::open(
            StoreOptions {
                accept_rollback: Some(String::new()),
                ..register.options()
            },
            clock(),
        )
        .await
        .unwrap();
        assert!(store.log_rotations().await.unwrap().is_empty());
        stage_key(&register.key_file(), &announced).unwrap();
        store
            .rotate_log_key(KeyRotation {
                new_key: Arc::new(NoteSigner::parse(&announced.private_key()).unwrap()),
                reason: RotationReason::Planned,
                lost_key: None,
            })
            .await
            .unwrap();
        install_staged_key(&register.key_file(), &announced, "2026-03-03").unwrap();
        store.close().await;
        drop(store);
        let store = register.open().await.unwrap();
        assert_eq!(store.log_signer().key_id(), announced.key_id());
        org(&store, "Again").await;
    }

    /// A register as deployed: a database, the key file and its
    /// published-checkpoint file beside it.
    struct Register {
        dir: tempfile::TempDir,
        base: StoreOptions,
    }

    impl Register {
        async fn new(backend: Backend) -> Register {
            let dir = tempfile::tempdir().unwrap();
            let base = match backend {
                Backend::Sqlite => StoreOptions::new(Location::DataDir(dir.path().join("data"))),
                Backend::Postgres => senim_testing::fresh_postgres_schema(&postgres_url(), "rot")
                    .await
                    .unwrap(),
            };
            let key = new_key();
            std::fs::write(dir.path().join("log.key"), key.private_key()).unwrap();
            Register { dir, base }
        }

        fn key_file(&self) -> PathBuf {
            self.dir.path().join("log.key")
        }

        fn key(&self) -> NoteSigner {
            NoteSigner::parse(&std::fs::read_to_string(self.key_file()).unwrap()).unwrap()
        }

        /// The options `senim_app::store_options` gives: the key read from
        /// its file, the file named, the published checkpoint beside it.
        fn options(&self) -> StoreOptions {
            StoreOptions {
                log_key: Some(Arc::new(self.key())),
                log_key_file: Some(self.key_file()),
                published_checkpoint: Some(self.dir.path().join("log.key.published")),
                ..self.base.clone()
            }
        }

        async fn open(&self) -> Result<Store, StoreError> {
            Store::open(self.options(), clock()).await
        }

        /// What `senim admin rotate-log-key` does around the store.
        async fn rotate(&self, store: &Store, reason: RotationReason) -> NoteSigner {
            let next = new_key();
            stage_key(&self.key_file(), &next).unwrap();
            store
                .rotate_log_key(KeyRotation {
                    new_key: Arc::new(NoteSigner::parse(&next.private_key()).unwrap()),
                    reason,
                    lost_key: None,
                })
                .await
                .unwrap();
            install_staged_key(&self.key_file(), &next, "2026-03-02").unwrap();
            next
        }
    }

    fn signers(note: &str) -> Vec<u32> {
        note_signers(note)
            .unwrap()
            .into_iter()
            .map(|(_, id)| id)
            .collect()
    }

    fn parse(note: &str) -> Checkpoint {
        Checkpoint::parse(senim_tlog::note_text(note).unwrap()).unwrap()
    }

    async fn a_rotation_is_co_signed_and_followed_from_the_old_key(backend: Backend) {
        let register = Register::new(backend).await;
        let store = register.open().await.unwrap();
        let first = register.key();
        org(&store, "Before").await;
        let second = register.rotate(&store, RotationReason::Planned).await;

        // The rotation's checkpoint: the new key first, the old one after it.
        let rotations = store.log_rotations().await.unwrap();
        assert_eq!(rotations.len(), 1);
        let rotation = &rotations[0];
        assert_eq!(
            signers(&rotation.checkpoint.note),
            vec![second.key_id(), first.key_id()]
        );
        assert!(first.verifier().open(&rotation.checkpoint.note).is_ok());
        assert!(second.verifier().open(&rotation.checkpoint.note).is_ok());
        assert_eq!(rotation.checkpoint.size, rotation.statement.index + 1);
        assert_eq!(rotation.statement.new_key, second.verifier());
        assert_eq!(rotation.statement.old_key, Some(first.verifier_key()));
        assert!(rotation.statement.co_signed);
        assert_eq!(rotation.statement.reason, "planned");
        // The key file holds the new key, the old one is kept beside it.
        assert_eq!(register.key().key_id(), second.key_id());
        let retired = register
            .dir
            .path()
            .join(format!("log.key.retired-2026-03-02-{:08x}", first.key_id()));
        assert_eq!(
            NoteSigner::parse(&std::fs::read_to_string(retired).unwrap())
                .unwrap()
                .key_id(),
            first.key_id()
        );
        assert!(!staged_key_path(&register.key_file()).exists());

        // From now on the new key signs alone, also in this running store.
        assert_eq!(store.log_signer().key_id(), second.key_id());
        org(&store, "After").await;
        let latest = store.checkpoint().await.unwrap().unwrap();
        assert_eq!(signers(&latest.note), vec![second.key_id()]);

        // A second rotation: the chain is followed from the first key.
        let third = register.rotate(&store, RotationReason::Compromised).await;
        org(&store, "Later").await;
        let latest = store.checkpoint().await.unwrap().unwrap();
        let latest_cp = parse(&latest.note);
        let rotations = store.log_rotations().await.unwrap();
        assert_eq!(rotations.len(), 2);
        assert_eq!(rotations[1].statement.reason, "compromised");
        let mut proofs = Vec::new();
        for r in &rotations {
            let size = r.checkpoint.size;
            proofs.push((
                store
                    .inclusion_proof(r.statement.index, size)
                    .await
                    .unwrap(),
                store.consistency_proof(size, latest.size).await.unwrap(),
            ));
        }
        let evidence: Vec<RotationProof<'_>> = rotations
            .iter()
            .zip(&proofs)
            .map(|(r, (inclusion, consistency))| RotationProof {
                index: r.statement.index,
                entry: r.entry.as_bytes(),
                checkpoint: &r.checkpoint.note,
                inclusion_proof: inclusion,
                consistency_proof: consistency,
            })
            .collect();
        let (now, followed) = follow(&first.verifier(), &evidence, &latest_cp).unwrap();
        assert_eq!(now, third.verifier());
        assert_eq!(followed.len(), 2);
        assert!(third.verifier().open(&latest.note).is_ok());
        assert!(first.verifier().open(&latest.note).is_err());

        // The log still passes its own check, and reopens on the new key.
        assert_eq!(store.check_log().await.unwrap(), None);
        store.close().await;
        drop(store);
        let again = register.open().await.unwrap();
        org(&again, "Reopened").await;
        assert_eq!(again.log_signer().key_id(), third.key_id());
    }

    async fn bad_rotations_name_the_field_and_change_nothing(backend: Backend) {
        let register = Register::new(backend).await;
        let store = register.open().await.unwrap();
        org(&store, "Before").await;
        let size = store.checkpoint().await.unwrap().unwrap().size;
        let refused = |rotation: KeyRotation| {
            let store = store.clone();
            async move {
                match store.rotate_log_key(rotation).await {
                    Err(StoreError::Invalid(e)) => {
                        let problem = &e.0[0];
                        (problem.field.clone(), problem.reason.clone())
                    }
                    other => panic!("expected a refusal, got {other:?}"),
                }
            }
        };
        let other_name = NoteSigner::from_seed("other.example/log", &[3; 32]).unwrap();
        let (field, reason) = refused(KeyRotation {
            new_key: Arc::new(other_name),
            reason: RotationReason::Planned,
            lost_key: None,
        })
        .await;
        assert_eq!(field, "new_key");
        assert!(
            reason.contains("other.example/log") && reason.contains(ORIGIN),
            "{reason}"
        );
        let (field, reason) = refused(KeyRotation {
            new_key: store.log_signer(),
            reason: RotationReason::Planned,
            lost_key: None,
        })
        .await;
        assert_eq!(field, "new_key");
        assert!(reason.contains("signs this log now"), "{reason}");
        let (field, reason) = refused(KeyRotation {
            new_key: Arc::new(new_key()),
            reason: RotationReason::Lost,
            lost_key: None,
        })
        .await;
        assert_eq!(field, "reason");
        assert!(reason.contains("at hand"), "{reason}");
        assert_eq!(store.checkpoint().await.unwrap().unwrap().size, size);
        assert!(store.log_rotations().await.unwrap().is_empty());

        // A retired key is never used again.
        let first = Arc::new(register.key());
        register.rotate(&store, RotationReason::Planned).await;
        let (field, reason) = refused(KeyRotation {
            new_key: first,
            reason: RotationReason::Planned,
            lost_key: None,
        })
        .await;
        assert_eq!(field, "new_key");
        assert!(reason.contains("never used again"), "{reason}");
        assert_eq!(store.log_rotations().await.unwrap().len(), 1);
        // Nothing is left half-done: the store writes on the new key.
        org(&store, "After").await;
    }

    async fn a_server_left_on_the_retired_key_signs_nothing(backend: Backend) {
        let register = Register::new(backend).await;
        let running = register.open().await.unwrap();
        org(&running, "Before").await;
        // The operator rotates from another process while this one runs.
        let admin = register.open().await.unwrap();
        let new = register.rotate(&admin, RotationReason::Planned).await;
        admin.close().await;
        let written = running
            .execute(
                senim_store::Actor::operator(),
                senim_store::Command::CreateOrganisation(super::org_input(
                    "Too late",
                    &bin_prefix(),
                )),
            )
            .await;
        match written {
            Err(e) => assert!(e.to_string().contains("is not the key of the log"), "{e}"),
            Ok(_) => panic!("a retired key signed a checkpoint"),
        }
        // Restarted on the key file, it writes again.
        running.close().await;
        drop(running);
        let restarted = register.open().await.unwrap();
        assert_eq!(restarted.log_signer().key_id(), new.key_id());
        org(&restarted, "In time").await;
    }

    async fn a_retired_key_is_refused_on_start(backend: Backend) {
        let register = Register::new(backend).await;
        let store = register.open().await.unwrap();
        org(&store, "Before").await;
        let old = register.key();
        let new = register.rotate(&store, RotationReason::Planned).await;
        store.close().await;
        drop(store);
        // Right after the rotation, the newest checkpoint carries the old
        // key's signature too: the old key is still refused.
        let with_old = StoreOptions {
            log_key: Some(Arc::new(old)),
            ..register.options()
        };
        match Store::open(with_old, clock()).await {
            Err(StoreError::Config(message)) => {
                assert!(message.contains("was retired"), "{message}");
                assert!(message.contains(&new.verifier_key()), "{message}");
            }
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("a retired key was accepted"),
        }
    }

    async fn a_crash_after_the_commit_is_finished_on_start(backend: Backend) {
        let register = Register::new(backend).await;
        let store = register.open().await.unwrap();
        org(&store, "Before").await;
        let old = register.key();
        let next = new_key();
        stage_key(&register.key_file(), &next).unwrap();
        store
            .rotate_log_key(KeyRotation {
                new_key: Arc::new(NoteSigner::parse(&next.private_key()).unwrap()),
                reason: RotationReason::Planned,
                lost_key: None,
            })
            .await
            .unwrap();
        // The crash: the key file was not replaced, and the published
        // checkpoint is the one before the rotation.
        let before = store.checkpoint_at(1).await.unwrap();
        store.close().await;
        drop(store);
        if let Some(before) = before {
            std::fs::write(register.dir.path().join("log.key.published"), before.note).unwrap();
        }
        assert_eq!(register.key().key_id(), old.key_id());
        let store = register.open().await.unwrap();
        assert_eq!(store.log_signer().key_id(), next.key_id());
        assert_eq!(register.key().key_id(), next.key_id());
        assert!(!staged_key_path(&register.key_file()).exists());
        org(&store, "After").await;
        assert_eq!(store.check_log().await.unwrap(), None);
    }

    async fn a_crash_before_the_commit_leaves_the_old_key(backend: Backend) {
        let register = Register::new(backend).await;
        let store = register.open().await.unwrap();
        org(&store, "Before").await;
        let old = register.key();
        stage_key(&register.key_file(), &new_key()).unwrap();
        store.close().await;
        drop(store);
        let store = register.open().await.unwrap();
        assert_eq!(store.log_signer().key_id(), old.key_id());
        org(&store, "After").await;
        assert!(store.log_rotations().await.unwrap().is_empty());
        // Running the rotation again replaces the stale staged key.
        let new = register.rotate(&store, RotationReason::Planned).await;
        assert_eq!(store.log_signer().key_id(), new.key_id());
    }

    async fn a_lost_key_is_replaced_by_the_new_key_alone(backend: Backend) {
        let register = Register::new(backend).await;
        let store = register.open().await.unwrap();
        org(&store, "Before").await;
        let lost = register.key();
        store.close().await;
        drop(store);
        std::fs::remove_file(register.key_file()).unwrap();

        // Without its key, the register is opened with the new key, only to
        // record the rotation.
        let new = new_key();
        let open_lost = |verifier: Option<senim_tlog::NoteVerifier>| {
            Store::open(
                StoreOptions {
                    log_key: Some(Arc::new(NoteSigner::parse(&new.private_key()).unwrap())),
                    log_key_file: Some(register.key_file()),
                    published_checkpoint: Some(register.dir.path().join("log.key.published")),
                    lost_log_key: Some(LostKey { verifier }),
                    ..register.base.clone()
                },
                clock(),
            )
        };
        // A verifier key that is not the lost one is refused by the check.
        let wrong = new_key().verifier();
        match open_lost(Some(wrong)).await {
            Err(StoreError::Config(message)) => {
                assert!(message.contains("not signed"), "{message}")
            }
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("a wrong verifier key passed the check"),
        }
        let store = open_lost(Some(lost.verifier())).await.unwrap();
        // Nothing but the rotation is signed by a key the log does not name.
        assert!(store
            .execute(
                senim_store::Actor::operator(),
                senim_store::Command::CreateOrganisation(super::org_input(
                    "Unsigned",
                    &bin_prefix()
                )),
            )
            .await
            .is_err());
        stage_key(&register.key_file(), &new).unwrap();
        let done = store
            .rotate_log_key(KeyRotation {
                new_key: store.log_signer(),
                reason: RotationReason::Lost,
                lost_key: Some(lost.verifier()),
            })
            .await
            .unwrap();
        install_staged_key(&register.key_file(), &new, "2026-03-02").unwrap();
        assert_eq!(signers(&done.checkpoint.note), vec![new.key_id()]);
        let rotation = &store.log_rotations().await.unwrap()[0];
        assert!(!rotation.statement.co_signed);
        assert_eq!(rotation.statement.reason, "lost");
        assert_eq!(rotation.statement.old_key_id, lost.key_id());
        assert_eq!(rotation.statement.old_key, Some(lost.verifier_key()));
        store.close().await;
        drop(store);

        // The register opens on the new key, and following from the lost
        // key is refused.
        let store = register.open().await.unwrap();
        org(&store, "After").await;
        let latest = store.checkpoint().await.unwrap().unwrap();
        let inclusion = store
            .inclusion_proof(rotation.statement.index, rotation.checkpoint.size)
            .await
            .unwrap();
        let consistency = store
            .consistency_proof(rotation.checkpoint.size, latest.size)
            .await
            .unwrap();
        let evidence = [RotationProof {
            index: rotation.statement.index,
            entry: rotation.entry.as_bytes(),
            checkpoint: &rotation.checkpoint.note,
            inclusion_proof: &inclusion,
            consistency_proof: &consistency,
        }];
        let err = follow(&lost.verifier(), &evidence, &parse(&latest.note)).unwrap_err();
        assert!(err.to_string().contains("out of band"), "{err}");
        let (now, _) = follow(&new.verifier(), &evidence, &parse(&latest.note)).unwrap();
        assert_eq!(now, new.verifier());
    }
}
