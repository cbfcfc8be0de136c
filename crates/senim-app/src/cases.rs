//! `/api/v1/cases`: registration dossiers and every step on them;
//! `/api/v1/reviewers`: the reviewer pool; `/api/v1/inbox`: notices.
//!
//! Each step is the same mechanism: read the case, ask the policies whether
//! the caller may take this kind of step on it (403), let the domain's pure
//! step function decide what the case becomes or why it cannot (409, 422),
//! and write the result only if the case is still at the revision the
//! caller named in `If-Match` (409 otherwise).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use senim_domain::case::Stepped;
use senim_domain::case::{ChecklistItem, ReviewerInput, ReviewerProfile};
use senim_domain::classification::Lang;
use senim_domain::oversight::{
    apply_for_list, audit_step, investigation_step, list_step, open_audit, open_investigation,
    open_report, report_step, AuditBasis, AuditItem, AuditStep, Ctx, InvestigationStep,
    ListApplicationFacts, ListStep, PackFacts, ReportInput, ReportStatus, ReportStep, LIST_CHECK,
};
use senim_domain::registration::{self, Context, Path as ReviewPath, Step};
use senim_domain::{
    AccountId, Case, CaseId, CaseKind, Day, RiskLevel, System, SystemId, SystemVersion, Viewer,
};
use senim_store::{case_for, Applied, CaseWrite, Command};

use crate::assess::assess;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::error::ErrorCode;
use crate::extract::{decode_json, IfMatch};
use crate::policy::{Action, Resource};
use crate::state::AppState;
use senim_domain::application::ApplicationState;

/// What `POST /api/v1/cases` opens.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CaseInput {
    /// The owner submits the system's current version for registration.
    Registration { system_id: SystemId },
    /// A supervisor opens an audit and assigns an auditor.
    Audit {
        system_id: SystemId,
        basis: AuditBasis,
        auditor: AccountId,
    },
    /// A supervisor opens an investigation.
    Investigation {
        system_id: SystemId,
        reasons: String,
    },
    /// Any account asks for a restricted dataset, stating the purpose and,
    /// where there is one, the AI system it serves.
    DataAccess {
        dataset_id: senim_domain::DatasetId,
        purpose: String,
        #[serde(default)]
        system_id: Option<SystemId>,
    },
    /// The owner applies to a sector's list of trusted high-risk systems,
    /// with the closed audit and the copyright certificate or agreement.
    TrustedList {
        system_id: SystemId,
        sector: senim_domain::profile::Sector,
        audit_case: CaseId,
        copyright: String,
    },
}

/// The dossier a declared reviewer works on.
#[derive(Debug, Serialize, ToSchema)]
pub struct Dossier {
    pub case: Case,
    pub system: System,
    /// The version under review, with every documentation item.
    pub version: SystemVersion,
    pub classification: Option<senim_domain::classification::Classification>,
    pub gaps: Vec<senim_domain::classification::Gap>,
}

pub fn today(state: &AppState) -> Day {
    Day::of(state.clock.now())
}

/// The tracking code handed to a report's submitter: 16 characters from an
/// alphabet without look-alikes, in groups of four (80 bits).
pub fn tracking_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes: [u8; 16] = rand::random();
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A tracking code as it was handed out, however it is typed: the letters
/// and digits alone, in capitals, in groups of four ("abcd efgh-ijkl mnop"
/// and "ABCDEFGHIJKLMNOP" are "ABCD-EFGH-IJKL-MNOP").
pub fn normalize_tracking_code(code: &str) -> String {
    let plain: Vec<char> = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    plain
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

fn tracking_hash(code: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(
        normalize_tracking_code(code).as_bytes(),
    ))
}

pub fn resource(case: &Case, caller: &Caller) -> Resource {
    let me = caller.account.as_ref().map(|a| a.id);
    let mine = |review: &&senim_domain::case::Review| Some(review.reviewer) == me;
    let reviews = case
        .registration()
        .map(|r| r.reviews.as_slice())
        .unwrap_or_default();
    let application = case.application();
    let my_application_review =
        application.and_then(|a| a.reviews.iter().rfind(|r| Some(r.reviewer) == me));
    let assigned = me.is_some_and(|me| case.assignees.contains(&me))
        || reviews.iter().filter(mine).any(|x| x.active())
        || my_application_review.is_some_and(|r| r.active());
    Resource::Case {
        id: case.id.to_string(),
        owner: case.organisation_id,
        holder: case.holder_organisation_id,
        assigned,
        public: case.published(),
        party: me.is_some_and(|me| {
            case.data_access().is_some_and(|a| a.requester == me)
                || case.enrolment().is_some_and(|e| e.learner == me)
        }),
        declared: reviews.iter().rfind(mine).is_some_and(|x| x.declared())
            || my_application_review.is_some_and(|r| r.declared()),
        // An allocation of a restricted dataset is the data steward's to
        // decide, as the library's own grants are: the policies tell the
        // two apart by kind.
        kind: match case.allocation() {
            Some(a) if a.resource_kind == senim_domain::allocation::ResourceKind::Dataset => {
                "data_allocation"
            }
            _ => case.kind().as_str(),
        },
        programme: application
            .filter(|a| {
                // Submitted once: a returned application stays in sight.
                a.submitted_at.is_some()
                    || a.returned.is_some()
                    || !matches!(
                        case.body,
                        senim_domain::case::CaseBody::Application {
                            state: ApplicationState::Draft | ApplicationState::Withdrawn,
                            ..
                        }
                    )
            })
            .map(|a| a.programme_organisation_id)
            .or_else(|| case.allocation().map(|a| a.programme_organisation_id))
            .or_else(|| case.enrolment().map(|e| e.programme_organisation_id))
            .or_else(|| case.sandbox().map(|b| b.programme_organisation_id)),
        provider: case
            .allocation()
            .map(|a| a.provider_organisation_id)
            .or_else(|| {
                let org = caller.account.as_ref().and_then(|a| a.organisation_id)?;
                application
                    .filter(|a| {
                        a.assessments
                            .iter()
                            .any(|x| x.provider_organisation_id == org)
                    })
                    .map(|_| org)
            })
            .or_else(|| case.enrolment().map(|e| e.provider_organisation_id)),
    }
}

/// Whether the caller is a reviewer assigned to the case who has not
/// declared yet, and is not also someone who reads the case's
/// authority-only parts anyway (a supervisor, an auditor, an
/// administrator): the dossier waits for the declaration, even for a
/// reviewer of the owner's own organisation.
pub fn must_declare_first(
    state: &AppState,
    caller: &Caller,
    case: &Resource,
) -> Result<bool, ApiError> {
    let Resource::Case {
        assigned: true,
        declared: false,
        ..
    } = case
    else {
        return Ok(false);
    };
    Ok(caller.may(state, Action::CaseDeclare, case)?
        && !caller.may(state, Action::CaseReadAuthorityFields, case)?)
}

/// The case as the caller may see it.
///
/// In full: those the policies let read a case's authority-only fields
/// (`case.read_authority_fields`: supervisors, auditors and administrators,
/// and an expert reviewer on a dossier they declared on). The owner and the
/// holder: all but the private part and the reviewers' statements. Everyone
/// else (other reviewers included): the public part. The private part (a
/// complainant's contact) only for those the policies let read it
/// (`case.read_private`: who handles reports).
pub fn shown(state: &AppState, caller: &Caller, case: Case) -> Case {
    let Some(account) = caller.account.as_ref() else {
        let mut case = case_for(case, Viewer::PUBLIC);
        case.private = None;
        return case;
    };
    let r = resource(&case, caller);
    let viewer = case_viewer(state, caller, account, &case, &r);
    let private = caller
        .may(state, Action::CaseReadPrivate, &r)
        .unwrap_or(false);
    // A reviewer assigned to an application declares their interests
    // knowing whose it is and what it is about (not its answers); a provider
    // assessing its resources reads the same.
    let assesses = case.application().is_some()
        && matches!(
            &r,
            Resource::Case {
                provider: Some(_),
                ..
            }
        )
        && caller
            .may(state, Action::CaseAssessFeasibility, &r)
            .unwrap_or(false);
    let before_declaring = match (&r, case.application()) {
        (Resource::Case { assigned, .. }, Some(app))
            if (*assigned || assesses) && !viewer.owner && !viewer.authority =>
        {
            Some((case.organisation_id, app.clone()))
        }
        _ => None,
    };
    let mut case = case_for(case, viewer);
    if let Some((organisation, app)) = before_declaring {
        case.organisation_id = organisation;
        if let senim_domain::case::CaseBody::Application { body, .. } = &mut case.body {
            *body = Some(senim_domain::application::Application {
                answers: Vec::new(),
                reviews: Vec::new(),
                conflicts: Vec::new(),
                applicant: senim_domain::AccountId(uuid::Uuid::nil()),
                ..app
            });
        }
    }
    if !private {
        case.private = None;
    }
    // The address a certificate was issued to, and its salt, are the
    // learner's alone: with both, the credential's hash names them.
    if let Some(e) = case.enrolment_mut().filter(|e| e.learner != account.id) {
        if let Some(cert) = e.certificate.as_mut() {
            cert.email = String::new();
            cert.salt = String::new();
        }
    }
    case
}

fn case_viewer(
    state: &AppState,
    caller: &Caller,
    account: &senim_domain::Account,
    case: &Case,
    r: &Resource,
) -> Viewer {
    let org = account.organisation_id;
    let requester = case
        .data_access()
        .is_some_and(|a| a.requester == account.id)
        || case.enrolment().is_some_and(|e| e.learner == account.id);
    // A course's instructors and its programme's managers read its
    // enrolments as the learner does.
    let teaches = (case.enrolment().is_some()
        && caller
            .may(state, Action::CaseRevokeCertificate, r)
            .unwrap_or(false))
        // A sandbox's supervisors read a participation as its parties do.
        || (case.sandbox().is_some() && caller.may(state, Action::CaseAddNote, r).unwrap_or(false));
    // Those who work an allocation (its provider's resource providers or
    // data stewards, the programme's managers) read it as its parties do.
    let allocation_party = case.allocation().is_some()
        && (caller
            .may(state, Action::CaseReportUsage, r)
            .unwrap_or(false)
            || caller
                .may(state, Action::CaseDecideExtension, r)
                .unwrap_or(false));
    Viewer {
        owner: requester
            || allocation_party
            || teaches
            || org.is_some() && (org == case.organisation_id || org == case.holder_organisation_id),
        authority: caller
            .may(state, Action::CaseReadAuthorityFields, r)
            .unwrap_or(false),
    }
}

/// What the pack in force says that reports, audits and investigations need.
pub fn pack_facts(pack: &senim_rules::RulePack) -> PackFacts {
    let (citation, fines) = pack.sanctions(Lang::En);
    PackFacts {
        pack: Some(pack.pack_ref()),
        deadlines: pack.deadlines.clone(),
        fines: fines
            .iter()
            .map(|f| (f.size_class, f.first, f.repeat))
            .collect(),
        sanctions_citation: Some(citation),
        obligations: pack
            .obligation_ids()
            .iter()
            .filter_map(|id| pack.obligation(id, Lang::En))
            .map(|o| (o.id, o.title, o.citation))
            .collect(),
    }
}

/// The offender's size class, and whether it had a violation decided in
/// the 12 months before now (an overturned one does not count).
async fn offender(
    state: &AppState,
    case: &Case,
) -> Result<Option<(senim_domain::SizeClass, bool)>, ApiError> {
    let Some(org) = case.organisation_id else {
        return Ok(None);
    };
    let organisation = state.store.organisation(org).await?;
    let year_ago = state.clock.now().plus_seconds(-365 * 86_400);
    let repeat = state
        .store
        .investigations_of(org)
        .await?
        .iter()
        .filter(|c| c.id != case.id)
        .filter_map(|c| c.investigation()?.sanction.as_ref())
        .any(|s| s.decided_at >= year_ago);
    Ok(Some((organisation.size_class, repeat)))
}

/// What the pack in force requires of a version: the path it must take.
pub fn review_path(
    pack: &senim_rules::RulePack,
    version: &SystemVersion,
) -> (ReviewPath, senim_domain::classification::Assessment) {
    let assessment = assess(pack, &version.profile, &version.documentation);
    let outcome = &assessment.outcome;
    let explained = pack.explain(outcome, Lang::En);
    let prohibited_by = explained
        .rationale
        .iter()
        .filter(|r| r.risk_level == RiskLevel::Prohibited)
        .map(|r| (r.rule.clone(), r.citation.source.clone()))
        .collect();
    let missing: Vec<_> = assessment.gaps.iter().map(|g| g.item).collect();
    let checklist = outcome
        .documentation_required
        .iter()
        .map(|item| ChecklistItem {
            item: *item,
            provided: !missing.contains(item),
        })
        .collect();
    let path = ReviewPath {
        pack: outcome.pack.clone(),
        risk_level: outcome.risk_level,
        expert_review: outcome.expert_review_required,
        reviewers: outcome.reviewers,
        prohibited_by,
        checklist,
        deadlines: pack.deadlines.clone(),
    };
    (path, assessment)
}

pub async fn write(
    state: &AppState,
    caller: &Caller,
    stepped: Stepped,
    expected_revision: Option<i64>,
    system: Option<&System>,
    step: serde_json::Value,
) -> Result<Case, ApiError> {
    write_mailing(
        state,
        caller,
        stepped,
        expected_revision,
        system,
        step,
        None,
    )
    .await
}

/// [`write`], with a mail to a person outside any account written in the
/// same transaction (a report's tracking code).
async fn write_mailing(
    state: &AppState,
    caller: &Caller,
    stepped: Stepped,
    expected_revision: Option<i64>,
    system: Option<&System>,
    step: serde_json::Value,
    mail: Option<(String, senim_store::mail::DirectMail)>,
) -> Result<Case, ApiError> {
    let system_status = match (stepped.system_status, system) {
        (Some(s), Some(system)) => Some((system.status, s)),
        _ => None,
    };
    let write = CaseWrite {
        case: stepped.case,
        expected_revision,
        event: stepped.event,
        step,
        system_status,
        system_version: system.map(|s| s.current_version),
        assign_registry_number: stepped.assign_registry_number,
        notices: stepped.notices,
        opened: stepped.opened,
        mail,
    };
    match state
        .execute(caller.actor(), Command::SaveCase(Box::new(write)))
        .await?
    {
        Applied::Case { case, .. } => Ok(*case),
        _ => Err(ApiError::internal()),
    }
}

/// The resource a case about `system` is before it exists, for the
/// policies' `case.open_*` and `case.submit` questions.
pub fn new_case(system: &System) -> Resource {
    Resource::Case {
        id: "new".into(),
        owner: Some(system.owner_organisation_id),
        holder: system.holder_organisation_id,
        assigned: false,
        public: false,
        party: false,
        declared: false,
        kind: "new",
        programme: None,
        provider: None,
    }
}

/// Opens a case (the API's and the desks' one path): checks the policies,
/// runs the domain's opening step under the pack in force, writes it.
pub async fn open_case(
    state: &AppState,
    caller: &Caller,
    input: CaseInput,
) -> Result<Case, ApiError> {
    let Some(account) = &caller.account else {
        return Err(ApiError::unauthenticated());
    };
    let system_id = match &input {
        CaseInput::Registration { system_id }
        | CaseInput::Audit { system_id, .. }
        | CaseInput::Investigation { system_id, .. }
        | CaseInput::TrustedList { system_id, .. } => *system_id,
        CaseInput::DataAccess {
            dataset_id,
            purpose,
            system_id,
        } => {
            return request_data(state, caller, account.id, *dataset_id, purpose, *system_id).await;
        }
    };
    let record = state
        .store
        .system_with_current(system_id)
        .await
        .map_err(|e| match e {
            senim_store::StoreError::NotFound { .. } => {
                ApiError::invalid(vec![senim_domain::FieldError {
                    field: "system_id".into(),
                    reason: "names no system in the register".into(),
                }])
            }
            other => other.into(),
        })?;
    let system = record.system;
    let action = match &input {
        CaseInput::Registration { .. } => Action::CaseSubmit,
        CaseInput::Audit { .. } => Action::CaseOpenAudit,
        CaseInput::Investigation { .. } => Action::CaseOpenInvestigation,
        CaseInput::TrustedList { .. } => Action::CaseApplyList,
        CaseInput::DataAccess { .. } => return Err(ApiError::internal()),
    };
    caller.require(state, action, &new_case(&system))?;
    // Held until the commit: no publication changes the pack meanwhile.
    let book = state.rules.read().await;
    let pack = book.in_force();
    let now = state.clock.now();
    let (stepped, step) = match input {
        CaseInput::Registration { .. } => {
            let (path, _) = review_path(pack, &record.version);
            let pool = state.store.reviewer_pool().await?;
            let ctx = Context {
                now,
                calendar: &state.config.calendar,
                actor: account.id,
                supervisor: false,
                system: &system,
                path: &path,
                pool: &pool,
            };
            let mut stepped = registration::submit(&ctx, CaseId::generate())?;
            // A system that leaves the sandbox comes to registration with its
            // sandbox record linked.
            for sandbox in state.store.sandboxes_of(system.id).await? {
                stepped.case.links.push(sandbox.id);
            }
            let step = serde_json::json!({ "action": "submit", "version": system.current_version });
            (stepped, step)
        }
        CaseInput::Audit { basis, auditor, .. } => {
            // The auditor named must be an active account the policies let
            // record findings on the audit once assigned to it.
            let audit = Resource::Case {
                id: "new".into(),
                owner: Some(system.owner_organisation_id),
                holder: system.holder_organisation_id,
                assigned: true,
                public: false,
                party: false,
                declared: false,
                kind: CaseKind::Audit.as_str(),
                programme: None,
                provider: None,
            };
            let auditor_account = state.store.account(auditor).await.ok();
            let may_audit = match &auditor_account {
                Some(a) if a.status == senim_domain::AccountStatus::Active => state
                    .policies
                    .allows(Some(a), Action::CaseFinding, &audit)?,
                _ => false,
            };
            if !may_audit {
                return Err(ApiError::invalid(vec![senim_domain::FieldError {
                    field: "auditor".into(),
                    reason: "is not an active account with the auditor role".into(),
                }]));
            }
            let outcome = pack.classify(&record.version.profile);
            let mut checklist: Vec<AuditItem> = outcome
                .obligations
                .iter()
                .filter_map(|id| pack.obligation(id, Lang::En))
                .map(|o| AuditItem {
                    id: o.id,
                    title: o.title,
                    citation: o.citation,
                })
                .collect();
            if let Some(citation) = pack.prohibited_citations(Lang::En).into_iter().next() {
                checklist.push(AuditItem {
                    id: senim_domain::oversight::PROHIBITED_ITEM.into(),
                    title: "No prohibited capability: the system does none of the pack's prohibited practices".into(),
                    citation,
                });
            }
            let stepped = open_audit(
                CaseId::generate(),
                &system,
                basis,
                auditor,
                checklist,
                Some(pack.pack_ref()),
                now,
            );
            let step =
                serde_json::json!({ "action": "open_audit", "basis": basis, "auditor": auditor });
            (stepped, step)
        }
        CaseInput::Investigation { reasons, .. } => {
            let facts = pack_facts(pack);
            let ctx = Ctx {
                now,
                calendar: &state.config.calendar,
                actor: account.id,
                system: Some(&system),
                linked: &[],
                pack: &facts,
                offender: None,
                mci_kzt: state.config.mci_kzt,
            };
            let stepped = open_investigation(&ctx, CaseId::generate(), &reasons)?;
            let step = serde_json::json!({ "action": "open_investigation", "reasons": reasons });
            (stepped, step)
        }
        CaseInput::DataAccess { .. } => return Err(ApiError::internal()),
        CaseInput::TrustedList {
            sector,
            audit_case,
            copyright,
            ..
        } => {
            let facts = list_facts(&book);
            let audit = state.store.case(audit_case).await.ok();
            let ctx = Ctx {
                now,
                calendar: &state.config.calendar,
                actor: account.id,
                system: Some(&system),
                linked: &[],
                pack: &facts,
                offender: None,
                mci_kzt: state.config.mci_kzt,
            };
            let application = ListApplicationFacts {
                system: &system,
                sector,
                audit: audit.as_ref(),
                copyright: &copyright,
            };
            let stepped = apply_for_list(&ctx, CaseId::generate(), application)?;
            let step = serde_json::json!({ "action": "apply_list", "sector": sector, "audit_case": audit_case });
            (stepped, step)
        }
    };
    let case = write(state, caller, stepped, None, Some(&system), step).await?;
    drop(book);
    Ok(case)
}

/// Opens a request for a restricted dataset.
async fn request_data(
    state: &AppState,
    caller: &Caller,
    requester: AccountId,
    dataset_id: senim_domain::DatasetId,
    purpose: &str,
    system_id: Option<SystemId>,
) -> Result<Case, ApiError> {
    caller.require(
        state,
        Action::CaseRequestAccess,
        &Resource::Collection("data_access"),
    )?;
    let dataset = state.store.dataset(dataset_id).await.map_err(|e| match e {
        senim_store::StoreError::NotFound { .. } => {
            ApiError::invalid(vec![senim_domain::FieldError {
                field: "dataset_id".into(),
                reason: "names no dataset in the library".into(),
            }])
        }
        other => other.into(),
    })?;
    if let Some(id) = system_id {
        if state.store.system(id).await.is_err() {
            return Err(ApiError::invalid(vec![senim_domain::FieldError {
                field: "system_id".into(),
                reason: "names no system in the register".into(),
            }]));
        }
    }
    let stepped = senim_domain::access::request_access(
        CaseId::generate(),
        &dataset,
        requester,
        purpose,
        system_id,
        state.clock.now(),
    )?;
    let step = serde_json::json!({ "action": "request_access" });
    write(state, caller, stepped, None, None, step).await
}

/// The pack facts for a trusted-list step: the pack in force, with the
/// trusted-list deadlines of Law 230-VIII when the pack in force has none.
fn list_facts(book: &senim_rules::RuleBook) -> PackFacts {
    let mut facts = pack_facts(book.in_force());
    if !facts.deadlines.contains_key(LIST_CHECK) {
        if let Some(law) = book.latest("kz-230-viii") {
            for (name, days) in &law.deadlines {
                facts.deadlines.entry(name.clone()).or_insert(*days);
            }
        }
    }
    facts
}

/// The revision a step was decided on: `If-Match` for the API, a hidden
/// field for the desks' forms.
pub enum Expected {
    Header(IfMatch),
    Revision(i64),
}

impl From<IfMatch> for Expected {
    fn from(h: IfMatch) -> Expected {
        Expected::Header(h)
    }
}

/// Refuses a step decided on an older revision of the case than the
/// current one.
pub fn check_revision(case: &Case, expected: i64) -> Result<(), ApiError> {
    if expected == case.revision {
        return Ok(());
    }
    Err(ApiError {
        current: Some(case.revision.to_string()),
        ..ApiError::new(
            ErrorCode::Conflict,
            format!(
                "the case is at revision {} (state {}), not {expected}: someone acted on it since you read it; reload and try again",
                case.revision, case.state()
            ),
        )
    })
}

/// Takes one step on a case (the API's and the desks' one path): decodes the
/// step for the case's kind, checks the policies and the revision, runs the
/// domain's step, writes it.
pub async fn apply_step(
    state: &AppState,
    caller: &Caller,
    case: Case,
    expected: impl Into<Expected>,
    value: serde_json::Value,
) -> Result<Case, ApiError> {
    let r = resource(&case, caller);
    // An official's electronic digital signature travels beside the step
    // (issue 21); the step itself is what it signs.
    let mut value = value;
    let signature = match value.as_object_mut().and_then(|o| o.remove("signature")) {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(_) => {
            return Err(ApiError::invalid(vec![senim_domain::FieldError {
                field: "signature".into(),
                reason: "must be the signature as text (base64 or PEM)".into(),
            }]))
        }
    };
    let bytes = serde_json::to_vec(&value).map_err(|_| ApiError::internal())?;
    let step: AnyStep = match case.kind() {
        CaseKind::Registration => decode_json(&bytes).map(AnyStep::Registration),
        CaseKind::Report => decode_json(&bytes).map(AnyStep::Report),
        CaseKind::Audit => decode_json(&bytes).map(AnyStep::Audit),
        CaseKind::Investigation => decode_json(&bytes).map(AnyStep::Investigation),
        CaseKind::TrustedList => decode_json(&bytes).map(AnyStep::TrustedList),
        CaseKind::DataAccess => decode_json(&bytes).map(AnyStep::DataAccess),
        CaseKind::Application => decode_json(&bytes).map(AnyStep::Application),
        CaseKind::Allocation => decode_json(&bytes).map(AnyStep::Allocation),
        CaseKind::Enrolment => decode_json(&bytes).map(AnyStep::Enrolment),
        CaseKind::Sandbox => decode_json(&bytes).map(AnyStep::Sandbox),
    }
    .map_err(|e| name_the_field(e, &value))?;
    let action = Action::case_step(step.name()).ok_or_else(ApiError::internal)?;
    caller.require(state, action, &r)?;
    let Some(account) = &caller.account else {
        return Err(ApiError::unauthenticated());
    };
    let expected = match expected.into() {
        Expected::Header(h) => h.required()?,
        Expected::Revision(r) => r,
    };
    check_revision(&case, expected)?;
    let signed = crate::eds::check_step(
        state,
        account,
        &case,
        expected,
        step.name(),
        &value,
        signature,
    )
    .await?;
    // A step names only files the server holds (stored first, by the page
    // or the client that took them).
    crate::attachments::check_stored(state, step.attachments()).await?;
    let record = match case.system_id {
        Some(id) => Some(state.store.system_with_current(id).await?),
        None => None,
    };
    let system = record.as_ref().map(|r| &r.system);
    let book = state.rules.read().await;
    let now = state.clock.now();
    let calendar = &state.config.calendar;
    let mut stepped = match step {
        AnyStep::Registration(step) => {
            let record = record.as_ref().ok_or_else(ApiError::internal)?;
            let (path, _) = review_path(book.in_force(), &record.version);
            // Only the steps that may assign reviewers read the pool.
            let pool = if step.assigns_reviewers() {
                state.store.reviewer_pool().await?
            } else {
                Vec::new()
            };
            let ctx = Context {
                now,
                calendar,
                actor: account.id,
                supervisor: caller.may(state, Action::CaseSupervise, &r)?,
                system: &record.system,
                path: &path,
                pool: &pool,
            };
            registration::step(&ctx, &case, step).map_err(ApiError::from)
        }
        AnyStep::Allocation(step) => crate::allocations::step(state, &case, account.id, step).await,
        AnyStep::Enrolment(step) => crate::education::step(state, &case, account.id, step).await,
        AnyStep::Application(step) => {
            let facts = crate::programmes::facts(state, &case, step.name()).await?;
            let sandbox = facts.call.kind == senim_domain::programme::ProgrammeKind::Sandbox;
            let accepting = matches!(
                step,
                senim_domain::application::ApplicationStep::AcceptAward
            );
            let submitting = matches!(
                step,
                senim_domain::application::ApplicationStep::SubmitApplication
            );
            // A submission's plan and system are checked; on acceptance the
            // system is taken if it is still the applicant's (one that
            // changed hands meanwhile leaves the participation without it).
            let system = if sandbox && submitting {
                if let Some(app) = case.application() {
                    senim_domain::sandbox::check_plan(app, &facts.call)?;
                }
                crate::sandbox::system_under_test(state, &case).await?
            } else if sandbox && accepting {
                crate::sandbox::system_under_test(state, &case)
                    .await
                    .ok()
                    .flatten()
            } else {
                None
            };
            if let senim_domain::application::ApplicationStep::EditApplication { application } =
                &step
            {
                crate::programmes::check_references(state, application).await?;
            }
            // A provider assesses only its own resources.
            if let senim_domain::application::ApplicationStep::AssessFeasibility {
                resource_id,
                ..
            } = &step
            {
                let theirs = case.application().is_some_and(|a| {
                    a.assessments.iter().any(|x| {
                        x.resource_id == *resource_id
                            && Some(x.provider_organisation_id) == account.organisation_id
                    })
                });
                if !theirs {
                    return Err(ApiError::invalid(vec![senim_domain::FieldError {
                        field: "resource_id".into(),
                        reason:
                            "is not a resource of your organisation that this application asks for"
                                .into(),
                    }]));
                }
            }
            let mut stepped = senim_domain::application::application_step(
                &facts.context(state, account.id),
                &case,
                step,
            )?;
            // An accepted sandbox award admits the system: its participation
            // opens with the step.
            if sandbox && accepting {
                let participation = senim_domain::sandbox::admit(
                    CaseId::generate(),
                    &stepped.case,
                    &facts.call,
                    system,
                    now,
                )?;
                stepped.case.links.push(participation.id);
                stepped.opened = Some(participation);
            }
            Ok(stepped)
        }
        AnyStep::Sandbox(step) => senim_domain::sandbox::sandbox_step(now, account.id, &case, step)
            .map_err(ApiError::from),
        other => {
            let mut linked = Vec::new();
            if let AnyStep::Report(ReportStep::Merge { into }) = &other {
                let target = state.store.case(*into).await.ok();
                let open_report = target
                    .is_some_and(|t| t.kind() == CaseKind::Report && t.open && t.id != case.id);
                if !open_report {
                    return Err(ApiError::invalid(vec![senim_domain::FieldError {
                        field: "into".into(),
                        reason: "must name another report that is still open".into(),
                    }]));
                }
            }
            if let AnyStep::Report(ReportStep::Triage { systems, .. }) = &other {
                for (i, id) in systems.iter().enumerate() {
                    match state.store.system(*id).await {
                        Ok(s) => linked.push(s),
                        Err(senim_store::StoreError::NotFound { .. }) => {
                            return Err(ApiError::invalid(vec![senim_domain::FieldError {
                                field: format!("systems[{i}]"),
                                reason: "names no system in the register".into(),
                            }]))
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            let facts = match &other {
                AnyStep::TrustedList(_) => list_facts(&book),
                _ => pack_facts(book.in_force()),
            };
            let offender = match &other {
                AnyStep::Investigation(_) => offender(state, &case).await?,
                _ => None,
            };
            let ctx = Ctx {
                now,
                calendar,
                actor: account.id,
                system,
                linked: &linked,
                pack: &facts,
                offender,
                mci_kzt: state.config.mci_kzt,
            };
            match other {
                AnyStep::Report(step) => report_step(&ctx, &case, step),
                AnyStep::Audit(step) => audit_step(&ctx, &case, step),
                AnyStep::Investigation(step) => investigation_step(&ctx, &case, step),
                AnyStep::TrustedList(step) => list_step(&ctx, &case, step),
                AnyStep::DataAccess(step) => senim_domain::access::access_step(now, &case, step),
                AnyStep::Registration(_)
                | AnyStep::Application(_)
                | AnyStep::Allocation(_)
                | AnyStep::Enrolment(_)
                | AnyStep::Sandbox(_) => return Err(ApiError::internal()),
            }
            .map_err(ApiError::from)
        }
    }?;
    // The signature and its document are kept, and named by the case and,
    // by their digests, by the log entry.
    if let Some(signed) = signed {
        crate::eds::keep(state, &signed).await?;
        if let Some(fields) = value.as_object_mut() {
            fields.insert(
                "signature".into(),
                serde_json::json!({
                    "signature_sha256": signed.record.signature_sha256,
                    "document_sha256": signed.record.document_sha256,
                }),
            );
        }
        stepped.case.signatures.push(signed.record);
    }
    // A triage that links a system acts on it from then on.
    let target = match stepped.case.system_id {
        Some(id) if Some(id) != case.system_id => Some(state.store.system(id).await?),
        _ => None,
    };
    let case = write(
        state,
        caller,
        stepped,
        Some(expected),
        target.as_ref().or(system),
        value,
    )
    .await?;
    drop(book);
    Ok(case)
}

/// The dossier under review: the version with all its documentation, its
/// classification and checklist. An assigned reviewer sees it only after
/// declaring no conflict of interest.
pub async fn dossier(
    state: &AppState,
    caller: &Caller,
    id: CaseId,
    lang: Option<Lang>,
) -> Result<Dossier, ApiError> {
    let case = state.store.case(id).await?;
    let r = resource(&case, caller);
    if must_declare_first(state, caller, &r)? {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "declare whether you have a conflict of interest (step `declare`) before the dossier opens",
        ));
    }
    caller.require(state, Action::CaseDossier, &r)?;
    let reg = case
        .registration()
        .ok_or_else(|| ApiError::not_found("dossier"))?;
    let system_id = case.system_id.ok_or_else(ApiError::internal)?;
    let system = state.store.system(system_id).await?;
    let version = state.store.system_version(system_id, reg.version).await?;
    let book = state.rules.read().await;
    let (classification, gaps) = match book.get(&reg.pack.id, &reg.pack.version) {
        Some(pack) => {
            let a = assess(pack, &version.profile, &version.documentation);
            let mut gaps = a.gaps.clone();
            let lang = crate::assess::lang(lang);
            pack.cite_gaps(&a.outcome, &mut gaps, lang);
            (Some(pack.explain(&a.outcome, lang)), gaps)
        }
        None => (None, Vec::new()),
    };
    // The owner and holder see what they see of the system anywhere; the
    // authority (a declared reviewer included) sees everything.
    let viewer = match caller.account.as_ref() {
        Some(account) => case_viewer(state, caller, account, &case, &r),
        None => Viewer::PUBLIC,
    };
    Ok(Dossier {
        case: shown(state, caller, case),
        system,
        version: version.redacted(viewer),
        classification,
        gaps,
    })
}

/// Puts a reviewer in the pool or changes their competences, conflicts and
/// availability: the API's and the supervisor's page's one path.
pub async fn put_reviewer(
    state: &AppState,
    caller: &Caller,
    account_id: AccountId,
    input: ReviewerInput,
) -> Result<ReviewerProfile, ApiError> {
    caller.require(
        state,
        Action::ReviewerManage,
        &Resource::Collection("reviewers"),
    )?;
    if input.sectors.is_empty() {
        return Err(ApiError::invalid(vec![senim_domain::FieldError {
            field: "sectors".into(),
            reason: "must name at least one sector the reviewer is competent in".into(),
        }]));
    }
    let mut sectors = input.sectors;
    sectors.sort();
    sectors.dedup();
    let profile = ReviewerProfile {
        account_id,
        sectors,
        conflicts: input.conflicts,
        active: input.active,
        updated_at: state.clock.now(),
    };
    match state
        .execute(caller.actor(), Command::SetReviewer(profile))
        .await?
    {
        Applied::Reviewer(r) => Ok(r),
        _ => Err(ApiError::internal()),
    }
}

/// Files a report from the public (the API's and the report page's one
/// path): checks the system it names, opens the case, returns the tracking
/// code, which is shown once and kept only as its digest.
pub async fn file_report(
    state: &AppState,
    caller: &Caller,
    client: std::net::IpAddr,
    proof: Option<&str>,
    input: ReportInput,
    evidence: Option<(String, bytes::Bytes)>,
) -> Result<ReportReceipt, ApiError> {
    caller.require(
        state,
        Action::ReportSubmit,
        &Resource::Collection("reports"),
    )?;
    let system = match input.system_id {
        Some(id) => Some(state.store.system(id).await.map_err(|e| match e {
            senim_store::StoreError::NotFound { .. } => {
                ApiError::invalid(vec![senim_domain::FieldError {
                    field: "system_id".into(),
                    reason: "names no system in the register".into(),
                }])
            }
            other => other.into(),
        })?),
        None => None,
    };
    // A draft that is another organisation's own is no system in the
    // register to the reporter either.
    if let Some(s) = &system {
        if !caller.may(state, Action::SystemRead, &Resource::system(s))? {
            return Err(ApiError::invalid(vec![senim_domain::FieldError {
                field: "system_id".into(),
                reason: "names no system in the register".into(),
            }]));
        }
    }
    // The authority may have paused reports about this system (a flood
    // about one system); its own accounts still file them.
    let authority = caller.account.as_ref().is_some_and(|a| a.is_authority());
    if let (Some(system), false) = (&system, authority) {
        if let Some(pause) = state.store.intake_pause(system.id).await? {
            return Err(ApiError::new(
                crate::error::ErrorCode::Conflict,
                format!(
                    "reports about this system are paused by the authority since {}: {}",
                    senim_domain::Day::of(pause.paused_at),
                    pause.reason
                ),
            ));
        }
    }
    // A file sent with the report is checked with the rest of the input,
    // before any quota is spent, and kept only once the report may go in.
    let evidence = match evidence {
        Some((name, bytes)) => Some((
            crate::attachments::checked(
                "evidence",
                &name,
                &bytes,
                senim_domain::oversight::MAX_REPORT_ATTACHMENT_BYTES,
            )?,
            bytes,
        )),
        None => None,
    };
    let code = tracking_code();
    let mut stepped = open_report(
        CaseId::generate(),
        input.clone(),
        system.as_ref(),
        tracking_hash(&code),
        state.clock.now(),
    )?;
    // The intake's limits, once the report is known to be valid (a refusal
    // for bad input costs no quota) and before anything is written.
    // A proof of work, when sent, must hold; without one a report shares
    // a smaller minute (a browser without JavaScript still reports).
    let bits = state.config.report_proof_bits;
    let proven = if authority || bits == 0 {
        true
    } else {
        match state.proof.check(proof, bits, state.clock.now()) {
            Ok(()) => true,
            Err(crate::intake::ProofRefused::Missing) => false,
            Err(refused) => {
                return Err(ApiError::invalid(vec![senim_domain::FieldError {
                    field: "proof".into(),
                    reason: refused.reason().into(),
                }]))
            }
        }
    };
    if !authority {
        let quotas = crate::intake::Quotas {
            per_address_per_hour: state.config.reports_per_address_per_hour,
            per_minute: state.config.reports_per_minute,
            without_proof_per_minute: state.config.reports_without_proof_per_minute,
        };
        if let Err((limit, wait)) = state
            .intake
            .check(client, state.clock.now(), proven, quotas)
        {
            let message = match limit {
                crate::intake::Limit::Address => format!(
                    "too many reports from your address in the last hour; try again in {wait} seconds"
                ),
                crate::intake::Limit::Everyone => format!(
                    "the register is receiving too many reports right now; try again in {wait} seconds"
                ),
                crate::intake::Limit::WithoutProof => format!(
                    "the register is receiving too many reports without a proof of work right now: send one (GET /api/v1/reports/challenge, then the Senim-Proof header), or try again in {wait} seconds"
                ),
            };
            return Err(ApiError {
                retry_after: Some(wait),
                ..ApiError::new(crate::error::ErrorCode::RateLimited, message)
            });
        }
    }
    if let Some((file, bytes)) = evidence {
        crate::attachments::keep(state, &file, bytes).await?;
        if let Some(report) = stepped.case.report_mut() {
            report.attachments.push(file);
        }
    }
    // A near-duplicate of an open report (the same harm reported again, or
    // a flood of one text) is received merged into it.
    let open = state
        .store
        .cases(&senim_store::CaseFilter {
            kind: Some(senim_domain::CaseKind::Report),
            open: Some(true),
            system: input.system_id,
            limit: 500,
            ..Default::default()
        })
        .await?;
    if let Some(into) = senim_domain::oversight::duplicate_of(&stepped.case, &open.items) {
        senim_domain::oversight::merge_on_receipt(&mut stepped, into);
    }
    let step = serde_json::json!({ "action": "report", "type": input.report_type });
    // The tracking code is kept only as its digest: the one copy that
    // outlives this answer is the mail to the address the reporter gave,
    // which leaves the outbox once sent.
    // (The store adds the case's number, given as it is written.)
    let mail = input
        .contact
        .as_ref()
        .and_then(|c| c.email.clone())
        .map(|address| {
            (
                address,
                senim_store::mail::DirectMail {
                    key: "mail-report-code".into(),
                    args: [("code".to_string(), code.clone())].into(),
                    path: "/report/status".into(),
                    reference: None,
                },
            )
        });
    let case = write_mailing(state, caller, stepped, None, system.as_ref(), step, mail).await?;
    let status = ReportStatus::of(&case).ok_or_else(ApiError::internal)?;
    Ok(ReportReceipt {
        number: case.number,
        tracking_code: code,
        status,
    })
}

/// Pauses (with the public reason) or resumes the public intake for one
/// system: the authority's switch against a flood about it.
pub async fn set_intake_pause(
    state: &AppState,
    caller: &Caller,
    system: &str,
    input: senim_domain::oversight::IntakePauseInput,
) -> Result<Option<senim_domain::oversight::IntakePause>, ApiError> {
    let (system, resource) = crate::systems::load(state, caller, system).await?;
    caller.require(state, Action::SystemPauseIntake, &resource)?;
    let reason = input.parse()?;
    state
        .execute(
            caller.actor(),
            Command::SetIntakePause {
                system: system.id,
                reason,
            },
        )
        .await?;
    Ok(state.store.intake_pause(system.id).await?)
}

/// A proof-of-work challenge for the next report (`GET
/// /api/v1/reports/challenge`, and the report page).
pub fn report_challenge(state: &AppState) -> ReportChallenge {
    let bits = state.config.report_proof_bits;
    ReportChallenge {
        challenge: state.proof.challenge(bits, state.clock.now()),
        bits,
        expires_in: crate::intake::CHALLENGE_SECONDS,
    }
}

/// A challenge to solve before filing a report: find a nonce (any text of
/// at most 64 characters, for example a decimal counter) such that
/// SHA-256 of `<challenge>:<nonce>` starts with `bits` zero bits, and send
/// `<challenge>:<nonce>` in the `Senim-Proof` header of `POST
/// /api/v1/reports`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ReportChallenge {
    pub challenge: String,
    /// The zero bits asked (0: no proof is needed).
    pub bits: u32,
    /// Seconds the challenge may be used in.
    pub expires_in: i64,
}

/// The status of the report a tracking code names.
pub async fn status_by_code(state: &AppState, code: &str) -> Result<ReportStatus, ApiError> {
    let case = state
        .store
        .case_by_tracking(&tracking_hash(code.trim()))
        .await
        .map_err(|_| ApiError::not_found("report"))?;
    let mut status = ReportStatus::of(&case).ok_or_else(|| ApiError::not_found("report"))?;
    if let Some(other) = case.report().and_then(|r| r.merged_into) {
        status.merged_into = state.store.case(other).await.ok().map(|c| c.number);
    }
    Ok(status)
}

/// The case writes a publication makes: for each registered system whose
/// classification changed, what the new pack's path asks (a suspension, a
/// new review), with a notice to the owner.
pub async fn repaths(
    state: &AppState,
    pack: &senim_rules::RulePack,
    report: &senim_domain::classification::ChangeReport,
) -> Result<Vec<CaseWrite>, ApiError> {
    let mut writes = Vec::new();
    if !report.in_force {
        return Ok(writes);
    }
    let mut pool = state.store.reviewer_pool().await?;
    for change in &report.changed {
        let record = state.store.system_with_current(change.system_id).await?;
        if record.system.status != senim_domain::SystemStatus::Registered {
            continue;
        }
        let (path, _) = review_path(pack, &record.version);
        let registration = state.store.registration_of(record.system.id).await?;
        let ctx = Context {
            now: state.clock.now(),
            calendar: &state.config.calendar,
            actor: AccountId(uuid::Uuid::nil()),
            supervisor: false,
            system: &record.system,
            path: &path,
            pool: &pool,
        };
        let Some(stepped) = registration::repath(&ctx, registration.as_ref(), CaseId::generate())
        else {
            continue;
        };
        // The next dossier of this publication sees this one's assignments.
        for reviewer in &stepped.case.assignees {
            if let Some(c) = pool.iter_mut().find(|c| c.account_id == *reviewer) {
                c.load += 1;
            }
        }
        let new = registration.as_ref().map(|c| c.id) != Some(stepped.case.id);
        writes.push(CaseWrite {
            expected_revision: if new {
                None
            } else {
                registration.as_ref().map(|c| c.revision)
            },
            event: stepped.event,
            step: serde_json::json!({ "action": "publication", "pack": pack.pack_ref() }),
            system_status: stepped.system_status.map(|s| (record.system.status, s)),
            system_version: Some(record.system.current_version),
            assign_registry_number: false,
            notices: stepped.notices,
            opened: None,
            case: stepped.case,
            mail: None,
        });
    }
    Ok(writes)
}

/// A step on any kind of case, as the body of `POST /api/v1/cases/{id}/steps`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum AnyStep {
    Registration(Step),
    Report(ReportStep),
    Audit(AuditStep),
    Investigation(InvestigationStep),
    TrustedList(ListStep),
    DataAccess(senim_domain::access::AccessStep),
    Application(senim_domain::application::ApplicationStep),
    Allocation(senim_domain::allocation::AllocationStep),
    Enrolment(senim_domain::education::EnrolmentStep),
    Sandbox(senim_domain::sandbox::SandboxStep),
}

impl AnyStep {
    /// The files the step names (stored before it is taken).
    fn attachments(&self) -> &[senim_domain::case::Attachment] {
        use senim_domain::oversight::{AuditStep, ReportStep};
        match self {
            AnyStep::Registration(
                Step::Respond { attachments, .. } | Step::AddDocuments { attachments, .. },
            )
            | AnyStep::Audit(
                AuditStep::Finding { attachments, .. }
                | AuditStep::RespondFinding { attachments, .. },
            )
            | AnyStep::Report(ReportStep::RespondReport { attachments, .. }) => attachments,
            _ => &[],
        }
    }

    fn name(&self) -> &'static str {
        match self {
            AnyStep::Registration(s) => s.name(),
            AnyStep::Report(s) => s.name(),
            AnyStep::Audit(s) => s.name(),
            AnyStep::Investigation(s) => s.name(),
            AnyStep::TrustedList(s) => s.name(),
            AnyStep::DataAccess(s) => s.name(),
            AnyStep::Application(s) => s.name(),
            AnyStep::Allocation(s) => s.name(),
            AnyStep::Enrolment(s) => s.name(),
            AnyStep::Sandbox(s) => s.name(),
        }
    }
}

/// What the public intake answers: the case number and the tracking code,
/// shown once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReportReceipt {
    pub number: String,
    /// Keep it: it is the only way to follow the report without an account.
    pub tracking_code: String,
    pub status: ReportStatus,
}

/// A tagged body loses the path of a bad value inside it; where serde
/// names the value (an unknown variant) or the field (a missing one), say
/// which field it is.
pub fn name_the_field(mut e: ApiError, body: &serde_json::Value) -> ApiError {
    let Some(first) = e.fields.first_mut().filter(|f| f.field == "body") else {
        return e;
    };
    let quoted = first.reason.split('`').nth(1).map(str::to_string);
    let field = match quoted {
        Some(name) if first.reason.starts_with("missing field") => Some(name),
        Some(bad) if first.reason.starts_with("unknown variant") => body
            .as_object()
            .and_then(|o| o.iter().find(|(_, v)| v.as_str() == Some(bad.as_str())))
            .map(|(k, _)| k.clone()),
        _ => None,
    };
    if let Some(field) = field {
        e.message = format!("{field}: {}", first.reason);
        first.field = field;
    }
    e
}
