//! The `senim` binary end to end: start `senim serve --demo` as the README
//! says, sign in as the demo developer, register, list and show a system,
//! and administer accounts, on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

mod common;
use common::{fresh_postgres_url, senim, start, Server, SENIM};

fn journey(server: Server) {
    let (email, password) = server
        .logins
        .iter()
        .find(|(e, _)| e == "developer@hospital.demo")
        .cloned()
        .expect("the demo prints the hospital developer's password");
    let (ok, token, err) = senim(
        &server,
        None,
        &["login", "--email", &email, "--password-stdin"],
        Some(&password),
    );
    assert!(ok, "{err}");
    let token = token.trim().to_string();
    assert!(token.starts_with("senim_"));

    let (ok, out, err) = senim(
        &server,
        None,
        &["system", "list", "--sector", "healthcare"],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("Emergency department triage"), "{out}");
    let demo_total: usize = out
        .lines()
        .last()
        .unwrap()
        .split_whitespace()
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();
    assert!(demo_total >= 4, "{out}");

    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/system.toml");
    let (ok, out, err) = senim(
        &server,
        Some(&token),
        &["system", "register", "--file", example, "--format", "json"],
        None,
    );
    assert!(ok, "{err}");
    let detail: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = detail["system"]["id"].as_str().unwrap().to_string();
    assert_eq!(detail["version"]["version"], 1);

    let (ok, out, err) = senim(
        &server,
        Some(&token),
        &["system", "update", &id, "--file", example],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("version:         2"), "{out}");

    // A draft is its organisation's own: the public is asked to sign in;
    // submitted for registration, the system is public.
    let (ok, _, err) = senim(&server, None, &["system", "show", &id], None);
    assert!(!ok && err.contains("401"), "{err}");
    let (ok, out, err) = senim(&server, Some(&token), &["case", "submit", &id], None);
    assert!(ok, "{out} {err}");
    let (ok, out, _) = senim(&server, None, &["system", "show", &id], None);
    assert!(ok);
    assert!(out.contains("Paediatric sepsis early warning"), "{out}");
    assert!(
        out.contains("training_data: (confidential)"),
        "the public sees that an item is withheld: {out}"
    );
    assert!(!out.contains("41,200"), "{out}");

    let (ok, out, _) = senim(&server, Some(&token), &["system", "show", &id], None);
    assert!(ok);
    assert!(
        out.contains("41,200"),
        "the owner sees its confidential item: {out}"
    );

    let (ok, _, err) = senim(
        &server,
        None,
        &["system", "register", "--file", example],
        None,
    );
    assert!(!ok, "registering without a token fails");
    assert!(err.contains("401"), "{err}");

    let bad = std::env::temp_dir().join(format!("senim-bad-{}.toml", std::process::id()));
    std::fs::write(&bad, "[name]\nen = \"Bad\"\n[profile]\nsectors = [\"space\"]\nfunctions = [\"other\"]\nautonomy = \"low\"\naffects = [\"none\"]\nfailure_impact = \"minimal\"\n").unwrap();
    let (ok, _, err) = senim(
        &server,
        Some(&token),
        &["system", "register", "--file", bad.to_str().unwrap()],
        None,
    );
    assert!(!ok);
    assert!(
        err.contains("space") && err.contains("healthcare"),
        "the file's bad value is named with the allowed ones: {err}"
    );
    let _ = std::fs::remove_file(bad);
}

#[test]
fn readme_journey_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&["--data-dir", dir.path().to_str().unwrap()]);
    assert_eq!(
        server.logins.len(),
        15,
        "an account per role (three experts and two supervisors, for four eyes; two data stewards; a programme manager; a resource provider; an instructor), with passwords printed"
    );
    journey(server);
    // A second start on the same data keeps the data and prints the same passwords.
    let again = start(&["--data-dir", dir.path().to_str().unwrap()]);
    assert_eq!(again.logins.len(), 15);
}

#[test]
fn readme_journey_on_postgres() {
    let url = fresh_postgres_url("cli");
    let dir = tempfile::tempdir().unwrap();
    let server = start(&[
        "--database-url",
        &url,
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    journey(server);
}

#[test]
fn admin_commands_work_on_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let org = dir.path().join("org.toml");
    std::fs::write(
        &org,
        "bin = \"940540000131\"\nkind = \"private\"\nsize_class = \"small\"\n[name]\nen = \"Steppe AI LLP\"\nkk = \"Дала ЖИ ЖШС\"\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(SENIM)
            .arg("admin")
            .args(["--data-dir", data])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (ok, out, err) = run(&["organisation", "create", "--file", org.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("Steppe AI LLP"));
    let (ok, out, err) = run(&[
        "account",
        "create",
        "--email",
        "dev@steppe.kz",
        "--name",
        "Dev",
        "--role",
        "developer",
        "--organisation",
        "940540000131",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("password: "), "{out}");
    let (ok, out, _) = run(&["account", "list", "--role", "developer"]);
    assert!(ok && out.contains("dev@steppe.kz"), "{out}");
    let (ok, out, err) = run(&[
        "token",
        "create",
        "--email",
        "dev@steppe.kz",
        "--scopes",
        "read",
    ]);
    assert!(ok, "{err}");
    assert!(out.trim().starts_with("senim_"));
    let (ok, _, err) = run(&[
        "account",
        "create",
        "--email",
        "x@steppe.kz",
        "--name",
        "X",
        "--role",
        "developer",
    ]);
    assert!(!ok);
    assert!(err.contains("organisation_id"), "{err}");
}

#[test]
fn admin_changes_roles_and_withdraws() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(SENIM)
            .arg("admin")
            .args(["--data-dir", data])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
        )
    };
    assert!(
        run(&["account", "create", "--email", "a@gov.kz", "--name", "A", "--role", "auditor"]).0
    );
    let (ok, out) = run(&[
        "account",
        "update",
        "--email",
        "a@gov.kz",
        "--role",
        "auditor",
        "--role",
        "supervisor",
    ]);
    assert!(ok && out.contains("supervisor,auditor"), "{out}");
    let (_, list) = run(&["account", "list", "--role", "supervisor"]);
    assert!(list.contains("a@gov.kz"), "{list}");
    let (ok, out) = run(&["account", "reset-second-factor", "--email", "a@gov.kz"]);
    assert!(ok && out.contains("removed the authenticator app"), "{out}");
    assert!(!run(&["account", "reset-second-factor", "--email", "nobody@gov.kz"]).0);
    let (ok, out) = run(&[
        "account",
        "link-identity",
        "--email",
        "a@gov.kz",
        "--provider",
        "egov",
        "--subject",
        "iin-870101300123",
    ]);
    assert!(ok && out.contains("linked"), "{out}");
    assert!(run(&["account", "withdraw", "--email", "a@gov.kz"]).0);
    let (_, list) = run(&["account", "list"]);
    assert!(list.contains("withdrawn"), "{list}");
}

#[test]
fn serve_reads_a_config_file_and_flags_override_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("senim.toml");
    let data = dir.path().join("from-config");
    std::fs::write(
        &config,
        format!(
            "bind = \"127.0.0.1:1\"\ndata_dir = \"{}\"\n",
            data.display()
        ),
    )
    .unwrap();
    // The flag's port 0 overrides the file's port 1; the data directory comes from the file.
    let server = start(&["--config", config.to_str().unwrap()]);
    assert!(
        data.join("senim.db").exists(),
        "the file's data_dir was used"
    );
    assert!(!server.url.ends_with(":1"), "{}", server.url);
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "colour = \"red\"\n").unwrap();
    let out = Command::new(SENIM)
        .args(["serve", "--config", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("colour"));
}

fn offline(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(SENIM)
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn classify_offline_in_every_language_and_format() {
    let (ok, out, err) = offline(&["classify", "--profile", "examples/system.toml"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("kz-seed-2025") && out.contains("risk level: high"),
        "{out}"
    );
    assert!(out.contains("why:"), "{out}");
    let (ok, out, _) = offline(&[
        "classify",
        "--profile",
        "examples/system.toml",
        "--pack",
        "eu-ai-act",
        "--lang",
        "kk",
        "--format",
        "json",
    ]);
    assert!(ok);
    let c: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(c["pack"]["id"], "eu-ai-act");
    assert_eq!(c["lang"], "kk");
    let (ok, _, err) = offline(&[
        "classify",
        "--profile",
        "examples/system.toml",
        "--pack",
        "kz-2099",
    ]);
    assert!(!ok && err.contains("kz-seed-2025"), "{err}");
}

#[test]
fn rules_check_accepts_the_shipped_packs_and_names_lines_of_problems() {
    let (ok, out, err) = offline(&[
        "rules",
        "check",
        "rulepacks/kz-seed-2025.toml",
        "rulepacks/kz-230-viii.toml",
        "rulepacks/eu-ai-act.toml",
    ]);
    assert!(ok, "{err}");
    assert_eq!(out.matches(": ok").count(), 3, "{out}");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../rulepacks/kz-seed-2025.toml"
    ))
    .unwrap()
    .replacen("\"healthcare\"", "\"hospitals\"", 1);
    std::fs::write(&bad, text).unwrap();
    let (ok, _, err) = offline(&["rules", "check", bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("bad.toml:") && err.contains("unknown value") && err.contains("hospitals"),
        "{err}"
    );
}

#[test]
fn rules_diff_lists_profiles_whose_outcome_differs() {
    let (ok, out, err) = offline(&[
        "rules",
        "diff",
        "kz-seed-2025",
        "eu-ai-act",
        "--profiles",
        "rulepacks/cases",
    ]);
    assert!(ok, "{err}");
    let last = out.lines().last().unwrap();
    assert!(
        last.contains("profiles differ between kz-seed-2025"),
        "{out}"
    );
    let (ok, out, _) = offline(&[
        "rules",
        "diff",
        "kz-seed-2025",
        "kz-seed-2025",
        "--profiles",
        "rulepacks/cases",
    ]);
    assert!(ok);
    assert!(
        out.starts_with("0 of "),
        "a pack never differs from itself: {out}"
    );
}
