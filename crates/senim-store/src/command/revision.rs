//! Optimistic concurrency: a change is decided on a record as read, and is
//! refused when the record has moved on since.

use crate::error::StoreError;

/// Refuses an update that starts from a stale revision (`unit` is
/// "revision" or "version").
pub(super) fn check_current(
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

pub(super) fn check_revision(what: &str, expected: i64, current: i64) -> Result<(), StoreError> {
    check_current(what, "revision", expected, current)
}

/// Refuses to act on a withdrawn record.
pub(super) fn refuse_withdrawn(
    withdrawn: bool,
    message: &str,
    current: i64,
) -> Result<(), StoreError> {
    if withdrawn {
        return Err(StoreError::conflict(message, current.to_string()));
    }
    Ok(())
}
