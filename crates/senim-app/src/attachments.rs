//! Files sent with a case's step (issue 20): an answer to an information
//! request takes the validation report it was asked for, an owner adds
//! documents to a dossier under review, an auditor's finding and an
//! owner's response to it or to a forwarded report take their evidence,
//! and a report from the public takes the reporter's. A step's
//! file is stored first (`attach`: checked for its kind and size by
//! `checked`, kept in the blob store by its SHA-256 by `keep`), then named
//! in the step, which records what it is in the case; a report's is
//! checked with the report and kept once it is accepted. Only those who may
//! read the case's dossier read it back (`find`).

use bytes::Bytes;
use sha2::{Digest, Sha256};

use senim_domain::case::{Attachment, ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES};
use senim_domain::{CaseId, FieldError};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::policy::Action;
use crate::state::AppState;

fn refused(field: &str, reason: impl Into<String>) -> ApiError {
    ApiError::invalid(vec![FieldError {
        field: field.into(),
        reason: reason.into(),
    }])
}

/// The kind of file `bytes` are, by their content, if a step takes it and
/// `name`'s ending agrees: a PDF must start as one, a picture must be one,
/// a text must be UTF-8, an office document must be a ZIP.
pub fn kind_of(name: &str, bytes: &[u8]) -> Result<&'static str, String> {
    let ending = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let (media_type, _) = ATTACHMENT_TYPES
        .iter()
        .find(|(_, endings)| endings.contains(&ending.as_str()))
        .ok_or_else(|| {
            "is not a kind of file a step takes: PDF, PNG, JPEG, CSV, plain text, DOCX, XLSX or ODT"
                .to_string()
        })?;
    let fits = match *media_type {
        "application/pdf" => bytes.starts_with(b"%PDF-"),
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "text/csv" | "text/plain" => std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0),
        _ => bytes.starts_with(b"PK\x03\x04"),
    };
    if fits {
        Ok(media_type)
    } else {
        Err("does not hold what its name says: its content is another kind of file".into())
    }
}

/// The steps that take files: an answer to an information request, an
/// owner's documents for a dossier, an auditor's finding, and an owner's
/// response to a finding or to a forwarded report.
pub const STEPS_WITH_FILES: [&str; 5] = [
    "respond",
    "add_documents",
    "finding",
    "respond_finding",
    "respond_report",
];

/// Stores a file for the step `action` of `case`, which the caller may take,
/// and says what it is.
pub async fn attach(
    state: &AppState,
    caller: &Caller,
    case_id: CaseId,
    action: &str,
    name: &str,
    bytes: Bytes,
) -> Result<Attachment, ApiError> {
    let case = state.store.case(case_id).await?;
    let r = crate::cases::resource(&case, caller);
    let step = Action::case_step(action)
        .filter(|_| STEPS_WITH_FILES.contains(&action))
        .ok_or_else(|| refused("action", "is not a step that takes a file"))?;
    caller.require(state, step, &r)?;
    let attachment = checked("attachment", name, &bytes, MAX_ATTACHMENT_BYTES)?;
    keep(state, &attachment, bytes).await?;
    Ok(attachment)
}

/// What a file sent as `field` is, if it may be kept: a name people can
/// read, 1 byte to `max`, and content of the kind its name says. Nothing
/// is stored yet.
pub fn checked(field: &str, name: &str, bytes: &[u8], max: u64) -> Result<Attachment, ApiError> {
    let name = senim_domain::case::attachment_name(name).map_err(|e| refused(field, e))?;
    if bytes.is_empty() {
        return Err(refused(field, "is empty"));
    }
    if bytes.len() as u64 > max {
        return Err(refused(
            field,
            format!("must be from 1 byte to {} MiB", max >> 20),
        ));
    }
    let media_type = kind_of(&name, bytes).map_err(|e| refused(field, e))?;
    Ok(Attachment {
        sha256: hex::encode(Sha256::digest(bytes)),
        name,
        media_type: media_type.to_string(),
        size: bytes.len() as u64,
    })
}

/// Keeps a checked file in the blob store, by its SHA-256.
pub async fn keep(state: &AppState, file: &Attachment, bytes: Bytes) -> Result<(), ApiError> {
    state.blobs.put_bytes(&file.sha256, bytes).await?;
    Ok(())
}

/// Refuses a step naming a file the blob store does not hold.
pub async fn check_stored(state: &AppState, files: &[Attachment]) -> Result<(), ApiError> {
    for (i, f) in files.iter().enumerate() {
        let held = f.sha256.len() == 64
            && f.sha256.bytes().all(|b| b.is_ascii_hexdigit())
            && state.blobs.read(&f.sha256, Some(0..1)).await.is_ok();
        if !held {
            return Err(refused(
                &format!("attachments[{i}].sha256"),
                "names no file stored here: send the file with the answer",
            ));
        }
    }
    Ok(())
}

/// A file a case holds, for a caller who may read its dossier: what it is
/// (to send it); refused (401, 403) to anyone else.
pub async fn find(
    state: &AppState,
    caller: &Caller,
    case_id: CaseId,
    sha256: &str,
) -> Result<Attachment, ApiError> {
    let case = state.store.case(case_id).await?;
    let r = crate::cases::resource(&case, caller);
    // Read as the dossier is: its owner and the authority, an assigned
    // reviewer once they declared no conflict.
    let full = !crate::cases::must_declare_first(state, caller, &r)?
        && caller.may(state, Action::CaseDossier, &r)?;
    if !full {
        return Err(match caller.account {
            None => ApiError::unauthenticated(),
            Some(_) => ApiError::forbidden(),
        });
    }
    held(&case)
        .into_iter()
        .find(|a| a.sha256 == sha256)
        .ok_or_else(|| ApiError::not_found("attachment"))
}

/// Every file a case holds: its answers', its documents', its findings'
/// and its responses'.
pub fn held(case: &senim_domain::Case) -> Vec<Attachment> {
    let reg = case.registration();
    let answers = reg
        .into_iter()
        .flat_map(|reg| reg.information_requests.iter())
        .filter_map(|q| q.answer.as_ref())
        .flat_map(|a| a.attachments.iter());
    let documents = reg
        .into_iter()
        .flat_map(|reg| reg.documents.iter())
        .flat_map(|d| d.attachments.iter());
    let findings = case.audit().into_iter().flat_map(|a| a.findings.iter());
    let evidence_of_findings = findings.clone().flat_map(|f| f.attachments.iter());
    let responses_to_findings = findings
        .filter_map(|f| f.response.as_ref())
        .flat_map(|r| r.attachments.iter());
    let response = case
        .report()
        .into_iter()
        .filter_map(|r| r.response.as_ref())
        .flat_map(|r| r.attachments.iter());
    let evidence = case.report().into_iter().flat_map(|r| r.attachments.iter());
    answers
        .chain(documents)
        .chain(evidence_of_findings)
        .chain(responses_to_findings)
        .chain(response)
        .chain(evidence)
        .cloned()
        .collect()
}
