//! Education (issue 18): the courses of the Platform's education
//! programmes, enrolments, and the certificates their completions issue.
//!
//! A **course** belongs to a programme of kind `education`: its programme
//! manager publishes it and names the organisation that teaches it (its
//! instructors record completions). The authority's supervisors, who keep
//! the reviewer pool, may make a course a condition of it: for each sector
//! they name, the pool offers a reviewer for a case of that sector only once
//! they hold the course's certificate (a programme cannot decide who
//! reviews the authority's dossiers).
//!
//! An **enrolment** is a case (`crate::case`) of kind `enrolment`: a learner
//! enrols, an instructor of the course's provider records the completion
//! (which issues an Open Badges 3.0 certificate) or that the learner did
//! not complete; the learner may withdraw before. A certificate is revoked
//! with reasons, by the provider or the programme. The certificate's facts
//! live in the case; the signed credential is made from them on request,
//! and is the same every time (Ed25519 and RDFC-1.0 are deterministic).
//!
//! ```text
//! enrolled ─complete─▶ completed ─revoke_certificate─▶ revoked
//! enrolled ─not_completed─▶ not_completed
//! enrolled ─withdraw_enrolment─▶ withdrawn
//! ```
//!
//! A certificate's place in its status list (what revokes it) is its
//! enrolment's number: `ENR-2027-000042` is entry 42 of the list of 2027.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::case::{
    next, notice, refuse_state, require_state, text, Case, CaseBody, Recipient, Refusal, Stepped,
};
use crate::clock::Timestamp;
use crate::error::{Problems, ValidationError};
use crate::ids::{AccountId, CaseId, CourseId, OrganisationId, ProgrammeId};
use crate::profile::vocabulary;
use crate::profile::Sector;
use crate::programme::{Programme, ProgrammeKind};
use crate::text::LocalizedText;

vocabulary!(
    /// The language a course is taught in.
    CourseLanguage {
        Kk => "kk",
        Ru => "ru",
        En => "en",
    }
);

vocabulary!(
    /// Where an enrolment stands.
    EnrolmentState {
        Enrolled => "enrolled",
        Completed => "completed",
        NotCompleted => "not_completed",
        Withdrawn => "withdrawn",
        Revoked => "revoked",
    }
);

/// The most hours a course may have.
pub const MAX_HOURS: u32 = 10_000;
/// The most seats a course may have.
pub const MAX_SEATS: u32 = 1_000_000;

/// A course as its programme manager describes it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseInput {
    /// The organisation that teaches it; its instructors record completions.
    pub provider_organisation_id: OrganisationId,
    pub title: LocalizedText,
    /// What it teaches, topic by topic.
    pub syllabus: LocalizedText,
    /// What a learner does to complete it (the certificate's criteria).
    pub criteria: LocalizedText,
    /// Hours of study.
    pub hours: u32,
    pub language: CourseLanguage,
    /// How many learners may be enrolled at once (a completion frees its
    /// seat); no limit when absent.
    #[serde(default)]
    pub seats: Option<u32>,
}

/// A course of an education programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Course {
    pub id: CourseId,
    pub programme_id: ProgrammeId,
    /// The organisation running the programme.
    pub programme_organisation_id: OrganisationId,
    pub provider_organisation_id: OrganisationId,
    pub title: LocalizedText,
    pub syllabus: LocalizedText,
    pub criteria: LocalizedText,
    pub hours: u32,
    pub language: CourseLanguage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seats: Option<u32>,
    /// Sectors whose expert reviewers must hold this course's certificate,
    /// as the authority's supervisors set them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviewer_sectors: Vec<Sector>,
    pub created_at: Timestamp,
}

impl CourseInput {
    /// A course of `programme` from this input, or every problem with it.
    pub fn parse(
        self,
        id: CourseId,
        programme: &Programme,
        now: Timestamp,
    ) -> Result<Course, ValidationError> {
        let mut problems = Problems::new();
        if programme.kind != ProgrammeKind::Education {
            problems.add(
                "programme_id",
                format!(
                    "is a {} programme: courses belong to an education programme",
                    programme.kind
                ),
            );
        }
        let mut localized = |field: &str, value: &LocalizedText, max: usize| {
            let mut nested = problems.nested(field);
            let parsed = value.parse(max, &mut nested);
            problems.absorb(nested);
            parsed
        };
        let title = localized("title", &self.title, 300);
        let syllabus = localized("syllabus", &self.syllabus, 20_000);
        let criteria = localized("criteria", &self.criteria, 5_000);
        if !(1..=MAX_HOURS).contains(&self.hours) {
            problems.add("hours", format!("must be from 1 to {MAX_HOURS}"));
        }
        if self.seats.is_some_and(|s| !(1..=MAX_SEATS).contains(&s)) {
            problems.add("seats", format!("must be from 1 to {MAX_SEATS}, or absent"));
        }
        problems.finish(|| {
            Some(Course {
                id,
                programme_id: programme.id,
                programme_organisation_id: programme.organisation_id,
                provider_organisation_id: self.provider_organisation_id,
                title: title?,
                syllabus: syllabus?,
                criteria: criteria?,
                hours: self.hours,
                language: self.language,
                seats: self.seats,
                reviewer_sectors: Vec::new(),
                created_at: now,
            })
        })
    }
}

/// An enrolment's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Enrolment {
    pub course_id: CourseId,
    pub programme_organisation_id: OrganisationId,
    pub provider_organisation_id: OrganisationId,
    /// The account that enrolled.
    pub learner: AccountId,
    /// The completion an instructor recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion: Option<Completion>,
    /// The certificate the completion issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<Certificate>,
    /// Why it ended without a certificate, or why its certificate was revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasons: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
}

/// A completion as an instructor recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Completion {
    pub at: Timestamp,
    pub by: AccountId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The facts a certificate is signed from: the same facts give the same
/// credential, byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Certificate {
    /// The credential's id, `urn:uuid:…`.
    pub id: String,
    pub issued_at: Timestamp,
    /// The learner's address when it was issued; the credential carries
    /// only its salted hash.
    pub email: String,
    pub salt: String,
    /// The site's address when it was issued (`https://senim.example.kz`):
    /// the course's page and the status list are addresses under it.
    pub site: String,
    /// The year of the status list that can revoke it.
    pub status_year: i32,
    /// Its entry in that list.
    pub status_index: u64,
}

impl Certificate {
    /// The address of the status list that can revoke it.
    pub fn status_list_url(&self) -> String {
        status_list_url(&self.site, self.status_year)
    }
}

/// The address of the status list of `year` on `site`.
pub fn status_list_url(site: &str, year: i32) -> String {
    format!("{}/badges/status/{year}", site.trim_end_matches('/'))
}

/// The address of a course's page on `site` (the certificate's achievement).
pub fn course_url(site: &str, course: CourseId) -> String {
    format!("{}/courses/{course}", site.trim_end_matches('/'))
}

/// The status list entry an enrolment's number gives its certificate:
/// `ENR-2027-000042` → (2027, 42).
pub fn status_slot(number: &str) -> Option<(i32, u64)> {
    let mut parts = number.rsplitn(3, '-');
    let index = parts.next()?.parse().ok()?;
    let year = parts.next()?.parse().ok()?;
    (parts.next()? == crate::case::CaseKind::Enrolment.number_prefix()).then_some((year, index))
}

/// A new enrolment of `learner` in `course`.
pub fn enrol(id: CaseId, course: &Course, learner: AccountId, now: Timestamp) -> Stepped {
    let case = Case::new(
        id,
        CaseBody::Enrolment {
            state: EnrolmentState::Enrolled,
            body: Some(Enrolment {
                course_id: course.id,
                programme_organisation_id: course.programme_organisation_id,
                provider_organisation_id: course.provider_organisation_id,
                learner,
                completion: None,
                certificate: None,
                reasons: None,
                ended_at: None,
            }),
        },
        now,
    );
    let mut stepped = Stepped::new(case, "enrolment.opened");
    stepped.notices.push(notice(
        Recipient::Organisation(course.provider_organisation_id),
        "notice-enrolment-opened",
        &[],
        "A learner enrolled in one of your courses.".into(),
    ));
    stepped
}

/// A step on an enrolment, as the API and the pages send it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum EnrolmentStep {
    /// Instructor: the learner completed the course; issues the certificate.
    Complete {
        #[serde(default)]
        note: Option<String>,
    },
    /// Instructor: the course ended without the learner completing it.
    NotCompleted { reasons: String },
    /// Learner: leave the course.
    WithdrawEnrolment,
    /// Instructor or programme manager: the certificate no longer stands.
    RevokeCertificate { reasons: String },
}

impl EnrolmentStep {
    /// Every step's name, in the order of [`Self::name`].
    pub const NAMES: &'static [&'static str] = &[
        "complete",
        "not_completed",
        "withdraw_enrolment",
        "revoke_certificate",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            EnrolmentStep::Complete { .. } => "complete",
            EnrolmentStep::NotCompleted { .. } => "not_completed",
            EnrolmentStep::WithdrawEnrolment => "withdraw_enrolment",
            EnrolmentStep::RevokeCertificate { .. } => "revoke_certificate",
        }
    }
}

/// What a completion needs besides the case: who the certificate is for and
/// the fresh values it is issued with.
pub struct Issue {
    /// The learner's address now.
    pub email: String,
    /// A fresh random salt for the address's hash.
    pub salt: String,
    /// A fresh `urn:uuid:…` for the credential.
    pub credential_id: String,
    /// The site's address.
    pub site: String,
}

/// A step on an enrolment taken by `actor` at `now`.
pub fn enrolment_step(
    now: Timestamp,
    actor: AccountId,
    current: &Case,
    step: EnrolmentStep,
    issue: Issue,
) -> Result<Stepped, Refusal> {
    use EnrolmentState as S;
    let state = match &current.body {
        CaseBody::Enrolment { state, .. } => *state,
        _ => {
            return Err(refuse_state(
                current.state(),
                "the case is not an enrolment",
            ))
        }
    };
    let mut case = next(current, now);
    let Some(mut b) = case.enrolment().cloned() else {
        return Err(refuse_state(current.state(), "the case has no body"));
    };
    let own = actor == b.learner;
    if own && !matches!(step, EnrolmentStep::WithdrawEnrolment) {
        return Err(Refusal::Forbidden(
            "a learner does not record or revoke their own completion".into(),
        ));
    }
    let learner = Recipient::Account(b.learner);
    let mut notices = Vec::new();
    let (to, event) = match step {
        EnrolmentStep::Complete { note } => {
            require_state(state, &[S::Enrolled], "complete")?;
            let Some((status_year, status_index)) = status_slot(&current.number) else {
                return Err(refuse_state(
                    state.as_str(),
                    format!(
                        "the enrolment's number `{}` gives no status list entry",
                        current.number
                    ),
                ));
            };
            if issue.email.trim().is_empty() {
                return Err(refuse_state(
                    state.as_str(),
                    "the learner's account has no e-mail address to issue the certificate to",
                ));
            }
            b.completion = Some(Completion {
                at: now,
                by: actor,
                note: match note {
                    Some(n) if !n.trim().is_empty() => Some(text("note", &n)?),
                    _ => None,
                },
            });
            b.certificate = Some(Certificate {
                id: issue.credential_id,
                issued_at: now,
                email: issue.email,
                salt: issue.salt,
                site: issue.site.trim_end_matches('/').to_string(),
                status_year,
                status_index,
            });
            b.ended_at = Some(now);
            notices.push(notice(
                learner,
                "notice-enrolment-completed",
                &[],
                "You completed the course; your certificate is ready.".into(),
            ));
            (S::Completed, "enrolment.completed")
        }
        EnrolmentStep::NotCompleted { reasons } => {
            require_state(state, &[S::Enrolled], "not_completed")?;
            b.reasons = Some(text("reasons", &reasons)?);
            b.ended_at = Some(now);
            notices.push(notice(
                learner,
                "notice-enrolment-not-completed",
                &[],
                "The course ended without a completion for you.".into(),
            ));
            (S::NotCompleted, "enrolment.not_completed")
        }
        EnrolmentStep::WithdrawEnrolment => {
            require_state(state, &[S::Enrolled], "withdraw_enrolment")?;
            if actor != b.learner {
                return Err(Refusal::Forbidden(
                    "only the learner withdraws from a course".into(),
                ));
            }
            b.ended_at = Some(now);
            (S::Withdrawn, "enrolment.withdrawn")
        }
        EnrolmentStep::RevokeCertificate { reasons } => {
            require_state(state, &[S::Completed], "revoke_certificate")?;
            b.reasons = Some(text("reasons", &reasons)?);
            notices.push(notice(
                learner,
                "notice-certificate-revoked",
                &[],
                "Your certificate was revoked.".into(),
            ));
            (S::Revoked, "enrolment.certificate_revoked")
        }
    };
    case.open = false;
    case.deadline = None;
    case.body = CaseBody::Enrolment {
        state: to,
        body: Some(b),
    };
    let mut stepped = Stepped::new(case, event);
    stepped.notices = notices;
    Ok(stepped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;

    fn now() -> Timestamp {
        Timestamp::parse("2027-03-01T09:00:00Z").unwrap()
    }

    fn en(text: &str) -> LocalizedText {
        LocalizedText {
            en: Some(text.into()),
            ..LocalizedText::default()
        }
    }

    fn programme(kind: ProgrammeKind) -> Programme {
        Programme {
            id: ProgrammeId::generate(),
            kind,
            title: en("AI literacy"),
            description: None,
            organisation_id: OrganisationId::generate(),
            created_at: now(),
        }
    }

    fn input() -> CourseInput {
        CourseInput {
            provider_organisation_id: OrganisationId::generate(),
            title: en("Reviewing medical AI"),
            syllabus: en("Risk, evidence, bias."),
            criteria: en("Passed the final case study."),
            hours: 24,
            language: CourseLanguage::Ru,
            seats: Some(30),
        }
    }

    fn issue() -> Issue {
        Issue {
            email: "learner@example.kz".into(),
            salt: "00ff".into(),
            credential_id: "urn:uuid:0191d7a2-3c4b-7d8e-9f00-112233445566".into(),
            site: "https://senim.example.kz/".into(),
        }
    }

    fn enrolled() -> (Course, Case, AccountId) {
        let course = input()
            .parse(
                CourseId::generate(),
                &programme(ProgrammeKind::Education),
                now(),
            )
            .unwrap();
        let learner = AccountId::generate();
        let mut case = enrol(CaseId::generate(), &course, learner, now()).case;
        case.number = "ENR-2027-000042".into();
        (course, case, learner)
    }

    #[test]
    fn a_course_names_every_problem_and_belongs_to_an_education_programme() {
        let course = input()
            .parse(
                CourseId::generate(),
                &programme(ProgrammeKind::Education),
                now(),
            )
            .unwrap();
        assert!(course.reviewer_sectors.is_empty());
        let bad = CourseInput {
            title: LocalizedText::default(),
            hours: 0,
            seats: Some(0),
            ..input()
        };
        let err = bad
            .parse(
                CourseId::generate(),
                &programme(ProgrammeKind::Compute),
                now(),
            )
            .unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["programme_id", "title", "hours", "seats"]);
    }

    #[test]
    fn the_number_gives_the_status_entry() {
        assert_eq!(status_slot("ENR-2027-000042"), Some((2027, 42)));
        assert_eq!(status_slot("ALC-2027-000042"), None);
        assert_eq!(status_slot("ENR-x-1"), None);
    }

    #[test]
    fn completion_issues_a_certificate_and_revocation_ends_it() {
        let (_, case, learner) = enrolled();
        let instructor = AccountId::generate();
        let done = enrolment_step(
            now(),
            instructor,
            &case,
            EnrolmentStep::Complete { note: None },
            issue(),
        )
        .unwrap();
        assert_eq!(done.event, "enrolment.completed");
        assert_eq!(done.case.state(), "completed");
        assert!(!done.case.open);
        let cert = done.case.enrolment().unwrap().certificate.clone().unwrap();
        assert_eq!((cert.status_year, cert.status_index), (2027, 42));
        assert_eq!(
            cert.status_list_url(),
            "https://senim.example.kz/badges/status/2027"
        );
        assert_eq!(done.notices[0].recipient, Recipient::Account(learner));
        // Completed once: not again, and not withdrawn.
        let again = enrolment_step(
            now(),
            instructor,
            &done.case,
            EnrolmentStep::Complete { note: None },
            issue(),
        );
        assert!(matches!(again, Err(Refusal::State { .. })));
        let empty = enrolment_step(
            now(),
            instructor,
            &done.case,
            EnrolmentStep::RevokeCertificate {
                reasons: " ".into(),
            },
            issue(),
        );
        assert!(matches!(empty, Err(Refusal::Invalid(_))));
        let revoked = enrolment_step(
            now(),
            instructor,
            &done.case,
            EnrolmentStep::RevokeCertificate {
                reasons: "The final test was copied.".into(),
            },
            issue(),
        )
        .unwrap();
        assert_eq!(revoked.case.state(), "revoked");
        assert_eq!(
            revoked.case.enrolment().unwrap().certificate,
            Some(cert),
            "the facts stay: the status list revokes them"
        );
    }

    #[test]
    fn only_the_learner_withdraws_and_only_while_enrolled() {
        let (_, case, learner) = enrolled();
        let other = enrolment_step(
            now(),
            AccountId::generate(),
            &case,
            EnrolmentStep::WithdrawEnrolment,
            issue(),
        );
        assert!(matches!(other, Err(Refusal::Forbidden(_))));
        let out = enrolment_step(
            now(),
            learner,
            &case,
            EnrolmentStep::WithdrawEnrolment,
            issue(),
        )
        .unwrap();
        assert_eq!(out.case.state(), "withdrawn");
        let revoke = enrolment_step(
            now(),
            AccountId::generate(),
            &out.case,
            EnrolmentStep::RevokeCertificate {
                reasons: "x".into(),
            },
            issue(),
        );
        assert!(matches!(revoke, Err(Refusal::State { .. })));
    }

    #[test]
    fn a_completion_needs_the_learners_address() {
        let (_, case, _) = enrolled();
        let out = enrolment_step(
            now(),
            AccountId::generate(),
            &case,
            EnrolmentStep::Complete { note: None },
            Issue {
                email: String::new(),
                ..issue()
            },
        );
        assert!(matches!(out, Err(Refusal::State { .. })));
    }

    #[test]
    fn an_instructor_does_not_complete_their_own_enrolment() {
        let (_, case, learner) = enrolled();
        let own = enrolment_step(
            now(),
            learner,
            &case,
            EnrolmentStep::Complete { note: None },
            issue(),
        );
        assert!(matches!(own, Err(Refusal::Forbidden(_))));
    }
}
