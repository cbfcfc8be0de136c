//! A read cache for systems, used on SQLite only.
//!
//! On the embedded backend this process is the only writer of systems (the
//! writer task below, and `senim admin`, which never writes systems), so the
//! cache can be exact: after each commit the writer drops the entries of the
//! systems it changed and bumps a generation counter. A reader that loaded
//! from the database while a write committed sees the generation move and
//! does not store what it read, so a stale entry can never be inserted after
//! its invalidation. Entries also expire after a few seconds, which bounds
//! staleness if another process ever writes the same file.
//!
//! PostgreSQL runs several servers on one database, so there the cache is
//! off and every read goes to the database.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use senim_domain::SystemId;

use crate::query::SystemRecord;

/// How long an entry may live without being invalidated.
const TIME_TO_LIVE: Duration = Duration::from_secs(5);
/// Entries kept at most; beyond this the cache starts over.
const MAX_ENTRIES: usize = 100_000;

struct Entry {
    loaded_at: Instant,
    record: SystemRecord,
}

#[derive(Default)]
pub(crate) struct SystemCache {
    generation: AtomicU64,
    entries: Mutex<HashMap<SystemId, Entry>>,
}

impl SystemCache {
    /// The generation to pass to [`SystemCache::insert`] after a database read.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn get(&self, id: SystemId) -> Option<SystemRecord> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(&id)?;
        (entry.loaded_at.elapsed() < TIME_TO_LIVE).then(|| entry.record.clone())
    }

    /// Stores what a reader loaded, unless a write committed since it began.
    pub fn insert(&self, read_generation: u64, record: &SystemRecord) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if self.generation.load(Ordering::Acquire) != read_generation {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            record.system.id,
            Entry {
                loaded_at: Instant::now(),
                record: record.clone(),
            },
        );
    }

    /// Called by the writer after a commit that changed every system.
    pub fn invalidate_all(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            entries.clear();
        }
    }

    /// Called by the writer after a commit that changed these systems.
    pub fn invalidate(&self, ids: &[SystemId]) {
        if let Ok(mut entries) = self.entries.lock() {
            // Bump under the lock, so no insert can slip between the two steps.
            self.generation.fetch_add(1, Ordering::AcqRel);
            for id in ids {
                entries.remove(id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use senim_domain::{System, SystemVersion};

    fn sample() -> SystemRecord {
        let version: senim_domain::VersionInput = serde_json::from_value(serde_json::json!({
            "name": {"en": "x"},
            "profile": {"sectors": ["other"], "functions": ["other"], "autonomy": "low",
                        "affects": ["none"], "failure_impact": "minimal"}
        }))
        .unwrap();
        let v = version.parse().unwrap();
        let id = SystemId::generate();
        let now = senim_domain::Timestamp::from_unix_millis(0);
        let system = System {
            id,
            name: v.name.clone(),
            owner_organisation_id: senim_domain::OrganisationId::generate(),
            holder_organisation_id: None,
            status: senim_domain::SystemStatus::Draft,
            registry_number: None,
            risk_level: None,
            sectors: v.profile.sectors.clone(),
            current_version: 1,
            created_at: now,
            updated_at: now,
            public_since: None,
        };
        let version = SystemVersion {
            system_id: id,
            version: 1,
            name: v.name,
            holder_organisation_id: None,
            profile: v.profile,
            documentation: v.documentation,
            translations: v.translations,
            visibility: v.visibility,
            withheld: vec![],
            change_note: None,
            datasets: vec![],
            created_by: None,
            created_at: now,
        };
        SystemRecord {
            system,
            version,
            assessment: None,
        }
    }

    #[test]
    fn a_read_that_raced_a_write_is_not_stored() {
        let cache = SystemCache::default();
        let r = sample();
        let id = r.system.id;
        let before = cache.generation();
        cache.invalidate(&[id]);
        cache.insert(before, &r);
        assert!(cache.get(id).is_none());
        cache.insert(cache.generation(), &r);
        assert!(cache.get(id).is_some());
        cache.invalidate(&[id]);
        assert!(cache.get(id).is_none());
        cache.insert(cache.generation(), &r);
        cache.invalidate_all();
        assert!(cache.get(id).is_none());
    }
}
