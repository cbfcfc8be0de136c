//! Access control: every action is asked of the Cedar policies in `policies/`.
//!
//! Handlers never compare roles themselves. They describe the request (who,
//! which [`Action`], on which [`Resource`]) and this module answers. The
//! policy text is data: the default is compiled in, and an operator may point
//! the server at another file.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Mutex;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicySet, Request, RestrictedExpression,
};
use senim_domain::{Account, CaseKind, OrganisationId, System};
use senim_store::TokenScope;

/// The default policies, as shipped.
pub const DEFAULT_POLICIES: &str = include_str!("../../../policies/senim.cedar");

macro_rules! actions {
    ($($variant:ident => $name:literal : $scope:ident),+ $(,)?) => {
        /// Everything a caller can ask to do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action { $($variant),+ }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant),+];

            /// The action's name in the policies.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name),+ }
            }

            /// The token scope an API token needs for this action.
            pub fn scope(self) -> TokenScope {
                match self { $(Action::$variant => TokenScope::$scope),+ }
            }
        }
    };
}

actions! {
    OrganisationList => "organisation.list": Read,
    OrganisationRead => "organisation.read": Read,
    OrganisationReadOwnerFields => "organisation.read_owner_fields": Read,
    OrganisationCreate => "organisation.create": Admin,
    OrganisationUpdate => "organisation.update": Write,
    OrganisationUpdateLegal => "organisation.update_legal": Admin,
    OrganisationWithdraw => "organisation.withdraw": Admin,
    OrganisationAnswerOperator => "organisation.answer_operator": Write,
    AccountList => "account.list": Read,
    AccountRead => "account.read": Read,
    AccountCreate => "account.create": Admin,
    AccountUpdate => "account.update": Admin,
    AccountWithdraw => "account.withdraw": Admin,
    TokenList => "token.list": Read,
    TokenCreate => "token.create": Admin,
    TokenRevoke => "token.revoke": Write,
    MailManage => "mail.manage": Admin,
    SystemList => "system.list": Read,
    SystemRead => "system.read": Read,
    SystemReadOwnerFields => "system.read_owner_fields": Read,
    SystemReadAuthorityFields => "system.read_authority_fields": Read,
    SystemCreate => "system.create": Write,
    SystemUpdate => "system.update": Write,
    SystemWithdraw => "system.withdraw": Write,
    SystemPauseIntake => "system.pause_intake": Write,
    RulePackPublish => "rulepack.publish": Admin,
    CaseList => "case.list": Read,
    CaseListOwn => "case.list_own": Read,
    CaseRead => "case.read": Read,
    CaseReadFull => "case.read_full": Read,
    CaseReadAuthorityFields => "case.read_authority_fields": Read,
    CaseReadPrivate => "case.read_private": Read,
    CaseSupervise => "case.supervise": Write,
    CaseDossier => "case.dossier": Read,
    CaseSubmit => "case.submit": Write,
    CaseAssign => "case.assign": Write,
    CaseDeclare => "case.declare": Write,
    CaseCheck => "case.check": Write,
    CaseRequestInformation => "case.request_information": Write,
    CaseRespond => "case.respond": Write,
    CaseAddDocuments => "case.add_documents": Write,
    CaseRecommend => "case.recommend": Write,
    CaseDecide => "case.decide": Write,
    CaseSuspend => "case.suspend": Write,
    CaseReinstate => "case.reinstate": Write,
    CaseRevoke => "case.revoke": Write,
    CaseWithdraw => "case.withdraw": Write,
    CaseTriage => "case.triage": Write,
    CaseMerge => "case.merge": Write,
    CaseForward => "case.forward": Write,
    CaseRespondReport => "case.respond_report": Write,
    CaseEscalate => "case.escalate": Write,
    CaseClose => "case.close": Write,
    CaseOpenAudit => "case.open_audit": Write,
    CaseFinding => "case.finding": Write,
    CaseRespondFinding => "case.respond_finding": Write,
    CaseCloseAudit => "case.close_audit": Write,
    CaseOpenInvestigation => "case.open_investigation": Write,
    CaseDecideViolation => "case.decide_violation": Write,
    CaseCloseInvestigation => "case.close_investigation": Write,
    CaseAppeal => "case.appeal": Write,
    CaseDecideAppeal => "case.decide_appeal": Write,
    ReportSubmit => "report.submit": Read,
    CaseApplyList => "case.apply_list": Write,
    ReviewSweep => "review.sweep": Write,
    DatasetRead => "dataset.read": Read,
    DatasetWrite => "dataset.write": Write,
    CaseRequestAccess => "case.request_access": Write,
    CaseGrant => "case.grant": Write,
    CaseRefuse => "case.refuse": Write,
    CaseRevokeAccess => "case.revoke_access": Write,
    CaseCheckApplication => "case.check_application": Write,
    CaseResubmit => "case.resubmit": Write,
    CaseReject => "case.reject": Write,
    CasePublish => "case.publish": Write,
    CaseDelist => "case.delist": Write,
    ReviewerRead => "reviewer.read": Read,
    ReviewerManage => "reviewer.manage": Write,
    InboxRead => "inbox.read": Read,
    DeskOpen => "desk.open": Read,
    ProgrammeCreate => "programme.create": Write,
    CallPublish => "call.publish": Write,
    ApplicationOpen => "application.open": Write,
    ApplicationListManaged => "application.list_managed": Read,
    CaseEditApplication => "case.edit_application": Write,
    CaseSubmitApplication => "case.submit_application": Write,
    CaseAdmit => "case.admit": Write,
    CaseReturnApplication => "case.return_application": Write,
    CaseAssignReviewers => "case.assign_reviewers": Write,
    CaseDeclareInterest => "case.declare_interest": Write,
    CaseScore => "case.score": Write,
    CaseDecideApplication => "case.decide_application": Write,
    CaseAcceptAward => "case.accept_award": Write,
    CaseDeclineAward => "case.decline_award": Write,
    CaseWithdrawApplication => "case.withdraw_application": Write,
    CaseSubmitReport => "case.submit_report": Write,
    CaseReviewReport => "case.review_report": Write,
    ResourceCreate => "resource.create": Write,
    ResourceOfferDataset => "resource.offer_dataset": Write,
    AllocationRequest => "allocation.request": Write,
    AllocationListProvided => "allocation.list_provided": Read,
    CaseApproveAllocation => "case.approve_allocation": Write,
    CaseRefuseAllocation => "case.refuse_allocation": Write,
    CaseReportUsage => "case.report_usage": Write,
    CaseRequestExtension => "case.request_extension": Write,
    CaseDecideExtension => "case.decide_extension": Write,
    CaseRemind => "case.remind": Write,
    CaseExpire => "case.expire": Write,
    CaseLapse => "case.lapse": Write,
    CaseWithdrawAllocation => "case.withdraw_allocation": Write,
    CourseCreate => "course.create": Write,
    CourseEnrol => "course.enrol": Write,
    CourseListEnrolments => "course.list_enrolments": Read,
    CertificateDownload => "certificate.download": Read,
    CaseComplete => "case.complete": Write,
    CaseNotCompleted => "case.not_completed": Write,
    CaseWithdrawEnrolment => "case.withdraw_enrolment": Write,
    CaseRevokeCertificate => "case.revoke_certificate": Write,
    CaseAddNote => "case.add_note": Write,
    CaseSubmitExitReport => "case.submit_exit_report": Write,
    CaseReviewExitReport => "case.review_exit_report": Write,
    CaseTerminateSandbox => "case.terminate_sandbox": Write,
    CaseRemindExit => "case.remind_exit": Write,
    CaseAssessFeasibility => "case.assess_feasibility": Write,
}

impl Action {
    /// The action of a step, by the step's name: `case.{name}`, for the
    /// steps the kinds of case take (names are unique across the kinds).
    pub fn case_step(name: &str) -> Option<Action> {
        if !CaseKind::ALL
            .iter()
            .any(|kind| kind.steps().contains(&name))
        {
            return None;
        }
        Action::ALL
            .iter()
            .copied()
            .find(|action| action.name().strip_prefix("case.") == Some(name))
    }
}

/// What an action is about.
#[derive(Debug, Clone)]
pub enum Resource {
    /// A list, or the place a new record is created in.
    Collection(&'static str),
    Organisation(OrganisationId),
    /// A system: its organisations, and whether anyone may read it (a
    /// draft never submitted is its organisation's own).
    System {
        id: String,
        owner: OrganisationId,
        holder: Option<OrganisationId>,
        public: bool,
    },
    Account(senim_domain::AccountId),
    /// A case: the organisation it concerns, and whether the caller is
    /// assigned to it (worked out by the server from the case's reviewers).
    Case {
        id: String,
        owner: Option<OrganisationId>,
        holder: Option<OrganisationId>,
        assigned: bool,
        /// Anyone may read its public part (see `Case::published`).
        public: bool,
        /// The caller is the case's requester (of data access).
        party: bool,
        /// The caller, a reviewer of the case, declared (in their latest
        /// review of it) that they have no conflict of interest.
        declared: bool,
        /// The case's kind (`registration`, `data_access`, ...).
        kind: &'static str,
        /// For an application or an allocation: the organisation that runs
        /// the call.
        programme: Option<OrganisationId>,
        /// For an allocation: the organisation providing the resource.
        provider: Option<OrganisationId>,
    },
    /// The cases of one kind, as a list (`case.list_own` asks which kinds
    /// a caller may list as their organisation's).
    Cases(CaseKind),
    /// A desk: the pages where a role does its work (`developer`, ...).
    Desk(&'static str),
}

impl Resource {
    pub fn system(system: &System) -> Resource {
        Resource::System {
            id: system.id.to_string(),
            owner: system.owner_organisation_id,
            holder: system.holder_organisation_id,
            public: system.is_public(),
        }
    }

    /// A system that does not exist yet, owned by `owner`.
    pub fn new_system(owner: OrganisationId) -> Resource {
        Resource::System {
            id: "new".into(),
            owner,
            holder: None,
            public: false,
        }
    }
}

/// Why the policy engine could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("the access policies do not parse: {0}")]
    Parse(String),
    #[error("access policy request: {0}")]
    Request(String),
}

/// The loaded policies.
pub struct Policies {
    set: PolicySet,
    authorizer: Authorizer,
    /// Decisions already taken. A decision depends only on what the key
    /// holds (the entities are built from exactly these values and the
    /// policies never change while loaded), so remembering it is exact.
    decisions: Mutex<HashMap<DecisionKey, bool>>,
}

/// Everything a decision depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct DecisionKey {
    principal: Option<(
        senim_domain::AccountId,
        Vec<senim_domain::Role>,
        Option<OrganisationId>,
    )>,
    action: Action,
    resource: ResourceKey,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ResourceKey {
    Collection(&'static str),
    Organisation(OrganisationId),
    System(String, OrganisationId, Option<OrganisationId>, bool),
    Account(senim_domain::AccountId),
    Case(String, [Option<OrganisationId>; 4], [bool; 4], &'static str),
    Cases(CaseKind),
    Desk(&'static str),
}

/// Decisions remembered at most; beyond this the memory starts over.
const MAX_REMEMBERED_DECISIONS: usize = 50_000;

fn type_name(name: &str) -> Result<EntityTypeName, PolicyError> {
    EntityTypeName::from_str(name).map_err(|e| PolicyError::Request(e.to_string()))
}

fn uid(type_: &str, id: &str) -> Result<EntityUid, PolicyError> {
    Ok(EntityUid::from_type_name_and_id(
        type_name(type_)?,
        EntityId::new(id),
    ))
}

fn string(value: impl ToString) -> RestrictedExpression {
    RestrictedExpression::new_string(value.to_string())
}

fn entity(
    uid: EntityUid,
    attrs: HashMap<String, RestrictedExpression>,
    parents: HashSet<EntityUid>,
) -> Result<Entity, PolicyError> {
    Entity::new(uid, attrs, parents).map_err(|e| PolicyError::Request(e.to_string()))
}

impl Policies {
    pub fn parse(text: &str) -> Result<Policies, PolicyError> {
        let set = PolicySet::from_str(text).map_err(|e| PolicyError::Parse(format!("{e:?}")))?;
        Ok(Policies {
            set,
            authorizer: Authorizer::new(),
            decisions: Mutex::new(HashMap::new()),
        })
    }

    pub fn default_policies() -> Result<Policies, PolicyError> {
        Policies::parse(DEFAULT_POLICIES)
    }

    /// Whether `account` (or the anonymous public, for `None`) may do `action` on `resource`.
    pub fn allows(
        &self,
        account: Option<&Account>,
        action: Action,
        resource: &Resource,
    ) -> Result<bool, PolicyError> {
        let key = DecisionKey {
            principal: account.map(|a| (a.id, a.roles.clone(), a.organisation_id)),
            action,
            resource: match resource {
                Resource::Collection(name) => ResourceKey::Collection(name),
                Resource::Organisation(id) => ResourceKey::Organisation(*id),
                Resource::System {
                    id,
                    owner,
                    holder,
                    public,
                } => ResourceKey::System(id.clone(), *owner, *holder, *public),
                Resource::Account(id) => ResourceKey::Account(*id),
                Resource::Case {
                    id,
                    owner,
                    holder,
                    assigned,
                    public,
                    party,
                    declared,
                    kind,
                    programme,
                    provider,
                } => ResourceKey::Case(
                    id.clone(),
                    [*owner, *holder, *programme, *provider],
                    [*assigned, *public, *party, *declared],
                    kind,
                ),
                Resource::Cases(kind) => ResourceKey::Cases(*kind),
                Resource::Desk(name) => ResourceKey::Desk(name),
            },
        };
        if let Some(decision) = self
            .decisions
            .lock()
            .ok()
            .and_then(|d| d.get(&key).copied())
        {
            return Ok(decision);
        }
        let decision = self.evaluate(account, action, resource)?;
        if let Ok(mut decisions) = self.decisions.lock() {
            if decisions.len() >= MAX_REMEMBERED_DECISIONS {
                decisions.clear();
            }
            decisions.insert(key, decision);
        }
        Ok(decision)
    }

    fn evaluate(
        &self,
        account: Option<&Account>,
        action: Action,
        resource: &Resource,
    ) -> Result<bool, PolicyError> {
        let mut entities = Vec::with_capacity(2);
        let principal = match account {
            Some(account) => {
                let principal = uid("Senim::Account", &account.id.to_string())?;
                let mut attrs = HashMap::new();
                if let Some(org) = account.organisation_id {
                    attrs.insert("org".to_string(), string(org));
                }
                let mut parents = HashSet::new();
                for role in &account.roles {
                    parents.insert(uid("Senim::Role", role.as_str())?);
                }
                entities.push(entity(principal.clone(), attrs, parents)?);
                principal
            }
            None => uid("Senim::Anonymous", "public")?,
        };
        let resource_uid = match resource {
            Resource::Collection(name) => uid("Senim::Collection", name)?,
            Resource::Organisation(id) => {
                let r = uid("Senim::Organisation", &id.to_string())?;
                let attrs = HashMap::from([("id".to_string(), string(id))]);
                entities.push(entity(r.clone(), attrs, HashSet::new())?);
                r
            }
            Resource::System {
                id,
                owner,
                holder,
                public,
            } => {
                let r = uid("Senim::System", id)?;
                let mut attrs = HashMap::from([
                    ("owner".to_string(), string(owner)),
                    (
                        "public".to_string(),
                        RestrictedExpression::new_bool(*public),
                    ),
                ]);
                if let Some(holder) = holder {
                    attrs.insert("holder".to_string(), string(holder));
                }
                entities.push(entity(r.clone(), attrs, HashSet::new())?);
                r
            }
            Resource::Account(id) => uid("Senim::Account", &id.to_string())?,
            Resource::Case {
                id,
                owner,
                holder,
                assigned,
                public,
                party,
                declared,
                kind,
                programme,
                provider,
            } => {
                let r = uid("Senim::Case", id)?;
                let mut attrs = HashMap::from([
                    (
                        "assigned".to_string(),
                        RestrictedExpression::new_bool(*assigned),
                    ),
                    (
                        "public".to_string(),
                        RestrictedExpression::new_bool(*public),
                    ),
                    ("party".to_string(), RestrictedExpression::new_bool(*party)),
                    (
                        "declared".to_string(),
                        RestrictedExpression::new_bool(*declared),
                    ),
                    ("kind".to_string(), string(kind)),
                ]);
                if let Some(owner) = owner {
                    attrs.insert("owner".to_string(), string(owner));
                }
                if let Some(holder) = holder {
                    attrs.insert("holder".to_string(), string(holder));
                }
                if let Some(programme) = programme {
                    attrs.insert("programme".to_string(), string(programme));
                }
                if let Some(provider) = provider {
                    attrs.insert("provider".to_string(), string(provider));
                }
                entities.push(entity(r.clone(), attrs, HashSet::new())?);
                r
            }
            Resource::Cases(kind) => uid("Senim::Cases", kind.as_str())?,
            Resource::Desk(name) => uid("Senim::Desk", name)?,
        };
        let action_uid = uid("Senim::Action", action.name())?;
        let request = Request::new(principal, action_uid, resource_uid, Context::empty(), None)
            .map_err(|e| PolicyError::Request(e.to_string()))?;
        let entities = Entities::from_entities(entities, None)
            .map_err(|e| PolicyError::Request(e.to_string()))?;
        let response = self
            .authorizer
            .is_authorized(&request, &self.set, &entities);
        Ok(response.decision() == Decision::Allow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_policies_parse() {
        assert!(Policies::default_policies().is_ok());
    }

    /// Every step a kind of case takes has its action, and the shipped
    /// policies permit it to someone; a new step cannot be left without one.
    #[test]
    fn every_step_of_every_kind_has_its_action_in_the_policies() {
        for kind in CaseKind::ALL {
            for step in kind.steps() {
                let action = Action::case_step(step).unwrap();
                assert_eq!(action.name(), format!("case.{step}"));
                let named = format!("Senim::Action::\"{}\"", action.name());
                assert!(DEFAULT_POLICIES.contains(&named), "{named}");
            }
        }
        assert_eq!(Action::case_step("read"), None);
        assert_eq!(Action::case_step("metrics"), None);
    }

    #[test]
    fn anonymous_reads_but_never_writes() {
        let p = Policies::default_policies().unwrap();
        let owner = OrganisationId::generate();
        let sys = Resource::System {
            id: "s".into(),
            owner,
            holder: None,
            public: true,
        };
        assert!(p.allows(None, Action::SystemRead, &sys).unwrap());
        assert!(!p.allows(None, Action::SystemCreate, &sys).unwrap());
        assert!(!p.allows(None, Action::SystemReadOwnerFields, &sys).unwrap());
    }

    #[test]
    fn a_draft_is_read_by_its_organisations_and_the_authority_only() {
        use senim_domain::Role;
        let p = Policies::default_policies().unwrap();
        let (owner, holder, other) = (
            OrganisationId::generate(),
            OrganisationId::generate(),
            OrganisationId::generate(),
        );
        let draft = Resource::System {
            id: "s".into(),
            owner,
            holder: Some(holder),
            public: false,
        };
        let member = |org, roles: &[Role]| {
            let mut a = account(roles);
            a.organisation_id = Some(org);
            a
        };
        let reads = |a: Option<&Account>| p.allows(a, Action::SystemRead, &draft).unwrap();
        assert!(!reads(None));
        assert!(reads(Some(&member(owner, &[Role::Developer]))));
        assert!(reads(Some(&member(holder, &[Role::Developer]))));
        assert!(!reads(Some(&member(other, &[Role::Developer]))));
        assert!(reads(Some(&account(&[Role::Supervisor]))));
        assert!(!reads(Some(&account(&[Role::ExpertReviewer]))));
    }

    fn account(roles: &[senim_domain::Role]) -> Account {
        serde_json::from_value(serde_json::json!({
            "id": senim_domain::AccountId::generate(),
            "email": "someone@example.kz",
            "display_name": "Someone",
            "roles": roles,
            "organisation_id": OrganisationId::generate(),
            "status": "active",
            "revision": 1,
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
        }))
        .unwrap()
    }

    fn case(assigned: bool, declared: bool) -> Resource {
        Resource::Case {
            id: "c".into(),
            owner: Some(OrganisationId::generate()),
            holder: None,
            assigned,
            public: false,
            party: false,
            declared,
            kind: "registration",
            programme: None,
            provider: None,
        }
    }

    /// The role comparisons that were left in handlers are the policies'
    /// now: who reads a case's authority-only and private parts, when a
    /// reviewer opens a dossier, who acts as a supervisor on a case.
    #[test]
    fn the_policies_decide_what_handlers_once_compared_roles_for() {
        use senim_domain::Role::*;
        let p = Policies::default_policies().unwrap();
        let may = |roles: &[senim_domain::Role], action, resource: &Resource| {
            p.allows(Some(&account(roles)), action, resource).unwrap()
        };
        for role in [Supervisor, Auditor, Administrator] {
            assert!(may(
                &[role],
                Action::CaseReadAuthorityFields,
                &case(false, false)
            ));
        }
        assert!(!may(
            &[ExpertReviewer],
            Action::CaseReadAuthorityFields,
            &case(true, false)
        ));
        assert!(may(
            &[ExpertReviewer],
            Action::CaseReadAuthorityFields,
            &case(false, true)
        ));
        assert!(!may(
            &[Developer],
            Action::CaseReadAuthorityFields,
            &case(false, false)
        ));
        assert!(may(
            &[Supervisor],
            Action::CaseReadPrivate,
            &case(false, false)
        ));
        assert!(may(
            &[Administrator],
            Action::CaseReadPrivate,
            &case(false, false)
        ));
        assert!(!may(
            &[Auditor],
            Action::CaseReadPrivate,
            &case(false, false)
        ));
        assert!(!may(
            &[ExpertReviewer],
            Action::CaseDossier,
            &case(true, false)
        ));
        assert!(may(
            &[ExpertReviewer],
            Action::CaseDossier,
            &case(true, true)
        ));
        assert!(!may(
            &[ExpertReviewer],
            Action::CaseDossier,
            &case(false, true)
        ));
        assert!(may(
            &[ExpertReviewer],
            Action::CaseDeclare,
            &case(true, false)
        ));
        // A reviewer who is also a developer (of the owner, perhaps) may
        // declare and does not read authority-only parts: the dossier waits
        // for the declaration (`cases::must_declare_first`).
        let both = [ExpertReviewer, Developer];
        assert!(may(&both, Action::CaseDeclare, &case(true, false)));
        assert!(!may(
            &both,
            Action::CaseReadAuthorityFields,
            &case(true, false)
        ));
        assert!(may(
            &[Supervisor],
            Action::CaseSupervise,
            &case(false, false)
        ));
        assert!(!may(
            &[ExpertReviewer],
            Action::CaseSupervise,
            &case(true, true)
        ));
        // A data steward lists the requests for their organisation's data,
        // a developer every kind.
        for kind in CaseKind::ALL {
            let cases = Resource::Cases(*kind);
            assert!(may(&[Developer], Action::CaseListOwn, &cases));
            let steward = may(&[DataSteward], Action::CaseListOwn, &cases);
            assert_eq!(steward, *kind == CaseKind::DataAccess, "{kind:?}");
        }
        assert!(!p
            .allows(
                None,
                Action::CaseListOwn,
                &Resource::Cases(CaseKind::DataAccess)
            )
            .unwrap());
    }

    /// Each role opens its own desk and no other's.
    #[test]
    fn each_role_opens_its_own_desk() {
        use senim_domain::Role::*;
        let p = Policies::default_policies().unwrap();
        let desks = [
            "developer",
            "reviewer",
            "supervisor",
            "auditor",
            "steward",
            "admin",
        ];
        let roles = [
            Developer,
            ExpertReviewer,
            Supervisor,
            Auditor,
            DataSteward,
            Administrator,
        ];
        for (role, own) in roles.iter().zip(desks) {
            for desk in desks {
                let open = p
                    .allows(
                        Some(&account(&[*role])),
                        Action::DeskOpen,
                        &Resource::Desk(desk),
                    )
                    .unwrap();
                assert_eq!(open, desk == own, "{role:?} at the {desk} desk");
            }
        }
        assert!(!p
            .allows(None, Action::DeskOpen, &Resource::Desk("developer"))
            .unwrap());
    }
}
