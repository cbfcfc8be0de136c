//! Education (issue 18): courses, enrolments, and the Open Badges 3.0
//! certificates their completions issue, with the status lists that revoke
//! them.
//!
//! A certificate is stored as the facts it is signed from (in its
//! enrolment's case); [`credential`] signs them on request with the
//! Platform's badge key, which gives the same credential every time. A
//! status list is signed when first asked for and again after each
//! revocation ([`status_list`]).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use ed25519_dalek::SigningKey;
use senim_badges::{Achievement, CertificateInput, Issuer, StatusList, StatusRef};
use senim_domain::case::Stepped;
use senim_domain::education::{
    course_url, enrol as open_enrolment, enrolment_step, status_list_url, Course, CourseInput,
    EnrolmentStep, Issue,
};
use senim_domain::{AccountId, Case, CaseId, CourseId, ProgrammeId};
use senim_store::{Applied, Command, StoreError};
use serde_json::Value;

use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode};
use crate::policy::{Action, Resource};
use crate::state::AppState;

/// The Platform's badge issuer (its key read or created on first use) and
/// the status lists it signed.
pub struct Badges {
    key_file: PathBuf,
    key: OnceLock<SigningKey>,
    /// Per address: the revoked entries a list was signed with, and the list.
    lists: Mutex<HashMap<String, SignedList>>,
}

/// A status list as signed, with the revoked entries it was signed with.
type SignedList = (Vec<u64>, Arc<Value>);

/// The name certificates give their issuer.
pub const ISSUER_NAME: &str = "National AI Platform of Kazakhstan (Senim)";

impl Badges {
    pub fn new(config: &crate::Config) -> Badges {
        Badges {
            key_file: config
                .badge_key_file
                .clone()
                .unwrap_or_else(|| config.data_dir.join("badges.key")),
            key: OnceLock::new(),
            lists: Mutex::new(HashMap::new()),
        }
    }

    /// The signing key: read from the key file, or (when `create`) created
    /// there; `None` when there is none and it is not to be created.
    fn key(&self, create: bool) -> Result<Option<SigningKey>, ApiError> {
        if let Some(key) = self.key.get() {
            return Ok(Some(key.clone()));
        }
        if !create && !self.key_file.exists() {
            return Ok(None);
        }
        let key = load_or_create_key(&self.key_file).map_err(|e| {
            tracing::error!(error = %e, "the badge key is not usable");
            ApiError::internal()
        })?;
        Ok(Some(self.key.get_or_init(|| key).clone()))
    }

    /// The issuer as a certificate issued on `site` names it (the profile's
    /// address is signed into the certificate, so it is the site's address
    /// when the certificate was issued, whatever it is now).
    pub fn issuer(&self, site: &str) -> Result<Issuer, ApiError> {
        let key = self.key(true)?.ok_or_else(ApiError::internal)?;
        Issuer::new(key, ISSUER_NAME, Some(site)).map_err(|e| {
            tracing::error!(error = %e, "the badge issuer cannot be made");
            ApiError::internal()
        })
    }
}

fn load_or_create_key(path: &std::path::Path) -> Result<SigningKey, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let bytes = hex::decode(text.trim())
                .map_err(|e| format!("{}: not hex: {e}", path.display()))?;
            let seed: [u8; 32] = bytes
                .try_into()
                .map_err(|_| format!("{}: not 32 bytes", path.display()))?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let seed: [u8; 32] = rand::random();
            match senim_store::log::write_private(
                path,
                &format!("{}\n", hex::encode(seed)),
                "badge key",
            ) {
                Ok(()) => {
                    tracing::info!(path = %path.display(), "created the badge key");
                    Ok(SigningKey::from_bytes(&seed))
                }
                // Another request created it meanwhile: read that one.
                Err(_) if path.exists() => load_or_create_key(path),
                Err(e) => Err(e.to_string()),
            }
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

fn account(caller: &Caller) -> Result<&senim_domain::Account, ApiError> {
    caller
        .account
        .as_ref()
        .ok_or_else(ApiError::unauthenticated)
}

/// A new course of `programme`, which must be one of the caller's
/// organisation's education programmes.
pub async fn create_course(
    state: &AppState,
    caller: &Caller,
    programme: ProgrammeId,
    input: CourseInput,
) -> Result<Course, ApiError> {
    account(caller)?;
    let programme = state.store.programme(programme).await?;
    caller.require(
        state,
        Action::CourseCreate,
        &Resource::Organisation(programme.organisation_id),
    )?;
    let course = input.parse(CourseId::generate(), &programme, state.clock.now())?;
    match state
        .execute(caller.actor(), Command::CreateCourse(Box::new(course)))
        .await?
    {
        Applied::Course(c) => Ok(*c),
        _ => Err(ApiError::internal()),
    }
}

/// Makes a course a condition of the reviewer pool for `sectors` (none:
/// no condition): the authority's supervisors, who keep the pool, decide
/// it, not the programme.
pub async fn set_reviewer_sectors(
    state: &AppState,
    caller: &Caller,
    course: CourseId,
    sectors: Vec<senim_domain::profile::Sector>,
) -> Result<Course, ApiError> {
    account(caller)?;
    caller.require(
        state,
        Action::ReviewerManage,
        &Resource::Collection("reviewers"),
    )?;
    state.store.course(course).await?;
    match state
        .execute(
            caller.actor(),
            Command::SetCourseReviewerSectors { course, sectors },
        )
        .await?
    {
        Applied::Course(c) => Ok(*c),
        _ => Err(ApiError::internal()),
    }
}

/// The caller enrols in `course`.
pub async fn enrol(state: &AppState, caller: &Caller, course: CourseId) -> Result<Case, ApiError> {
    let account = account(caller)?;
    caller.require(state, Action::CourseEnrol, &Resource::Collection("courses"))?;
    let course = state.store.course(course).await?.course;
    let stepped = open_enrolment(CaseId::generate(), &course, account.id, state.clock.now());
    let step = serde_json::json!({ "action": "enrol", "course_id": course.id });
    crate::cases::write(state, caller, stepped, None, None, step).await
}

/// A step on an enrolment case; a completion is issued to the learner's
/// address with a fresh salt and credential id.
pub async fn step(
    state: &AppState,
    case: &Case,
    actor: AccountId,
    step: EnrolmentStep,
) -> Result<Stepped, ApiError> {
    let enrolment = case.enrolment().ok_or_else(ApiError::internal)?;
    let email = match step {
        EnrolmentStep::Complete { .. } => state
            .store
            .account(enrolment.learner)
            .await?
            .email
            .as_str()
            .to_string(),
        _ => String::new(),
    };
    let issue = Issue {
        email,
        salt: hex::encode(rand::random::<[u8; 16]>()),
        credential_id: format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        site: state.config.site_url(),
    };
    Ok(enrolment_step(state.clock.now(), actor, case, step, issue)?)
}

/// The enrolments in a course, for its provider's instructors and its
/// programme's managers.
pub async fn enrolments(
    state: &AppState,
    caller: &Caller,
    course: CourseId,
) -> Result<Vec<Case>, ApiError> {
    account(caller)?;
    let course = state.store.course(course).await?.course;
    // The provider's instructors, or the programme's managers (who may
    // publish its courses).
    let provider = Resource::Organisation(course.provider_organisation_id);
    let programme = Resource::Organisation(course.programme_organisation_id);
    if !caller.may(state, Action::CourseListEnrolments, &provider)? {
        caller.require(state, Action::CourseCreate, &programme)?;
    }
    Ok(state.store.enrolments_in(course.id).await?)
}

/// Courses whose enrolments the caller works (their organisation teaches
/// them, or runs their programme).
pub async fn taught(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<senim_store::CourseFigures>, ApiError> {
    let account = account(caller)?;
    let Some(org) = account.organisation_id else {
        return Ok(Vec::new());
    };
    let own = Resource::Organisation(org);
    let teaches = caller.may(state, Action::CourseListEnrolments, &own)?;
    let runs = caller.may(state, Action::CourseCreate, &own)?;
    Ok(state
        .store
        .courses(None)
        .await?
        .into_iter()
        .filter(|c| {
            (teaches && c.course.provider_organisation_id == org)
                || (runs && c.course.programme_organisation_id == org)
        })
        .collect())
}

/// The signed Open Badges 3.0 credential of an enrolment's certificate,
/// for its learner (a revoked one too: the status list says it is revoked).
pub async fn credential(state: &AppState, caller: &Caller, case: &Case) -> Result<Value, ApiError> {
    let r = crate::cases::resource(case, caller);
    caller.require(state, Action::CertificateDownload, &r)?;
    let certificate = case
        .enrolment()
        .and_then(|e| e.certificate.as_ref())
        .ok_or_else(|| ApiError::not_found("certificate"))?;
    let course = state
        .store
        .course(case.enrolment().ok_or_else(ApiError::internal)?.course_id)
        .await?
        .course;
    sign(state, &course, certificate)
}

fn sign(
    state: &AppState,
    course: &Course,
    certificate: &senim_domain::education::Certificate,
) -> Result<Value, ApiError> {
    let issuer = state.badges.issuer(&certificate.site)?;
    let lang = course.language.as_str();
    let input = CertificateInput {
        credential_id: certificate.id.clone(),
        achievement: Achievement {
            id: course_url(&certificate.site, course.id),
            name: course.title.get(lang).to_string(),
            description: course.syllabus.get(lang).to_string(),
            criteria: course.criteria.get(lang).to_string(),
            hours: Some(course.hours),
            language: Some(lang.to_string()),
            achievement_type: Some("Course".into()),
        },
        recipient: senim_badges::Recipient::Email {
            email: certificate.email.clone(),
            salt: certificate.salt.clone(),
        },
        issued: offset(certificate.issued_at)?,
        expires: None,
    };
    let status = StatusRef {
        list_url: certificate.status_list_url(),
        index: certificate.status_index,
    };
    senim_badges::issue(&issuer, &input, &status).map_err(|e| {
        tracing::error!(error = %e, "a certificate could not be signed");
        ApiError::internal()
    })
}

fn offset(t: senim_domain::Timestamp) -> Result<time::OffsetDateTime, ApiError> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.unix_millis()) * 1_000_000)
        .map_err(|_| ApiError::internal())
}

/// The signed status list of `year`'s certificates at this site's address,
/// re-signed when its revoked entries changed. Not found for a year with no
/// certificate.
pub async fn status_list(state: &AppState, year: i32) -> Result<Arc<Value>, ApiError> {
    let url = status_list_url(&state.config.site_url(), year);
    status_list_at(state, year, &url).await
}

/// The status list of `year` published at `url` (the address a certificate
/// names: the site's address when it was issued).
async fn status_list_at(state: &AppState, year: i32, url: &str) -> Result<Arc<Value>, ApiError> {
    if !state.store.status_list_exists(year).await? {
        return Err(ApiError::not_found("status list"));
    }
    let revoked = state.store.revoked_certificates(year).await?;
    let cached = state
        .badges
        .lists
        .lock()
        .ok()
        .and_then(|l| l.get(url).cloned());
    if let Some((signed_with, list)) = cached {
        if signed_with == revoked {
            return Ok(list);
        }
    }
    // Long enough for every entry given this year, revoked or not.
    let last = state.store.last_status_index(year).await?;
    let len = (last / StatusList::MIN_LEN + 1) * StatusList::MIN_LEN;
    let mut list = StatusList::with_len(len).map_err(|_| ApiError::internal())?;
    for index in &revoked {
        list.revoke(*index).map_err(|_| ApiError::internal())?;
    }
    let issuer = state.badges.issuer(&state.config.site_url())?;
    let signed = list
        .credential(&issuer, url, offset(state.clock.now())?)
        .map_err(|e| {
            tracing::error!(error = %e, "a status list could not be signed");
            ApiError::internal()
        })?;
    let signed = Arc::new(signed);
    if let Ok(mut lists) = state.badges.lists.lock() {
        lists.insert(url.to_string(), (revoked, signed.clone()));
    }
    Ok(signed)
}

/// What checking a certificate found.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Verification {
    /// True when the signature is the Platform's, the certificate is in its
    /// validity period and not revoked.
    pub valid: bool,
    /// Why not, when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_id: Option<String>,
    /// The course's address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub achievement_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
}

/// Checks a certificate someone shows: the Platform's key, its validity
/// period, and the current status list of its year.
pub async fn verify(state: &AppState, credential: &Value) -> Result<Verification, ApiError> {
    let refused = |reason: String| Verification {
        valid: false,
        reason: Some(reason),
        credential_id: None,
        achievement_id: None,
        issued: None,
    };
    // Checking issues nothing: without a key, the Platform issued nothing.
    let Some(key) = state.badges.key(false)? else {
        return Ok(refused(
            "the Platform has issued no certificate with this server's key".into(),
        ));
    };
    let key = key.verifying_key();
    let verified = match senim_badges::verify(credential, &key) {
        Ok(v) => v,
        Err(e) => return Ok(refused(e.to_string())),
    };
    let year = verified
        .status
        .list_url
        .rsplit_once("/badges/status/")
        .and_then(|(_, y)| y.parse::<i32>().ok());
    let Some(year) = year else {
        return Ok(refused(format!(
            "its status list {} is not one of the Platform's",
            verified.status.list_url
        )));
    };
    let list = match status_list_at(state, year, &verified.status.list_url).await {
        Ok(list) => list,
        Err(e) if e.code == ErrorCode::NotFound => {
            return Ok(refused(format!(
                "the Platform has no status list for {year}"
            )))
        }
        Err(e) => return Err(e),
    };
    let checked =
        senim_badges::verify_with_status(credential, &list, &key, offset(state.clock.now())?);
    Ok(match checked {
        Ok(v) => Verification {
            valid: true,
            reason: None,
            credential_id: Some(v.credential_id),
            achievement_id: Some(v.achievement_id),
            issued: v
                .valid_from
                .format(&time::format_description::well_known::Rfc3339)
                .ok(),
        },
        Err(e) => refused(e.to_string()),
    })
}

/// Refuses a store error about a course id as the field's problem.
pub fn course_field(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound { .. } => ApiError::invalid(vec![senim_domain::FieldError {
            field: "course_id".into(),
            reason: "names no course".into(),
        }]),
        e => e.into(),
    }
}

/// A course as a manager writes it on the desk (TOML: the fields of
/// [`CourseInput`]); a syntax error is named with its line as
/// `course:<line>`.
pub fn course_from_toml(text: &str) -> Result<CourseInput, ApiError> {
    toml::from_str(text).map_err(|e: toml::de::Error| {
        let line = crate::programmes::toml_error_line(text, &e);
        ApiError::invalid(vec![senim_domain::FieldError {
            field: format!("course:{line}"),
            reason: e.message().to_string(),
        }])
    })
}
