//! The demo's resources and a running allocation, so the provider's desk,
//! the awardee's page and the public list of resources have something on
//! them: the Platform's GPU cluster and a ready model (offered by the
//! Platform's operator), the hospital's restricted admissions data (offered
//! by its steward), and the start-up's award exchanged for GPU-hours two
//! weeks ago, approved the next day, with a day's usage reported since.

use senim_domain::allocation::{
    allocation_step, request_allocation, AllocationContext, AllocationInput, AllocationStep,
    Credits, ModelCard, PlatformResource, ResourceInput, ResourceKind, ResourceUnit,
};
use senim_domain::programme::Call;
use senim_domain::{Account, Case, CaseId, Day, LocalizedText, PlatformResourceId};
use senim_store::{Actor, Applied, Command, Store};

use crate::cases::account;
use crate::DemoError;

fn data(e: impl std::fmt::Debug) -> DemoError {
    DemoError::Data(format!("demo allocations: {e:?}"))
}

fn text(en: &str, ru: &str, kk: &str) -> LocalizedText {
    LocalizedText {
        kk: Some(kk.into()),
        ru: Some(ru.into()),
        en: Some(en.into()),
    }
}

async fn offer(
    store: &Store,
    provider: &Account,
    input: ResourceInput,
) -> Result<PlatformResource, DemoError> {
    let organisation = provider
        .organisation_id
        .ok_or_else(|| data("a provider without an organisation"))?;
    let resource = input
        .parse(
            PlatformResourceId::generate(),
            organisation,
            store.clock().now(),
        )
        .map_err(data)?;
    match store
        .execute(
            Actor::of(provider),
            Command::CreatePlatformResource(Box::new(resource)),
        )
        .await?
    {
        Applied::PlatformResource(r) => Ok(*r),
        other => Err(data(other)),
    }
}

/// The hospital's restricted emergency admissions, the first of its
/// restricted datasets in the library.
async fn admissions(
    store: &Store,
    hospital: &Account,
) -> Result<Option<senim_domain::Dataset>, DemoError> {
    let all = store.datasets_after(None, 500).await?;
    Ok(all.into_iter().map(|(d, _)| d).find(|d| {
        Some(d.organisation_id) == hospital.organisation_id
            && d.metadata.access == senim_domain::AccessLevel::Restricted
    }))
}

/// Seeds the resources and the start-up's allocation of GPU-hours from
/// its accepted award `awarded` of the call `gpu`.
pub(crate) async fn seed(
    store: &Store,
    config: &senim_app::Config,
    gpu: &Call,
    awarded: &Case,
    startup: &Account,
) -> Result<(), DemoError> {
    let provider = account(store, "compute@platform.demo").await?;
    let steward = account(store, "data_steward@hospital.demo").await?;
    let cluster = offer(
        store,
        &provider,
        ResourceInput {
            kind: ResourceKind::ComputePool,
            title: text(
                "National GPU cluster (A100)",
                "Национальный GPU-кластер (A100)",
                "Ұлттық GPU-кластер (A100)",
            ),
            description: text(
                "64 NVIDIA A100 80 GB in the Platform's data centre in Astana; jobs through Slurm.",
                "64 NVIDIA A100 80 ГБ в дата-центре Платформы в Астане; задачи через Slurm.",
                "Астанадағы Платформа дата-орталығында 64 NVIDIA A100 80 ГБ; тапсырмалар Slurm арқылы.",
            ),
            unit: ResourceUnit::GpuHours,
            capacity: 40_000,
            credits_per_unit: 100,
            dataset_id: None,
            model: None,
        },
    )
    .await?;
    let hospital = account(store, "developer@hospital.demo").await?;
    let trained_on = admissions(store, &hospital).await?;
    offer(
        store,
        &provider,
        ResourceInput {
            kind: ResourceKind::Model,
            title: text(
                "Kazakh-Russian clinical language model",
                "Казахско-русская клиническая языковая модель",
                "Қазақша-орысша клиникалық тілдік модель",
            ),
            description: LocalizedText::default(),
            unit: ResourceUnit::AccessDays,
            capacity: 3_650,
            credits_per_unit: 500,
            dataset_id: None,
            model: Some(ModelCard {
                licence: "Apache-2.0".into(),
                card: text(
                    "7B parameters; fine-tuned for discharge summaries; not for diagnosis.",
                    "7 млрд параметров; дообучена для выписных эпикризов; не для диагностики.",
                    "7 млрд параметр; шығару эпикриздеріне бейімделген; диагноз қою үшін емес.",
                ),
                trained_on: trained_on.iter().map(|d| d.id).collect(),
            }),
        },
    )
    .await?;
    if let Some(dataset) = &trained_on {
        offer(
            store,
            &steward,
            ResourceInput {
                kind: ResourceKind::Dataset,
                title: dataset.metadata.title.clone(),
                description: LocalizedText::default(),
                unit: ResourceUnit::AccessDays,
                capacity: 3_650,
                credits_per_unit: 200,
                dataset_id: Some(dataset.id),
                model: None,
            },
        )
        .await?;
    }

    // The start-up exchanged 3,000 GPU-hours two weeks ago; the cluster's
    // team approved it the next day and has reported a day's use since.
    let now = store.clock().now();
    let days_ago = |n: i64| now.plus_seconds(-n * 86_400);
    let ctx = |at, actor: &Account| AllocationContext {
        now: at,
        actor: actor.id,
        calendar: &config.calendar,
        call: gpu,
        resource: &cluster,
    };
    let stepped = request_allocation(
        CaseId::generate(),
        &ctx(days_ago(14), startup),
        awarded,
        Credits::default(),
        AllocationInput {
            resource_id: cluster.id,
            units: 3_000,
            starts: Day::of(days_ago(14)),
            ends: Day::of(now).plus_days(60),
        },
    )
    .map_err(data)?;
    let mut case = crate::cases::save(store, startup, stepped, None, None).await?;
    let approve = AllocationStep::ApproveAllocation {
        instructions: Some(
            "ssh speech@a100.platform.kz; project `kz-speech-112`; quota shown by `sshare`.".into(),
        ),
        renewable: true,
    };
    let stepped = allocation_step(
        &ctx(days_ago(13), &provider),
        &case,
        approve,
        CaseId::generate(),
    )
    .map_err(data)?;
    case = crate::cases::save(store, &provider, stepped, Some(case.revision), None).await?;
    for (n, units) in [
        (12, 96),
        (11, 180),
        (10, 175),
        (7, 190),
        (6, 188),
        (5, 120),
        (4, 184),
        (3, 192),
        (2, 186),
        (1, 139),
    ] {
        let usage = AllocationStep::ReportUsage {
            day: Day::of(days_ago(n)),
            units,
            note: None,
        };
        let stepped = allocation_step(&ctx(now, &provider), &case, usage, CaseId::generate())
            .map_err(data)?;
        case = crate::cases::save(store, &provider, stepped, Some(case.revision), None).await?;
    }
    Ok(())
}
