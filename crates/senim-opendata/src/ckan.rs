//! The CKAN Action API v3, read side, at `/api/3/action/{name}` and
//! `/api/action/{name}`: what open-data portals, the `ckanapi` client and
//! CKAN harvesters already speak.
//!
//! A CKAN dataset ("package") is a library dataset: its `name` is its id, its
//! organisation's `name` is the organisation's BIN, its `groups` are its
//! themes, and the fields CKAN has no place for are `extras`. Titles and
//! descriptions are given in every language as `title_translated` and
//! `notes_translated` (the ckanext-fluent convention), with `title` and
//! `notes` in English where there is English. Everything here is public: the
//! metadata of every dataset is, whatever its access level. Answers are
//! CKAN's envelope (`help`, `success`, `result` or `error`) with CKAN's
//! error types and status codes.

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use senim_domain::{Dataset, Organisation, OrganisationId, Resource, Timestamp};
use senim_search::{Clause, Facet, Field, Order, Search, SortKey};

use senim_app::auth::Caller;
use senim_app::policy::{Action, Resource as PolicyResource};
use senim_app::state::AppState;

/// The CKAN version whose API this imitates (`status_show` says so).
pub const CKAN_VERSION: &str = "2.11.0";

/// The most rows `package_search` gives (CKAN's `ckan.search.rows_max`).
const ROWS_MAX: usize = 1000;

/// The most filters one `fq_list` may hold.
const MAX_FILTERS: usize = 50;

/// An action's failure, as CKAN reports it.
struct Failure {
    status: StatusCode,
    error: Value,
}

impl Failure {
    fn not_found(detail: Option<&str>) -> Failure {
        let message = match detail {
            Some(d) => format!("Not found: {d}"),
            None => "Not found".into(),
        };
        Failure {
            status: StatusCode::NOT_FOUND,
            error: json!({"__type": "Not Found Error", "message": message}),
        }
    }

    /// A parameter is wrong: `{"__type": "Validation Error", field: [reason]}`.
    fn validation(field: &str, reason: &str) -> Failure {
        Failure {
            status: StatusCode::CONFLICT,
            error: json!({"__type": "Validation Error", field: [reason]}),
        }
    }

    fn search_query(reason: &str) -> Failure {
        Failure {
            status: StatusCode::BAD_REQUEST,
            error: json!({
                "__type": "Search Query Error",
                "message": format!("Search Query is invalid: (\"{}\",)", reason.replace('"', "'")),
            }),
        }
    }

    fn internal() -> Failure {
        Failure {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            error: json!({"__type": "Internal Server Error", "message": "Internal Server Error"}),
        }
    }
}

impl From<senim_store::StoreError> for Failure {
    fn from(e: senim_store::StoreError) -> Failure {
        match e {
            senim_store::StoreError::NotFound { .. } => Failure::not_found(None),
            other => {
                tracing::error!(error = %other, "store error in the CKAN API");
                Failure::internal()
            }
        }
    }
}

impl From<senim_search::QueryError> for Failure {
    fn from(e: senim_search::QueryError) -> Failure {
        Failure::search_query(&e.0)
    }
}

impl From<senim_search::SearchError> for Failure {
    fn from(e: senim_search::SearchError) -> Failure {
        match e {
            senim_search::SearchError::Query(q) => Failure::search_query(&q.0),
            other => {
                tracing::error!(error = %other, "search error in the CKAN API");
                Failure::internal()
            }
        }
    }
}

fn reply(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=utf-8"),
    );
    response
}

/// A bad request CKAN answers with a bare JSON string, not an envelope.
fn bad_request(message: String) -> Response {
    reply(StatusCode::BAD_REQUEST, &Value::String(message))
}

/// The site's address as clients reach it: `public_url`, or the request's host.
pub(crate) fn site_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.config.public_url {
        return url.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// The action's parameters: the query string on GET (a repeated key gives a
/// list), the JSON object (or form) in the body on POST.
fn parameters(
    method: &Method,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Map<String, Value>, String> {
    let form = |text: &[u8]| {
        let mut out = Map::new();
        for (k, v) in form_urlencoded::parse(text) {
            let v = Value::String(v.into_owned());
            match out.get_mut(k.as_ref()) {
                Some(Value::Array(list)) => list.push(v),
                Some(first) => *first = Value::Array(vec![first.take(), v]),
                None => {
                    out.insert(k.into_owned(), v);
                }
            }
        }
        out
    };
    if method != Method::POST || body.iter().all(u8::is_ascii_whitespace) {
        return Ok(form(query.unwrap_or("").as_bytes()));
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        return Ok(form(body));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(format!(
            "Bad request - JSON Error: Request data JSON decoded to {other} but it needs to be a dictionary."
        )),
        Err(e) => Err(format!(
            "Bad request - JSON Error: Error decoding JSON data. Error: {e}"
        )),
    }
}

/// `GET|POST /api/3/action/{name}` and `/api/action/{name}`.
pub async fn action(
    State(state): State<AppState>,
    Path(name): Path<String>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match parameters(&method, query.as_deref(), &headers, &body) {
        Ok(p) => p,
        Err(message) => return bad_request(message),
    };
    let site = site_url(&state, &headers);
    let help = format!("{site}/api/3/action/help_show?name={name}");
    // Every action here reads what the policies let anyone read.
    if Caller::anonymous()
        .require(
            &state,
            Action::DatasetRead,
            &PolicyResource::Collection("datasets"),
        )
        .is_err()
    {
        return reply(
            StatusCode::FORBIDDEN,
            &json!({"help": help, "success": false,
                    "error": {"__type": "Authorization Error", "message": "Access denied"}}),
        );
    }
    let ctx = Ctx {
        state: &state,
        site: &site,
    };
    let result = match name.as_str() {
        "package_search" => ctx.package_search(&params).await,
        "package_show" => ctx.package_show(&params).await,
        "package_list" => ctx.package_list(&params),
        "resource_show" => ctx.resource_show(&params).await,
        "organization_list" => ctx.organization_list(&params).await,
        "organization_show" => ctx.organization_show(&params).await,
        "tag_list" => ctx.tag_list(&params),
        "status_show" => Ok(ctx.status_show()),
        _ => return bad_request(format!("Bad request - Action name not known: {name}")),
    };
    match result {
        Ok(result) => reply(
            StatusCode::OK,
            &json!({"help": help, "success": true, "result": result}),
        ),
        Err(f) => reply(
            f.status,
            &json!({"help": help, "success": false, "error": f.error}),
        ),
    }
}

/// `GET /api/3` and `/api`: which API version lives there.
pub async fn version3() -> Response {
    reply(StatusCode::OK, &json!({"version": 3}))
}

struct Ctx<'a> {
    state: &'a AppState,
    site: &'a str,
}

/// A parameter as text (CKAN clients send numbers and booleans as strings too).
fn text(params: &Map<String, Value>, key: &str) -> Option<String> {
    match params.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        Value::Array(list) => list.first().map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }),
        other => Some(other.to_string()),
    }
}

/// A natural number parameter, as CKAN validates it.
fn natural(params: &Map<String, Value>, key: &str) -> Result<Option<usize>, Failure> {
    let Some(t) = text(params, key).filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    match t.trim().parse::<i64>() {
        Ok(n) if n >= 0 => Ok(Some(n as usize)),
        Ok(_) => Err(Failure::validation(key, "Must be a natural number")),
        Err(_) => Err(Failure::validation(key, "Invalid integer")),
    }
}

fn boolean(params: &Map<String, Value>, key: &str) -> bool {
    text(params, key).is_some_and(|t| {
        matches!(
            t.trim().to_ascii_lowercase().as_str(),
            "true" | "yes" | "on" | "y" | "t" | "1"
        )
    })
}

/// A list parameter: a JSON array, a JSON-encoded array, repeated keys, or
/// one bare value.
fn list(params: &Map<String, Value>, key: &str) -> Vec<String> {
    let strings = |list: &Vec<Value>| -> Vec<String> {
        list.iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()
    };
    match params.get(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let items = strings(items);
            if items.len() == 1 {
                if let Ok(Value::Array(inner)) = serde_json::from_str::<Value>(&items[0]) {
                    return strings(&inner);
                }
            }
            items
        }
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Array(inner)) => strings(&inner),
            Ok(Value::String(one)) => vec![one],
            _ if s.trim().is_empty() => Vec::new(),
            _ => vec![s.clone()],
        },
        Some(other) => vec![other.to_string()],
    }
}

/// CKAN's instants: naive UTC with microseconds.
fn ckan_time(t: Timestamp) -> String {
    let dt =
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.unix_millis()) * 1_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.microsecond()
    )
}

/// A licence's title, its page, and whether it is open (the library's
/// licence table; an id it does not know is "not specified" and not open).
pub(crate) fn licence_facts(id: &str) -> (&'static str, Option<String>, bool) {
    let (title, open) = senim_domain::dataset::licence(id)
        .map(|l| (l.title, l.open))
        .unwrap_or(("Licence not specified", false));
    let url =
        (!id.starts_with("LicenseRef-")).then(|| format!("https://spdx.org/licenses/{id}.html"));
    (title, url, open)
}

fn organisation_dict(o: &Organisation, site: &str) -> Value {
    json!({
        "id": o.id,
        "name": o.bin.as_str(),
        "title": o.name.get("en"),
        "display_name": o.name.get("en"),
        "title_translated": o.name,
        "type": "organization",
        "description": "",
        "image_url": "",
        "image_display_url": "",
        "created": ckan_time(o.created_at),
        "is_organization": true,
        "approval_status": "approved",
        "state": if o.status == senim_domain::OrganisationStatus::Active { "active" } else { "deleted" },
        "url": format!("{site}/api/v1/organisations/{}", o.id),
    })
}

fn resource_dict(r: &Resource, position: usize, site: &str) -> Value {
    let mut dict = json!({
        "id": r.id,
        "package_id": r.dataset_id,
        "name": r.name,
        "description": "",
        "url": format!("{site}/api/v1/resources/{}/file", r.id),
        "url_type": "upload",
        "format": r.format(),
        "mimetype": r.media_type,
        "mimetype_inner": null,
        "size": r.size,
        "hash": format!("sha256:{}", r.sha256),
        "sha256": r.sha256,
        "created": ckan_time(r.created_at),
        "last_modified": null,
        "metadata_modified": ckan_time(r.created_at),
        "position": position,
        "state": "active",
        "resource_type": null,
        "cache_url": null,
        "cache_last_updated": null,
        "datastore_active": false,
    });
    if let Some(schema) = &r.schema {
        dict["rows"] = json!(schema.rows);
        dict["columns"] = json!(schema.columns);
    }
    dict
}

/// A dataset as CKAN's `package_show` gives one.
pub(crate) fn package_dict(
    d: &Dataset,
    files: &[Resource],
    organisation: Option<&Organisation>,
    site: &str,
) -> Value {
    let m = &d.metadata;
    let (licence_title, licence_url, open) = licence_facts(&m.licence);
    let tags: Vec<Value> = m
        .keywords
        .iter()
        .map(|k| json!({"id": k, "name": k, "display_name": k, "state": "active", "vocabulary_id": null}))
        .collect();
    let groups: Vec<Value> = m
        .themes
        .iter()
        .map(|t| {
            json!({"id": t.as_str(), "name": t.as_str(), "title": t.title_en(),
                   "display_name": t.title_en(), "description": "", "image_display_url": ""})
        })
        .collect();
    let mut extras: BTreeMap<&str, String> = BTreeMap::new();
    extras.insert("access_level", m.access.as_str().into());
    extras.insert("personal_data", m.personal_data.to_string());
    extras.insert("training_opt_out", m.training_opt_out.to_string());
    extras.insert("producer", m.producer.name.clone());
    let optional = [
        ("legal_basis", m.legal_basis.map(|b| b.as_str().to_string())),
        ("opt_out_reference", m.opt_out_reference.clone()),
        ("spatial_text", m.spatial.clone()),
        ("provenance", m.provenance.clone()),
        ("collection_method", m.collection_method.clone()),
        ("changelog", m.changelog.clone()),
        ("producer_bin", m.producer.bin.clone()),
        ("producer_contact", m.producer.contact.clone()),
        (
            "producer_created",
            m.producer.created.map(|c| c.to_string()),
        ),
        (
            "temporal_start",
            m.temporal
                .as_ref()
                .and_then(|t| t.start)
                .map(|s| s.to_string()),
        ),
        (
            "temporal_end",
            m.temporal
                .as_ref()
                .and_then(|t| t.end)
                .map(|e| e.to_string()),
        ),
    ];
    for (k, v) in optional {
        if let Some(v) = v {
            extras.insert(k, v);
        }
    }
    let extras: Vec<Value> = extras
        .into_iter()
        .map(|(key, value)| json!({"key": key, "value": value}))
        .collect();
    let resources: Vec<Value> = files
        .iter()
        .enumerate()
        .map(|(i, r)| resource_dict(r, i, site))
        .collect();
    let mut dict = json!({
        "id": d.id,
        "name": d.id.to_string(),
        "title": m.title.get("en"),
        "title_translated": m.title,
        "notes": m.description.get("en"),
        "notes_translated": m.description,
        "author": m.producer.name,
        "author_email": null,
        "maintainer": organisation.map(|o| o.name.get("en").to_string()),
        "maintainer_email": organisation.and_then(|o| o.contacts.email.clone()),
        "license_id": m.licence,
        "license_title": licence_title,
        "isopen": open,
        "private": false,
        "state": "active",
        "type": "dataset",
        "version": m.version,
        "url": format!("{site}/api/v1/datasets/{}", d.id),
        "metadata_created": ckan_time(d.created_at),
        "metadata_modified": ckan_time(d.updated_at),
        "creator_user_id": null,
        "owner_org": d.organisation_id,
        "organization": organisation.map(|o| organisation_dict(o, site)),
        "tags": tags,
        "num_tags": m.keywords.len(),
        "groups": groups,
        "extras": extras,
        "resources": resources,
        "num_resources": files.len(),
        "relationships_as_subject": [],
        "relationships_as_object": [],
    });
    if let Some(url) = licence_url {
        dict["license_url"] = json!(url);
    }
    dict
}

/// A facet value's CKAN name and display name (organisations by their BIN
/// and name, licences and themes by their titles).
fn facet_display(
    orgs: &HashMap<OrganisationId, Organisation>,
    facet: Facet,
    value: &str,
) -> (String, String) {
    match facet {
        Facet::Organisation => match value.parse().ok().and_then(|id| orgs.get(&id)) {
            Some(o) => (o.bin.as_str().to_string(), o.name.get("en").to_string()),
            None => (value.to_string(), value.to_string()),
        },
        Facet::Licence => (value.to_string(), licence_facts(value).0.to_string()),
        Facet::Theme => match value.parse::<senim_domain::dataset::Theme>() {
            Ok(t) => (value.to_string(), t.title_en().to_string()),
            Err(_) => (value.to_string(), value.to_string()),
        },
        _ => (value.to_string(), value.to_string()),
    }
}

/// The CKAN name of a facet we count.
fn facet_of(name: &str) -> Option<Facet> {
    match name {
        "organization" | "owner_org" => Some(Facet::Organisation),
        "tags" => Some(Facet::Tag),
        "res_format" => Some(Facet::Format),
        "license_id" => Some(Facet::Licence),
        "groups" | "theme" => Some(Facet::Theme),
        "access_level" => Some(Facet::Access),
        _ => None,
    }
}

/// `package_search`'s parameters: Solr's that CKAN passes on, and CKAN's own.
const SEARCH_PARAMETERS: &[&str] = &[
    "q",
    "fl",
    "fq",
    "rows",
    "sort",
    "start",
    "wt",
    "qf",
    "bf",
    "boost",
    "facet",
    "facet.mincount",
    "facet.limit",
    "facet.field",
    "extras",
    "fq_list",
    "tie",
    "defType",
    "mm",
    "df",
    "include_private",
    "include_drafts",
    "include_deleted",
    "use_default_schema",
];

impl Ctx<'_> {
    /// What the policies let anyone do: the CKAN API answers every caller
    /// as the public.
    fn allowed(&self, action: Action, resource: &PolicyResource) -> Result<(), Failure> {
        Caller::anonymous()
            .require(self.state, action, resource)
            .map_err(|_| Failure {
                status: StatusCode::FORBIDDEN,
                error: json!({"__type": "Authorization Error", "message": "Access denied"}),
            })
    }

    /// Organisations by id, loaded once each.
    async fn organisations(
        &self,
        ids: Vec<OrganisationId>,
    ) -> Result<HashMap<OrganisationId, Organisation>, Failure> {
        let mut ids = ids;
        ids.sort();
        ids.dedup();
        Ok(self.state.store.organisations_by_id(&ids).await?)
    }

    /// An organisation named by id or BIN.
    async fn organisation_named(&self, name: &str) -> Result<Option<Organisation>, Failure> {
        let found = match name.parse::<OrganisationId>() {
            Ok(id) => self.state.store.organisation(id).await,
            Err(_) => self.state.store.organisation_by_bin(name).await,
        };
        match found {
            Ok(o) => Ok(Some(o)),
            Err(senim_store::StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn packages(&self, datasets: Vec<Dataset>) -> Result<Vec<Value>, Failure> {
        let ids: Vec<_> = datasets.iter().map(|d| d.id).collect();
        let mut files = self.state.store.resources_of_datasets(&ids).await?;
        let orgs = self
            .organisations(datasets.iter().map(|d| d.organisation_id).collect())
            .await?;
        Ok(datasets
            .iter()
            .map(|d| {
                let f = files.remove(&d.id).unwrap_or_default();
                package_dict(d, &f, orgs.get(&d.organisation_id), self.site)
            })
            .collect())
    }

    /// Replaces organisation names (BINs) in `organization:` clauses with ids.
    async fn resolve(&self, clauses: &mut [Clause]) -> Result<(), Failure> {
        for clause in clauses.iter_mut() {
            match clause {
                Clause::Exact {
                    field: Field::Facet(Facet::Organisation),
                    value,
                } => {
                    *value = match self.organisation_named(value).await? {
                        Some(o) => o.id.to_string(),
                        None => String::new(),
                    };
                }
                Clause::Any(inner) => Box::pin(self.resolve(inner)).await?,
                Clause::Not(inner) => {
                    Box::pin(self.resolve(std::slice::from_mut(inner.as_mut()))).await?
                }
                _ => {}
            }
        }
        Ok(())
    }

    async fn package_search(&self, params: &Map<String, Value>) -> Result<Value, Failure> {
        let unknown: Vec<&String> = params
            .keys()
            .filter(|k| !SEARCH_PARAMETERS.contains(&k.as_str()) && !k.starts_with("ext_"))
            .collect();
        if !unknown.is_empty() {
            return Err(Failure::search_query(&format!(
                "Invalid search parameters: {unknown:?}"
            )));
        }
        let mut clauses = senim_search::parse(&text(params, "q").unwrap_or_default())?;
        let has_words = senim_search::scored(&clauses);
        let fq_list = list(params, "fq_list");
        if fq_list.len() > MAX_FILTERS {
            return Err(Failure::search_query(&format!(
                "fq_list has {} filters; at most {MAX_FILTERS}",
                fq_list.len()
            )));
        }
        for fq in std::iter::once(text(params, "fq").unwrap_or_default()).chain(fq_list) {
            clauses.extend(senim_search::parse(&fq)?);
        }
        self.resolve(&mut clauses).await?;
        let rows = natural(params, "rows")?.unwrap_or(10).min(ROWS_MAX);
        let start = natural(params, "start")?.unwrap_or(0);
        let sort_text = text(params, "sort")
            .filter(|s| !s.trim().is_empty() && s != "rank")
            .unwrap_or_else(|| "score desc, metadata_modified desc".into());
        let mut sort = Vec::new();
        for part in sort_text.split(',') {
            let mut words = part.split_whitespace();
            let key = words.next().and_then(SortKey::parse);
            let order = match words.next().unwrap_or("asc") {
                "asc" => Some(Order::Asc),
                "desc" => Some(Order::Desc),
                _ => None,
            };
            match (key, order, words.next()) {
                (Some(k), Some(o), None) => sort.push((k, o)),
                _ => return Err(Failure::search_query("Invalid \"sort\" parameter")),
            }
        }
        if !has_words && sort.first().is_some_and(|(k, _)| *k == SortKey::Score) {
            // Without words every score is the same; the next key decides.
            sort.remove(0);
        }
        let facet_names: Vec<String> = if text(params, "facet").is_none_or(|f| f != "false") {
            list(params, "facet.field")
        } else {
            Vec::new()
        };
        let mut facets = Vec::new();
        for name in &facet_names {
            facets.push(facet_of(name).ok_or_else(|| {
                Failure::search_query(&format!(
                    "undefined facet field {name}; the facets are organization, tags, res_format, license_id, groups, access_level"
                ))
            })?);
        }
        let facet_limit = match text(params, "facet.limit").map(|t| t.trim().parse::<i64>()) {
            None => 50,
            Some(Ok(n)) if n < 0 => 100_000,
            Some(Ok(n)) => n as usize,
            Some(Err(_)) => return Err(Failure::validation("facet.limit", "Invalid integer")),
        };
        let facet_min_count = natural(params, "facet.mincount")?.unwrap_or(1) as u64;
        let hits = self.state.library.search(&Search {
            clauses,
            sort,
            offset: start,
            limit: rows,
            facets,
            facet_limit,
            facet_min_count,
        })?;
        let datasets = self.state.store.datasets_by_id(&hits.ids).await?;
        let results = self.packages(datasets).await?;
        let mut facets_old = Map::new();
        let mut search_facets = Map::new();
        let org_ids: Vec<OrganisationId> = hits
            .facets
            .get(&Facet::Organisation)
            .map(|v| v.iter().filter_map(|(id, _)| id.parse().ok()).collect())
            .unwrap_or_default();
        let orgs = self.organisations(org_ids).await?;
        for name in &facet_names {
            let Some(facet) = facet_of(name) else {
                continue;
            };
            let values = hits.facets.get(&facet).cloned().unwrap_or_default();
            let mut items = Vec::new();
            let mut counts = Map::new();
            for (value, count) in values {
                let (name, display) = facet_display(&orgs, facet, &value);
                counts.insert(name.clone(), json!(count));
                items.push(json!({"name": name, "display_name": display, "count": count}));
            }
            items.sort_by(|a, b| {
                b["display_name"]
                    .as_str()
                    .unwrap_or("")
                    .cmp(a["display_name"].as_str().unwrap_or(""))
            });
            facets_old.insert(name.clone(), Value::Object(counts));
            search_facets.insert(name.clone(), json!({"title": name, "items": items}));
        }
        Ok(json!({
            "count": hits.total,
            "sort": sort_text,
            "facets": facets_old,
            "search_facets": search_facets,
            "results": results,
        }))
    }

    async fn package_show(&self, params: &Map<String, Value>) -> Result<Value, Failure> {
        let id = text(params, "id")
            .or_else(|| text(params, "name_or_id"))
            .ok_or_else(|| Failure::validation("name_or_id", "Missing value"))?;
        let id = id.trim().parse().map_err(|_| Failure::not_found(None))?;
        let dataset = self.state.store.dataset(id).await?;
        let mut packages = self.packages(vec![dataset]).await?;
        packages.pop().ok_or_else(Failure::internal)
    }

    async fn resource_show(&self, params: &Map<String, Value>) -> Result<Value, Failure> {
        let id = text(params, "id").ok_or_else(|| Failure::validation("id", "Missing value"))?;
        let missing = || Failure::not_found(Some("Resource was not found."));
        let id = id.trim().parse().map_err(|_| missing())?;
        let resource = match self.state.store.resource(id).await {
            Ok(r) => r,
            Err(senim_store::StoreError::NotFound { .. }) => return Err(missing()),
            Err(e) => return Err(e.into()),
        };
        let files = self.state.store.resources_of(resource.dataset_id).await?;
        let position = files.iter().position(|f| f.id == resource.id).unwrap_or(0);
        Ok(resource_dict(&resource, position, self.site))
    }

    fn package_list(&self, params: &Map<String, Value>) -> Result<Value, Failure> {
        // CKAN applies limit and offset only when they are not zero.
        let limit = natural(params, "limit")?.filter(|l| *l > 0);
        let offset = natural(params, "offset")?.unwrap_or(0);
        let hits = self.state.library.search(&Search {
            sort: vec![(SortKey::Id, Order::Asc)],
            offset,
            limit: limit.unwrap_or(self.state.library.len() as usize),
            ..Search::default()
        })?;
        Ok(json!(hits
            .ids
            .iter()
            .map(|id| id.to_string())
            .collect::<Vec<_>>()))
    }

    /// How many datasets each organisation holds.
    fn dataset_counts(&self) -> Result<HashMap<String, u64>, Failure> {
        let hits = self.state.library.search(&Search {
            limit: 0,
            facets: vec![Facet::Organisation],
            facet_limit: 100_000,
            ..Search::default()
        })?;
        Ok(hits
            .facets
            .get(&Facet::Organisation)
            .map(|v| v.iter().cloned().collect())
            .unwrap_or_default())
    }

    async fn organization_list(&self, params: &Map<String, Value>) -> Result<Value, Failure> {
        self.allowed(
            Action::OrganisationList,
            &PolicyResource::Collection("organisations"),
        )?;
        let all_fields = boolean(params, "all_fields");
        let cap = if all_fields { 25 } else { 1000 };
        let limit = natural(params, "limit")?.unwrap_or(cap).min(1000);
        let offset = natural(params, "offset")?.unwrap_or(0);
        let sort = text(params, "sort").unwrap_or_else(|| "title asc".into());
        let query = text(params, "q")
            .or_else(|| text(params, "query"))
            .map(|q| q.to_lowercase());
        let names = list(params, "organizations");
        let counts = self.dataset_counts()?;
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .state
                .store
                .organisations(&senim_store::OrganisationFilter {
                    status: Some(senim_domain::OrganisationStatus::Active),
                    text: None,
                    after,
                    limit: 500,
                })
                .await?;
            all.extend(page.items);
            if page.next_after.is_none() {
                break;
            }
            after = page.next_after;
        }
        let mut orgs: Vec<(Organisation, u64)> = all
            .into_iter()
            .filter(|o| names.is_empty() || names.iter().any(|n| n == o.bin.as_str()))
            .filter(|o| {
                query.as_ref().is_none_or(|q| {
                    o.bin.as_str().contains(q.as_str())
                        || [&o.name.kk, &o.name.ru, &o.name.en]
                            .into_iter()
                            .flatten()
                            .any(|n| n.to_lowercase().contains(q.as_str()))
                })
            })
            .map(|o| {
                let n = counts.get(&o.id.to_string()).copied().unwrap_or(0);
                (o, n)
            })
            .collect();
        let mut words = sort.split_whitespace();
        let (field, order) = (words.next().unwrap_or("title"), words.next());
        let descending = match (field, order) {
            ("packages", None) => true,
            (_, Some("desc")) => true,
            (_, Some("asc") | None) => false,
            _ => return Err(Failure::validation("sort", "Invalid sort order")),
        };
        match field {
            "name" => orgs.sort_by(|a, b| a.0.bin.as_str().cmp(b.0.bin.as_str())),
            "title" => orgs.sort_by(|a, b| a.0.name.get("en").cmp(b.0.name.get("en"))),
            "package_count" | "packages" => orgs.sort_by_key(|a| a.1),
            other => {
                return Err(Failure {
                    status: StatusCode::CONFLICT,
                    error: json!({"__type": "Validation Error",
                                  "message": format!("Cannot sort by field `{other}`")}),
                })
            }
        }
        if descending {
            orgs.reverse();
        }
        let page = orgs.into_iter().skip(offset).take(limit);
        Ok(Value::Array(
            page.map(|(o, n)| {
                if all_fields {
                    let mut dict = organisation_dict(&o, self.site);
                    dict["package_count"] = json!(n);
                    dict["num_followers"] = json!(0);
                    dict
                } else {
                    json!(o.bin.as_str())
                }
            })
            .collect(),
        ))
    }

    async fn organization_show(&self, params: &Map<String, Value>) -> Result<Value, Failure> {
        let id = text(params, "id").ok_or_else(|| Failure::validation("id", "Missing value"))?;
        let org = self
            .organisation_named(id.trim())
            .await?
            .ok_or_else(|| Failure::not_found(Some("Organization was not found.")))?;
        self.allowed(
            Action::OrganisationRead,
            &PolicyResource::Organisation(org.id),
        )?;
        let hits = self.state.library.search(&Search {
            clauses: vec![Clause::Exact {
                field: Field::Facet(Facet::Organisation),
                value: org.id.to_string(),
            }],
            sort: vec![(SortKey::Modified, Order::Desc)],
            limit: if boolean(params, "include_datasets") {
                10
            } else {
                0
            },
            ..Search::default()
        })?;
        let mut dict = organisation_dict(&org, self.site);
        dict["package_count"] = json!(hits.total);
        dict["num_followers"] = json!(0);
        dict["extras"] = json!([]);
        dict["tags"] = json!([]);
        dict["groups"] = json!([]);
        if !hits.ids.is_empty() {
            let datasets = self.state.store.datasets_by_id(&hits.ids).await?;
            dict["packages"] = Value::Array(self.packages(datasets).await?);
        }
        Ok(dict)
    }

    fn tag_list(&self, params: &Map<String, Value>) -> Result<Value, Failure> {
        let query = text(params, "query")
            .or_else(|| text(params, "q"))
            .map(|q| q.to_lowercase());
        if text(params, "vocabulary_id").is_some() {
            // The library's keywords are free tags; it has no vocabularies.
            return Err(Failure::not_found(Some("Could not find vocabulary")));
        }
        let hits = self.state.library.search(&Search {
            limit: 0,
            facets: vec![Facet::Tag],
            facet_limit: 1_000_000,
            ..Search::default()
        })?;
        let mut tags: Vec<String> = hits
            .facets
            .get(&Facet::Tag)
            .map(|v| v.iter().map(|(t, _)| t.clone()).collect())
            .unwrap_or_default();
        tags.retain(|t| query.as_ref().is_none_or(|q| t.contains(q.as_str())));
        tags.sort();
        Ok(if boolean(params, "all_fields") {
            Value::Array(
                tags.iter()
                    .map(|t| json!({"id": t, "name": t, "display_name": t, "vocabulary_id": null}))
                    .collect(),
            )
        } else {
            json!(tags)
        })
    }

    fn status_show(&self) -> Value {
        json!({
            "site_title": "Senim: National AI Platform data library",
            "site_description": "The data library of Kazakhstan's National AI Platform, served by Senim with a CKAN-compatible read API.",
            "site_url": self.site,
            "ckan_version": CKAN_VERSION,
            "error_emails_to": null,
            "locale_default": "kk",
            "extensions": ["senim"],
        })
    }
}
