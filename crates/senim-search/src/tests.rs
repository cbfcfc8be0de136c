use super::*;

fn doc(
    n: u128,
    title_en: &str,
    title_ru: Option<&str>,
    tags: &[&str],
    formats: &[&str],
    modified: i64,
) -> DatasetDoc {
    DatasetDoc {
        id: DatasetId(uuid_of(n)),
        organisation: if n.is_multiple_of(2) {
            "org-a".into()
        } else {
            "org-b".into()
        },
        titles: [None, title_ru.map(String::from), Some(title_en.into())],
        descriptions: [
            Some("Қала ауруханасының деректері".into()),
            None,
            Some(format!("Records of series {n}")),
        ],
        other: vec![format!("Producer {n}")],
        tags: tags.iter().map(|t| t.to_string()).collect(),
        formats: formats.iter().map(|t| t.to_string()).collect(),
        licence: "CC-BY-4.0".into(),
        themes: vec!["health".into()],
        access: if n.is_multiple_of(3) {
            "restricted".into()
        } else {
            "open".into()
        },
        title_sort: title_en.to_lowercase(),
        created: 1_000 + n as i64,
        modified,
    }
}

fn uuid_of(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(n)
}

fn index() -> DatasetIndex {
    let index = DatasetIndex::new().unwrap();
    index
        .rebuild(vec![
            doc(
                1,
                "Hospital admissions",
                Some("Госпитализации в больницах"),
                &["health", "admissions"],
                &["CSV"],
                50,
            ),
            doc(
                2,
                "Road accidents",
                Some("Дорожные происшествия"),
                &["transport"],
                &["CSV", "PARQUET"],
                40,
            ),
            doc(3, "Crop yields", None, &["agriculture"], &[], 60),
            doc(4, "Hospital beds", None, &["health"], &["JSON"], 10),
        ])
        .unwrap();
    index
}

fn ids(hits: &Hits) -> Vec<u128> {
    hits.ids.iter().map(|id| id.0.as_u128()).collect()
}

fn search(index: &DatasetIndex, q: &str) -> Hits {
    index
        .search(&Search {
            clauses: parse(q).unwrap(),
            ..Search::default()
        })
        .unwrap()
}

#[test]
fn words_match_in_every_language_with_stemming() {
    let index = index();
    // English stemming: "hospitals" finds "Hospital".
    assert_eq!(ids(&search(&index, "hospitals")), vec![1, 4]);
    // Russian stemming: "больница" finds "больницах".
    assert_eq!(ids(&search(&index, "больница")), vec![1]);
    // Kazakh, lower-cased: "ауруханасының" in a description.
    assert_eq!(search(&index, "АУРУХАНАСЫНЫҢ").total, 4);
    // Every word must match.
    assert_eq!(ids(&search(&index, "hospital beds")), vec![4]);
    assert_eq!(search(&index, "hospital zebra").total, 0);
}

#[test]
fn all_sorted_by_last_change() {
    let index = index();
    assert_eq!(ids(&search(&index, "*:*")), vec![3, 1, 2, 4]);
    let by_title = index
        .search(&Search {
            sort: vec![(SortKey::Title, Order::Asc)],
            ..Search::default()
        })
        .unwrap();
    assert_eq!(ids(&by_title), vec![3, 1, 4, 2]);
    for (sort, expected) in [
        ((SortKey::Id, Order::Desc), vec![4, 3, 2, 1]),
        ((SortKey::Id, Order::Asc), vec![1, 2, 3, 4]),
        ((SortKey::Created, Order::Asc), vec![1, 2, 3, 4]),
        ((SortKey::Modified, Order::Asc), vec![4, 2, 1, 3]),
    ] {
        let hits = index
            .search(&Search {
                sort: vec![sort],
                ..Search::default()
            })
            .unwrap();
        assert_eq!(ids(&hits), expected, "{sort:?}");
    }
}

#[test]
fn filters_negation_ranges_and_paging() {
    let index = index();
    assert_eq!(ids(&search(&index, "tags:health")), vec![1, 4]);
    assert_eq!(ids(&search(&index, "res_format:CSV -tags:health")), vec![2]);
    assert_eq!(
        ids(&search(&index, "tags:transport OR tags:agriculture")),
        vec![3, 2]
    );
    assert_eq!(ids(&search(&index, "organization:org-a")), vec![2, 4]);
    assert_eq!(ids(&search(&index, "state:active")), vec![3, 1, 2, 4]);
    assert_eq!(search(&index, "state:deleted").total, 0);
    let mut s = Search {
        clauses: vec![Clause::Range {
            field: Field::Modified,
            from: Some(40),
            to: Some(50),
        }],
        ..Search::default()
    };
    assert_eq!(ids(&index.search(&s).unwrap()), vec![1, 2]);
    s.clauses.clear();
    s.offset = 1;
    s.limit = 2;
    let page = index.search(&s).unwrap();
    assert_eq!((page.total, ids(&page)), (4, vec![1, 2]));
}

#[test]
fn facets_count_the_hits() {
    let index = index();
    let hits = index
        .search(&Search {
            clauses: parse("hospital").unwrap(),
            facets: vec![Facet::Tag, Facet::Format, Facet::Access],
            limit: 0,
            ..Search::default()
        })
        .unwrap();
    assert_eq!(hits.total, 2);
    assert!(hits.ids.is_empty());
    assert_eq!(
        hits.facets[&Facet::Tag],
        vec![("health".to_string(), 2), ("admissions".to_string(), 1)]
    );
    assert_eq!(
        hits.facets[&Facet::Format],
        vec![("CSV".to_string(), 1), ("JSON".to_string(), 1)]
    );
    assert_eq!(hits.facets[&Facet::Access], vec![("open".to_string(), 2)]);
}

#[test]
fn indexing_a_dataset_again_replaces_its_entry() {
    let index = index();
    index
        .upsert(&doc(2, "Rail freight", None, &["transport"], &[], 99))
        .unwrap();
    assert_eq!(index.len(), 4);
    assert_eq!(search(&index, "road").total, 0);
    assert_eq!(ids(&search(&index, "freight")), vec![2]);
}
