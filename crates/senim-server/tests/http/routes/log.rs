//! The public audit log over HTTP: receipts on writes, tlog-tiles, proofs.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use reqwest::Method;
use senim_domain::api::{LogEntry, Receipt};
use senim_tlog::{
    decode_bundle, leaf_hash, root, verify_consistency, verify_inclusion, Checkpoint, Hash,
    NoteVerifier, Tile,
};

use crate::helpers::{error_fields, system_json, TestApp, Who};

crate::on_both_backends!(
    every_write_carries_a_receipt_that_verifies,
    the_tiles_rebuild_the_signed_tree,
    proofs_are_served_and_bad_requests_name_the_field,
    rebuilding_from_the_log_gives_back_every_table,
    the_log_key_is_rotated_and_followed_from_the_old_key,
    a_restore_from_a_backup_is_announced_to_everyone,
);

fn hash(text: &str) -> Hash {
    STANDARD.decode(text).unwrap().try_into().unwrap()
}

fn hashes(texts: &[String]) -> Vec<Hash> {
    texts.iter().map(|t| hash(t)).collect()
}

async fn verifier(app: &TestApp) -> NoteVerifier {
    let r = app.http.get(app.url("/log/key")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    NoteVerifier::parse(r.text().await.unwrap().trim()).unwrap()
}

async fn checkpoint(app: &TestApp, verifier: &NoteVerifier) -> Checkpoint {
    let r = app
        .http
        .get(app.url("/log/checkpoint"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let note = r.text().await.unwrap();
    Checkpoint::parse(verifier.open(&note).unwrap()).unwrap()
}

fn receipt_of(response: &reqwest::Response) -> Receipt {
    let header = response
        .headers()
        .get("senim-receipt")
        .expect("a write's response carries a receipt");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header.as_bytes()).unwrap()).unwrap()
}

async fn every_write_carries_a_receipt_that_verifies(app: TestApp) {
    let verifier = verifier(&app).await;
    let r = app
        .request(Who::Developer, Method::POST, "/api/v1/systems")
        .json(&system_json("Receipted triage"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let receipt = receipt_of(&r);
    let at = Checkpoint::parse(verifier.open(&receipt.checkpoint).unwrap()).unwrap();
    assert_eq!(at.size, receipt.size);
    assert!(verify_inclusion(
        receipt.index,
        receipt.size,
        &hash(&receipt.leaf_hash),
        &hashes(&receipt.inclusion_proof),
        &at.root
    ));

    // The entry behind it: the public event, with the confidential
    // documentation only as a digest.
    let entry: LogEntry = app
        .read(
            Who::Anonymous,
            &format!("/api/v1/log/entries/{}", receipt.index),
        )
        .await
        .pipe(serde_json::from_value)
        .unwrap();
    assert_eq!(entry.leaf_hash, receipt.leaf_hash);
    assert_eq!(
        STANDARD.encode(leaf_hash(entry.entry.as_bytes())),
        receipt.leaf_hash
    );
    let event: serde_json::Value = serde_json::from_str(&entry.entry).unwrap();
    assert_eq!(event["kind"], "system.created");
    assert_eq!(event["actor"]["roles"][0], "developer");
    assert!(!entry.entry.contains("confidential"), "{}", entry.entry);
    assert!(!entry.entry.contains("Under-triage"), "{}", entry.entry);
    assert_eq!(event["private"]["version"].as_str().unwrap().len(), 64);

    // A refused write gets no receipt; a read gets none either.
    let refused = app
        .request(Who::Anonymous, Method::POST, "/api/v1/systems")
        .json(&system_json("Anonymous"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused.headers().get("senim-receipt").is_none());
    let read = app
        .request(Who::Anonymous, Method::GET, "/api/v1/systems")
        .send()
        .await
        .unwrap();
    assert!(read.headers().get("senim-receipt").is_none());

    // Later writes extend the same history.
    let org = app
        .request(Who::Administrator, Method::POST, "/api/v1/organisations")
        .json(&crate::helpers::org_json("Logged Lab", "05064000037"))
        .send()
        .await
        .unwrap();
    assert_eq!(org.status(), 201);
    let later = receipt_of(&org);
    assert!(later.index > receipt.index);
    let newest = checkpoint(&app, &verifier).await;
    let proof: serde_json::Value = app
        .read(
            Who::Anonymous,
            &format!(
                "/api/v1/log/proof/consistency?old={}&new={}",
                receipt.size, newest.size
            ),
        )
        .await;
    let proof: Vec<String> = serde_json::from_value(proof["proof"].clone()).unwrap();
    assert!(verify_consistency(
        receipt.size,
        newest.size,
        &at.root,
        &newest.root,
        &hashes(&proof)
    ));
}

trait Pipe: Sized {
    fn pipe<T>(self, f: impl FnOnce(Self) -> T) -> T {
        f(self)
    }
}
impl<T> Pipe for T {}

async fn get_bytes(app: &TestApp, path: &str) -> (u16, Vec<u8>) {
    let r = app.http.get(app.url(path)).send().await.unwrap();
    let status = r.status().as_u16();
    if status == 200 {
        assert!(r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable"));
    }
    (status, r.bytes().await.unwrap().to_vec())
}

async fn the_tiles_rebuild_the_signed_tree(app: TestApp) {
    for i in 0..5 {
        app.system_named(&format!("Tiled {i}")).await;
    }
    let verifier = verifier(&app).await;
    let cp = checkpoint(&app, &verifier).await;
    assert!(
        cp.size > 5,
        "the demo accounts and systems are logged: {}",
        cp.size
    );
    let mut leaves = Vec::new();
    for tile in Tile::for_tree(cp.size).into_iter().filter(|t| t.level == 0) {
        let (status, bundle) = get_bytes(&app, &format!("/log/{}", tile.entries_path())).await;
        assert_eq!(status, 200, "{}", tile.entries_path());
        let entries = decode_bundle(&bundle).unwrap();
        assert_eq!(entries.len(), usize::from(tile.width));
        let (status, hashes) = get_bytes(&app, &format!("/log/{}", tile.path())).await;
        assert_eq!(status, 200);
        for (entry, stored) in entries.iter().zip(hashes.chunks_exact(32)) {
            assert_eq!(leaf_hash(entry), stored);
            leaves.push(leaf_hash(entry));
        }
    }
    assert_eq!(root(&leaves), cp.root);
    // A narrower partial tile is a prefix; a wider or full one that does not
    // exist yet is not served; nonsense paths are not found.
    let (status, narrow) = get_bytes(&app, "/log/tile/0/000.p/2").await;
    assert_eq!((status, narrow.len()), (200, 64));
    assert_eq!(narrow[..32], leaves[0]);
    assert_eq!(get_bytes(&app, "/log/tile/0/000").await.0, 404);
    assert_eq!(get_bytes(&app, "/log/tile/entries/001.p/3").await.0, 404);
    for bad in [
        "/log/tile/0/1",
        "/log/tile/x/000",
        "/log/tile/0/000.p/0",
        "/log/tile/0/000.p/256",
        "/log/tile/0/x000/000",
        "/log/tile/entries/x072/x057/x594/x037/x927/936",
    ] {
        assert_eq!(get_bytes(&app, bad).await.0, 404, "{bad}");
    }
}

async fn proofs_are_served_and_bad_requests_name_the_field(app: TestApp) {
    app.system_named("Proved").await;
    let verifier = verifier(&app).await;
    let cp = checkpoint(&app, &verifier).await;
    let entry: LogEntry = serde_json::from_value(
        app.read(
            Who::Anonymous,
            &format!("/api/v1/log/entries/{}", cp.size - 1),
        )
        .await,
    )
    .unwrap();
    let r = app
        .request(
            Who::Anonymous,
            Method::GET,
            &format!("/api/v1/log/proof/inclusion?index=0&size={}", cp.size),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(entry.size, cp.size);
    assert!(verify_inclusion(
        entry.index,
        cp.size,
        &hash(&entry.leaf_hash),
        &hashes(&entry.inclusion_proof),
        &cp.root
    ));
    let beyond = app
        .request(
            Who::Anonymous,
            Method::GET,
            &format!("/api/v1/log/proof/inclusion?index=0&size={}", cp.size + 10),
        )
        .send()
        .await
        .unwrap();
    let (status, _, fields) = error_fields(beyond).await;
    assert_eq!(status, 422);
    assert_eq!(fields[0].0, "size");
    let garbled = app
        .request(
            Who::Anonymous,
            Method::GET,
            "/api/v1/log/proof/consistency?old=x&new=2",
        )
        .send()
        .await
        .unwrap();
    let (status, _, fields) = error_fields(garbled).await;
    assert_eq!(status, 422);
    assert_eq!(fields[0].0, "old");
    let missing = app
        .request(
            Who::Anonymous,
            Method::GET,
            &format!("/api/v1/log/entries/{}", cp.size),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let word = app
        .request(Who::Anonymous, Method::GET, "/api/v1/log/entries/first")
        .send()
        .await
        .unwrap();
    let (status, _, fields) = error_fields(word).await;
    assert_eq!((status, fields[0].0.as_str()), (422, "index"));
}

pub(crate) async fn rebuilding_from_the_log_gives_back_every_table(app: TestApp) {
    use senim_store::{Actor, Applied, Command};
    // A history with every kind of change: organisations, accounts, tokens,
    // systems and versions (classified), a withdrawal, a password change
    // that revokes tokens, and a pack publication re-classifying systems.
    let client = app.client(Who::Developer);
    let input: senim_domain::SystemInput =
        serde_json::from_value(system_json("Rebuilt triage")).unwrap();
    let created = client.register_system(&input).await.unwrap();
    let id = created.value.system.id.to_string();
    let version: senim_domain::VersionInput = input.clone().into();
    client
        .add_version(&id, created.etag.unwrap(), &version)
        .await
        .unwrap();
    let other = client.register_system(&input).await.unwrap();
    client
        .withdraw_system(&other.value.system.id.to_string(), Some("replaced".into()))
        .await
        .unwrap();
    let org = app
        .request(Who::Administrator, Method::POST, "/api/v1/organisations")
        .json(&crate::helpers::org_json("Rebuilt Lab", "05064000037"))
        .send()
        .await
        .unwrap();
    assert_eq!(org.status(), 201);
    app.scoped_token(Who::Auditor, vec![senim_domain::TokenScope::Read])
        .await;
    // A new password revokes the auditor's tokens (the one above included).
    let auditor = app
        .store
        .account(app.accounts[&Who::Auditor])
        .await
        .unwrap();
    let input: senim_domain::AccountInput = serde_json::from_value(serde_json::json!({
        "email": auditor.email.as_str(), "display_name": "Auditor, renamed",
        "roles": auditor.roles, "organisation_id": auditor.organisation_id,
    }))
    .unwrap();
    app.store
        .execute(
            Actor::operator(),
            Command::UpdateAccount {
                id: auditor.id,
                expected_revision: auditor.revision,
                account: input.parse().unwrap(),
                password_hash: Some(
                    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(),
                ),
            },
        )
        .await
        .unwrap();
    let Applied::Account(account) = app
        .store
        .execute(
            Actor::operator(),
            Command::WithdrawAccount {
                id: app.accounts[&Who::OtherDeveloper],
                expected_revision: None,
            },
        )
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(account.status, senim_domain::AccountStatus::Withdrawn);
    let published = app
        .request(Who::Supervisor, Method::POST, "/api/v1/rulepacks")
        .json(&serde_json::json!({"source": super::rulepacks::stricter_seed("1.1.0")}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        published.status(),
        201,
        "{}",
        published.text().await.unwrap()
    );

    let before = app.store.fingerprint().await.unwrap();
    // The oversight tables are covered by the registration story's rebuild,
    // the programmes' by the compute call's story, the resources' and
    // allocations' by the story of what an award buys, the courses' and
    // enrolments' by the education story's replay fixture, the conflict
    // history's by the joint application story's.
    let oversight = [
        "affiliations",
        "application_parties",
        "enrolments",
        "courses",
        "allocations",
        "platform_resources",
        "applications",
        "calls",
        "programmes",
        "notifications",
        "case_assignees",
        "cases",
        "reviewers",
        "datasets",
        "resources",
        "system_datasets",
        // Its own story: systems::an_operator_is_listed_only_once_it_accepts.
        "operator_requests",
        // Its own story: systems::a_supervisor_pauses_reports_about_one_system.
        "intake_pauses",
    ];
    assert!(
        before
            .iter()
            .all(|(table, rows, _)| *rows > 0 || oversight.contains(&table.as_str())),
        "{before:?}"
    );
    let events = app.store.event_count().await.unwrap() as u64;
    match app
        .store
        .execute(Actor::operator(), Command::Rebuild)
        .await
        .unwrap()
    {
        Applied::Rebuilt(n) => assert_eq!(n, events),
        other => panic!("{other:?}"),
    }
    let after = app.store.fingerprint().await.unwrap();
    assert_eq!(before, after, "the rebuilt tables equal the live ones");
    // The register answers as before.
    let detail = client.system(&id).await.unwrap().value;
    assert_eq!(detail.version.version, 2);
    // The fingerprint does see contents: one more version changes it.
    client.add_version(&id, 2, &version).await.unwrap();
    let changed = app.store.fingerprint().await.unwrap();
    let differs: Vec<&str> = changed
        .iter()
        .zip(&after)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.0.as_str())
        .collect();
    assert_eq!(differs, ["classifications", "system_versions", "systems"]);
}

/// Issue 19: the log's key is rotated while the register keeps working;
/// whoever trusts the old key follows the rotation through
/// `/api/v1/log/rotations`, the pages show it, and a rebuild passes over it.
pub(crate) async fn the_log_key_is_rotated_and_followed_from_the_old_key(app: TestApp) {
    use senim_domain::api::LogRotations;
    use senim_store::rotation::{KeyRotation, RotationReason};
    use senim_store::{Actor, Applied, Command};

    let old = verifier(&app).await;
    let client = app.client(Who::Developer);
    let input: senim_domain::SystemInput =
        serde_json::from_value(system_json("Before the rotation")).unwrap();
    client.register_system(&input).await.unwrap();
    let before = checkpoint(&app, &old).await;

    let new_key = senim_tlog::NoteSigner::from_seed(old.name(), &[42; 32]).unwrap();
    let new = new_key.verifier();
    let done = app
        .store
        .rotate_log_key(KeyRotation {
            new_key: std::sync::Arc::new(new_key),
            reason: RotationReason::Planned,
            lost_key: None,
        })
        .await
        .unwrap();
    assert_eq!(done.index, before.size);
    assert_eq!(done.checkpoint.size, before.size + 1);

    // The server now gives the new key, and its checkpoints are the new key's.
    assert_eq!(verifier(&app).await, new);
    let r = app
        .request(Who::Developer, Method::POST, "/api/v1/systems")
        .json(&system_json("After the rotation"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let receipt = receipt_of(&r);
    assert!(new.open(&receipt.checkpoint).is_ok());
    assert!(old.open(&receipt.checkpoint).is_err());
    senim_client::verify::verify_receipt(&receipt, &new).unwrap();

    // The rotation, as anyone reads it, and followed from the old key.
    let listing: LogRotations = app
        .http
        .get(app.url("/api/v1/log/rotations"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listing.key, new.verifier_key());
    assert_eq!(listing.rotations.len(), 1);
    let rotation = &listing.rotations[0];
    assert_eq!(rotation.index, done.index);
    assert_eq!(rotation.new_key, new.verifier_key());
    assert_eq!(rotation.old_key, Some(old.verifier_key()));
    assert_eq!(rotation.old_key_id, format!("{:08x}", old.key_id()));
    assert!(rotation.co_signed);
    assert_eq!(rotation.reason, "planned");
    assert!(old.open(&rotation.checkpoint).is_ok());
    assert!(new.open(&rotation.checkpoint).is_ok());
    let entry: serde_json::Value = serde_json::from_str(&rotation.entry).unwrap();
    assert_eq!(entry["kind"], "log.key_rotated");
    assert_eq!(entry["subject"]["type"], "log");
    let (key, followed) = senim_client::verify::follow_rotations(&old, Some(&listing)).unwrap();
    assert_eq!(key, new);
    assert_eq!(followed.len(), 1);
    let verified = senim_client::verify::verify_log(&app.client(Who::Anonymous), &old, None, 4)
        .await
        .unwrap();
    assert_eq!(verified.key, new);
    assert_eq!(verified.rotations.len(), 1);
    assert!(verified.checkpoint.size > done.checkpoint.size);

    // The page shows the current key and the rotation, in each language.
    for (lang, title) in [
        ("en", "Changes of the signing key"),
        ("ru", "Смены ключа подписи"),
        ("kk", "Қол қою кілтінің ауыстырылуы"),
    ] {
        let page = app
            .http
            .get(app.url(&format!("/audit-log?lang={lang}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(title), "{lang}");
        assert!(page.contains(&new.verifier_key()), "{lang}");
        assert!(page.contains(&old.verifier_key()), "{lang}");
    }
    let entry_page = app
        .http
        .get(app.url(&format!("/audit-log/entries/{}?lang=en", done.index)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(entry_page.contains("signing key changed"), "{entry_page}");

    // The rotation changes no table: a rebuild passes over it.
    let tables = app.store.fingerprint().await.unwrap();
    let events = app.store.event_count().await.unwrap() as u64;
    match app
        .store
        .execute(Actor::operator(), Command::Rebuild)
        .await
        .unwrap()
    {
        Applied::Rebuilt(n) => assert_eq!(n, events),
        other => panic!("{other:?}"),
    }
    assert_eq!(app.store.fingerprint().await.unwrap(), tables);
}

/// Issue 19, item 5: a rollback the operator accepted (as `Store::open`
/// records it) is an entry of the log, and everyone is told: the home page
/// in each language, the audit log page, the entry itself, the JSON list
/// for verifiers, and a header beside the checkpoint, whose text stays the
/// three lines C2SP defines.
pub(crate) async fn a_restore_from_a_backup_is_announced_to_everyone(app: TestApp) {
    use senim_domain::api::LogRollback;
    use senim_store::rollback::{Rollback, RollbackFound};
    use senim_store::{Actor, Command};

    let key = verifier(&app).await;
    let client = app.client(Who::Developer);
    let input: senim_domain::SystemInput =
        serde_json::from_value(system_json("Kept by the backup")).unwrap();
    client.register_system(&input).await.unwrap();
    let (_, home) = crate::pages::page(&app, "/", "en").await;
    assert!(!home.contains("restored from a backup"), "no restore yet");
    let kept = checkpoint(&app, &key).await;
    let lost = Checkpoint {
        origin: kept.origin.clone(),
        size: kept.size + 3,
        root: [9; 32],
    };
    let published = senim_tlog::sign_note(&lost.body(), &[&*app.store.log_signer()]).unwrap();
    let committed = app
        .store
        .execute_logged(
            Actor::operator(),
            Command::RecordRollback(Box::new(Rollback {
                found: RollbackFound {
                    problem: "behind".into(),
                    published: published.clone(),
                    published_size: Some(lost.size),
                    restored_size: kept.size,
                },
                reason: "Disk failure <b>at night</b>".into(),
            })),
        )
        .await
        .unwrap();
    let index = committed.log.unwrap().index;
    assert_eq!(index, kept.size);

    let listed: Vec<LogRollback> = app
        .http
        .get(app.url("/api/v1/log/rollbacks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let r = &listed[0];
    assert_eq!(
        (r.index, r.restored_size, r.published_size, r.lost_entries),
        (index, kept.size, Some(lost.size), 3)
    );
    assert_eq!(r.published_checkpoint, published);
    assert_eq!(r.reason, "Disk failure <b>at night</b>");

    for (lang, title, lost_text) in [
        (
            "en",
            "The register was restored from a backup",
            "lost with it: 3",
        ),
        (
            "ru",
            "Реестр восстановлен из резервной копии",
            "опубликованных до этого: 3",
        ),
        (
            "kk",
            "Тізілім сақтық көшірмеден қалпына келтірілді",
            "өзгерістер саны: 3",
        ),
    ] {
        let (status, home) = crate::pages::page(&app, "/", lang).await;
        assert_eq!(status, 200);
        assert!(home.contains(title), "{lang}: {home}");
        assert!(home.contains(lost_text), "{lang}: {home}");
        assert!(
            home.contains("Disk failure &#60;b&#62;at night"),
            "{lang}: {home}"
        );
        assert!(
            !home.contains("<b>at night"),
            "{lang}: the reason is escaped"
        );
        assert!(
            home.contains(&format!("/audit-log/entries/{index}")),
            "{lang}"
        );
        let (_, entry) =
            crate::pages::page(&app, &format!("/audit-log/entries/{index}"), lang).await;
        assert!(
            entry.contains(title),
            "{lang}: the entry names its kind: {entry}"
        );
    }
    let (_, overview) = crate::pages::page(&app, "/audit-log", "en").await;
    assert!(overview.contains("Restores from a backup"), "{overview}");
    assert!(
        overview.contains(&format!(
            "{} entries kept of {} published",
            kept.size, lost.size
        )),
        "{overview}"
    );

    let r = app
        .http
        .get(app.url("/log/checkpoint"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["senim-rollback"],
        format!(
            "entry={index}; restored_size={}; published_size={}; list=\"/api/v1/log/rollbacks\"",
            kept.size, lost.size
        )
        .as_str()
    );
    let note = r.text().await.unwrap();
    assert_eq!(
        note.split("\n\n").next().unwrap().lines().count(),
        3,
        "{note}"
    );
    // The announcement is in the tree the checkpoint signs.
    let now = checkpoint(&app, &key).await;
    assert_eq!(now.size, index + 1);
}
