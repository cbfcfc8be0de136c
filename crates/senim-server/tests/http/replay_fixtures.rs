//! Writes the store's replay fixtures (`crates/senim-store/tests/fixtures/replay/`):
//! the events that some of this suite's stories leave in a SQLite register,
//! row for row, with the fingerprint of the tables they made.
//! `senim-store`'s `replay_of_recorded_events` test loads each file into an
//! empty register, rebuilds the tables from its events and requires the same
//! fingerprint, so a change to what the store reads back from its events
//! cannot go unnoticed.
//!
//! A fixture records what a version of Senim wrote, and later versions must
//! still read it: write one for a new event kind or a new payload version,
//! never rewrite one to make the replay test pass: only the fixtures that do
//! not exist yet are written. Run with
//! `SENIM_WRITE_FIXTURES=1 cargo nextest run -p senim-server --run-ignored only write_replay_fixtures`.

use senim_store::{Actor, Command, ReviewDue, Store, SystemFilter};
use sqlx::{Connection, Row};

use crate::helpers::{spawn_app, Backend};
use crate::routes;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../senim-store/tests/fixtures/replay"
);

/// Every event of the register as stored, in log order, then the
/// fingerprint of its tables, as one file of JSON lines (the fingerprint first).
async fn write_fixture(store: &Store, database: &std::path::Path, name: &str) {
    let fingerprint = store
        .fingerprint_without(senim_store::DERIVED_COLUMNS)
        .await
        .unwrap();
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}", database.join("senim.db").display());
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    let rows = sqlx::query(
        "SELECT id, time, kind, subject_type, subject_id, actor, payload, idx, entry, salt, replay \
         FROM events ORDER BY idx",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut lines = vec![serde_json::json!({
        "story": name,
        "written_by": format!("senim {}", env!("CARGO_PKG_VERSION")),
        "fingerprint": fingerprint,
    })
    .to_string()];
    for row in &rows {
        let text = |column: &str| row.try_get::<Option<String>, _>(column).unwrap();
        lines.push(
            serde_json::json!({
                "id": text("id"),
                "time": text("time"),
                "kind": text("kind"),
                "subject_type": text("subject_type"),
                "subject_id": text("subject_id"),
                "actor": text("actor"),
                "payload": text("payload"),
                "idx": row.try_get::<Option<i64>, _>("idx").unwrap(),
                "entry": text("entry"),
                "salt": text("salt"),
                "replay": text("replay"),
            })
            .to_string(),
        );
    }
    conn.close().await.unwrap();
    std::fs::create_dir_all(FIXTURES).unwrap();
    std::fs::write(format!("{FIXTURES}/{name}.jsonl"), lines.join("\n") + "\n").unwrap();
}

/// What no story below does through the API: the annual-review flag on the
/// first system of the register.
async fn flag_a_review(store: &Store) {
    let systems = store
        .systems(&SystemFilter {
            drafts: senim_store::Drafts::All,
            limit: 1,
            ..SystemFilter::default()
        })
        .await
        .unwrap();
    let system = &systems.items[0];
    store
        .execute(
            Actor::operator(),
            Command::FlagReviewDue(ReviewDue {
                system_id: system.id,
                owner: system.owner_organisation_id,
                last_review: system.updated_at,
            }),
        )
        .await
        .unwrap();
}

/// Writes each story's fixture unless it exists: a fixture records what
/// the version that wrote it wrote, and is never rewritten.
macro_rules! record {
    ($($story:path => $name:literal),+ $(,)?) => {
        $(
            if !std::path::Path::new(&format!("{FIXTURES}/{}.jsonl", $name)).exists() {
            let mut app = spawn_app(Backend::Sqlite).await;
            let dir = app.take_database_dir().unwrap();
            let store = app.store.clone();
            $story(app).await;
            if $name == "register" {
                flag_a_review(&store).await;
            }
            write_fixture(&store, dir.path(), $name).await;
            }
        )+
    };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes the store's replay fixtures; see the module's comment"]
async fn write_replay_fixtures() {
    assert!(
        std::env::var_os("SENIM_WRITE_FIXTURES").is_some(),
        "set SENIM_WRITE_FIXTURES=1 to rewrite the fixtures of what earlier versions wrote"
    );
    record!(
        routes::log::rebuilding_from_the_log_gives_back_every_table => "register",
        routes::organisations::admin_creates_reads_updates_and_withdraws => "organisations",
        routes::accounts::tokens_are_shown_once_scoped_and_revocable => "tokens",
        routes::cases::a_high_risk_system_goes_through_review_to_the_register => "registration",
        routes::cases::a_citizen_reports_harm_and_the_authority_acts => "report_and_investigation",
        routes::cases::a_sector_body_keeps_its_trusted_list => "trusted_list",
        routes::systems::an_operator_is_listed_only_once_it_accepts => "operators",
        routes::systems::a_supervisor_pauses_reports_about_one_system => "intake_pause",
        routes::cases::a_new_pack_puts_registered_systems_on_its_path => "publication",
        routes::cases::an_audit_runs_metrics_against_the_packs_thresholds => "audit",
        routes::datasets::restricted_data_is_requested_and_granted => "data_access",
        routes::datasets::stewards_describe_datasets_and_anyone_reads_them => "datasets",
        routes::datasets::files_arrive_in_chunks_and_leave_by_range => "resources",
        routes::datasets::systems_name_the_datasets_they_learned_from => "dataset_links",
        routes::programmes::a_university_is_awarded_compute_through_a_call => "programmes",
        routes::allocations::an_award_buys_gpu_hours_and_data_that_end_by_themselves => "allocations",
        routes::education::a_course_certifies_a_reviewer_until_revoked => "education",
        routes::sandbox::a_system_goes_through_the_sandbox_to_registration => "sandbox",
        routes::allocations::a_resource_assessed_in_review_is_provisioned_at_once => "assessments",
        routes::programmes::joint_work_and_former_organisations_keep_reviewers_out_for_a_while => "conflicts",
        routes::log::the_log_key_is_rotated_and_followed_from_the_old_key => "log_key_rotation",
        routes::log::a_restore_from_a_backup_is_announced_to_everyone => "log_rollback",
    );
}
