//! The documents people download (issue 21), checked from the outside: a
//! demo server's registration certificate and published decision in
//! Kazakh, Russian and English,
//! read by independent tools (`qpdf --check`, `pdftotext`, `pdftoppm` and
//! `zbarimg` for its QR codes; `scripts/test.sh` installs them), and
//! `senim verify --document` checking the receipt it carries, and refusing
//! one whose receipt or facts were changed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

use common::{login, senim, start};

fn tool(name: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(name).args(args).output().unwrap_or_else(|_| {
        panic!("{name} is needed for the document tests (scripts/test.sh installs qpdf, poppler-utils and zbar-tools)")
    });
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A demo server on a data directory of its own (kept while it runs).
fn demo() -> (common::Server, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let server = start(&["--data-dir", data.path().to_str().unwrap()]);
    (server, data)
}

fn get(url: &str) -> (u16, Vec<u8>, String) {
    common::block_on(async {
        let r = reqwest::get(url).await.unwrap();
        let status = r.status().as_u16();
        let kind = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (status, r.bytes().await.unwrap().to_vec(), kind)
    })
}

/// The PDF at `url`, retried while the log catches up (503).
fn download(url: &str) -> Vec<u8> {
    for _ in 0..60 {
        let (status, body, kind) = get(url);
        if status == 503 {
            std::thread::sleep(std::time::Duration::from_millis(500));
            continue;
        }
        assert_eq!(status, 200, "{url}: {}", String::from_utf8_lossy(&body));
        assert_eq!(kind, "application/pdf");
        return body;
    }
    panic!("{url} never became available");
}

/// Writes `pdf` as `name` in `dir` and checks it with the independent
/// tools: `qpdf --check`, PDF/A-3 in its metadata, its text (each of
/// `words`, by `pdftotext`), and its QR codes (its pages drawn by
/// `pdftoppm`, read by `zbarimg`), which must name each of `addresses`.
/// Its path.
fn checked(
    dir: &std::path::Path,
    name: &str,
    pdf: &[u8],
    words: &[&str],
    addresses: &[&str],
) -> String {
    let file = dir.join(format!("{name}.pdf"));
    std::fs::write(&file, pdf).unwrap();
    let path = file.to_str().unwrap().to_string();
    let (ok, out) = tool("qpdf", &["--check", &path]);
    assert!(ok, "qpdf --check {name}: {out}");
    let text = String::from_utf8_lossy(pdf);
    assert!(
        text.contains("pdfaid:part>3<") || text.contains("pdfaid:part=\"3\""),
        "{name}: PDF/A-3 metadata"
    );
    let (ok, read) = tool("pdftotext", &["-enc", "UTF-8", &path, "-"]);
    assert!(ok, "{read}");
    let flat = read.split_whitespace().collect::<Vec<_>>().join(" ");
    for word in words {
        assert!(flat.contains(word), "{name}: {word} in {flat}");
    }
    let image = dir.join(format!("page-{name}"));
    let (ok, out) = tool(
        "pdftoppm",
        &["-png", "-r", "150", &path, image.to_str().unwrap()],
    );
    assert!(ok, "{out}");
    let pages: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path().to_str().unwrap().to_string())
        .filter(|p| p.contains(&format!("page-{name}-")))
        .collect();
    let mut args = vec!["--quiet", "--raw"];
    args.extend(pages.iter().map(String::as_str));
    // (zbarimg fails for a page without a code: what it read is checked.)
    let (_, codes) = tool("zbarimg", &args);
    for address in addresses {
        assert!(codes.contains(address), "{name}: {address} in {codes}");
    }
    path
}

/// The log's verifier key, as the server publishes it.
fn vkey_of(server: &common::Server) -> String {
    let (_, key, _) = get(&format!("{}/log/key", server.url));
    String::from_utf8(key).unwrap().trim().to_string()
}

/// `senim verify --document` on `path`: verified, stating each of `facts`.
fn verified(server: &common::Server, path: &str, vkey: &str, facts: &[&str]) {
    let (ok, out, err) = senim(
        server,
        None,
        &["verify", "--document", path, "--vkey", vkey],
        None,
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("document verified"), "{out}");
    for fact in facts {
        assert!(out.contains(fact), "{fact}: {out}");
    }
}

fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("the bytes to change");
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to);
    out
}

#[test]
fn a_registration_certificate_reads_in_three_languages_and_verifies_offline() {
    let (server, _data) = demo();
    let (status, body, _) = get(&format!(
        "{}/api/v1/systems?status=registered&limit=1",
        server.url
    ));
    assert_eq!(status, 200);
    let list: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let system = &list["items"][0];
    let id = system["id"].as_str().expect("a registered demo system");
    let number = system["registry_number"].as_str().unwrap().to_string();
    let vkey = vkey_of(&server);
    let dir = tempfile::tempdir().unwrap();

    for (lang, title) in [
        ("kk", "Жасанды интеллект жүйесін тіркеу туралы куәлік"),
        (
            "ru",
            "Свидетельство о регистрации системы искусственного интеллекта",
        ),
        (
            "en",
            "Certificate of registration of an artificial intelligence system",
        ),
    ] {
        let pdf = download(&format!(
            "{}/api/v1/systems/{id}/certificate?lang={lang}",
            server.url
        ));
        // (The server was started on port 0 without a public address: its
        // addresses name port 0.)
        let path = checked(
            dir.path(),
            &format!("certificate-{lang}"),
            &pdf,
            &[title, &number],
            &[&format!("/systems/{id}\n"), "/audit-log/entries/"],
        );
        verified(&server, &path, &vkey, &[&number]);
    }

    // An extract as of today, in Russian: its facts are the newest entry's,
    // and it verifies the same way.
    let (status, extract, kind) = get(&format!(
        "{}/api/v1/systems/{id}/extract?lang=ru",
        server.url
    ));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&extract));
    assert_eq!(kind, "application/pdf");
    let file = dir.path().join("extract-ru.pdf");
    std::fs::write(&file, &extract).unwrap();
    let path = file.to_str().unwrap();
    let (ok, out) = tool("qpdf", &["--check", path]);
    assert!(ok, "{out}");
    let (_, words) = tool("pdftotext", &["-enc", "UTF-8", path, "-"]);
    let flat = words.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("Выписка из реестра систем искусственного интеллекта"),
        "{flat}"
    );
    assert!(flat.contains(&number), "{flat}");
    let (ok, out, err) = senim(
        &server,
        None,
        &["verify", "--document", path, "--vkey", &vkey],
        None,
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("register-extract"), "{out}");
    // Before the system existed, and after today: refused, naming the date.
    for date in ["2000-01-01", "2999-01-01", "yesterday"] {
        let (status, body, _) = get(&format!(
            "{}/api/v1/systems/{id}/extract?date={date}",
            server.url
        ));
        assert_eq!(status, 422, "{date}: {}", String::from_utf8_lossy(&body));
        assert!(
            String::from_utf8_lossy(&body).contains("\"date\""),
            "{date}"
        );
    }

    let file = dir.path().join("certificate-en.pdf");
    let pdf = std::fs::read(&file).unwrap();
    let check = |bytes: &[u8], name: &str| {
        let changed = dir.path().join(name);
        std::fs::write(&changed, bytes).unwrap();
        senim(
            &server,
            None,
            &[
                "verify",
                "--document",
                changed.to_str().unwrap(),
                "--vkey",
                &vkey,
            ],
            None,
        )
    };
    // Another registry number in the facts: the entry does not bear it out.
    let mut other = number.clone().into_bytes();
    let last = other.len() - 1;
    other[last] = if other[last] == b'9' {
        b'8'
    } else {
        other[last] + 1
    };
    let facts = format!("\"registry_number\":\"{number}\"");
    let forged = format!(
        "\"registry_number\":\"{}\"",
        String::from_utf8(other).unwrap()
    );
    let (ok, _, err) = check(
        &replace(&pdf, facts.as_bytes(), forged.as_bytes()),
        "forged-facts.pdf",
    );
    assert!(!ok);
    assert!(err.contains("does not bear out"), "{err}");
    // A changed entry: its hash is not the receipt's.
    let (ok, _, err) = check(
        &replace(&pdf, b"\\\"kind\\\":", b"\\\"kinD\\\":"),
        "forged-entry.pdf",
    );
    assert!(!ok, "{err}");
    // Another key: the checkpoint's signature does not verify.
    let (ok, _, err) = senim(
        &server,
        None,
        &["verify", "--document", file.to_str().unwrap(), "--vkey", "other+00000000+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
        None,
    );
    assert!(!ok, "{err}");
    // Not a document Senim made.
    let (ok, _, err) = check(b"%PDF-1.7\n%%EOF\n", "plain.pdf");
    assert!(!ok);
    assert!(err.contains("carries no receipt"), "{err}");
}

/// The demo's published decision (a fine) in three languages: the same
/// tools read it, its QR code names its public page, and it verifies
/// offline, stating its number, its stage and its penalty.
#[test]
fn a_decision_on_a_violation_reads_in_three_languages_and_verifies_offline() {
    let (server, _data) = demo();
    let (status, body, _) = get(&format!("{}/api/v1/decisions", server.url));
    assert_eq!(status, 200);
    let list: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let decision = &list["items"][0];
    let id = decision["case_id"].as_str().expect("a demo decision");
    let number = decision["number"].as_str().unwrap();
    let vkey = vkey_of(&server);
    let dir = tempfile::tempdir().unwrap();
    for (lang, title, fine) in [
        ("kk", "Бұзушылық және әкімшілік жаза туралы шешім", "АЕК"),
        (
            "ru",
            "Решение о нарушении и административном взыскании",
            "МРП",
        ),
        (
            "en",
            "Decision on a violation and the administrative penalty",
            "MCI",
        ),
    ] {
        let pdf = download(&format!(
            "{}/api/v1/decisions/{id}/document?lang={lang}",
            server.url
        ));
        let path = checked(
            dir.path(),
            &format!("decision-{lang}"),
            &pdf,
            &[title, number, fine],
            &[&format!("/decisions/{id}\n"), "/audit-log/entries/"],
        );
        verified(&server, &path, &vkey, &[number, "sanction fine"]);
    }
    // No such decision.
    let (status, _, _) = get(&format!(
        "{}/api/v1/decisions/00000000-0000-4000-8000-000000000000/document",
        server.url
    ));
    assert_eq!(status, 404);
}

/// The demo's audit, closed by its auditor: its report in three
/// languages, saved by the audited system's owner with `senim case
/// audit-report --lang`, read by the same tools, its QR code naming the
/// audit's page, verified offline as closed.
#[test]
fn an_audit_report_reads_in_three_languages_and_verifies_offline() {
    let (server, _data) = demo();
    let auditor = login(&server, "auditor@audit.demo");
    let owner = login(&server, "developer@bank.demo");
    let (ok, out, err) = senim(
        &server,
        Some(&auditor),
        &["case", "list", "--kind", "audit", "--format", "json"],
        None,
    );
    assert!(ok, "{err}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let audit = &list["items"][0];
    let id = audit["id"].as_str().expect("the demo's audit").to_string();
    let number = audit["number"].as_str().unwrap().to_string();
    let save = |lang: &str, path: &std::path::Path| {
        senim(
            &server,
            Some(&owner),
            &[
                "case",
                "audit-report",
                &id,
                "--lang",
                lang,
                "--out",
                path.to_str().unwrap(),
            ],
            None,
        )
    };
    let dir = tempfile::tempdir().unwrap();
    // Open, it has no report yet.
    let (ok, _, err) = save("en", &dir.path().join("open.pdf"));
    assert!(!ok);
    assert!(err.contains("still open"), "{err}");
    let (ok, _, err) = senim(
        &server,
        Some(&auditor),
        &[
            "case",
            "step",
            &id,
            "close_audit",
            "conclusion=The risk assessment is to be brought up to date.",
        ],
        None,
    );
    assert!(ok, "{err}");
    let vkey = vkey_of(&server);
    for (lang, title) in [
        ("kk", "Жасанды интеллект жүйесінің аудиті туралы есеп"),
        ("ru", "Отчёт об аудите системы искусственного интеллекта"),
        ("en", "Audit report on an artificial intelligence system"),
    ] {
        let file = dir.path().join(format!("saved-{lang}.pdf"));
        // Retried while the log catches up with the closing.
        let mut saved = false;
        for _ in 0..60 {
            let (ok, _, err) = save(lang, &file);
            if ok {
                saved = true;
                break;
            }
            assert!(err.contains("not yet recorded"), "{err}");
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        assert!(saved, "the report never became available");
        let pdf = std::fs::read(&file).unwrap();
        let path = checked(
            dir.path(),
            &format!("audit-{lang}"),
            &pdf,
            &[title, &number, "brought up to date"],
            &[&format!("/desk/cases/{id}\n"), "/audit-log/entries/"],
        );
        verified(&server, &path, &vkey, &[&number, "state closed"]);
    }
}
