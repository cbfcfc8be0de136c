//! Courses (writes, replays and reads) and the index of enrolments that the
//! case writes keep (`enrolments`): the seats a course has given, a
//! learner's one running enrolment per course, the certificates an expert
//! reviewer holds and the entries a status list revokes.

use sqlx::{AnyConnection, Row};

use senim_domain::education::{Course, EnrolmentState};
use senim_domain::{AccountId, Case, CourseId, ProgrammeId};

use crate::command::{Applied, EventDraft, Step};
use crate::error::StoreError;
use crate::logged::{CourseCreated, CourseReviewerSectorsSet};
use crate::record::{self, Recorded};
use crate::rows::data;
use crate::Store;

async fn insert_course(conn: &mut AnyConnection, c: &Course) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO courses (id, programme_id, provider_organisation_id, data, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(c.id.to_string())
    .bind(c.programme_id.to_string())
    .bind(c.provider_organisation_id.to_string())
    .bind(record::json(c)?)
    .bind(c.created_at.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Applies [`crate::Command::CreateCourse`]: the provider must be an active
/// organisation of the register.
pub(crate) async fn create_course(
    conn: &mut AnyConnection,
    course: Course,
) -> Result<Step, StoreError> {
    crate::command::require_organisation(
        conn,
        "provider_organisation_id",
        course.provider_organisation_id,
    )
    .await?;
    insert_course(conn, &course).await?;
    let event = EventDraft::logged(
        "course.created",
        "course",
        course.id.to_string(),
        &CourseCreated {
            course: course.to_record(),
        },
    )?;
    Ok((Applied::Course(Box::new(course)), Some(event)))
}

pub(crate) async fn replay(
    conn: &mut AnyConnection,
    payload: &serde_json::Value,
) -> Result<(), StoreError> {
    let event: CourseCreated = serde_json::from_value(payload.clone())?;
    insert_course(conn, &Course::from_record(event.course)).await
}

/// Writes a course's reviewer sectors (sorted, once each); the course as
/// it is now.
async fn write_reviewer_sectors(
    conn: &mut AnyConnection,
    course: CourseId,
    mut sectors: Vec<senim_domain::profile::Sector>,
) -> Result<Course, StoreError> {
    let row = sqlx::query("SELECT data FROM courses WHERE id = $1")
        .bind(course.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "course",
            id: course.to_string(),
        })?;
    let mut c: Course = data(&row)?;
    sectors.sort();
    sectors.dedup();
    c.reviewer_sectors = sectors;
    sqlx::query("UPDATE courses SET data = $2 WHERE id = $1")
        .bind(course.to_string())
        .bind(record::json(&c)?)
        .execute(&mut *conn)
        .await?;
    Ok(c)
}

/// Applies [`crate::Command::SetCourseReviewerSectors`].
pub(crate) async fn set_reviewer_sectors(
    conn: &mut AnyConnection,
    course: CourseId,
    sectors: Vec<senim_domain::profile::Sector>,
) -> Result<Step, StoreError> {
    let c = write_reviewer_sectors(conn, course, sectors).await?;
    let event = EventDraft::logged(
        "course.reviewer_sectors_set",
        "course",
        course.to_string(),
        &CourseReviewerSectorsSet {
            course_id: course,
            sectors: c.reviewer_sectors.clone(),
        },
    )?;
    Ok((Applied::Course(Box::new(c)), Some(event)))
}

pub(crate) async fn replay_reviewer_sectors(
    conn: &mut AnyConnection,
    payload: &serde_json::Value,
) -> Result<(), StoreError> {
    let event: CourseReviewerSectorsSet = serde_json::from_value(payload.clone())?;
    write_reviewer_sectors(conn, event.course_id, event.sectors)
        .await
        .map(|_| ())
}

/// Keeps the enrolment index current after a write of an enrolment case,
/// and refuses a new enrolment when the learner already holds one in the
/// course (enrolled or completed) or the course has no seat left (the
/// writer holds the write lock, so neither can change meanwhile).
pub(crate) async fn index_enrolment(
    conn: &mut AnyConnection,
    case: &Case,
) -> Result<(), StoreError> {
    let Some(e) = case.enrolment() else {
        return Ok(());
    };
    let state: EnrolmentState = case.state().parse().map_err(StoreError::Corrupt)?;
    // A seat is held while learning; a completion frees it, but stays the
    // learner's one enrolment in the course.
    let holds_seat = state == EnrolmentState::Enrolled;
    let counts = matches!(state, EnrolmentState::Enrolled | EnrolmentState::Completed);
    let new = sqlx::query("DELETE FROM enrolments WHERE case_id = $1")
        .bind(case.id.to_string())
        .execute(&mut *conn)
        .await?
        .rows_affected()
        == 0;
    if new {
        let row = sqlx::query(
            "SELECT c.data AS data, (SELECT COUNT(*) FROM enrolments e \
             WHERE e.course_id = c.id AND e.holds_seat = 1) AS taken, \
             (SELECT COUNT(*) FROM enrolments e WHERE e.course_id = c.id \
             AND e.learner_id = $2 AND e.counts = 1) AS mine \
             FROM courses c WHERE c.id = $1",
        )
        .bind(e.course_id.to_string())
        .bind(e.learner.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::invalid("course_id", "names no course"))?;
        let course: Course = data(&row)?;
        let (taken, mine): (i64, i64) = (row.try_get("taken")?, row.try_get("mine")?);
        if mine > 0 {
            return Err(StoreError::conflict(
                "you are already enrolled in this course, or have completed it",
                "enrolled",
            ));
        }
        if let Some(seats) = course.seats {
            if taken >= i64::from(seats) {
                return Err(StoreError::conflict(
                    format!("the course's {seats} seats are taken"),
                    "full",
                ));
            }
        }
    }
    let certificate = e.certificate.as_ref();
    sqlx::query(
        "INSERT INTO enrolments (case_id, course_id, learner_id, state, holds_seat, counts, \
         status_year, status_index) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(case.id.to_string())
    .bind(e.course_id.to_string())
    .bind(e.learner.to_string())
    .bind(state.as_str())
    .bind(i64::from(holds_seat))
    .bind(i64::from(counts))
    .bind(certificate.map(|c| i64::from(c.status_year)))
    .bind(certificate.map(|c| c.status_index as i64))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A course with how many learners are enrolled in it and how many
/// completed it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CourseFigures {
    #[serde(flatten)]
    pub course: Course,
    pub enrolled: i64,
    pub completed: i64,
}

const COURSE_FIGURES: &str = "SELECT c.data AS data, \
     (SELECT COUNT(*) FROM enrolments e WHERE e.course_id = c.id AND e.state = 'enrolled') AS enrolled, \
     (SELECT COUNT(*) FROM enrolments e WHERE e.course_id = c.id AND e.state = 'completed') AS completed \
     FROM courses c";

fn figures(row: &sqlx::any::AnyRow) -> Result<CourseFigures, StoreError> {
    Ok(CourseFigures {
        course: data(row)?,
        enrolled: row.try_get("enrolled")?,
        completed: row.try_get("completed")?,
    })
}

impl Store {
    /// A course and its figures.
    pub async fn course(&self, id: CourseId) -> Result<CourseFigures, StoreError> {
        let row = sqlx::query(&format!("{COURSE_FIGURES} WHERE c.id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "course",
                id: id.to_string(),
            })?;
        figures(&row)
    }

    /// Every course (of one programme, when given), oldest first.
    pub async fn courses(
        &self,
        programme: Option<ProgrammeId>,
    ) -> Result<Vec<CourseFigures>, StoreError> {
        let rows = match programme {
            Some(p) => {
                sqlx::query(&format!(
                    "{COURSE_FIGURES} WHERE c.programme_id = $1 ORDER BY c.created_at, c.id"
                ))
                .bind(p.to_string())
                .fetch_all(self.reader())
                .await?
            }
            None => {
                sqlx::query(&format!("{COURSE_FIGURES} ORDER BY c.created_at, c.id"))
                    .fetch_all(self.reader())
                    .await?
            }
        };
        rows.iter().map(figures).collect()
    }

    async fn enrolment_cases(&self, sql: &str, bind: String) -> Result<Vec<Case>, StoreError> {
        let rows = sqlx::query(sql).bind(bind).fetch_all(self.reader()).await?;
        rows.iter().map(data).collect()
    }

    /// The enrolments in a course, running ones first.
    pub async fn enrolments_in(&self, course: CourseId) -> Result<Vec<Case>, StoreError> {
        self.enrolment_cases(
            "SELECT c.data FROM enrolments e JOIN cases c ON c.id = e.case_id \
             WHERE e.course_id = $1 \
             ORDER BY CASE e.state WHEN 'enrolled' THEN 0 ELSE 1 END, c.created_at, c.id",
            course.to_string(),
        )
        .await
    }

    /// A learner's enrolments, newest first.
    pub async fn enrolments_of(&self, learner: AccountId) -> Result<Vec<Case>, StoreError> {
        self.enrolment_cases(
            "SELECT c.data FROM enrolments e JOIN cases c ON c.id = e.case_id \
             WHERE e.learner_id = $1 ORDER BY c.created_at DESC, c.id",
            learner.to_string(),
        )
        .await
    }

    /// The entries of the status list of `year` whose certificates are
    /// revoked.
    pub async fn revoked_certificates(&self, year: i32) -> Result<Vec<u64>, StoreError> {
        let rows = sqlx::query(
            "SELECT status_index FROM enrolments WHERE state = 'revoked' AND status_year = $1 \
             ORDER BY status_index",
        )
        .bind(i64::from(year))
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<i64, _>("status_index")? as u64))
            .collect()
    }

    /// The highest entry of the status list of `year` given to a
    /// certificate (0 when none).
    pub async fn last_status_index(&self, year: i32) -> Result<u64, StoreError> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(MAX(status_index), 0) AS BIGINT) AS n FROM enrolments \
             WHERE status_year = $1",
        )
        .bind(i64::from(year))
        .fetch_one(self.reader())
        .await?;
        Ok(row.try_get::<i64, _>("n")?.max(0) as u64)
    }

    /// Whether the status list of `year` has any entry (a certificate
    /// issued in it, revoked or not).
    pub async fn status_list_exists(&self, year: i32) -> Result<bool, StoreError> {
        Ok(
            sqlx::query("SELECT 1 FROM enrolments WHERE status_year = $1 LIMIT 1")
                .bind(i64::from(year))
                .fetch_optional(self.reader())
                .await?
                .is_some(),
        )
    }
}

/// The sectors whose reviewers the pool asks a course's certificate of,
/// with the course: read off the courses' rows, without their figures (a
/// course with none does not write the field).
pub(crate) async fn pool_requirements<'c, E>(
    executor: E,
) -> Result<Vec<(senim_domain::profile::Sector, CourseId)>, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let rows = sqlx::query("SELECT data FROM courses WHERE data LIKE '%\"reviewer_sectors\"%'")
        .fetch_all(executor)
        .await?;
    let mut out = Vec::new();
    for row in &rows {
        let course: Course = data(row)?;
        out.extend(course.reviewer_sectors.iter().map(|s| (*s, course.id)));
    }
    Ok(out)
}

/// Who holds which certificate (completed, not revoked) of the courses the
/// pool asks for.
pub(crate) async fn certified<'c, E>(
    executor: E,
) -> Result<std::collections::HashSet<(AccountId, CourseId)>, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT e.learner_id AS learner_id, e.course_id AS course_id FROM enrolments e \
         JOIN courses c ON c.id = e.course_id \
         WHERE e.state = 'completed' AND c.data LIKE '%\"reviewer_sectors\"%'",
    )
    .fetch_all(executor)
    .await?;
    rows.iter()
        .map(|r| {
            let account: String = r.try_get("learner_id")?;
            let course: String = r.try_get("course_id")?;
            Ok((
                account.parse().map_err(StoreError::Corrupt)?,
                course.parse().map_err(StoreError::Corrupt)?,
            ))
        })
        .collect()
}
