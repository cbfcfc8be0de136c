//! The access-control matrix: every role against every endpoint, allowed
//! and denied, plus the anonymous public. The expectations are written out
//! here, independently of the policy file, so a policy change that widens or
//! narrows access fails this test until the table is changed too.
//!
//! A denied request must answer 401 (anonymous) or 403 (signed in) and
//! append no event; an allowed one must succeed.

use reqwest::Method;

use crate::helpers::{org_json, system_json, TestApp, Who};
use Who::*;

crate::on_both_backends!(every_role_against_every_endpoint);

struct Case {
    name: &'static str,
    allowed: &'static [Who],
}

const EVERYONE: &[Who] = &[
    Anonymous,
    Developer,
    OtherDeveloper,
    ExpertReviewer,
    Supervisor,
    Auditor,
    DataSteward,
    Administrator,
];
const SIGNED_IN: &[Who] = &[
    Developer,
    OtherDeveloper,
    ExpertReviewer,
    Supervisor,
    Auditor,
    DataSteward,
    Administrator,
];

/// Who reads a draft of the hospital's (its developers and the authority).
const DRAFT_READERS: &[Who] = &[Developer, Supervisor, Auditor, Administrator];

const CASES: &[Case] = &[
    Case {
        name: "GET organisations",
        allowed: EVERYONE,
    },
    Case {
        name: "GET organisation",
        allowed: EVERYONE,
    },
    Case {
        name: "POST organisations",
        allowed: &[Administrator],
    },
    Case {
        name: "PUT organisation (own)",
        allowed: &[Developer, Administrator],
    },
    Case {
        name: "POST organisation withdraw",
        allowed: &[Administrator],
    },
    Case {
        name: "GET accounts",
        allowed: &[Supervisor, Administrator],
    },
    Case {
        name: "GET account (developer)",
        allowed: &[Developer, Supervisor, Administrator],
    },
    Case {
        name: "GET accounts/me",
        allowed: SIGNED_IN,
    },
    Case {
        name: "POST accounts",
        allowed: &[Administrator],
    },
    Case {
        name: "PUT account",
        allowed: &[Administrator],
    },
    Case {
        name: "POST account withdraw",
        allowed: &[Administrator],
    },
    Case {
        name: "GET own tokens",
        allowed: SIGNED_IN,
    },
    Case {
        name: "GET developer's tokens",
        allowed: &[Developer, Administrator],
    },
    Case {
        name: "POST developer's tokens",
        allowed: &[Developer, Administrator],
    },
    Case {
        name: "GET systems",
        allowed: EVERYONE,
    },
    Case {
        name: "GET system",
        allowed: EVERYONE,
    },
    Case {
        name: "GET system versions",
        allowed: EVERYONE,
    },
    // A draft never submitted: its organisation's and the authority's own
    // (expert reviewers read systems only through dossiers).
    Case {
        name: "GET draft system",
        allowed: DRAFT_READERS,
    },
    Case {
        name: "GET draft system versions",
        allowed: DRAFT_READERS,
    },
    Case {
        name: "GET system version 1",
        allowed: EVERYONE,
    },
    Case {
        name: "POST systems (hospital)",
        allowed: &[Developer],
    },
    Case {
        name: "POST draft system version",
        allowed: &[Developer],
    },
    Case {
        name: "GET organisation operator requests (bank)",
        allowed: &[OtherDeveloper, Supervisor, Auditor, Administrator],
    },
    Case {
        name: "POST system operator (naming the bank)",
        allowed: &[OtherDeveloper],
    },
    Case {
        name: "GET system intake",
        allowed: EVERYONE,
    },
    Case {
        name: "PUT system intake (pause)",
        allowed: &[Supervisor],
    },
    Case {
        name: "POST draft system withdraw",
        allowed: &[Developer],
    },
    Case {
        name: "GET session",
        allowed: EVERYONE,
    },
    Case {
        name: "POST classify",
        allowed: EVERYONE,
    },
    Case {
        name: "GET rulepacks",
        allowed: EVERYONE,
    },
    Case {
        name: "GET rulepack",
        allowed: EVERYONE,
    },
    Case {
        name: "GET system classifications",
        allowed: EVERYONE,
    },
    Case {
        name: "POST rulepacks",
        allowed: &[Supervisor],
    },
    Case {
        name: "GET log checkpoint",
        allowed: EVERYONE,
    },
    Case {
        name: "GET log tile",
        allowed: EVERYONE,
    },
    Case {
        name: "GET log entry",
        allowed: EVERYONE,
    },
    Case {
        name: "GET log consistency",
        allowed: EVERYONE,
    },
    Case {
        name: "GET log rotations",
        allowed: EVERYONE,
    },
    Case {
        name: "GET log rollbacks",
        allowed: EVERYONE,
    },
    Case {
        name: "POST cases (submit hospital system)",
        allowed: &[Developer],
    },
    Case {
        name: "GET cases",
        allowed: &[
            Developer,
            OtherDeveloper,
            DataSteward,
            ExpertReviewer,
            Supervisor,
            Auditor,
            Administrator,
        ],
    },
    Case {
        name: "GET case",
        allowed: EVERYONE,
    },
    Case {
        name: "GET case dossier",
        allowed: &[Developer, Supervisor, Auditor, Administrator],
    },
    Case {
        name: "POST case attachment",
        allowed: &[Developer],
    },
    Case {
        name: "POST case step assign",
        allowed: &[Supervisor],
    },
    Case {
        name: "POST case step withdraw",
        allowed: &[Developer],
    },
    Case {
        name: "GET reviewers",
        allowed: &[ExpertReviewer, Supervisor, Auditor, Administrator],
    },
    Case {
        name: "PUT reviewer",
        allowed: &[Supervisor],
    },
    Case {
        name: "GET inbox",
        allowed: SIGNED_IN,
    },
    Case {
        name: "POST reports",
        allowed: EVERYONE,
    },
    Case {
        name: "GET decisions",
        allowed: EVERYONE,
    },
    Case {
        name: "GET trusted list",
        allowed: EVERYONE,
    },
    Case {
        name: "POST review-due sweep",
        allowed: &[Supervisor],
    },
    Case {
        name: "POST cases (audit)",
        allowed: &[Supervisor],
    },
    Case {
        name: "POST cases (investigation)",
        allowed: &[Supervisor],
    },
    Case {
        name: "GET datasets",
        allowed: EVERYONE,
    },
    Case {
        name: "POST datasets (bank)",
        allowed: &[DataSteward],
    },
    Case {
        name: "POST cases (data access)",
        allowed: SIGNED_IN,
    },
    Case {
        name: "GET programmes",
        allowed: EVERYONE,
    },
    Case {
        name: "POST programmes",
        allowed: &[],
    },
    Case {
        name: "POST call applications",
        allowed: &[Developer, OtherDeveloper],
    },
    Case {
        name: "GET applications managed",
        allowed: &[],
    },
    Case {
        name: "GET platform resources",
        allowed: EVERYONE,
    },
    // Compute and models are offered by resource providers, none of whom
    // is in the matrix; a data steward offers only restricted datasets.
    Case {
        name: "POST platform resources",
        allowed: &[],
    },
    Case {
        name: "GET allocations provided",
        allowed: &[DataSteward],
    },
    Case {
        name: "GET applications to assess",
        allowed: &[DataSteward],
    },
    Case {
        name: "GET courses",
        allowed: EVERYONE,
    },
    Case {
        name: "GET enrolments mine",
        allowed: SIGNED_IN,
    },
    Case {
        name: "GET case (report)",
        allowed: &[
            Developer,
            ExpertReviewer,
            Supervisor,
            Auditor,
            Administrator,
        ],
    },
];

/// An open call of a programme the hospital runs (made in the store); its id.
async fn open_call(app: &TestApp) -> String {
    use senim_store::{Actor, Applied, Command};
    let input: senim_domain::programme::ProgrammeInput =
        serde_json::from_value(serde_json::json!({"kind": "compute", "title": {"en": "M"}}))
            .unwrap();
    let Applied::Programme(programme) = app
        .store
        .execute(
            Actor::operator(),
            Command::CreateProgramme {
                organisation: app.hospital,
                programme: input.parse().unwrap(),
            },
        )
        .await
        .unwrap()
    else {
        unreachable!()
    };
    let call: senim_domain::programme::CallInput =
        serde_json::from_value(super::routes::programmes::call_json()).unwrap();
    let Applied::Call(call) = app
        .store
        .execute(
            Actor::operator(),
            Command::PublishCall {
                programme: programme.id,
                call: Box::new(call.parse().unwrap()),
            },
        )
        .await
        .unwrap()
    else {
        unreachable!()
    };
    call.id.to_string()
}

/// A hospital system submitted for registration; its case id.
async fn submitted_case(app: &TestApp) -> String {
    let id = app.system().await;
    let response = app
        .request(Developer, Method::POST, "/api/v1/cases")
        .json(&serde_json::json!({"kind": "registration", "system_id": id}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: serde_json::Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_string()
}

async fn fresh_account(app: &TestApp) -> String {
    let input = senim_domain::AccountInput {
        email: format!("{}@matrix.kz", uuid::Uuid::now_v7().simple()),
        display_name: "Matrix".into(),
        roles: vec![senim_domain::Role::Auditor],
        organisation_id: None,
        password: None,
    };
    match app
        .store
        .execute(
            senim_store::Actor::operator(),
            senim_store::Command::CreateAccount {
                account: input.parse().unwrap(),
                password_hash: None,
            },
        )
        .await
        .unwrap()
    {
        senim_store::Applied::Account(a) => a.id.to_string(),
        _ => unreachable!(),
    }
}

/// Builds the request for one case, creating whatever it acts on.
async fn request(app: &TestApp, case: &str, who: Who) -> reqwest::RequestBuilder {
    let hospital = app.hospital;
    let dev = app.accounts[&Developer].to_string();
    match case {
        "GET organisations" => app.request(who, Method::GET, "/api/v1/organisations"),
        "GET organisation" => app.request(
            who,
            Method::GET,
            &format!("/api/v1/organisations/{hospital}"),
        ),
        "POST organisations" => {
            let prefix = format!("{:011}", rand_digits());
            app.request(who, Method::POST, "/api/v1/organisations")
                .json(&org_json("New", &prefix))
        }
        "PUT organisation (own)" => {
            let rev = app.store.organisation(hospital).await.unwrap().revision;
            app.request(
                who,
                Method::PUT,
                &format!("/api/v1/organisations/{hospital}"),
            )
            .header("If-Match", rev.to_string())
            .json(&org_json("Hospital", "94054000013"))
        }
        "POST organisation withdraw" => {
            let id = app
                .organisation("Short-lived", &format!("{:011}", rand_digits()))
                .await;
            app.request(
                who,
                Method::POST,
                &format!("/api/v1/organisations/{id}/withdraw"),
            )
        }
        "GET accounts" => app.request(who, Method::GET, "/api/v1/accounts"),
        "GET account (developer)" => {
            app.request(who, Method::GET, &format!("/api/v1/accounts/{dev}"))
        }
        "GET accounts/me" => app.request(who, Method::GET, "/api/v1/accounts/me"),
        "POST accounts" => {
            app.request(who, Method::POST, "/api/v1/accounts")
                .json(&serde_json::json!({
                    "email": format!("{}@new.kz", uuid::Uuid::now_v7().simple()),
                    "display_name": "New", "roles": ["auditor"]
                }))
        }
        "PUT account" => {
            let id = fresh_account(app).await;
            app.request(who, Method::PUT, &format!("/api/v1/accounts/{id}"))
                .header("If-Match", "1")
                .json(&serde_json::json!({"email": format!("{id}@changed.kz"), "display_name": "Changed", "roles": ["auditor"]}))
        }
        "POST account withdraw" => {
            let id = fresh_account(app).await;
            app.request(
                who,
                Method::POST,
                &format!("/api/v1/accounts/{id}/withdraw"),
            )
        }
        "GET own tokens" => {
            let id = app
                .accounts
                .get(&who)
                .copied()
                .unwrap_or(app.accounts[&Developer]);
            app.request(who, Method::GET, &format!("/api/v1/accounts/{id}/tokens"))
        }
        "GET developer's tokens" => {
            app.request(who, Method::GET, &format!("/api/v1/accounts/{dev}/tokens"))
        }
        "POST developer's tokens" => app
            .request(who, Method::POST, &format!("/api/v1/accounts/{dev}/tokens"))
            .json(&serde_json::json!({"name": "matrix", "scopes": ["read"]})),
        "GET systems" => app.request(who, Method::GET, "/api/v1/systems"),
        "GET system" => {
            let id = app.registered_system_named("Matrix public").await;
            app.request(who, Method::GET, &format!("/api/v1/systems/{id}"))
        }
        "GET draft system" => {
            let id = app.system().await;
            app.request(who, Method::GET, &format!("/api/v1/systems/{id}"))
        }
        "GET draft system versions" => {
            let id = app.system().await;
            app.request(who, Method::GET, &format!("/api/v1/systems/{id}/versions"))
        }
        "GET system versions" => {
            let id = app.registered_system_named("Matrix public").await;
            app.request(who, Method::GET, &format!("/api/v1/systems/{id}/versions"))
        }
        "GET system version 1" => {
            let id = app.registered_system_named("Matrix public").await;
            app.request(
                who,
                Method::GET,
                &format!("/api/v1/systems/{id}/versions/1"),
            )
        }
        "POST systems (hospital)" => {
            let mut body = system_json("Matrix");
            body["owner_organisation_id"] = hospital.to_string().into();
            app.request(who, Method::POST, "/api/v1/systems")
                .json(&body)
        }
        "POST draft system version" => {
            let id = app.system().await;
            app.request(who, Method::POST, &format!("/api/v1/systems/{id}/versions"))
                .header("If-Match", "1")
                .json(&system_json("Matrix v2"))
        }
        "GET organisation operator requests (bank)" => app.request(
            who,
            Method::GET,
            &format!("/api/v1/organisations/{}/operator-requests", app.bank),
        ),
        "POST system operator (naming the bank)" => {
            let mut json = system_json("Card scoring");
            json["holder_organisation_id"] = serde_json::json!(app.bank.to_string());
            let input: senim_domain::VersionInput = serde_json::from_value(json).unwrap();
            let Ok(senim_store::Applied::System { system, .. }) = app
                .store
                .execute(
                    senim_store::Actor::operator(),
                    senim_store::Command::CreateSystem {
                        owner: app.hospital,
                        version: input.parse().unwrap(),
                        assessment: None,
                    },
                )
                .await
            else {
                unreachable!()
            };
            app.request(
                who,
                Method::POST,
                &format!("/api/v1/systems/{}/operator", system.id),
            )
            .json(&serde_json::json!({"decision": "accept"}))
        }
        "GET system intake" => {
            let id = app.registered_system_named("Matrix intake").await;
            app.request(who, Method::GET, &format!("/api/v1/systems/{id}/intake"))
        }
        "PUT system intake (pause)" => {
            let id = app.registered_system_named("Matrix intake").await;
            app.request(who, Method::PUT, &format!("/api/v1/systems/{id}/intake"))
                .json(&serde_json::json!({"paused": true, "reason": "A flood of reports."}))
        }
        "POST draft system withdraw" => {
            let id = app.system().await;
            app.request(who, Method::POST, &format!("/api/v1/systems/{id}/withdraw"))
        }
        "GET session" => app.request(who, Method::GET, "/api/v1/session"),
        "POST classify" => app
            .request(who, Method::POST, "/api/v1/classify")
            .json(&serde_json::json!({"profile": system_json("X")["profile"]})),
        "GET rulepacks" => app.request(who, Method::GET, "/api/v1/rulepacks"),
        "GET log checkpoint" => app.request(who, Method::GET, "/log/checkpoint"),
        "GET log tile" => app.request(who, Method::GET, "/log/tile/0/000.p/1"),
        "GET log entry" => app.request(who, Method::GET, "/api/v1/log/entries/0"),
        "GET log consistency" => app.request(
            who,
            Method::GET,
            "/api/v1/log/proof/consistency?old=1&new=2",
        ),
        "GET log rotations" => app.request(who, Method::GET, "/api/v1/log/rotations"),
        "GET log rollbacks" => app.request(who, Method::GET, "/api/v1/log/rollbacks"),
        "GET rulepack" => app.request(who, Method::GET, "/api/v1/rulepacks/eu-ai-act/1.0.0"),
        "GET system classifications" => {
            let id = app.registered_system_named("Matrix public").await;
            app.request(
                who,
                Method::GET,
                &format!("/api/v1/systems/{id}/classifications"),
            )
        }
        "POST rulepacks" => {
            // A new version of a pack not in force each time, so every allowed publication succeeds.
            let n = PUBLISHED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let source = include_str!("../../../../rulepacks/eu-ai-act.toml").replacen(
                "version = \"1.0.0\"",
                &format!("version = \"1.0.{}\"", n + 1),
                1,
            );
            app.request(who, Method::POST, "/api/v1/rulepacks")
                .json(&serde_json::json!({"source": source}))
        }
        "POST cases (submit hospital system)" => {
            let id = app.system().await;
            app.request(who, Method::POST, "/api/v1/cases")
                .json(&serde_json::json!({"kind": "registration", "system_id": id}))
        }
        "GET cases" => app.request(who, Method::GET, "/api/v1/cases"),
        "GET case" => {
            let id = submitted_case(app).await;
            app.request(who, Method::GET, &format!("/api/v1/cases/{id}"))
        }
        "GET case dossier" => {
            let id = submitted_case(app).await;
            app.request(who, Method::GET, &format!("/api/v1/cases/{id}/dossier"))
        }
        "POST case attachment" => {
            let id = submitted_case(app).await;
            app.request(
                who,
                Method::POST,
                &format!("/api/v1/cases/{id}/attachments?action=respond&name=report.txt"),
            )
            .header("content-type", "application/octet-stream")
            .body("The validation report.")
        }
        "POST case step assign" | "POST case step withdraw" => {
            let id = submitted_case(app).await;
            let action = if case.ends_with("assign") {
                "assign"
            } else {
                "withdraw"
            };
            app.request(who, Method::POST, &format!("/api/v1/cases/{id}/steps"))
                .header("If-Match", "1")
                .json(&serde_json::json!({ "action": action }))
        }
        "GET reviewers" => app.request(who, Method::GET, "/api/v1/reviewers"),
        "PUT reviewer" => {
            let id = app.accounts[&ExpertReviewer];
            app.request(who, Method::PUT, &format!("/api/v1/reviewers/{id}"))
                .json(&serde_json::json!({"sectors": ["healthcare"]}))
        }
        "GET inbox" => app.request(who, Method::GET, "/api/v1/inbox"),
        "POST reports" => app.request(who, Method::POST, "/api/v1/reports").json(
            &serde_json::json!({"type": "tip", "description": "A chatbot hides that it is a bot."}),
        ),
        "GET decisions" => app.request(who, Method::GET, "/api/v1/decisions"),
        "GET trusted list" => app.request(who, Method::GET, "/api/v1/trusted-lists/healthcare"),
        "POST review-due sweep" => app.request(who, Method::POST, "/api/v1/review-due/sweep"),
        "POST cases (audit)" => {
            let id = app.system().await;
            app.request(who, Method::POST, "/api/v1/cases").json(
                &serde_json::json!({"kind": "audit", "system_id": id, "basis": "planned",
                    "auditor": app.accounts[&Auditor]}),
            )
        }
        "POST cases (investigation)" => {
            let id = app.system().await;
            app.request(who, Method::POST, "/api/v1/cases")
                .json(&serde_json::json!({"kind": "investigation", "system_id": id, "reasons": "Matrix."}))
        }
        "GET programmes" => app.request(who, Method::GET, "/api/v1/programmes"),
        "POST programmes" => app
            .request(who, Method::POST, "/api/v1/programmes")
            .json(&serde_json::json!({"kind": "compute", "title": {"en": "Matrix"}})),
        "POST call applications" => {
            let call = open_call(app).await;
            app.request(
                who,
                Method::POST,
                &format!("/api/v1/calls/{call}/applications"),
            )
            .json(&serde_json::json!({"title": "Matrix", "requested": 10}))
        }
        "GET applications managed" => app.request(who, Method::GET, "/api/v1/applications/managed"),
        "GET platform resources" => app.request(who, Method::GET, "/api/v1/platform-resources"),
        "POST platform resources" => app
            .request(who, Method::POST, "/api/v1/platform-resources")
            .json(
                &serde_json::json!({"kind": "compute_pool", "title": {"en": "Matrix"},
                "unit": "cpu_hours", "capacity": 10, "credits_per_unit": 1}),
            ),
        "GET allocations provided" => app.request(who, Method::GET, "/api/v1/allocations/provided"),
        "GET applications to assess" => {
            app.request(who, Method::GET, "/api/v1/applications/to-assess")
        }
        "GET courses" => app.request(who, Method::GET, "/api/v1/courses"),
        "GET enrolments mine" => app.request(who, Method::GET, "/api/v1/enrolments/mine"),
        "GET datasets" => app.request(who, Method::GET, "/api/v1/datasets"),
        "POST datasets (bank)" => {
            let mut body = super::routes::datasets::dataset_json("Matrix data", "restricted");
            body["organisation_id"] = app.bank.to_string().into();
            app.request(who, Method::POST, "/api/v1/datasets")
                .json(&body)
        }
        "POST cases (data access)" => {
            let response = app
                .request(DataSteward, Method::POST, "/api/v1/datasets")
                .json(&super::routes::datasets::dataset_json(
                    "Asked for",
                    "restricted",
                ))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201);
            let dataset: serde_json::Value = response.json().await.unwrap();
            app.request(who, Method::POST, "/api/v1/cases")
                .json(&serde_json::json!({
                    "kind": "data_access", "dataset_id": dataset["id"], "purpose": "Matrix."
                }))
        }
        "GET case (report)" => {
            let id = app.registered_system_named("Matrix report").await;
            let response = app
                .request(Anonymous, Method::POST, "/api/v1/reports")
                .json(&serde_json::json!({"type": "incident", "system_id": id, "description": "Harm."}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201);
            let page: serde_json::Value = app
                .read(
                    Supervisor,
                    &format!("/api/v1/cases?kind=report&system={id}"),
                )
                .await;
            let case = page["items"][0]["id"].as_str().unwrap().to_string();
            app.request(who, Method::GET, &format!("/api/v1/cases/{case}"))
        }
        other => panic!("no request for case {other}"),
    }
}

static PUBLISHED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

fn rand_digits() -> u64 {
    // 11 digits whose BIN check digit exists; retried by the caller's BIN helper.
    loop {
        let n = uuid::Uuid::now_v7().as_u128() as u64 % 100_000_000_000;
        let text = format!("{n:011}");
        let d: Vec<u32> = text.bytes().map(|b| u32::from(b - b'0')).collect();
        if senim_domain::bin::check_digit(&d).is_some() {
            return n;
        }
    }
}

async fn every_role_against_every_endpoint(app: TestApp) {
    let mut failures = Vec::new();
    for case in CASES {
        for who in Who::ALL {
            let allowed = case.allowed.contains(&who);
            let request = request(&app, case.name, who).await;
            let events_before = app.store.event_count().await.unwrap();
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let receipt = response.headers().contains_key("senim-receipt");
            let body = response.text().await.unwrap_or_default();
            let events_after = app.store.event_count().await.unwrap();
            let ok = if allowed {
                // A write that changed the register carries its receipt;
                // nothing else does.
                (200..300).contains(&status) && receipt == (events_after > events_before)
            } else {
                // A draft is no system at all to a signed-in reader who
                // may not read it; one who may is refused what it may not do.
                let expected = match who {
                    Anonymous => 401,
                    _ if case.name.contains("draft") && !DRAFT_READERS.contains(&who) => 404,
                    _ => 403,
                };
                status == expected && events_after == events_before
            };
            if !ok {
                failures.push(format!(
                    "{:<28} {:<15} expected {} got {status}: {}",
                    case.name,
                    format!("{who:?}"),
                    if allowed { "allowed" } else { "denied" },
                    body.chars().take(160).collect::<String>()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "access matrix mismatches:\n{}",
        failures.join("\n")
    );
}
