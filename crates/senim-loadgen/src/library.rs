//! Fills a data directory with many library datasets (directly through the
//! store, as the server would), for the search benchmark.

use std::time::Instant;

use anyhow::anyhow;
use futures::StreamExt;
use serde_json::json;

use senim_store::{Actor, Applied, Command, Location, Store, StoreOptions};

/// Words the titles and descriptions are made of: (English, Russian, Kazakh).
const WORDS: &[(&str, &str, &str)] = &[
    ("hospital", "больница", "аурухана"),
    ("admissions", "госпитализации", "емдеуге жатқызу"),
    ("road", "дорога", "жол"),
    ("accidents", "происшествия", "оқиғалар"),
    ("school", "школа", "мектеп"),
    ("results", "результаты", "нәтижелер"),
    ("water", "вода", "су"),
    ("quality", "качество", "сапа"),
    ("air", "воздух", "ауа"),
    ("pollution", "загрязнение", "ластану"),
    ("crop", "урожай", "өнім"),
    ("yields", "урожайность", "түсімділік"),
    ("court", "суд", "сот"),
    ("decisions", "решения", "шешімдер"),
    ("population", "население", "халық"),
    ("census", "перепись", "санақ"),
    ("energy", "энергия", "энергия"),
    ("consumption", "потребление", "тұтыну"),
    ("bus", "автобус", "автобус"),
    ("routes", "маршруты", "бағыттар"),
    ("tax", "налог", "салық"),
    ("payments", "платежи", "төлемдер"),
    ("weather", "погода", "ауа райы"),
    ("stations", "станции", "станциялар"),
];

const KEYWORDS: &[&str] = &[
    "health",
    "transport",
    "education",
    "environment",
    "agriculture",
    "justice",
    "statistics",
    "finance",
    "energy",
    "weather",
    "cities",
    "rural",
    "children",
    "elderly",
    "safety",
    "imaging",
    "text",
    "speech",
    "sensors",
    "survey",
];

const THEMES: &[&str] = &[
    "agriculture",
    "economy",
    "education",
    "energy",
    "environment",
    "government",
    "health",
    "justice",
    "regions",
    "population",
    "science",
    "transport",
];

const LICENCES: &[&str] = &[
    "CC-BY-4.0",
    "CC0-1.0",
    "CC-BY-SA-4.0",
    "ODbL-1.0",
    "CC-BY-NC-4.0",
];
const ACCESS: &[&str] = &["open", "open", "registered", "restricted", "closed"];
const FORMATS: &[(&str, &str)] = &[
    ("data.csv", "text/csv"),
    ("data.parquet", "application/vnd.apache.parquet"),
    ("data.json", "application/json"),
    ("report.pdf", "application/pdf"),
];

/// A small deterministic generator, so every run builds the same library.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

pub async fn populate(
    data_dir: std::path::PathBuf,
    count: usize,
    organisations: usize,
) -> anyhow::Result<()> {
    let store = Store::open(
        StoreOptions::new(Location::DataDir(data_dir)),
        std::sync::Arc::new(senim_domain::SystemClock),
    )
    .await?;
    let mut owners = Vec::new();
    let mut n = 0u64;
    while owners.len() < organisations {
        n += 1;
        // BINs whose check digit exists (some 11-digit prefixes have none).
        let Some(bin) = senim_domain::bin::complete(&format!("{:011}", 94_054_000_000 + n * 7))
        else {
            continue;
        };
        let i = owners.len();
        let org: senim_domain::OrganisationInput = serde_json::from_value(json!({
            "name": {"en": format!("Data provider {i}"), "ru": format!("Поставщик данных {i}")},
            "bin": bin, "kind": "state_body", "size_class": "large"
        }))?;
        match store
            .execute(Actor::operator(), Command::CreateOrganisation(org.parse()?))
            .await?
        {
            Applied::Organisation(o) => owners.push(o.id),
            _ => return Err(anyhow!("unexpected answer")),
        }
    }
    let started = Instant::now();
    let mut rng = Lcg(42);
    let mut pending = futures::stream::FuturesUnordered::new();
    for i in 0..count {
        let (a, b, c) = (
            rng.next(WORDS.len()),
            rng.next(WORDS.len()),
            rng.next(WORDS.len()),
        );
        let title = |pick: fn(&(&'static str, &'static str, &'static str)) -> &'static str| {
            format!("{} {} {i}", pick(&WORDS[a]), pick(&WORDS[b]))
        };
        let description =
            |pick: fn(&(&'static str, &'static str, &'static str)) -> &'static str| {
                format!(
                    "{} {} {} {} collected by the provider.",
                    pick(&WORDS[a]),
                    pick(&WORDS[b]),
                    pick(&WORDS[c]),
                    pick(&WORDS[rng_word(i)])
                )
            };
        let keywords: Vec<&str> = (0..3).map(|_| KEYWORDS[rng.next(KEYWORDS.len())]).collect();
        let themes: Vec<&str> = (0..2).map(|_| THEMES[rng.next(THEMES.len())]).collect();
        let personal = rng.next(3) == 0;
        let input: senim_domain::DatasetInput = serde_json::from_value(json!({
            "title": {"en": title(|w| w.0), "ru": title(|w| w.1), "kk": title(|w| w.2)},
            "description": {"en": description(|w| w.0), "ru": description(|w| w.1), "kk": description(|w| w.2)},
            "keywords": keywords,
            "themes": themes,
            "licence": LICENCES[rng.next(LICENCES.len())],
            "producer": {"name": format!("Producer {}", i % 500)},
            "personal_data": personal,
            "legal_basis": if personal { Some("anonymised") } else { None },
            "access": ACCESS[rng.next(ACCESS.len())],
            "version": "1.0",
        }))?;
        let owner = owners[rng.next(owners.len())];
        let files: Vec<(&str, &str)> = (0..rng.next(3))
            .map(|_| FORMATS[rng.next(FORMATS.len())])
            .collect();
        let store = store.clone();
        pending.push(async move {
            let metadata = input.parse()?;
            let dataset = match store
                .execute(
                    Actor::operator(),
                    Command::CreateDataset { owner, metadata },
                )
                .await?
            {
                Applied::Dataset(d) => d,
                _ => return Err(anyhow!("unexpected answer")),
            };
            for (k, (name, media_type)) in files.into_iter().enumerate() {
                let resource = senim_domain::Resource {
                    id: senim_domain::ResourceId::generate(),
                    dataset_id: dataset.id,
                    name: name.to_string(),
                    media_type: media_type.to_string(),
                    size: 1000 + k as u64,
                    sha256: format!("{:064x}", i * 10 + k),
                    schema: None,
                    created_at: dataset.created_at,
                };
                store
                    .execute(Actor::operator(), Command::AddResource(Box::new(resource)))
                    .await?;
            }
            anyhow::Ok(())
        });
        if pending.len() >= 256 {
            if let Some(r) = pending.next().await {
                r?;
            }
        }
        if (i + 1) % 10_000 == 0 {
            println!("{} datasets ({:.0?})", i + 1, started.elapsed());
        }
    }
    while let Some(r) = pending.next().await {
        r?;
    }
    println!(
        "{count} datasets of {organisations} organisations in {:.1?}",
        started.elapsed()
    );
    Ok(())
}

fn rng_word(i: usize) -> usize {
    (i * 7 + 3) % WORDS.len()
}
