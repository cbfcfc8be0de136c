//! Events written by earlier versions of Senim still rebuild the same tables.
//!
//! Each file of `fixtures/replay/` holds the events one of the HTTP suite's
//! stories left in a register (every column as stored, in log order) and the
//! fingerprint of the tables after it; together the files hold every kind of
//! event the store writes. This test loads each into an empty register, on
//! SQLite and on PostgreSQL, as events not yet in the log, so the next batch
//! sequences them; it rebuilds the tables from them and requires the
//! recorded fingerprint, and the log entries exactly as recorded.
//!
//! The fixtures record what a version wrote; they are written by
//! `senim-server`'s `write_replay_fixtures` (see that module). Never rewrite
//! one to make this test pass: a failure here means the store no longer
//! reads what an earlier version committed to the log.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;
use sqlx::Connection;

use senim_domain::{FixedClock, Timestamp};
use senim_store::{Actor, Applied, Command, Location, Store, StoreOptions};

/// A fixture's first line.
#[derive(Deserialize)]
struct Header {
    story: String,
    fingerprint: Vec<(String, u64, String)>,
}

/// A row of `events`, as stored (its `seq` aside).
#[derive(Deserialize)]
struct EventRow {
    id: String,
    time: String,
    kind: String,
    subject_type: String,
    subject_id: String,
    actor: String,
    payload: String,
    idx: i64,
    entry: String,
    salt: Option<String>,
    replay: Option<String>,
}

struct Fixture {
    header: Header,
    events: Vec<EventRow>,
}

fn fixtures() -> Vec<Fixture> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/replay");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            let mut lines = text.lines();
            let header: Header = serde_json::from_str(lines.next().unwrap()).unwrap();
            let events = lines.map(|l| serde_json::from_str(l).unwrap()).collect();
            Fixture { header, events }
        })
        .collect()
}

/// The kinds of events the store writes, besides the steps of cases: every
/// one must be in some fixture.
const KINDS: &[&str] = &[
    "organisation.created",
    "organisation.updated",
    "organisation.withdrawn",
    "account.created",
    "account.updated",
    "account.withdrawn",
    "token.created",
    "token.revoked",
    "system.created",
    "system.version_added",
    "system.withdrawn",
    "system.operator_accepted",
    "system.intake_paused",
    "system.intake_resumed",
    "system.operator_refused",
    "system.reclassified",
    "system.review_due",
    "dataset.created",
    "dataset.updated",
    "resource.added",
    "resource.downloaded",
    "reviewer.set",
    "rulepack.installed",
    "rulepack.published",
    "programme.created",
    "call.published",
    "platform_resource.created",
    "course.created",
    "course.reviewer_sectors_set",
    "log.key_rotated",
    "log.rolled_back",
];

/// The kinds of cases, each of which must appear with several steps.
const CASE_KINDS: &[&str] = &[
    "registration",
    "report",
    "audit",
    "investigation",
    "trusted_list",
    "data_access",
    "application",
    "allocation",
    "enrolment",
    "sandbox",
];

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::at(
        Timestamp::parse("2026-03-02T09:00:00Z").unwrap(),
    ))
}

#[test]
fn the_fixtures_hold_every_kind_of_event() {
    let kinds: BTreeSet<String> = fixtures()
        .iter()
        .flat_map(|f| f.events.iter().map(|e| e.kind.clone()))
        .collect();
    for kind in KINDS {
        assert!(kinds.contains(*kind), "no fixture holds a `{kind}` event");
    }
    for case in CASE_KINDS {
        let steps = kinds
            .iter()
            .filter(|k| k.strip_prefix(case).is_some_and(|r| r.starts_with('.')))
            .count();
        assert!(
            steps >= 3,
            "the fixtures hold {steps} kinds of `{case}` steps"
        );
    }
    let known: BTreeSet<&str> = KINDS.iter().copied().collect();
    for kind in &kinds {
        assert!(
            known.contains(kind.as_str())
                || CASE_KINDS
                    .iter()
                    .any(|c| kind.strip_prefix(c).is_some_and(|r| r.starts_with('.'))),
            "`{kind}` is not in this test's list of kinds"
        );
    }
}

/// Writes a fixture's events into the store's database as events not yet
/// in the log (no index), the way an older version's events are found.
async fn load(url: &str, after_connect: Option<&str>, fixture: &Fixture) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    if let Some(sql) = after_connect {
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
    let mut tx = conn.begin().await.unwrap();
    for e in &fixture.events {
        sqlx::query(
            "INSERT INTO events (id, time, kind, subject_type, subject_id, actor, payload, entry, salt, replay) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(e.id.as_str())
        .bind(e.time.as_str())
        .bind(e.kind.as_str())
        .bind(e.subject_type.as_str())
        .bind(e.subject_id.as_str())
        .bind(e.actor.as_str())
        .bind(e.payload.as_str())
        .bind(e.entry.as_str())
        .bind(e.salt.as_deref())
        .bind(e.replay.as_deref())
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    conn.close().await.unwrap();
}

/// Rebuilds the tables from the loaded events and compares them, and the
/// log, with what the fixture recorded.
async fn replay(store: &Store, fixture: &Fixture) {
    let story = &fixture.header.story;
    let count = fixture.events.len() as u64;
    match store.execute(Actor::operator(), Command::Rebuild).await {
        Ok(Applied::Rebuilt(n)) => assert_eq!(n, count, "{story}: events replayed"),
        other => panic!("{story}: the rebuild failed: {other:?}"),
    }
    // Tables added after the fixture was recorded did not exist in its
    // register: its rebuild must leave them empty. Columns added since that
    // repeat a record's content are compared with the record below.
    let fingerprint = store
        .fingerprint_without(senim_store::DERIVED_COLUMNS)
        .await
        .unwrap();
    let (recorded, newer): (Vec<_>, Vec<_>) = fingerprint
        .into_iter()
        .partition(|(table, ..)| fixture.header.fingerprint.iter().any(|(t, ..)| t == table));
    for (table, rows, _) in &newer {
        assert_eq!(
            *rows, 0,
            "{story}: a table newer than the fixture, {table}, has rows"
        );
    }
    let mut recorded = recorded;
    let mut expected = fixture.header.fingerprint.clone();
    recorded.sort();
    expected.sort();
    let differ: Vec<&str> = recorded
        .iter()
        .zip(&expected)
        .filter(|(now, then)| now != then)
        .map(|(now, _)| now.0.as_str())
        .collect();
    assert_eq!(
        recorded, expected,
        "{story}: the rebuilt tables differ from the recorded ones: {differ:?}"
    );
    let systems = store
        .systems(&senim_store::SystemFilter {
            limit: 500,
            drafts: senim_store::Drafts::All,
            ..Default::default()
        })
        .await
        .unwrap();
    let public = store
        .systems(&senim_store::SystemFilter {
            limit: 500,
            ..Default::default()
        })
        .await
        .unwrap();
    for s in &systems.items {
        assert_eq!(
            public.items.iter().any(|p| p.id == s.id),
            s.is_public(),
            "{story}: `systems.public` of {} ({})",
            s.id,
            s.status
        );
    }
    // The batch that rebuilt sequenced the events first: each got its
    // recorded index, and its entry is the one recorded, byte for byte.
    let checkpoint = store.checkpoint().await.unwrap().unwrap();
    assert_eq!(checkpoint.size, count, "{story}: log size");
    let entries = store.log_entries(0, count).await.unwrap();
    for (index, (e, entry)) in fixture.events.iter().zip(&entries).enumerate() {
        assert_eq!(e.idx, index as i64, "{story}: the fixture is in log order");
        assert_eq!(&e.entry, entry, "{story}: entry {} ({})", e.idx, e.kind);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_events_rebuild_the_same_tables_on_sqlite() {
    for fixture in fixtures() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(
            StoreOptions::new(Location::DataDir(dir.path().to_path_buf())),
            clock(),
        )
        .await
        .unwrap();
        let url = format!("sqlite://{}", dir.path().join("senim.db").display());
        load(&url, None, &fixture).await;
        replay(&store, &fixture).await;
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_events_rebuild_the_same_tables_on_postgres() {
    let url = std::env::var("SENIM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
    for fixture in fixtures() {
        let options = senim_testing::fresh_postgres_schema(&url, "r")
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {url} is needed: {e}"));
        let after_connect = options.after_connect_sql.clone();
        let store = Store::open(options, clock()).await.unwrap();
        load(&url, after_connect.as_deref(), &fixture).await;
        replay(&store, &fixture).await;
        store.close().await;
    }
}
