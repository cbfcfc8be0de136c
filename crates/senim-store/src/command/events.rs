//! Events: what each change to the register appends, in the same
//! transaction, to the `events` table and the audit log.

use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;

use senim_domain::Timestamp;

use super::{Actor, Applied};
use crate::error::StoreError;
use crate::log;

/// What applying a command produced: its result, and the event that records
/// it when it changed the register.
pub(crate) type Step = (Applied, Option<EventDraft>);

/// An event before it is appended: what changed, and what the log shows of it.
pub(crate) struct EventDraft {
    kind: &'static str,
    subject_type: &'static str,
    subject_id: String,
    /// Everything the change needs to be replayed.
    payload: serde_json::Value,
    /// What the public log shows, when some of `payload` is private
    /// (personal data, confidential documentation): top-level fields that
    /// differ appear in the log only as salted digests.
    public: Option<serde_json::Value>,
    /// What a rebuild needs besides the payload (a password hash, a pack's
    /// text, every re-classification of a publication), as JSON text: kept
    /// with the event, never part of its log entry.
    replay: Option<String>,
}

impl EventDraft {
    /// An event about one subject: the log shows its payload as it is, and a
    /// rebuild needs nothing else.
    fn new(
        kind: &'static str,
        subject_type: &'static str,
        subject_id: String,
        payload: serde_json::Value,
    ) -> EventDraft {
        EventDraft {
            kind,
            subject_type,
            subject_id,
            payload,
            public: None,
            replay: None,
        }
    }

    /// An event whose payload is one of `crate::logged`'s types.
    pub(crate) fn logged(
        kind: &'static str,
        subject_type: &'static str,
        subject_id: String,
        payload: &impl Serialize,
    ) -> Result<EventDraft, StoreError> {
        Ok(EventDraft::new(
            kind,
            subject_type,
            subject_id,
            serde_json::to_value(payload)?,
        ))
    }

    /// The same event, shown in the public log as `public`.
    pub(crate) fn shown(self, public: &impl Serialize) -> Result<EventDraft, StoreError> {
        Ok(self.shown_as(serde_json::to_value(public)?))
    }

    /// The same event, keeping `replay` for rebuilds (as the JSON text of
    /// its tree, so its keys are in the order `json!` gave them).
    pub(crate) fn replaying_with(self, replay: &impl Serialize) -> Result<EventDraft, StoreError> {
        Ok(self.replaying(serde_json::to_value(replay)?.to_string()))
    }

    /// The same event, shown in the public log as `public`.
    fn shown_as(self, public: serde_json::Value) -> EventDraft {
        EventDraft {
            public: Some(public),
            ..self
        }
    }

    /// The same event, keeping `replay` (JSON text) for rebuilds.
    pub(crate) fn replaying(self, replay: String) -> EventDraft {
        EventDraft {
            replay: Some(replay),
            ..self
        }
    }
}

/// Where a command's events go: who issued it, when, and the batch's log.
pub(crate) struct Events<'a> {
    pub actor: &'a Actor,
    pub now: Timestamp,
    pub log: &'a mut log::Appender,
}

/// Appends an event and its entry in the audit log (the public form, with
/// digests of the private parts); returns the entry's index.
pub(super) async fn append_event(
    conn: &mut AnyConnection,
    events: &mut Events<'_>,
    event: EventDraft,
) -> Result<u64, StoreError> {
    let salt = log::new_salt();
    // Who asks for or downloads restricted data, who applies to a call and
    // who reviews an application are private: the public entry keeps the
    // actor's roles, not their organisation (an award names its awardee in
    // its public record).
    let private_actor = event.kind.starts_with("data_access.")
        || event.kind.starts_with("application.")
        || event.kind == "resource.downloaded";
    let shown = Actor {
        account_id: None,
        roles: events.actor.roles.clone(),
        organisation_id: None,
    };
    let mut draft = log::draft_entry(
        events.now,
        event.kind,
        (event.subject_type, &event.subject_id),
        if private_actor { &shown } else { events.actor },
        &event.payload,
        event.public.as_ref(),
        &salt,
    )?;
    // The log commits to the replay data too, so a rebuild can check it.
    if let Some(replay) = &event.replay {
        draft["replay_sha256"] = json!(sha256_hex(replay));
    }
    let row = log::EventRow {
        time: events.now.to_rfc3339(),
        kind: event.kind,
        subject_type: event.subject_type,
        subject_id: event.subject_id,
        actor: serde_json::to_string(events.actor)?,
        payload: serde_json::to_string(&event.payload)?,
        salt,
        replay: event.replay,
        entry: String::new(),
        index: 0,
    };
    events.log.append(conn, row, draft).await
}

/// The hex SHA-256 of a text: how the log commits to data it does not show.
pub(super) fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}
