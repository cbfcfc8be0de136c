//! `/api/v1/datasets`: the data library's datasets (metadata; files and
//! search follow).

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use senim_domain::{AccessLevel, Dataset, DatasetId, DatasetInput, FieldError, OrganisationId};
use senim_search::Order;
use senim_store::{Applied, Command};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{decode_offset_cursor, encode_offset_cursor, page_limit, path_id};
use crate::policy::{Action, Resource};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DatasetQuery {
    /// Words (in any of the three languages, stemmed in Russian and English)
    /// and `field:value` terms; see `docs/LIBRARY.md` for the syntax.
    pub q: Option<String>,
    pub organisation: Option<OrganisationId>,
    pub access: Option<AccessLevel>,
    pub theme: Option<senim_domain::dataset::Theme>,
    /// An SPDX licence identifier.
    pub licence: Option<String>,
    /// A file format, such as `CSV` or `PARQUET`.
    pub format: Option<String>,
    /// A keyword.
    pub keyword: Option<String>,
    /// `relevance` (the default with `q`), `modified` (the default without),
    /// `created` or `title`.
    pub sort: Option<String>,
    /// Facets to count, comma-separated: `organisation`, `keyword`, `format`,
    /// `licence`, `theme`, `access`.
    pub facets: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
}

/// How many hits have one value of a facet.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DatasetList {
    pub items: Vec<Dataset>,
    pub total: i64,
    pub next_cursor: Option<String>,
    /// For each facet asked for, its values among all the hits, most frequent first.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub facets: std::collections::BTreeMap<String, Vec<FacetCount>>,
}

/// Our names of the facets, as `facets=` takes them and the answer gives them.
fn facet_name(facet: senim_search::Facet) -> &'static str {
    use senim_search::Facet;
    match facet {
        Facet::Organisation => "organisation",
        Facet::Tag => "keyword",
        Facet::Format => "format",
        Facet::Licence => "licence",
        Facet::Theme => "theme",
        Facet::Access => "access",
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> ApiError {
    ApiError::invalid(vec![FieldError {
        field: field.into(),
        reason: reason.into(),
    }])
}

/// The dataset at `id` (a path segment), if the caller may do `action` on
/// its organisation's datasets.
pub async fn dataset_for(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: Action,
) -> Result<Dataset, ApiError> {
    let id: DatasetId = path_id(id, "dataset")?;
    let dataset = state.store.dataset(id).await?;
    caller.require(
        state,
        action,
        &Resource::Organisation(dataset.organisation_id),
    )?;
    Ok(dataset)
}

/// Searches the library's datasets (their metadata is public at every access
/// level): full text in Kazakh, Russian and English, filters, and facet counts.
pub async fn search(
    state: &AppState,
    caller: &Caller,
    query: DatasetQuery,
) -> Result<DatasetList, ApiError> {
    use senim_search::{Clause, Facet, Field, SortKey};
    caller.require(
        state,
        Action::DatasetRead,
        &Resource::Collection("datasets"),
    )?;
    let mut clauses = match &query.q {
        Some(q) => senim_search::parse(q).map_err(|e| invalid("q", e.0))?,
        None => Vec::new(),
    };
    let exact = |facet: Facet, value: String| Clause::Exact {
        field: Field::Facet(facet),
        value,
    };
    clauses.extend(
        query
            .organisation
            .map(|o| exact(Facet::Organisation, o.to_string())),
    );
    clauses.extend(
        query
            .access
            .map(|a| exact(Facet::Access, a.as_str().into())),
    );
    clauses.extend(query.theme.map(|t| exact(Facet::Theme, t.as_str().into())));
    clauses.extend(query.licence.map(|l| exact(Facet::Licence, l)));
    clauses.extend(
        query
            .format
            .map(|f| exact(Facet::Format, f.to_ascii_uppercase())),
    );
    clauses.extend(query.keyword.map(|k| exact(Facet::Tag, k.to_lowercase())));
    let has_words = senim_search::scored(&clauses);
    let sort = match query.sort.as_deref() {
        None if has_words => vec![(SortKey::Score, Order::Desc)],
        None | Some("modified") => vec![(SortKey::Modified, Order::Desc)],
        Some("relevance") => vec![(SortKey::Score, Order::Desc)],
        Some("created") => vec![(SortKey::Created, Order::Desc)],
        Some("title") => vec![(SortKey::Title, Order::Asc)],
        Some(other) => {
            return Err(invalid(
                "sort",
                format!("`{other}` is not an order; use relevance, modified, created or title"),
            ))
        }
    };
    let mut facets = Vec::new();
    for name in query
        .facets
        .iter()
        .flat_map(|f| f.split(','))
        .map(str::trim)
    {
        if name.is_empty() {
            continue;
        }
        let facet = Facet::ALL
            .into_iter()
            .find(|f| facet_name(*f) == name)
            .ok_or_else(|| {
                invalid(
                    "facets",
                    format!("`{name}` is not a facet; use organisation, keyword, format, licence, theme or access"),
                )
            })?;
        facets.push(facet);
    }
    let offset = decode_offset_cursor(query.cursor.as_deref())?;
    let limit = page_limit(query.limit)? as usize;
    let hits = state.library.search(&senim_search::Search {
        clauses,
        sort,
        offset,
        limit,
        facets,
        ..Default::default()
    })?;
    let items = state.store.datasets_by_id(&hits.ids).await?;
    let next = offset + hits.ids.len();
    Ok(DatasetList {
        next_cursor: ((next as u64) < hits.total).then(|| encode_offset_cursor(next)),
        total: hits.total as i64,
        items,
        facets: hits
            .facets
            .into_iter()
            .map(|(f, values)| {
                let values = values
                    .into_iter()
                    .map(|(value, count)| FacetCount { value, count })
                    .collect();
                (facet_name(f).to_string(), values)
            })
            .collect(),
    })
}

/// Publishes a dataset's description for its organisation (the caller's
/// own when the input names none): the API's and the pages' one path.
pub async fn create_dataset(
    state: &AppState,
    caller: &Caller,
    input: DatasetInput,
) -> Result<Dataset, ApiError> {
    let Some(account) = &caller.account else {
        return Err(ApiError::unauthenticated());
    };
    let owner = input
        .organisation_id
        .or(account.organisation_id)
        .ok_or_else(|| {
            ApiError::invalid(vec![FieldError {
                field: "organisation_id".into(),
                reason: "is required: your account belongs to no organisation".into(),
            }])
        })?;
    caller.require(state, Action::DatasetWrite, &Resource::Organisation(owner))?;
    let metadata = input.parse()?;
    match state
        .execute(caller.actor(), Command::CreateDataset { owner, metadata })
        .await?
    {
        Applied::Dataset(d) => Ok(*d),
        _ => Err(ApiError::internal()),
    }
}

/// Replaces a dataset's description, from the revision the writer read
/// (the caller was checked to write it).
pub async fn update_dataset(
    state: &AppState,
    caller: &Caller,
    dataset: Dataset,
    expected_revision: i64,
    input: DatasetInput,
) -> Result<Dataset, ApiError> {
    let id = dataset.id;
    if input
        .organisation_id
        .is_some_and(|o| o != dataset.organisation_id)
    {
        return Err(ApiError::invalid(vec![FieldError {
            field: "organisation_id".into(),
            reason: "cannot change: a dataset stays with its organisation".into(),
        }]));
    }
    let metadata = input.parse()?;
    match state
        .execute(
            caller.actor(),
            Command::UpdateDataset {
                id,
                expected_revision,
                metadata,
            },
        )
        .await?
    {
        Applied::Dataset(d) => Ok(*d),
        _ => Err(ApiError::internal()),
    }
}
