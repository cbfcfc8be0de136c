//! The demo's education programme, so the courses pages, the instructor's
//! desk and the certificate check have something on them: the Platform's
//! operator runs "AI skills", whose course on reviewing medical AI (taught
//! by the university; the authority's supervisors require it of
//! healthcare's expert reviewers) the three experts completed, and whose AI literacy course has a learner still
//! enrolled, one who completed it, and one certificate revoked.

use senim_domain::education::{
    enrol, enrolment_step, Course, CourseInput, CourseLanguage, EnrolmentStep, Issue,
};
use senim_domain::profile::Sector;
use senim_domain::programme::{ProgrammeInput, ProgrammeKind};
use senim_domain::{Account, Case, CaseId, CourseId, LocalizedText, Timestamp};
use senim_store::{Actor, Applied, Command, Store};

use crate::cases::account;
use crate::DemoError;

fn data(e: impl std::fmt::Debug) -> DemoError {
    DemoError::Data(format!("demo education: {e:?}"))
}

fn text(en: &str, ru: &str, kk: &str) -> LocalizedText {
    LocalizedText {
        kk: Some(kk.into()),
        ru: Some(ru.into()),
        en: Some(en.into()),
    }
}

struct School<'a> {
    store: &'a Store,
    site: String,
}

impl School<'_> {
    async fn course(
        &self,
        manager: &Account,
        programme: &senim_domain::programme::Programme,
        input: CourseInput,
    ) -> Result<Course, DemoError> {
        let course = input
            .parse(CourseId::generate(), programme, self.store.clock().now())
            .map_err(data)?;
        match self
            .store
            .execute(Actor::of(manager), Command::CreateCourse(Box::new(course)))
            .await?
        {
            Applied::Course(c) => Ok(*c),
            other => Err(data(other)),
        }
    }

    async fn enrol(
        &self,
        course: &Course,
        learner: &Account,
        at: Timestamp,
    ) -> Result<Case, DemoError> {
        let stepped = enrol(CaseId::generate(), course, learner.id, at);
        crate::cases::save(self.store, learner, stepped, None, None).await
    }

    async fn step(
        &self,
        actor: &Account,
        learner: &Account,
        case: &Case,
        step: EnrolmentStep,
        at: Timestamp,
    ) -> Result<Case, DemoError> {
        let issue = Issue {
            email: learner.email.as_str().to_string(),
            salt: hex_salt(),
            credential_id: format!("urn:uuid:{}", uuid::Uuid::new_v4()),
            site: self.site.clone(),
        };
        let stepped = enrolment_step(at, actor.id, case, step, issue).map_err(data)?;
        crate::cases::save(self.store, actor, stepped, Some(case.revision), None).await
    }
}

fn hex_salt() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Seeds the education programme, its two courses and their enrolments.
pub(crate) async fn seed(store: &Store, config: &senim_app::Config) -> Result<(), DemoError> {
    let manager = account(store, "programmes@platform.demo").await?;
    let teacher = account(store, "teacher@university.demo").await?;
    let university = teacher
        .organisation_id
        .ok_or_else(|| data("the instructor has no organisation"))?;
    let organisation = manager
        .organisation_id
        .ok_or_else(|| data("the manager has no organisation"))?;
    let input = ProgrammeInput {
        kind: ProgrammeKind::Education,
        title: text(
            "AI skills",
            "Навыки работы с ИИ",
            "ЖИ дағдылары",
        ),
        description: text(
            "Courses for the people who build, use and review AI in Kazakhstan, with certificates anyone can check.",
            "Курсы для тех, кто создаёт, применяет и проверяет ИИ в Казахстане, с сертификатами, которые может проверить любой.",
            "Қазақстанда ЖИ жасайтын, қолданатын және тексеретін адамдарға арналған курстар, кез келген адам тексере алатын сертификаттармен.",
        ),
    };
    let programme = match store
        .execute(
            Actor::of(&manager),
            Command::CreateProgramme {
                organisation,
                programme: input.parse().map_err(data)?,
            },
        )
        .await?
    {
        Applied::Programme(p) => *p,
        other => return Err(data(other)),
    };
    let school = School {
        store,
        site: config.site_url(),
    };
    let medical = school
        .course(
            &manager,
            &programme,
            CourseInput {
                provider_organisation_id: university,
                title: text(
                    "Reviewing medical AI",
                    "Экспертиза медицинского ИИ",
                    "Медициналық ЖИ сараптамасы",
                ),
                syllabus: text(
                    "Clinical evidence and its limits; bias across patient groups; human oversight at the bedside; post-market monitoring; reading a registration dossier.",
                    "Клинические доказательства и их пределы; смещения между группами пациентов; человеческий контроль у постели больного; мониторинг после выпуска; чтение регистрационного досье.",
                    "Клиникалық дәлелдер және олардың шектері; пациенттер топтары арасындағы ығысу; науқас басындағы адам бақылауы; шығарылғаннан кейінгі мониторинг; тіркеу досьесін оқу.",
                ),
                criteria: text(
                    "Attended 20 of the 24 hours and passed the final case study.",
                    "Посетил 20 из 24 часов и сдал итоговый кейс.",
                    "24 сағаттың 20-сына қатысып, қорытынды кейсті тапсырды.",
                ),
                hours: 24,
                language: CourseLanguage::Ru,
                seats: Some(30),
            },
        )
        .await?;
    let literacy = school
        .course(
            &manager,
            &programme,
            CourseInput {
                provider_organisation_id: university,
                title: text(
                    "AI literacy for public servants",
                    "Грамотность в области ИИ для госслужащих",
                    "Мемлекеттік қызметшілерге арналған ЖИ сауаттылығы",
                ),
                syllabus: text(
                    "What AI systems do and cannot do; the Law on Artificial Intelligence; risk levels; rights of the people a system decides about.",
                    "Что системы ИИ умеют и чего не умеют; Закон об искусственном интеллекте; уровни риска; права людей, о которых принимает решения система.",
                    "ЖИ жүйелері не істей алады және не істей алмайды; Жасанды интеллект туралы заң; тәуекел деңгейлері; жүйе шешім қабылдайтын адамдардың құқықтары.",
                ),
                criteria: text(
                    "Completed the four modules and their quizzes.",
                    "Прошёл четыре модуля и тесты к ним.",
                    "Төрт модульді және олардың тесттерін өтті.",
                ),
                hours: 12,
                language: CourseLanguage::Kk,
                seats: None,
            },
        )
        .await?;
    let now = store.clock().now();
    let days_ago = |n: i64| now.plus_seconds(-n * 86_400);
    // The experts took the medical course last month: the pool offers them
    // for healthcare dossiers.
    for email in [
        "expert@ministry.demo",
        "expert2@ministry.demo",
        "expert3@ministry.demo",
    ] {
        let learner = account(store, email).await?;
        let case = school.enrol(&medical, &learner, days_ago(40)).await?;
        school
            .step(
                &teacher,
                &learner,
                &case,
                EnrolmentStep::Complete {
                    note: Some("Final case study passed.".into()),
                },
                days_ago(20),
            )
            .await?;
    }
    // The authority's supervisors make the medical course a condition of
    // the pool for healthcare dossiers.
    let supervisor = account(store, "supervisor@ministry.demo").await?;
    store
        .execute(
            Actor::of(&supervisor),
            Command::SetCourseReviewerSectors {
                course: medical.id,
                sectors: vec![Sector::Healthcare],
            },
        )
        .await?;
    // Literacy: one completed, one revoked, one still learning.
    let steward = account(store, "data_steward@akimat.demo").await?;
    let case = school.enrol(&literacy, &steward, days_ago(30)).await?;
    school
        .step(
            &teacher,
            &steward,
            &case,
            EnrolmentStep::Complete { note: None },
            days_ago(9),
        )
        .await?;
    let bank = account(store, "developer@bank.demo").await?;
    let case = school.enrol(&literacy, &bank, days_ago(30)).await?;
    let case = school
        .step(
            &teacher,
            &bank,
            &case,
            EnrolmentStep::Complete { note: None },
            days_ago(9),
        )
        .await?;
    school
        .step(
            &manager,
            &bank,
            &case,
            EnrolmentStep::RevokeCertificate {
                reasons: "The quizzes were taken by someone else.".into(),
            },
            days_ago(3),
        )
        .await?;
    let startup = account(store, "developer@startup.demo").await?;
    school.enrol(&literacy, &startup, days_ago(5)).await?;
    Ok(())
}
