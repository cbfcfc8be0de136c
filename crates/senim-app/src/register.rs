//! The public register in memory: every system's public summary, filtered,
//! counted by facet, sorted and paged without a database round trip.
//!
//! The register page shows facet counts (sector, risk level, status,
//! organisation) over the whole result on every request; four `GROUP BY`
//! queries over the systems table would cost more than the page's budget at
//! national scale, so the summaries live here. [`AppState::execute`] keeps
//! them current after each write, and a rule pack publication (which
//! reclassifies every system) rebuilds them from the database. Words are
//! found by the register's full-text index ([`senim_search::SystemIndex`]),
//! kept beside the summaries: each system's search text (its names and
//! public documentation: [`senim_store::system_search`]), its
//! organisations' names and BINs, its sectors' names in the three languages
//! and its registry number. The pages and the API's `q` both search here.
//!
//! [`AppState::execute`]: crate::state::AppState::execute

use std::collections::HashMap;
use std::sync::RwLock;

use senim_domain::profile::Sector;
use senim_domain::text::LocalizedText;
use senim_domain::{OrganisationId, RiskLevel, System, SystemId, SystemStatus};
pub use senim_store::Drafts;

/// How a result is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// The best match first when words are searched; otherwise as
    /// [`Sort::Updated`].
    #[default]
    Relevance,
    /// Most recently changed first.
    Updated,
    /// By name in the reader's language.
    Name,
    /// By registry number; systems without one last.
    Number,
    /// Prohibited first, then high, medium, minimal, unclassified.
    Risk,
}

impl Sort {
    pub const ALL: [(Sort, &'static str); 5] = [
        (Sort::Relevance, "relevance"),
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
            .unwrap_or("relevance")
    }
}

/// A search of the register. An empty list in a facet means any value;
/// several values in one facet mean any of them.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Words every system found must match (see [`senim_search::systems`]).
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
    /// Which drafts that are still their organisation's own the search
    /// finds: none unless asked (the public register).
    pub drafts: Drafts,
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
    /// Each organisation's names and BIN.
    organisations: HashMap<OrganisationId, (LocalizedText, String)>,
}

/// The register's summaries; see the module documentation.
pub struct RegisterIndex {
    inner: RwLock<Inner>,
    words: senim_search::SystemIndex,
}

/// What the full-text index holds of a system: nothing of a private draft,
/// so that no word of it is found or suggested ("did you mean") to anyone.
fn document(inner: &Inner, s: &System) -> senim_search::SystemDoc {
    use crate::i18n::Tr;
    use senim_domain::classification::Lang;
    if !s.is_public() {
        return senim_search::SystemDoc {
            id: s.id.0,
            text: String::new(),
            codes: Vec::new(),
        };
    }
    let mut text = inner.texts.get(&s.id).cloned().unwrap_or_default();
    let mut codes = Vec::new();
    for org in std::iter::once(s.owner_organisation_id).chain(s.holder_organisation_id) {
        codes.push(org.to_string());
        if let Some((name, bin)) = inner.organisations.get(&org) {
            for lang in ["kk", "ru", "en"] {
                text.push(' ');
                text.push_str(name.get(lang));
            }
            codes.push(bin.clone());
        }
    }
    for lang in [Lang::Kk, Lang::Ru, Lang::En] {
        let t = Tr::new(lang);
        for sector in &s.sectors {
            text.push(' ');
            text.push_str(&t.term("sector", sector.as_str()));
        }
    }
    if let Some(number) = &s.registry_number {
        text.push(' ');
        text.push_str(number);
        codes.push(number.clone());
    }
    senim_search::SystemDoc {
        id: s.id.0,
        text,
        codes,
    }
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
    /// An empty register.
    pub fn new() -> Result<RegisterIndex, senim_search::SearchError> {
        Ok(RegisterIndex {
            inner: RwLock::new(Inner::default()),
            words: senim_search::SystemIndex::new()?,
        })
    }

    /// Writes `docs` into the full-text index; a failure is logged (the
    /// summaries stay right, and a restart rebuilds the index).
    fn index(&self, docs: &[senim_search::SystemDoc]) {
        if let Err(e) = self.words.upsert(docs) {
            tracing::error!(error = %e, "the register's search index was not updated");
        }
    }

    /// Replaces everything (at start, and after a pack publication).
    pub fn replace(
        &self,
        systems: Vec<System>,
        texts: Vec<(SystemId, String)>,
        organisations: Vec<(OrganisationId, LocalizedText, String)>,
    ) -> Result<(), senim_search::SearchError> {
        let Ok(mut inner) = self.inner.write() else {
            return Ok(());
        };
        inner.systems = systems.into_iter().map(|s| (s.id, s)).collect();
        inner.texts = texts.into_iter().collect();
        inner.organisations = organisations
            .into_iter()
            .map(|(id, name, bin)| (id, (name, bin)))
            .collect();
        let docs: Vec<_> = inner
            .systems
            .values()
            .map(|s| document(&inner, s))
            .collect();
        self.words.rebuild(docs)?;
        Ok(())
    }

    /// Puts one system's current state in, with its new search text when a
    /// version changed it.
    pub fn upsert(&self, system: &System, text: Option<String>) {
        let doc = {
            let Ok(mut inner) = self.inner.write() else {
                return;
            };
            inner.systems.insert(system.id, system.clone());
            if let Some(text) = text {
                inner.texts.insert(system.id, text);
            }
            document(&inner, system)
        };
        self.index(&[doc]);
    }

    /// Puts one organisation's names and BIN in (its systems are found by
    /// them).
    pub fn name_organisation(&self, id: OrganisationId, name: &LocalizedText, bin: &str) {
        let docs: Vec<_> = {
            let Ok(mut inner) = self.inner.write() else {
                return;
            };
            let entry = (name.clone(), bin.to_string());
            if inner.organisations.get(&id) == Some(&entry) {
                return;
            }
            inner.organisations.insert(id, entry);
            inner
                .systems
                .values()
                .filter(|s| s.owner_organisation_id == id || s.holder_organisation_id == Some(id))
                .map(|s| document(&inner, s))
                .collect()
        };
        if !docs.is_empty() {
            self.index(&docs);
        }
    }

    /// An organisation's name in `lang`, if known.
    pub fn organisation_name(&self, id: OrganisationId, lang: &str) -> Option<String> {
        let inner = self.inner.read().ok()?;
        inner
            .organisations
            .get(&id)
            .map(|(n, _)| n.get(lang).to_string())
    }

    /// The API's list of what `q` finds: in id order, `limit` systems after
    /// `after`, with the total found and the last id when more follow.
    pub fn page_by_id(
        &self,
        q: &Query,
        after: Option<SystemId>,
        limit: usize,
    ) -> (Vec<System>, usize, Option<SystemId>) {
        let mut all = self
            .search(&Query {
                offset: 0,
                limit: None,
                ..q.clone()
            })
            .systems;
        all.sort_by_key(|s| s.id);
        let total = all.len();
        let start = after.map_or(0, |a| all.partition_point(|s| s.id <= a));
        let end = start.saturating_add(limit).min(total);
        let page: Vec<System> = all.drain(start..end).collect();
        let next = (end < total).then(|| page.last().map(|s| s.id)).flatten();
        (page, total, next)
    }

    /// The best `limit` systems `words` finds, for a picker: (id, name in
    /// `lang`, its organisation's name).
    pub fn pick(
        &self,
        words: &str,
        lang: &'static str,
        limit: usize,
    ) -> Vec<(SystemId, String, String)> {
        let found = self.search(&Query {
            words: Some(words.to_string()),
            lang,
            limit: Some(limit),
            ..Default::default()
        });
        found
            .systems
            .iter()
            .map(|s| {
                let org = self
                    .organisation_name(s.owner_organisation_id, lang)
                    .unwrap_or_default();
                (s.id, s.name.get(lang).to_string(), org)
            })
            .collect()
    }

    /// The one system named exactly `name` (in any language, any case), if
    /// exactly one is.
    pub fn by_exact_name(&self, name: &str) -> Option<SystemId> {
        let wanted = name.trim().to_lowercase();
        if wanted.is_empty() {
            return None;
        }
        let inner = self.inner.read().ok()?;
        let mut named = inner.systems.values().filter(|s| {
            s.is_public()
                && [&s.name.kk, &s.name.ru, &s.name.en]
                    .into_iter()
                    .flatten()
                    .any(|n| n.trim().to_lowercase() == wanted)
        });
        let first = named.next()?.id;
        named.next().is_none().then_some(first)
    }

    /// For words that found nothing: the nearest words the register holds
    /// ("did you mean"), if any differ.
    pub fn suggest(&self, words: &str) -> Option<String> {
        match self.words.suggest(words) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "the register's search index failed");
                None
            }
        }
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

    /// How many public systems there are, how many are registered, how
    /// many are high-risk (the home page's figures), without copying any.
    pub fn figures(&self) -> (usize, usize, usize) {
        let Ok(inner) = self.inner.read() else {
            return (0, 0, 0);
        };
        let public = || inner.systems.values().filter(|s| s.is_public());
        let registered = public()
            .filter(|s| s.status == SystemStatus::Registered)
            .count();
        let high = public()
            .filter(|s| s.risk_level == Some(RiskLevel::High))
            .count();
        (public().count(), registered, high)
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
        let scores = match q.words.as_deref().filter(|w| !w.trim().is_empty()) {
            Some(words) => match self.words.find(words) {
                Ok(scores) => Some(scores),
                Err(e) => {
                    tracing::error!(error = %e, "the register's search index failed");
                    Some(HashMap::new())
                }
            },
            None => None,
        };
        let score = |s: &System| {
            scores
                .as_ref()
                .and_then(|m| m.get(&s.id.0))
                .copied()
                .unwrap_or(0.0)
        };
        // Private drafts are not in the full-text index; those the reader
        // may list are matched here, each word as a part of their search
        // text (names and public documentation, already lower-cased).
        let words: Vec<String> = q
            .words
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let draft_matches = |s: &System| {
            inner
                .texts
                .get(&s.id)
                .is_some_and(|text| words.iter().all(|w| text.contains(w.as_str())))
        };
        for s in inner.systems.values() {
            if !q.drafts.include(s) {
                continue;
            }
            let found = match &scores {
                None => true,
                Some(m) if s.is_public() => m.contains_key(&s.id.0),
                Some(_) => draft_matches(s),
            };
            if !found {
                continue;
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
                Sort::Relevance if scores.is_some() => score(b).total_cmp(&score(a)),
                Sort::Relevance | Sort::Updated => b.updated_at.cmp(&a.updated_at),
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
            // Public, as if each had been submitted once (a draft again
            // after a withdrawn application stays public).
            public_since: Some(Timestamp::from_unix_millis(at)),
        }
    }

    fn index() -> (RegisterIndex, OrganisationId, OrganisationId) {
        let (a, b) = (OrganisationId::generate(), OrganisationId::generate());
        let r = RegisterIndex::new().unwrap();
        let name = |kk: &str, ru: &str| LocalizedText {
            kk: Some(kk.into()),
            ru: Some(ru.into()),
            en: None,
        };
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
            vec![
                (
                    a,
                    name("Қалалық аурухана", "Городская больница"),
                    "940540000138".into(),
                ),
                (b, name("Дала банкі", "Банк Дала"), "050340000186".into()),
            ],
        )
        .unwrap();
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

    /// Issue 20, item 4: a draft never submitted is its organisation's own:
    /// no search, count, word or suggestion of the public register shows it;
    /// its organisation's members find it among their systems.
    #[test]
    fn a_draft_never_submitted_is_its_organisations_own() {
        let (r, a, b) = index();
        let mut secret = system(
            "Quokka",
            a,
            &[Sector::Finance],
            Some(RiskLevel::Prohibited),
            SystemStatus::Draft,
            9,
        );
        secret.public_since = None;
        r.upsert(&secret, Some("quokka scoring of the poor".into()));
        let names = |q: Query| {
            r.search(&Query { lang: "en", ..q })
                .systems
                .iter()
                .map(|s| s.name.get("en").to_string())
                .collect::<Vec<_>>()
        };
        assert!(!names(Query::default()).contains(&"Quokka".to_string()));
        assert!(names(Query {
            words: Some("quokka".into()),
            ..Default::default()
        })
        .is_empty());
        assert_eq!(r.suggest("quokk"), None);
        assert_eq!(r.by_exact_name("Quokka"), None);
        assert_eq!(r.figures(), (4, 1, 2));
        let found = r.search(&Query {
            risks: vec![Some(RiskLevel::Prohibited)],
            ..Default::default()
        });
        assert_eq!(
            (
                found.total,
                count(&found.risks, Some(RiskLevel::Prohibited))
            ),
            (0, 0)
        );
        // Its organisation and the authority see it; another does not.
        let of = |drafts| {
            names(Query {
                drafts,
                ..Default::default()
            })
        };
        assert!(of(Drafts::Of(a)).contains(&"Quokka".to_string()));
        assert!(of(Drafts::All).contains(&"Quokka".to_string()));
        assert!(!of(Drafts::Of(b)).contains(&"Quokka".to_string()));
        // Its own find it by its words too (outside the index).
        let words = |drafts| {
            names(Query {
                words: Some("QUOKKA scoring".into()),
                drafts,
                ..Default::default()
            })
        };
        assert_eq!(words(Drafts::Of(a)), ["Quokka"]);
        assert!(words(Drafts::Of(b)).is_empty());
        // Once submitted it is public, words and all.
        let mut submitted = secret.clone();
        submitted.move_to(SystemStatus::Submitted, Timestamp::from_unix_millis(10));
        r.upsert(&submitted, None);
        assert_eq!(
            names(Query {
                words: Some("quokka".into()),
                ..Default::default()
            }),
            ["Quokka"]
        );
    }

    /// Issue 20, finding 1: the register's search did not find a registry
    /// number, sector names, organisation names in Russian or Kazakh, or a
    /// word with a typo.
    #[test]
    fn finds_numbers_sectors_organisations_and_typos() {
        let (r, _, _) = index();
        let names = |words: &str| {
            let mut names: Vec<String> = r
                .search(&Query {
                    words: Some(words.into()),
                    lang: "en",
                    ..Default::default()
                })
                .systems
                .iter()
                .map(|s| s.name.get("en").to_string())
                .collect();
            names.sort();
            names
        };
        assert_eq!(names("KZ-AI-2026-000003"), ["Triage"]);
        assert_eq!(names("kz ai 2026 000003"), ["Triage"]);
        assert_eq!(names("Healthcare"), ["Triage", "Tutor"]);
        assert_eq!(names("Здравоохранение"), ["Triage", "Tutor"]);
        assert_eq!(names("денсаулық"), ["Triage", "Tutor"]);
        assert_eq!(names("больница"), ["Triage", "Tutor"]);
        assert_eq!(names("Дала"), ["Scoring", "Unclassified"]);
        assert_eq!(names("050340000186"), ["Scoring", "Unclassified"]);
        assert_eq!(names("scorng"), ["Scoring"]);
        assert!(names("tutr triage").is_empty());
        assert_eq!(r.suggest("triage tutr").as_deref(), Some("triage tutor"));
        // With words, the best match comes first.
        let first = r.search(&Query {
            words: Some("tutor".into()),
            lang: "en",
            ..Default::default()
        });
        assert_eq!(first.systems[0].name.get("en"), "Tutor");
        // An organisation renamed is found by its new name.
        let (_, a, _) = (0, r.all()[0].owner_organisation_id, 0);
        r.name_organisation(
            a,
            &LocalizedText {
                kk: None,
                ru: Some("Новое имя".into()),
                en: None,
            },
            "000000000000",
        );
        assert!(!names("новое").is_empty());
    }
}
