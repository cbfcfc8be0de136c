//! The documents people download (issue 21): the registration certificate
//! of a registered system, and an extract from the register for any public
//! system as of a date, in the reader's language, as PDF/A-3b
//! ([`senim_documents`]). Each carries the audit log's receipt of the
//! entry that proves what it states (the newest logged change of the
//! system or of its registration case): the entry, its inclusion proof,
//! the signed checkpoint, and the log's verifier key, so that
//! `senim verify --document FILE.pdf --vkey KEY` checks it offline.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use senim_domain::api::Receipt;
use senim_domain::classification::Lang;
use senim_domain::{CaseKind, SystemId, SystemStatus, Timestamp};
use senim_store::CaseFilter;

use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;

/// A document made: its bytes and the file name to save it under.
pub struct Pdf {
    pub bytes: Vec<u8>,
    pub name: String,
}

impl Pdf {
    /// The download: the PDF, named, never kept by a proxy (it states the
    /// register as of its making).
    pub fn response(self) -> axum::response::Response {
        use axum::http::{header, HeaderValue};
        use axum::response::IntoResponse;
        let mut r = self.bytes.into_response();
        let headers = r.headers_mut();
        for (name, value) in [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", self.name),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ] {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(name, v);
            }
        }
        r
    }
}

/// What a document embeds (`senim-receipt.json`): which document it is,
/// what it states, and the log's receipt of the entry that proves it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocumentReceipt {
    /// The format's version: 1. First, so that the receipt is found by it.
    pub senim_receipt: u32,
    /// `registration-certificate` or `register-extract`.
    pub document: String,
    /// What it is about: `system:ID`.
    pub subject: String,
    /// What it states that the entry must bear out (the registry number,
    /// the status).
    pub facts: BTreeMap<String, String>,
    /// The log's verifier key when the document was made (compare it with
    /// the one the register publishes).
    pub vkey: String,
    /// The receipt of the entry, the entry included.
    pub receipt: Receipt,
}

/// The log's subjects a system's documents are proved from: the system
/// and its cases (of `kind`, or all).
async fn subjects_of(
    state: &AppState,
    id: SystemId,
    kind: Option<CaseKind>,
) -> Result<(Vec<(&'static str, String)>, Vec<senim_domain::Case>), ApiError> {
    let cases = state
        .store
        .cases(&CaseFilter {
            kind,
            system: Some(id),
            limit: 500,
            ..CaseFilter::default()
        })
        .await?
        .items;
    let mut subjects = vec![("system", id.to_string())];
    subjects.extend(cases.iter().map(|c| ("case", c.id.to_string())));
    Ok((subjects, cases))
}

/// The newest entry in the log about `subjects` that `accept` takes, with
/// its receipt to the newest checkpoint (the entry included).
async fn newest_entry(
    state: &AppState,
    subjects: &[(&str, String)],
    accept: impl Fn(&str) -> bool,
) -> Result<Option<Receipt>, ApiError> {
    let Some(checkpoint) = state.store.checkpoint().await? else {
        return Ok(None);
    };
    let mut indexes: Vec<u64> = state
        .store
        .timeline(subjects)
        .await?
        .into_iter()
        .filter_map(|e| e.index)
        .filter(|i| *i < checkpoint.size)
        .collect();
    indexes.sort_unstable_by(|a, b| b.cmp(a));
    for index in indexes {
        let (entry, checkpoint, proof) = crate::log::entry_with_proof(state, index).await?;
        if !accept(&entry) {
            continue;
        }
        use base64::Engine;
        return Ok(Some(Receipt {
            index,
            size: checkpoint.size,
            leaf_hash: base64::engine::general_purpose::STANDARD
                .encode(senim_tlog::leaf_hash(entry.as_bytes())),
            checkpoint: checkpoint.note,
            inclusion_proof: crate::log::b64(&proof),
            entry: Some(entry),
        }));
    }
    Ok(None)
}

fn created(now: Timestamp) -> (u16, u8, u8, u8, u8, u8) {
    let text = now.to_rfc3339();
    let n = |range: std::ops::Range<usize>| -> u16 {
        text.get(range).and_then(|s| s.parse().ok()).unwrap_or(0)
    };
    let small = |range| u8::try_from(n(range)).unwrap_or(0);
    (
        n(0..4),
        small(5..7),
        small(8..10),
        small(11..13),
        small(14..16),
        small(17..19),
    )
}

/// An organisation as a document names it: its name and its BIN.
fn organisation_line(tr: &Tr, organisation: &senim_domain::Organisation) -> String {
    format!(
        "{} · {} {}",
        organisation.name.get(tr.code()),
        tr.t("doc-bin"),
        organisation.bin.as_str()
    )
}

/// What differs between a system's documents; [`make`] adds the rest (the
/// register's head, the QR codes, the small print, the embedded receipt).
struct Content {
    /// The document's kind in its receipt and identifier.
    kind: &'static str,
    system: SystemId,
    /// The facts the entry bears out.
    stated: BTreeMap<String, String>,
    receipt: Receipt,
    title: String,
    subtitle: String,
    facts: Vec<(String, String)>,
    section: (String, String),
    /// What the identifier adds after the kind and the system.
    identifier: String,
    file: String,
}

/// The document `content` describes, in `tr`'s language, rendered.
async fn make(state: &AppState, tr: &Tr, content: Content) -> Result<Pdf, ApiError> {
    let now = state.clock.now();
    let site = state.config.site_url();
    let vkey = state.store.log_signer().verifier_key();
    let (id, index) = (content.system, content.receipt.index);
    let size = content.receipt.size;
    let embedded = DocumentReceipt {
        senim_receipt: 1,
        document: content.kind.into(),
        subject: format!("system:{id}"),
        facts: content.stated,
        vkey: vkey.clone(),
        receipt: content.receipt,
    };
    let json = serde_json::to_vec(&embedded).map_err(|_| ApiError::internal())?;
    let doc = senim_documents::Document {
        lang: tr.code().to_string(),
        register: tr.t("doc-register"),
        authority: tr.tn("doc-authority", &[("site", site.clone())]),
        title: content.title,
        subtitle: content.subtitle,
        facts: content.facts,
        sections: vec![content.section],
        links: vec![
            (tr.t("doc-public-page"), format!("{site}/systems/{id}")),
            (
                tr.tn("doc-log-entry", &[("index", index.to_string())]),
                format!("{site}/audit-log/entries/{index}"),
            ),
        ],
        footer: vec![
            tr.tn(
                "doc-receipt",
                &[("index", index.to_string()), ("size", size.to_string())],
            ),
            tr.tn("doc-verify", &[("vkey", vkey)]),
            tr.tn("doc-made", &[("date", now.to_rfc3339())]),
        ],
        receipt: Some((json, tr.t("doc-receipt-description"))),
        created: created(now),
        identifier: format!("senim:{}:{id}:{}", content.kind, content.identifier),
    };
    let name = content.file;
    let bytes = tokio::task::spawn_blocking(move || senim_documents::render(&doc))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|e| {
            tracing::error!(error = %e, "a document could not be made");
            ApiError::internal()
        })?;
    Ok(Pdf { bytes, name })
}

/// The registration certificate of a registered system, in `lang`. Its
/// entry is the newest about the system or its registration case that
/// bears out its registry number and status.
pub async fn registration_certificate(
    state: &AppState,
    id: SystemId,
    lang: Lang,
) -> Result<Pdf, ApiError> {
    let system = state.store.system(id).await?;
    let number = match (&system.status, &system.registry_number) {
        (SystemStatus::Registered, Some(n)) => n.clone(),
        _ => return Err(ApiError::not_found("registration certificate")),
    };
    let tr = Tr::new(lang);
    let code = tr.code();
    let (subjects, cases) = subjects_of(state, id, Some(CaseKind::Registration)).await?;
    let stated = BTreeMap::from([
        ("registry_number".to_string(), number.clone()),
        ("status".to_string(), system.status.as_str().to_string()),
    ]);
    let receipt = newest_entry(state, &subjects, |entry| {
        stated.values().all(|v| entry.contains(&format!("\"{v}\"")))
    })
    .await?
    // Not logged yet (the sequencer runs behind the write by moments).
    .ok_or_else(|| {
        ApiError::new(
            crate::error::ErrorCode::Unavailable,
            "the audit log has not yet recorded this; try again in a minute",
        )
    })?;
    let today = state
        .clock
        .now()
        .to_rfc3339()
        .get(..10)
        .unwrap_or("")
        .to_string();
    let owner = state
        .store
        .organisation(system.owner_organisation_id)
        .await?;
    let mut facts = vec![
        (tr.t("doc-registry-number"), number.clone()),
        (tr.t("doc-system"), system.name.get(code).to_string()),
        (tr.t("doc-owner"), organisation_line(&tr, &owner)),
    ];
    if let Some(holder) = system.holder_organisation_id {
        let holder = state.store.organisation(holder).await?;
        facts.push((tr.t("doc-holder"), organisation_line(&tr, &holder)));
    }
    if let Some(risk) = &system.risk_level {
        facts.push((tr.t("doc-risk"), tr.term("risk", risk.as_str())));
    }
    if !system.sectors.is_empty() {
        let sectors: Vec<String> = system
            .sectors
            .iter()
            .map(|s| tr.term("sector", s.as_str()))
            .collect();
        facts.push((tr.t("doc-sectors"), sectors.join(", ")));
    }
    if let Some(case) = cases.first() {
        facts.push((tr.t("doc-case"), case.number.clone()));
    }
    facts.push((
        tr.t("doc-status"),
        tr.tn(
            "doc-status-as-of",
            &[
                ("status", tr.term("status", system.status.as_str())),
                ("date", today),
            ],
        ),
    ));
    let content = Content {
        kind: "registration-certificate",
        system: id,
        stated,
        identifier: receipt.index.to_string(),
        receipt,
        title: tr.t("doc-certificate-title"),
        subtitle: number.clone(),
        facts,
        section: (tr.t("doc-certificate-basis"), tr.t("doc-certificate-text")),
        file: format!("{number}-{code}.pdf"),
    };
    make(state, &tr, content).await
}

/// The system's record in a log entry (`payload.system`), if the entry
/// holds one with its status.
fn system_in(entry: &serde_json::Value) -> Option<&serde_json::Map<String, serde_json::Value>> {
    entry
        .get("payload")?
        .get("system")?
        .as_object()
        .filter(|s| s.contains_key("status"))
}

/// An extract from the register for a public system as of the end of
/// `on` (UTC; today when none): what the newest log entry of that day or
/// before says of it (its name, status, registry number, degree of risk),
/// so that every fact it states is the entry's own.
pub async fn register_extract(
    state: &AppState,
    id: SystemId,
    on: Option<senim_domain::Day>,
    lang: Lang,
) -> Result<Pdf, ApiError> {
    let system = state.store.system(id).await?;
    if !system.is_public() {
        return Err(ApiError::not_found("system"));
    }
    let today = state
        .clock
        .now()
        .to_rfc3339()
        .get(..10)
        .unwrap_or("")
        .to_string();
    let day = on.map_or(today.clone(), |d| d.to_string());
    if day > today {
        return Err(ApiError::invalid(vec![senim_domain::FieldError {
            field: "date".into(),
            reason: "is in the future: an extract states what the register held".into(),
        }]));
    }
    let until = format!("{day}T23:59:59.999Z");
    let (subjects, _) = subjects_of(state, id, None).await?;
    let parse = |entry: &str| serde_json::from_str::<serde_json::Value>(entry).ok();
    let receipt = newest_entry(state, &subjects, |entry| {
        parse(entry).is_some_and(|value| {
            let at = value.get("time").and_then(|t| t.as_str()).unwrap_or("");
            at <= until.as_str() && system_in(&value).is_some()
        })
    })
    .await?
    .ok_or_else(|| {
        ApiError::invalid(vec![senim_domain::FieldError {
            field: "date".into(),
            reason: "is before the system was in the register".into(),
        }])
    })?;
    let value = receipt
        .entry
        .as_deref()
        .and_then(parse)
        .ok_or_else(ApiError::internal)?;
    let record = system_in(&value).ok_or_else(ApiError::internal)?;
    let text = |name: &str| {
        record
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let tr = Tr::new(lang);
    let code = tr.code();
    let status = text("status").unwrap_or_default();
    let number = text("registry_number");
    let name = record
        .get("name")
        .and_then(|n| n.get(code).or_else(|| n.get("en")))
        .and_then(|v| v.as_str())
        .map_or_else(|| system.name.get(code).to_string(), str::to_string);
    let owner = state
        .store
        .organisation(system.owner_organisation_id)
        .await?;
    let mut facts = vec![
        (tr.t("doc-system"), name),
        (
            tr.t("doc-registry-number"),
            number.clone().unwrap_or_else(|| tr.t("not-registered")),
        ),
        (
            tr.t("doc-status"),
            tr.tn(
                "doc-status-as-of",
                &[
                    ("status", tr.term("status", &status)),
                    ("date", day.clone()),
                ],
            ),
        ),
        (tr.t("doc-owner"), organisation_line(&tr, &owner)),
    ];
    if let Some(risk) = text("risk_level") {
        facts.push((tr.t("doc-risk"), tr.term("risk", &risk)));
    }
    let mut stated = BTreeMap::from([("status".to_string(), status)]);
    if let Some(n) = &number {
        stated.insert("registry_number".into(), n.clone());
    }
    let file = number.unwrap_or_else(|| id.to_string());
    let content = Content {
        kind: "register-extract",
        system: id,
        stated,
        identifier: format!("{day}:{}", receipt.index),
        receipt,
        title: tr.t("doc-extract-title"),
        subtitle: tr.tn("doc-extract-as-of", &[("date", day.clone())]),
        facts,
        section: (tr.t("doc-extract-basis"), tr.t("doc-extract-text")),
        file: format!("extract-{file}-{day}-{code}.pdf"),
    };
    make(state, &tr, content).await
}
