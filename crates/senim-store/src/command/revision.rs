//! Optimistic concurrency: a change is decided on a record as it was read,
//! and is refused when the record has moved on since.
//!
//! Organisations, accounts and systems share one life: each change starts
//! from the revision the writer read (a system counts versions instead),
//! nothing changes once the record is withdrawn, and the row is written only
//! if it is still at the revision the change was decided on. [`Revised`]
//! says what differs between them; the functions here hold what does not.

use senim_domain::Timestamp;

use crate::error::StoreError;

/// A register record that changes revision by revision until it is withdrawn.
pub(super) trait Revised: Sized {
    /// What the refusals call it: "organisation".
    const NAME: &'static str;
    /// What its counter is called: "revision", or "version" for a system.
    const COUNTER: &'static str;
    /// Why a change to it is refused once it is withdrawn.
    const CHANGE_REFUSED_WHEN_WITHDRAWN: &'static str;

    /// Its counter as read.
    fn counter(&self) -> i64;

    fn is_withdrawn(&self) -> bool;

    /// What else may forbid withdrawing it (a system under review); checked
    /// after the counter and the status.
    fn refuse_withdrawal(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// The record once withdrawn at `now`.
    fn into_withdrawn(self, now: Timestamp) -> Self;
}

/// Refuses a change that starts from a stale revision (`unit` is
/// "revision" or "version").
pub(crate) fn check_current(
    what: &str,
    unit: &str,
    expected: i64,
    current: i64,
) -> Result<(), StoreError> {
    if expected != current {
        return Err(StoreError::conflict(
            format!(
                "the {what} is at {unit} {current}, not {expected}: someone changed it since you read it; reload and try again"
            ),
            current.to_string(),
        ));
    }
    Ok(())
}

/// Refuses to act on a withdrawn record.
fn refuse_withdrawn(withdrawn: bool, message: &str, current: i64) -> Result<(), StoreError> {
    if withdrawn {
        return Err(StoreError::conflict(message, current.to_string()));
    }
    Ok(())
}

/// Refuses a change to `current` decided at another revision, or to a
/// withdrawn record.
pub(super) fn check_change<R: Revised>(current: &R, expected: i64) -> Result<(), StoreError> {
    check_current(R::NAME, R::COUNTER, expected, current.counter())?;
    refuse_withdrawn(
        current.is_withdrawn(),
        R::CHANGE_REFUSED_WHEN_WITHDRAWN,
        current.counter(),
    )
}

/// The record withdrawn, once the withdrawal is allowed: from the revision
/// read (when the writer names one), not twice, and not when the record
/// type forbids it.
pub(super) fn withdrawal<R: Revised>(
    current: R,
    expected: Option<i64>,
    now: Timestamp,
) -> Result<R, StoreError> {
    if let Some(expected) = expected {
        check_current(R::NAME, R::COUNTER, expected, current.counter())?;
    }
    refuse_withdrawn(
        current.is_withdrawn(),
        &format!("the {} is already withdrawn", R::NAME),
        current.counter(),
    )?;
    current.refuse_withdrawal()?;
    Ok(current.into_withdrawn(now))
}

/// After an `UPDATE ... WHERE <counter> = <expected>`: refuses the change
/// when no row was at the expected revision any more (another writer came
/// first between the read and the write).
pub(super) fn check_written<R: Revised>(rows_affected: u64) -> Result<(), StoreError> {
    if rows_affected != 1 {
        return Err(StoreError::conflict(
            format!(
                "the {} was changed by someone else; reload it and try again",
                R::NAME
            ),
            "",
        ));
    }
    Ok(())
}
