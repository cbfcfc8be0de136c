//! The register's word search at 10,000 systems (issue 20's target: the
//! register page answers a word search within 5 ms at p99, page included).
//! The index holds what `senim-loadgen populate` makes: "Benchmark system
//! N", its organisation, its sectors in three languages and its registry
//! number. Measured: a word every system has, a Russian sector name, a
//! query with typos, and a word none has ("did you mean").

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{criterion_group, criterion_main, Criterion};
use senim_search::{SystemDoc, SystemIndex};

const SECTORS: [&str; 4] = [
    "Healthcare Здравоохранение Денсаулық сақтау",
    "Finance Финансы Қаржы",
    "Education Образование Білім беру",
    "Transport Транспорт Көлік",
];

fn index(count: u32) -> SystemIndex {
    let index = SystemIndex::new().unwrap();
    index
        .rebuild((0..count).map(|i| {
            let number = format!("KZ-AI-2026-{i:06}");
            SystemDoc {
                id: uuid::Uuid::from_u128(u128::from(i) + 1),
                text: format!(
                    "benchmark system {i} benchmark system. Benchmark Holding {} {number}",
                    SECTORS[i as usize % SECTORS.len()]
                ),
                codes: vec![number, "940540000131".into()],
            }
        }))
        .unwrap();
    index
}

fn search(c: &mut Criterion) {
    let index = index(10_000);
    let mut group = c.benchmark_group("register search, 10,000 systems");
    for q in [
        "system",
        "здравоохранение",
        "benchmrk sistem 4242",
        "KZ-AI-2026-004242",
        "zzqqxx",
    ] {
        group.bench_function(format!("find {q}"), |b| {
            b.iter(|| index.find(std::hint::black_box(q)).unwrap())
        });
    }
    group.bench_function("suggest zzqqxx", |b| {
        b.iter(|| index.suggest(std::hint::black_box("zzqqxx")).unwrap())
    });
    group.bench_function("suggest benchmrk sistem", |b| {
        b.iter(|| {
            index
                .suggest(std::hint::black_box("benchmrk sistem"))
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, search);
criterion_main!(benches);
