//! The public register in memory: every system's public summary, filtered,
//! counted by facet, sorted and paged without a database round trip.
//!
//! The register page shows facet counts (sector, risk level, status,
//! organisation) over the whole result on every request; four `GROUP BY`
//! queries over the systems table would cost more than the page's budget at
//! national scale, so the summaries live here. [`AppState::execute`] keeps
//! them current after each write, and a rule pack publication (which
//! reclassifies every system) rebuilds them from the database. Words are
//! matched here too, in each system's search text (its names and public
//! documentation, lower-cased: [`senim_store::system_search`], the very text
//! the API's `q` matches in the database), as the same phrase-in-text match.
//!
//! [`AppState::execute`]: crate::state::AppState::execute

use std::collections::HashMap;
use std::sync::RwLock;

use senim_domain::profile::Sector;
use senim_domain::text::LocalizedText;
use senim_domain::{OrganisationId, RiskLevel, System, SystemId, SystemStatus};

/// How a result is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Most recently changed first.
    #[default]
    Updated,
    /// By name in the reader's language.
    Name,
    /// By registry number; systems without one last.
    Number,
    /// Prohibited first, then high, medium, minimal, unclassified.
    Risk,
}

impl Sort {
    pub const ALL: [(Sort, &'static str); 4] = [
        (Sort::Updated, "updated"),
        (Sort::Name, "name"),
        (Sort::Number, "number"),
        (Sort::Risk, "risk"),
    ];

    pub fn parse(s: &str) -> Option<Sort> {
        Sort::ALL.iter().find(|(_, n)| *n == s).map(|(s, _)| *s)
    }

    pub fn as_str(self) -> &'static str {
        Sort::ALL
            .iter()
            .find(|(s, _)| *s == self)
            .map(|(_, n)| *n)
            .unwrap_or("updated")
    }
}

/// A search of the register. An empty list in a facet means any value;
/// several values in one facet mean any of them.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Words the name or public documentation must contain, as a phrase.
    pub words: Option<String>,
    pub sectors: Vec<Sector>,
    /// `None` stands for "not classified yet".
    pub risks: Vec<Option<RiskLevel>>,
    pub statuses: Vec<SystemStatus>,
    pub organisations: Vec<OrganisationId>,
    pub sort: Sort,
    /// The language whose names [`Sort::Name`] orders by.
    pub lang: &'static str,
    pub offset: usize,
    /// `None` for the whole result (exports).
    pub limit: Option<usize>,
}

/// One value of a facet and how many systems of the result have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count<T> {
    pub value: T,
    pub count: usize,
}

/// A page of the register and the counts beside it.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub total: usize,
    pub systems: Vec<System>,
    /// Each facet counted over the result with every other facet applied
    /// (so a reader sees what choosing another value would give).
    pub sectors: Vec<Count<Sector>>,
    pub risks: Vec<Count<Option<RiskLevel>>>,
    pub statuses: Vec<Count<SystemStatus>>,
    pub organisations: Vec<Count<OrganisationId>>,
}

#[derive(Default)]
struct Inner {
    systems: HashMap<SystemId, System>,
    /// Each system's search text.
    texts: HashMap<SystemId, String>,
    organisations: HashMap<OrganisationId, LocalizedText>,
}

/// The register's summaries; see the module documentation.
#[derive(Default)]
pub struct RegisterIndex {
    inner: RwLock<Inner>,
}

fn risk_rank(r: Option<RiskLevel>) -> u8 {
    match r {
        Some(RiskLevel::Prohibited) => 0,
        Some(RiskLevel::High) => 1,
        Some(RiskLevel::Medium) => 2,
        Some(RiskLevel::Minimal) => 3,
        None => 4,
    }
}

impl RegisterIndex {
    /// Replaces everything (at start, and after a pack publication).
    pub fn replace(
        &self,
        systems: Vec<System>,
        texts: Vec<(SystemId, String)>,
        organisations: Vec<(OrganisationId, LocalizedText)>,
    ) {
        if let Ok(mut inner) = self.inner.write() {
            inner.systems = systems.into_iter().map(|s| (s.id, s)).collect();
            inner.texts = texts.into_iter().collect();
            inner.organisations = organisations.into_iter().collect();
        }
    }

    /// Puts one system's current state in, with its new search text when a
    /// version changed it.
    pub fn upsert(&self, system: &System, text: Option<String>) {
        if let Ok(mut inner) = self.inner.write() {
            inner.systems.insert(system.id, system.clone());
            if let Some(text) = text {
                inner.texts.insert(system.id, text);
            }
        }
    }

    /// Puts one organisation's name in.
    pub fn name_organisation(&self, id: OrganisationId, name: &LocalizedText) {
        if let Ok(mut inner) = self.inner.write() {
            inner.organisations.insert(id, name.clone());
        }
    }

    /// An organisation's name in `lang`, if known.
    pub fn organisation_name(&self, id: OrganisationId, lang: &str) -> Option<String> {
        let inner = self.inner.read().ok()?;
        inner
            .organisations
            .get(&id)
            .map(|n| n.get(lang).to_string())
    }

    /// A system's name in `lang`, if the register holds it: the pages name
    /// systems from here rather than reading each from the database.
    pub fn system_name(&self, id: SystemId, lang: &str) -> Option<String> {
        let inner = self.inner.read().ok()?;
        inner.systems.get(&id).map(|s| s.name.get(lang).to_string())
    }

    /// How many systems the register holds.
    pub fn len(&self) -> usize {
        self.inner.read().map(|i| i.systems.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many systems there are, how many are registered, how many are
    /// high-risk (the home page's figures), without copying any.
    pub fn figures(&self) -> (usize, usize, usize) {
        let Ok(inner) = self.inner.read() else {
            return (0, 0, 0);
        };
        let registered = inner
            .systems
            .values()
            .filter(|s| s.status == SystemStatus::Registered)
            .count();
        let high = inner
            .systems
            .values()
            .filter(|s| s.risk_level == Some(RiskLevel::High))
            .count();
        (inner.systems.len(), registered, high)
    }

    /// Every system (the tests' view of the whole register).
    #[cfg(test)]
    pub fn all(&self) -> Vec<System> {
        self.inner
            .read()
            .map(|i| i.systems.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Runs a search.
    pub fn search(&self, q: &Query) -> Found {
        let Ok(inner) = self.inner.read() else {
            return Found::default();
        };
        // Counters by the vocabularies' positions (fieldless enums in
        // declaration order); organisations by id.
        let mut sectors = vec![0usize; Sector::ALL.len()];
        let mut risks = vec![0usize; RiskLevel::ALL.len() + 1];
        let mut statuses = vec![0usize; SystemStatus::ALL.len()];
        let mut organisations: HashMap<OrganisationId, usize> = HashMap::new();
        let risk_slot = |r: Option<RiskLevel>| r.map_or(RiskLevel::ALL.len(), |r| r as usize);
        let mut hits: Vec<&System> = Vec::new();
        let words = q.words.as_deref().map(str::to_lowercase);
        for s in inner.systems.values() {
            if let Some(words) = &words {
                if !inner
                    .texts
                    .get(&s.id)
                    .is_some_and(|t| t.contains(words.as_str()))
                {
                    continue;
                }
            }
            let sector_ok = q.sectors.is_empty() || s.sectors.iter().any(|x| q.sectors.contains(x));
            let risk_ok = q.risks.is_empty() || q.risks.contains(&s.risk_level);
            let status_ok = q.statuses.is_empty() || q.statuses.contains(&s.status);
            let org_ok = q.organisations.is_empty()
                || q.organisations.contains(&s.owner_organisation_id)
                || s.holder_organisation_id
                    .is_some_and(|h| q.organisations.contains(&h));
            if risk_ok && status_ok && org_ok {
                for sector in &s.sectors {
                    sectors[*sector as usize] += 1;
                }
            }
            if sector_ok && status_ok && org_ok {
                risks[risk_slot(s.risk_level)] += 1;
            }
            if sector_ok && risk_ok && org_ok {
                statuses[s.status as usize] += 1;
            }
            if sector_ok && risk_ok && status_ok {
                // An organisation's systems are those it owns or operates,
                // as the filter reads them.
                *organisations.entry(s.owner_organisation_id).or_default() += 1;
                if let Some(h) = s
                    .holder_organisation_id
                    .filter(|h| *h != s.owner_organisation_id)
                {
                    *organisations.entry(h).or_default() += 1;
                }
            }
            if sector_ok && risk_ok && status_ok && org_ok {
                hits.push(s);
            }
        }
        let total = hits.len();
        let lang = q.lang;
        let compare = |a: &&System, b: &&System| -> std::cmp::Ordering {
            let by = match q.sort {
                Sort::Updated => b.updated_at.cmp(&a.updated_at),
                Sort::Name => a
                    .name
                    .get(lang)
                    .to_lowercase()
                    .cmp(&b.name.get(lang).to_lowercase()),
                Sort::Number => match (&a.registry_number, &b.registry_number) {
                    (Some(x), Some(y)) => x.cmp(y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                },
                Sort::Risk => risk_rank(a.risk_level).cmp(&risk_rank(b.risk_level)),
            };
            by.then_with(|| a.id.cmp(&b.id))
        };
        let end = q
            .limit
            .map_or(total, |l| q.offset.saturating_add(l).min(total));
        if end < total {
            // Only the first `end` need ordering (none for counts alone).
            if end > 0 {
                hits.select_nth_unstable_by(end - 1, compare);
            }
            hits.truncate(end);
        }
        hits.sort_by(compare);
        let systems = hits
            .into_iter()
            .skip(q.offset)
            .take(end.saturating_sub(q.offset))
            .cloned()
            .collect();
        fn counted<T: Ord + Copy>(pairs: impl Iterator<Item = (T, usize)>) -> Vec<Count<T>> {
            let mut v: Vec<Count<T>> = pairs
                .filter(|(_, count)| *count > 0)
                .map(|(value, count)| Count { value, count })
                .collect();
            v.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
            v
        }
        let risk_values = RiskLevel::ALL
            .iter()
            .copied()
            .map(Some)
            .chain(std::iter::once(None));
        Found {
            total,
            systems,
            sectors: counted(Sector::ALL.iter().copied().zip(sectors)),
            risks: counted(risk_values.zip(risks)),
            statuses: counted(SystemStatus::ALL.iter().copied().zip(statuses)),
            organisations: counted(organisations.into_iter()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use senim_domain::Timestamp;

    fn system(
        name: &str,
        org: OrganisationId,
        sectors: &[Sector],
        risk: Option<RiskLevel>,
        status: SystemStatus,
        at: i64,
    ) -> System {
        System {
            id: SystemId::generate(),
            name: LocalizedText {
                kk: None,
                ru: None,
                en: Some(name.into()),
            },
            owner_organisation_id: org,
            holder_organisation_id: None,
            status,
            registry_number: (status == SystemStatus::Registered)
                .then(|| format!("KZ-AI-2026-{at:06}")),
            risk_level: risk,
            sectors: sectors.to_vec(),
            current_version: 1,
            created_at: Timestamp::from_unix_millis(at),
            updated_at: Timestamp::from_unix_millis(at),
        }
    }

    fn index() -> (RegisterIndex, OrganisationId, OrganisationId) {
        let (a, b) = (OrganisationId::generate(), OrganisationId::generate());
        let r = RegisterIndex::default();
        r.replace(
            vec![
                system(
                    "Triage",
                    a,
                    &[Sector::Healthcare],
                    Some(RiskLevel::High),
                    SystemStatus::Registered,
                    3,
                ),
                system(
                    "Scoring",
                    b,
                    &[Sector::Finance],
                    Some(RiskLevel::High),
                    SystemStatus::Draft,
                    2,
                ),
                system(
                    "Tutor",
                    a,
                    &[Sector::Education, Sector::Healthcare],
                    Some(RiskLevel::Minimal),
                    SystemStatus::Draft,
                    1,
                ),
                system(
                    "Unclassified",
                    b,
                    &[Sector::Other],
                    None,
                    SystemStatus::Draft,
                    4,
                ),
            ],
            Vec::new(),
            Vec::new(),
        );
        for s in r.all() {
            let text = format!("{} system", s.name.get("en").to_lowercase());
            r.upsert(&s, Some(text));
        }
        (r, a, b)
    }

    fn count<T: PartialEq>(counts: &[Count<T>], value: T) -> usize {
        counts
            .iter()
            .find(|c| c.value == value)
            .map_or(0, |c| c.count)
    }

    #[test]
    fn each_facet_counts_with_the_others_applied() {
        let (r, a, _) = index();
        let found = r.search(&Query {
            sectors: vec![Sector::Healthcare],
            risks: vec![Some(RiskLevel::High)],
            lang: "en",
            limit: Some(10),
            ..Default::default()
        });
        assert_eq!(found.total, 1);
        assert_eq!(found.systems[0].name.get("en"), "Triage");
        // Sector counts ignore the sector choice but keep the risk choice.
        assert_eq!(count(&found.sectors, Sector::Healthcare), 1);
        assert_eq!(count(&found.sectors, Sector::Finance), 1);
        assert_eq!(count(&found.sectors, Sector::Education), 0);
        // Risk counts ignore the risk choice but keep the sector choice.
        assert_eq!(count(&found.risks, Some(RiskLevel::High)), 1);
        assert_eq!(count(&found.risks, Some(RiskLevel::Minimal)), 1);
        assert_eq!(count(&found.risks, None), 0);
        assert_eq!(count(&found.organisations, a), 1);
        // Several values of one facet are alternatives.
        let found = r.search(&Query {
            risks: vec![Some(RiskLevel::Minimal), None],
            lang: "en",
            ..Default::default()
        });
        assert_eq!(found.total, 2);
    }

    #[test]
    fn sorts_pages_and_word_matches() {
        let (r, _, b) = index();
        let page = |sort, offset| {
            r.search(&Query {
                sort,
                lang: "en",
                offset,
                limit: Some(2),
                ..Default::default()
            })
            .systems
            .iter()
            .map(|s| s.name.get("en").to_string())
            .collect::<Vec<_>>()
        };
        assert_eq!(page(Sort::Updated, 0), ["Unclassified", "Triage"]);
        assert_eq!(page(Sort::Updated, 2), ["Scoring", "Tutor"]);
        assert_eq!(page(Sort::Name, 0), ["Scoring", "Triage"]);
        assert_eq!(page(Sort::Number, 0)[0], "Triage");
        // The two high-risk systems first (ties in identifier order).
        let mut high = page(Sort::Risk, 0);
        high.sort();
        assert_eq!(high, ["Scoring", "Triage"]);
        assert_eq!(page(Sort::Risk, 2)[0], "Tutor");
        assert!(page(Sort::Updated, 9).is_empty());
        let found = r.search(&Query {
            words: Some("TUTOR SYS".into()),
            lang: "en",
            ..Default::default()
        });
        assert_eq!(found.total, 1);
        let found = r.search(&Query {
            words: Some("system".into()),
            lang: "en",
            ..Default::default()
        });
        assert_eq!(found.total, 4);
        let found = r.search(&Query {
            organisations: vec![b],
            lang: "en",
            ..Default::default()
        });
        assert_eq!(found.total, 2);
        assert_eq!(r.figures(), (4, 1, 2));
    }
}
