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
