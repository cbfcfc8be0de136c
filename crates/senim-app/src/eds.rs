//! Electronic digital signatures (issue 21): the certification authorities
//! a deployment trusts (`[eds]` in the configuration), and signing in with
//! a person's authentication key, the NCALayer pattern.
//!
//! The sign-in page asks for a text to sign (a nonce, kept by its hash for
//! [`NONCE_SECONDS`] and taken once); the person's key signs it as a CMS
//! message, in production through NCALayer on their computer; the page
//! sends the signature back; [`senim_eds::Verifier`] checks it (the chain
//! to the configured roots, validity, the CRLs, the key's purpose) and
//! names the person's IIN. The account is the one an administrator linked
//! to that IIN (`senim admin account link-identity --provider eds
//! --subject IIN`): a certificate alone never makes an account. Every
//! refusal names its reason and goes to the server's log (`security:
//! ...`) with the certificate's serial number, never the IIN, and never to
//! the public log.

use std::path::PathBuf;
use std::sync::RwLock;
use std::time::SystemTime;

use base64::Engine;
use serde::Deserialize;

use senim_domain::{Account, AccountStatus, FieldError, Timestamp};
use senim_eds::{Purpose, Refusal, Verified, Verifier};
use senim_store::{Actor, Command};

use crate::auth::{random_secret, secret_hash};
use crate::error::ApiError;
use crate::state::AppState;

/// The identities table's provider for EDS sign-ins: the subject is the IIN.
pub const PROVIDER: &str = "eds";

/// How long a text given to sign waits for its signature.
pub const NONCE_SECONDS: i64 = 300;

/// `[eds]`: the certification authorities trusted, as files in PEM or DER.
/// The files are read at start and again whenever one changes (an operator
/// replaces the CRLs daily without a restart).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EdsConfig {
    /// The roots (the NCA's root certificates).
    pub roots: Vec<PathBuf>,
    /// Intermediates the signatures may not carry themselves.
    pub intermediates: Vec<PathBuf>,
    /// The CRLs of the roots and intermediates, as published.
    pub crls: Vec<PathBuf>,
    /// Whether decisions must be signed: a decision step (see
    /// [`senim_domain::case::SIGNED_STEPS`]) without a signature is refused.
    pub require_signed_decisions: bool,
}

struct Loaded {
    verifier: Verifier,
    /// Each file and its modification time when read.
    stamps: Vec<(PathBuf, Option<SystemTime>)>,
}

/// The trusted authorities, read from their files.
pub struct Eds {
    config: EdsConfig,
    loaded: RwLock<Loaded>,
}

fn modified(path: &PathBuf) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl Eds {
    /// Reads the configured files; a file that cannot be read or parsed
    /// stops the start, naming it.
    pub fn new(config: EdsConfig) -> Result<Eds, crate::StartError> {
        let loaded = load(&config)?;
        Ok(Eds {
            config,
            loaded: RwLock::new(loaded),
        })
    }

    /// Whether signatures are taken here: some root is trusted.
    pub fn enabled(&self) -> bool {
        !self.config.roots.is_empty()
    }

    /// The verifier, with the files read again if one changed since. A
    /// changed file that does not read keeps the previous ones (and says so
    /// in the server's log).
    fn verifier(&self) -> Verifier {
        let changed = match self.loaded.read() {
            Ok(l) => l.stamps.iter().any(|(p, at)| modified(p) != *at),
            Err(_) => false,
        };
        if changed {
            match load(&self.config) {
                Ok(fresh) => {
                    tracing::info!("the certification authorities' files were read again");
                    if let Ok(mut l) = self.loaded.write() {
                        *l = fresh;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "security: a changed certification authority file does not read; the previous files are kept")
                }
            }
        }
        match self.loaded.read() {
            Ok(l) => l.verifier.clone(),
            Err(p) => p.into_inner().verifier.clone(),
        }
    }

    /// Checks a signature of exactly `expected` for `purpose` at `now`.
    pub fn verify(
        &self,
        cms: &[u8],
        expected: &[u8],
        purpose: Purpose,
        now: Timestamp,
    ) -> Result<Verified, Refusal> {
        let now = u64::try_from(now.unix_millis() / 1000).unwrap_or(0);
        self.verifier().verify(cms, expected, purpose, now)
    }
}

fn load(config: &EdsConfig) -> Result<Loaded, crate::StartError> {
    let read = |path: &PathBuf| {
        std::fs::read(path).map_err(|e| crate::StartError::Eds {
            path: path.clone(),
            reason: e.to_string(),
        })
    };
    let certificates =
        |paths: &[PathBuf]| -> Result<Vec<senim_eds::Certificate>, crate::StartError> {
            let mut out = Vec::new();
            for path in paths {
                let found = senim_eds::read_certificates(&read(path)?).map_err(|reason| {
                    crate::StartError::Eds {
                        path: path.clone(),
                        reason,
                    }
                })?;
                out.extend(found);
            }
            Ok(out)
        };
    let roots = certificates(&config.roots)?;
    let intermediates = certificates(&config.intermediates)?;
    let mut crls = Vec::new();
    for path in &config.crls {
        crls.push(
            senim_eds::read_crl(&read(path)?).map_err(|reason| crate::StartError::Eds {
                path: path.clone(),
                reason,
            })?,
        );
    }
    let stamps = config
        .roots
        .iter()
        .chain(&config.intermediates)
        .chain(&config.crls)
        .map(|p| (p.clone(), modified(p)))
        .collect();
    Ok(Loaded {
        verifier: Verifier::new(roots, intermediates, crls),
        stamps,
    })
}

/// A refused signature: the reason beside `signature`, the detail in the
/// server's security log.
pub fn refused(refusal: &Refusal, what: &str) -> ApiError {
    tracing::warn!(detail = %refusal.detail, "security: {what} was refused: {}", refusal.reason());
    ApiError::invalid(vec![FieldError {
        field: "signature".into(),
        reason: refusal.reason().into(),
    }])
}

/// A signature as sent: base64 (as NCALayer gives it; line breaks
/// allowed) or PEM.
pub fn decode_signature(text: &str) -> Result<Vec<u8>, ApiError> {
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    if body.is_empty() {
        return Err(ApiError::invalid(vec![FieldError {
            field: "signature".into(),
            reason: "is required".into(),
        }]));
    }
    base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .map_err(|_| {
            refused(
                &Refusal {
                    kind: senim_eds::RefusalKind::Malformed,
                    detail: "not base64".into(),
                },
                "a signature",
            )
        })
}

/// A fresh text for the sign-in page to have signed, and when it expires.
pub async fn nonce(state: &AppState) -> Result<(String, Timestamp), ApiError> {
    if !state.eds.enabled() {
        return Err(not_here());
    }
    let text = format!(
        "Senim sign-in {} {}",
        state.config.site_url(),
        random_secret("")
    );
    let expires_at = state.clock.now().plus_seconds(NONCE_SECONDS);
    let command = Command::IssueNonce {
        nonce_hash: secret_hash(&text),
        expires_at,
    };
    state.execute(Actor::operator(), command).await?;
    Ok((text, expires_at))
}

/// The refusal where no certification authority is configured.
pub fn not_here() -> ApiError {
    ApiError::not_found("signing in with an electronic digital signature")
}

/// Signs in with `signature` (base64 CMS) of the text `nonce` the page
/// gave: the account linked to the signer's IIN.
pub async fn sign_in(state: &AppState, nonce: &str, signature: &str) -> Result<Account, ApiError> {
    if !state.eds.enabled() {
        return Err(not_here());
    }
    // The text is taken first, whatever follows: one signature per text.
    let command = Command::TakeNonce {
        nonce_hash: secret_hash(nonce),
    };
    if let Err(e) = state.execute(Actor::operator(), command).await {
        tracing::warn!("security: a signed sign-in came with a text that was used already, expired or never given");
        return Err(e.into());
    }
    let cms = decode_signature(signature)?;
    let verified = state
        .eds
        .verify(&cms, nonce.as_bytes(), Purpose::SignIn, state.clock.now())
        .map_err(|r| refused(&r, "a signed sign-in"))?;
    let signer = &verified.signer;
    let account = match state.store.identity(PROVIDER, &signer.iin).await? {
        Some(id) => state.store.account(id).await?,
        None => {
            tracing::warn!(serial = %signer.serial, issuer = %signer.issuer, "security: a signed sign-in names a person no account is linked to");
            return Err(ApiError::invalid(vec![FieldError {
                field: "signature".into(),
                reason: "was made by a person no account here is linked to: ask an administrator to link your IIN to your account".into(),
            }]));
        }
    };
    if account.status != AccountStatus::Active {
        tracing::warn!(serial = %signer.serial, "security: a signed sign-in names an account that was withdrawn");
        return Err(ApiError::invalid(vec![FieldError {
            field: "signature".into(),
            reason: "names an account that was withdrawn".into(),
        }]));
    }
    tracing::info!(account = %account.id, serial = %signer.serial, "signed in with an electronic digital signature");
    Ok(account)
}

/// The document an official signs to take `step` (its JSON, without the
/// signature) on `case` at `revision`: canonical JSON (RFC 8785), so that
/// the page that asks for the signature and the server that checks it make
/// the same bytes. It names the site, the case and its revision: a
/// signature serves for this step on this case once.
pub fn step_document(
    state: &AppState,
    case: &senim_domain::case::Case,
    revision: i64,
    step: &serde_json::Value,
) -> Result<String, ApiError> {
    let document = serde_json::json!({
        "senim": "decision",
        "site": state.config.site_url(),
        "case": case.number,
        "case_id": case.id,
        "revision": revision,
        "step": step,
    });
    senim_tlog::canonical(&document).map_err(|_| ApiError::internal())
}

/// A verified signature of a step, ready to be kept with the case.
pub struct SignedStep {
    pub record: senim_domain::case::StepSignature,
    pub signature: Vec<u8>,
    pub document: String,
}

fn signature_refused(reason: &str) -> ApiError {
    ApiError::invalid(vec![FieldError {
        field: "signature".into(),
        reason: reason.into(),
    }])
}

/// Checks the signature sent with a step (`signature`, base64 or PEM), if
/// any: a decision's (see [`senim_domain::case::SIGNED_STEPS`]), of the
/// step's document, by a signing key whose IIN is linked to the account
/// taking it. A deployment that requires signed decisions
/// (`[eds] require_signed_decisions`) refuses one without.
pub async fn check_step(
    state: &AppState,
    account: &Account,
    case: &senim_domain::case::Case,
    revision: i64,
    name: &str,
    step: &serde_json::Value,
    signature: Option<String>,
) -> Result<Option<SignedStep>, ApiError> {
    let decision = senim_domain::case::SIGNED_STEPS.contains(&name);
    let Some(signature) = signature.filter(|s| !s.trim().is_empty()) else {
        if decision && state.config.eds.require_signed_decisions {
            return Err(signature_refused(
                "is required: decisions here are signed with the official's electronic digital signature",
            ));
        }
        return Ok(None);
    };
    if !state.eds.enabled() {
        return Err(signature_refused(
            "is not taken here: this deployment trusts no certification authority",
        ));
    }
    if !decision {
        return Err(signature_refused(
            "is not taken for this step: only decisions are signed",
        ));
    }
    let cms = decode_signature(&signature)?;
    let document = step_document(state, case, revision, step)?;
    let now = state.clock.now();
    let verified = state
        .eds
        .verify(&cms, document.as_bytes(), Purpose::Sign, now)
        .map_err(|r| refused(&r, "a signed decision"))?;
    let signer = verified.signer;
    let linked = state.store.identity(PROVIDER, &signer.iin).await?;
    if linked != Some(account.id) {
        tracing::warn!(serial = %signer.serial, account = %account.id, "security: a decision was signed by a key whose IIN is not the acting account's");
        return Err(signature_refused(
            "was made by someone else than the account taking this step: sign with your own key, whose IIN an administrator linked to your account",
        ));
    }
    use sha2::Digest;
    let record = senim_domain::case::StepSignature {
        step: name.to_string(),
        revision,
        signature_sha256: verified.signature_sha256,
        document_sha256: hex::encode(sha2::Sha256::digest(document.as_bytes())),
        signer: signer.name,
        organisation: signer.organisation,
        certificate_serial: signer.serial,
        issuer: signer.issuer,
        signed_at: now,
    };
    Ok(Some(SignedStep {
        record,
        signature: cms,
        document,
    }))
}

/// Keeps a signed step's signature and document as files (by their
/// SHA-256), before the step that names them is written.
pub async fn keep(state: &AppState, signed: &SignedStep) -> Result<(), ApiError> {
    state
        .blobs
        .put_bytes(
            &signed.record.signature_sha256,
            bytes::Bytes::from(signed.signature.clone()),
        )
        .await?;
    state
        .blobs
        .put_bytes(
            &signed.record.document_sha256,
            bytes::Bytes::from(signed.document.clone().into_bytes()),
        )
        .await?;
    Ok(())
}

/// A signed step's file as a caller may download it: its bytes' SHA-256,
/// its media type and its name.
pub struct SignedFile {
    pub sha256: String,
    pub media_type: &'static str,
    pub name: String,
}

/// The signature (`.p7s`) or the signed document (`.json`) of a step of
/// case `case_id` whose SHA-256 is `sha256`, for a caller who reads that
/// signature on the case: anyone for a public decision, the parties and
/// the authority otherwise.
pub async fn signed_file(
    state: &AppState,
    caller: &crate::auth::Caller,
    case_id: senim_domain::CaseId,
    sha256: &str,
) -> Result<SignedFile, ApiError> {
    let case = state.store.case(case_id).await?;
    let r = crate::cases::resource(&case, caller);
    caller.require(state, crate::policy::Action::CaseRead, &r)?;
    let case = crate::cases::shown(state, caller, case);
    let base = |s: &senim_domain::case::StepSignature| format!("{}-{}", case.number, s.step);
    case.signatures
        .iter()
        .find_map(|s| {
            if s.signature_sha256 == sha256 {
                Some(SignedFile {
                    sha256: sha256.to_string(),
                    media_type: "application/pkcs7-signature",
                    name: format!("{}.p7s", base(s)),
                })
            } else if s.document_sha256 == sha256 {
                Some(SignedFile {
                    sha256: sha256.to_string(),
                    media_type: "application/json",
                    name: format!("{}.json", base(s)),
                })
            } else {
                None
            }
        })
        .ok_or_else(|| ApiError::not_found("signature"))
}
