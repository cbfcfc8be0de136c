//! Classification throughput: every pack in `rulepacks/` against every case
//! profile in `rulepacks/cases/`, on one core.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use senim_domain::Profile;
use senim_rules::RulePack;

fn load() -> (Vec<RulePack>, Vec<Profile>) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../rulepacks");
    let mut packs = Vec::new();
    let mut profiles = Vec::new();
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().map(|e| e == "toml").unwrap_or(false) {
            let text = std::fs::read_to_string(&path).unwrap();
            packs.push(RulePack::parse(&text, &path.display().to_string()).unwrap());
        }
    }
    for entry in std::fs::read_dir(format!("{root}/cases")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let value: toml::Table = toml::from_str(&text).unwrap();
        let profile: Profile = value["profile"].clone().try_into().unwrap();
        profiles.push(profile.parse_alone().unwrap());
    }
    (packs, profiles)
}

fn classify(c: &mut Criterion) {
    let (packs, profiles) = load();
    let mut group = c.benchmark_group("classify");
    for pack in &packs {
        group.throughput(Throughput::Elements(profiles.len() as u64));
        group.bench_function(format!("{} ({} profiles)", pack.id, profiles.len()), |b| {
            b.iter(|| {
                for p in &profiles {
                    std::hint::black_box(pack.classify(std::hint::black_box(p)));
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, classify);
criterion_main!(benches);
