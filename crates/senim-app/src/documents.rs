//! The documents people download (issue 21), in the reader's language, as
//! PDF/A-3b ([`senim_documents`]): the registration certificate of a
//! registered system, an extract from the register for any public system
//! as of a date, the decision on a violation and its sanction, and an
//! audit's report (for the audit's parties). Each carries the audit log's
//! receipt of the entry that proves what it states (the newest logged
//! change of the system or the case that bears it out): the entry, its
//! inclusion proof, the signed checkpoint, and the log's verifier key, so
//! that `senim verify --document FILE.pdf --vkey KEY` checks it offline.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use senim_domain::api::Receipt;
use senim_domain::classification::{Citation, Lang};
use senim_domain::oversight::{AuditItem, PublishedDecision, SanctionDecision, SanctionKind};
use senim_domain::{Case, CaseId, CaseKind, System, SystemId, SystemStatus, Timestamp};
use senim_rules::RuleBook;
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

/// What differs between documents; [`make`] adds the rest (the
/// register's head, the QR codes, the small print, the embedded receipt).
struct Content {
    /// The document's kind in its receipt and identifier.
    kind: &'static str,
    /// What it is about, and what its entry must name: `system:ID` or
    /// `case:ID`.
    subject: (&'static str, String),
    /// The facts the entry bears out.
    stated: BTreeMap<String, String>,
    receipt: Receipt,
    title: String,
    subtitle: String,
    facts: Vec<(String, String)>,
    sections: Vec<(String, String)>,
    /// The page that shows what it states (its caption, its path on the
    /// site), whose QR code comes first.
    page: (String, String),
    /// What the identifier adds after the kind and the subject.
    identifier: String,
    file: String,
}

/// The document `content` describes, in `tr`'s language, rendered.
async fn make(state: &AppState, tr: &Tr, content: Content) -> Result<Pdf, ApiError> {
    let now = state.clock.now();
    let site = state.config.site_url();
    let vkey = state.store.log_signer().verifier_key();
    let (kind, id) = content.subject;
    let index = content.receipt.index;
    let size = content.receipt.size;
    let embedded = DocumentReceipt {
        senim_receipt: 1,
        document: content.kind.into(),
        subject: format!("{kind}:{id}"),
        facts: content.stated,
        vkey: vkey.clone(),
        receipt: content.receipt,
    };
    let json = serde_json::to_vec(&embedded).map_err(|_| ApiError::internal())?;
    let (caption, path) = content.page;
    let doc = senim_documents::Document {
        lang: tr.code().to_string(),
        register: tr.t("doc-register"),
        authority: tr.tn("doc-authority", &[("site", site.clone())]),
        title: content.title,
        subtitle: content.subtitle,
        facts: content.facts,
        sections: content.sections,
        links: vec![
            (caption, format!("{site}{path}")),
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

/// The entry that bears out every one of `stated`'s values (each as a
/// JSON string), newest first; while the log has not yet recorded it (the
/// sequencer runs behind the write by moments), a 503 to try again.
async fn entry_stating(
    state: &AppState,
    subjects: &[(&str, String)],
    stated: &BTreeMap<String, String>,
) -> Result<Receipt, ApiError> {
    newest_entry(state, subjects, |entry| {
        stated.values().all(|v| entry.contains(&format!("\"{v}\"")))
    })
    .await?
    .ok_or_else(|| {
        ApiError::new(
            crate::error::ErrorCode::Unavailable,
            "the audit log has not yet recorded this; try again in a minute",
        )
    })
}

/// Today (UTC), as `YYYY-MM-DD`.
fn today(state: &AppState) -> String {
    day_of(state.clock.now())
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
    let receipt = entry_stating(state, &subjects, &stated).await?;
    let today = today(state);
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
        subject: ("system", id.to_string()),
        stated,
        identifier: receipt.index.to_string(),
        receipt,
        title: tr.t("doc-certificate-title"),
        subtitle: number.clone(),
        facts,
        sections: vec![(tr.t("doc-certificate-basis"), tr.t("doc-certificate-text"))],
        page: (tr.t("doc-public-page"), format!("/systems/{id}")),
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
    let today = today(state);
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
        subject: ("system", id.to_string()),
        stated,
        identifier: format!("{day}:{}", receipt.index),
        receipt,
        title: tr.t("doc-extract-title"),
        subtitle: tr.tn("doc-extract-as-of", &[("date", day.clone())]),
        facts,
        sections: vec![(tr.t("doc-extract-basis"), tr.t("doc-extract-text"))],
        page: (tr.t("doc-public-page"), format!("/systems/{id}")),
        file: format!("extract-{file}-{day}-{code}.pdf"),
    };
    make(state, &tr, content).await
}

/// A sanction as people read it: its kind, and for a fine its amount in
/// monthly calculation indices and in tenge (a fine is named once).
pub fn sanction_text(tr: &Tr, s: &SanctionDecision) -> String {
    let kind = tr.term("sanction", s.kind.as_str());
    let amount = match (s.fine_mci, s.fine_kzt) {
        (Some(mci), Some(kzt)) => tr.t2("sanction-fine-amount", "mci", mci, "kzt", kzt),
        (Some(mci), None) => tr.t1("sanction-fine-mci", "mci", mci),
        _ => return kind,
    };
    if s.kind == SanctionKind::Fine {
        amount
    } else {
        format!("{amount} · {kind}")
    }
}

/// An audit checklist item's title and citation in `tr`'s language: an
/// obligation of the pack, or the check that the system does none of the
/// prohibited practices.
pub fn audit_item(tr: &Tr, book: &RuleBook, item: &AuditItem) -> (String, Citation) {
    let title = if item.id == senim_domain::oversight::PROHIBITED_ITEM {
        tr.t("audit-item-prohibited")
    } else {
        book.retitle(&item.id, &item.title, tr.lang)
    };
    (title, book.requote(&item.citation, tr.lang))
}

/// The day of a moment, `YYYY-MM-DD`.
fn day_of(at: Timestamp) -> String {
    at.to_rfc3339().get(..10).unwrap_or("").to_string()
}

/// A case's signatures as its document lists them, one section each, and
/// the facts their entry bears out (each signature's digest).
fn signatures(
    tr: &Tr,
    case: &Case,
    stated: &mut BTreeMap<String, String>,
) -> Vec<(String, String)> {
    case.signatures
        .iter()
        .enumerate()
        .map(|(n, s)| {
            stated.insert(
                format!("signature_{}_sha256", n + 1),
                s.signature_sha256.clone(),
            );
            let signer = match &s.organisation {
                Some(o) => format!("{} ({o})", s.signer),
                None => s.signer.clone(),
            };
            let heading = format!(
                "{}: {}",
                tr.t("signatures-title"),
                tr.t(&format!("step-{}", s.step.replace('_', "-")))
            );
            let text = tr.tn(
                "doc-signature",
                &[
                    ("signer", signer),
                    ("date", s.signed_at.to_rfc3339()),
                    ("serial", s.certificate_serial.clone()),
                    ("issuer", s.issuer.clone()),
                    ("signature", s.signature_sha256.clone()),
                    ("document", s.document_sha256.clone()),
                ],
            );
            (heading, text)
        })
        .collect()
}

/// Ends a case's document: its signatures, then what it states under
/// `heading` (the message `text`), saying where the signatures are when
/// it has any.
fn end_with(
    tr: &Tr,
    sections: &mut Vec<(String, String)>,
    signed: Vec<(String, String)>,
    heading: &str,
    text: &str,
) {
    let mut basis = tr.t(text);
    if !signed.is_empty() {
        basis = format!("{basis} {}", tr.t("doc-signed-text"));
    }
    sections.extend(signed);
    sections.push((tr.t(heading), basis));
}

/// A system as a case's document names it: its name, and its registry
/// number when it has one.
fn system_line(tr: &Tr, system: &System) -> String {
    let name = system.name.get(tr.code()).to_string();
    match &system.registry_number {
        Some(n) => format!("{name} · {n}"),
        None => name,
    }
}

/// The decision on a violation and its sanction, as published (a decided
/// investigation's public record), in `lang`: the violation, the
/// sanction and its reasons, the appeal, and each official's signature.
/// Its entry is the newest about the case that bears out its number, its
/// stage, its sanction and its signatures' digests.
pub async fn sanction_decision(state: &AppState, id: CaseId, lang: Lang) -> Result<Pdf, ApiError> {
    let case = state
        .store
        .case(id)
        .await
        .map_err(|_| ApiError::not_found("decision"))?;
    let decision = PublishedDecision::of(&case).ok_or_else(|| ApiError::not_found("decision"))?;
    let case = senim_store::public_case(&case);
    let tr = Tr::new(lang);
    let mut stated = BTreeMap::from([
        ("number".to_string(), decision.number.clone()),
        ("state".to_string(), decision.state.clone()),
    ]);
    if let Some(s) = &decision.sanction {
        stated.insert("sanction".into(), s.kind.as_str().to_string());
    }
    let signed = signatures(&tr, &case, &mut stated);
    let receipt = entry_stating(state, &[("case", id.to_string())], &stated).await?;

    let mut facts = vec![(tr.t("decision-number"), decision.number.clone())];
    if let Some(s) = decision
        .sanction
        .as_ref()
        .or(decision.original_sanction.as_ref())
    {
        facts.push((tr.t("decision-date"), day_of(s.decided_at)));
    }
    facts.push((
        tr.t("decision-state"),
        tr.term("decision-state", &decision.state),
    ));
    if let Some(system) = decision.system_id {
        let system = state.store.system(system).await?;
        facts.push((tr.t("doc-system"), system_line(&tr, &system)));
    }
    if let Some(org) = decision.organisation_id {
        let org = state.store.organisation(org).await?;
        facts.push((tr.t("doc-owner"), organisation_line(&tr, &org)));
    }
    if let (Some(s), "decided") = (&decision.sanction, decision.state.as_str()) {
        facts.push((tr.t("doc-appeal-due"), s.appeal_due.to_string()));
    }

    let mut sections = Vec::new();
    let book = state.rules.read().await;
    if let Some(v) = &decision.violation {
        let title = book.retitle(&v.obligation, &v.title, lang);
        let citation = book.requote(&v.citation, lang).source;
        sections.push((
            tr.t("decision-violation"),
            format!(
                "{title}\n{}\n{}: {citation}",
                v.description,
                tr.t("citation")
            ),
        ));
    }
    if let Some(s) = &decision.sanction {
        let mut text = format!(
            "{}\n{}: {}",
            sanction_text(&tr, s),
            tr.t("decision-reasons"),
            s.reasons
        );
        if let Some(c) = &s.citation {
            text.push_str(&format!(
                "\n{}: {}",
                tr.t("citation"),
                book.requote(c, lang).source
            ));
        }
        sections.push((tr.t("decision-sanction"), text));
    }
    drop(book);
    if let Some(outcome) = decision.appeal_outcome {
        let mut text = tr.term("appeal", outcome.as_str());
        if let Some(o) = &decision.original_sanction {
            text.push_str(&format!(
                " · {}: {}",
                tr.t("decision-original"),
                sanction_text(&tr, o)
            ));
        }
        sections.push((tr.t("decision-appeal"), text));
    }
    end_with(
        &tr,
        &mut sections,
        signed,
        "doc-decision-basis",
        "doc-decision-text",
    );
    let number = decision.number.clone();
    let content = Content {
        kind: "sanction-decision",
        subject: ("case", id.to_string()),
        stated,
        identifier: receipt.index.to_string(),
        receipt,
        title: tr.t("doc-decision-title"),
        subtitle: number.clone(),
        facts,
        sections,
        page: (tr.t("doc-decision-page"), format!("/decisions/{id}")),
        file: format!("{number}-{}.pdf", tr.code()),
    };
    make(state, &tr, content).await
}

/// The report of a closed audit, in `lang`, for those who may read the
/// audit (its parties and the authority): the system, the checklist,
/// each finding with its corrective action and the owner's response, the
/// algorithmic audits' breached thresholds, the conclusion and the
/// auditor's signature. Its entry is the newest about the audit that
/// bears out its number, its closing and its signatures' digests: the
/// public log shows no more of an audit, so an unsigned report's content
/// rests on the register's word, a signed one's on the auditor's
/// signature, whose digest the entry holds.
pub async fn audit_report(
    state: &AppState,
    caller: &crate::auth::Caller,
    id: CaseId,
    lang: Lang,
) -> Result<Pdf, ApiError> {
    let case = state.store.case(id).await?;
    let r = crate::cases::resource(&case, caller);
    caller.require(state, crate::policy::Action::CaseRead, &r)?;
    let case = crate::cases::shown(state, caller, case);
    let audit = case
        .audit()
        .cloned()
        .ok_or_else(|| ApiError::not_found("audit"))?;
    let closed = audit.closed_at.ok_or_else(|| {
        ApiError::new(
            crate::error::ErrorCode::Conflict,
            "the audit is still open: its report is made when the auditor closes it",
        )
    })?;
    let tr = Tr::new(lang);
    let mut stated = BTreeMap::from([
        ("number".to_string(), case.number.clone()),
        ("state".to_string(), case.state().to_string()),
    ]);
    let signed = signatures(&tr, &case, &mut stated);
    let receipt = entry_stating(state, &[("case", id.to_string())], &stated).await?;

    let mut facts = vec![(tr.t("doc-audit-number"), case.number.clone())];
    if let Some(system) = case.system_id {
        let system = state.store.system(system).await?;
        facts.push((tr.t("doc-system"), system_line(&tr, &system)));
        let owner = state
            .store
            .organisation(system.owner_organisation_id)
            .await?;
        facts.push((tr.t("doc-owner"), organisation_line(&tr, &owner)));
    }
    facts.push((
        tr.t("doc-audit-basis"),
        tr.term("basis", audit.basis.as_str()),
    ));
    facts.push((tr.t("doc-audit-version"), audit.version.to_string()));
    if let Some(pack) = &audit.pack {
        facts.push((
            tr.t("doc-audit-pack"),
            format!("{} {}", pack.id, pack.version),
        ));
    }
    let auditor = state
        .store
        .account(audit.auditor)
        .await
        .map(|a| a.display_name)
        .unwrap_or_default();
    facts.push((tr.t("doc-auditor"), auditor));
    facts.push((
        tr.t("doc-audit-period"),
        format!("{} – {}", day_of(case.created_at), day_of(closed)),
    ));

    let book = state.rules.read().await;
    let titles: BTreeMap<&str, String> = audit
        .checklist
        .iter()
        .map(|i| (i.id.as_str(), audit_item(&tr, &book, i).0))
        .collect();
    let checklist: Vec<String> = audit
        .checklist
        .iter()
        .map(|item| {
            let (title, citation) = audit_item(&tr, &book, item);
            let n = audit.findings.iter().filter(|f| f.item == item.id).count();
            format!(
                "• {title} ({}) — {}",
                citation.source,
                tr.t1("doc-audit-findings-count", "count", n)
            )
        })
        .collect();
    drop(book);
    let mut sections = vec![(tr.t("doc-audit-checklist"), checklist.join("\n"))];
    if audit.findings.is_empty() {
        sections.push((tr.t("doc-audit-findings"), tr.t("doc-audit-no-findings")));
    }
    for f in &audit.findings {
        let item = titles
            .get(f.item.as_str())
            .cloned()
            .unwrap_or_else(|| f.item.clone());
        let mut text = format!("{item}\n{}", f.description);
        if let Some(a) = &f.corrective_action {
            text.push('\n');
            text.push_str(&tr.tn(
                "doc-audit-corrective",
                &[("due", a.due.to_string()), ("text", a.description.clone())],
            ));
        }
        text.push('\n');
        text.push_str(&match &f.response {
            Some(r) => tr.tn(
                "doc-audit-response",
                &[("date", day_of(r.at)), ("text", r.text.clone())],
            ),
            None => tr.t("doc-audit-no-response"),
        });
        sections.push((
            tr.tn(
                "doc-audit-finding",
                &[
                    ("number", f.number.to_string()),
                    ("severity", tr.term("severity", f.severity.as_str())),
                ],
            ),
            text,
        ));
    }
    for run in &audit.metrics {
        let breached: Vec<String> = run
            .checks
            .iter()
            .filter(|c| c.breached)
            .map(|c| format!("{} = {}", c.metric, c.value.as_deref().unwrap_or("—")))
            .collect();
        let text = tr.tn(
            "doc-audit-run",
            &[
                ("date", day_of(run.at)),
                ("file", run.file_sha256.clone()),
                ("checked", run.checks.len().to_string()),
                ("breached", breached.len().to_string()),
            ],
        );
        let text = if breached.is_empty() {
            text
        } else {
            format!("{text}\n{}", breached.join("\n"))
        };
        sections.push((tr.t1("doc-audit-run-title", "number", run.number), text));
    }
    sections.push((
        tr.t("doc-audit-conclusion"),
        audit.conclusion.clone().unwrap_or_default(),
    ));
    end_with(
        &tr,
        &mut sections,
        signed,
        "doc-audit-basis-title",
        "doc-audit-text",
    );
    let number = case.number.clone();
    let content = Content {
        kind: "audit-report",
        subject: ("case", id.to_string()),
        stated,
        identifier: receipt.index.to_string(),
        receipt,
        title: tr.t("doc-audit-title"),
        subtitle: number.clone(),
        facts,
        sections,
        page: (tr.t("doc-case-page"), format!("/desk/cases/{id}")),
        file: format!("{number}-{}.pdf", tr.code()),
    };
    make(state, &tr, content).await
}
