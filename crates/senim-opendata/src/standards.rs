//! The library's metadata in the standards other catalogues and machine
//! learning tools read:
//!
//! - DCAT-AP 3 as JSON-LD: `/catalog.jsonld` (100 datasets a page, with
//!   Hydra paging as DCAT harvesters follow it) and `/dataset/{id}.jsonld`;
//! - Croissant 1.1: `/dataset/{id}/croissant.jsonld`, with a file object per
//!   file (SHA-256, size, media type, download address) and a record set per
//!   table whose columns were detected.
//!
//! Every IRI a document links to is also typed in it (a theme is a
//! `skos:Concept`, a licence a `dct:LicenseDocument`...), so a validator
//! without the EU vocabularies at hand can check the shapes.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use senim_domain::dataset::ColumnType;
use senim_domain::{AccessLevel, Dataset, LocalizedText, Organisation, Resource};
use senim_search::{Order, Search, SortKey};

use crate::ckan::{licence_facts, site_url};
use senim_app::auth::Caller;
use senim_app::error::ApiError;
use senim_app::policy::{Action, Resource as PolicyResource};
use senim_app::state::AppState;

/// Datasets per catalogue page.
pub const CATALOG_PAGE: usize = 100;

fn jsonld(body: Value) -> Response {
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/ld+json"),
    );
    response
}

fn dcat_context() -> Value {
    json!({
        "dcat": "http://www.w3.org/ns/dcat#",
        "dct": "http://purl.org/dc/terms/",
        "foaf": "http://xmlns.com/foaf/0.1/",
        "vcard": "http://www.w3.org/2006/vcard/ns#",
        "skos": "http://www.w3.org/2004/02/skos/core#",
        "spdx": "http://spdx.org/rdf/terms#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "hydra": "http://www.w3.org/ns/hydra/core#",
        "dpv": "https://w3id.org/dpv#",
        "tdm": "http://www.w3.org/ns/tdmrep#",
        "senim": "https://senim.kz/ns/library#",
        "eu-theme": "http://publications.europa.eu/resource/authority/data-theme/",
        "eu-access": "http://publications.europa.eu/resource/authority/access-right/",
        "eu-lang": "http://publications.europa.eu/resource/authority/language/",
        "eu-ftype": "http://publications.europa.eu/resource/authority/file-type/",
        "iana": "https://www.iana.org/assignments/media-types/",
    })
}

/// A text in each language it has, as language-tagged literals.
fn tagged(text: &LocalizedText) -> Value {
    let mut out = Vec::new();
    for (lang, value) in [("kk", &text.kk), ("ru", &text.ru), ("en", &text.en)] {
        if let Some(v) = value {
            out.push(json!({"@value": v, "@language": lang}));
        }
    }
    Value::Array(out)
}

fn access_right(level: AccessLevel) -> &'static str {
    match level {
        AccessLevel::Open | AccessLevel::Registered => "PUBLIC",
        AccessLevel::Restricted => "RESTRICTED",
        AccessLevel::Closed => "NON_PUBLIC",
    }
}

/// The EU file-type code of a resource's format, where there is one.
fn eu_file_type(format: &str) -> Option<&'static str> {
    Some(match format {
        "CSV" => "CSV",
        "PARQUET" => "PARQUET",
        "JSON" => "JSON",
        "JSON-LD" => "JSON_LD",
        "GEOJSON" => "GEOJSON",
        "ZIP" => "ZIP",
        "PDF" => "PDF",
        "XML" => "XML",
        "TXT" => "TXT",
        "XLSX" => "XLSX",
        _ => return None,
    })
}

/// The nodes of one DCAT document, with the vocabulary nodes its links need
/// (kept by IRI, so each is typed once).
#[derive(Default)]
struct Graph {
    nodes: Vec<Value>,
    typed: BTreeMap<String, Value>,
}

impl Graph {
    fn typed(&mut self, id: &str, node: Value) -> Value {
        self.typed.entry(id.to_string()).or_insert(node);
        json!({"@id": id})
    }

    fn organisation(&mut self, site: &str, o: &Organisation) -> Value {
        let id = format!("{site}/api/v1/organisations/{}", o.id);
        self.typed(
            &id.clone(),
            json!({"@id": id, "@type": ["foaf:Agent", "foaf:Organization"],
                   "foaf:name": tagged(&o.name), "dct:identifier": o.bin.as_str()}),
        )
    }

    fn dataset(
        &mut self,
        site: &str,
        d: &Dataset,
        files: &[Resource],
        org: Option<&Organisation>,
    ) -> String {
        let m = &d.metadata;
        let landing = format!("{site}/api/v1/datasets/{}", d.id);
        let id = format!("{landing}#dataset");
        let themes: Vec<Value> = m
            .themes
            .iter()
            .map(|t| {
                let iri = format!("eu-theme:{}", t.eu_code());
                self.typed(
                    &iri,
                    json!({"@id": iri, "@type": "skos:Concept",
                           "skos:prefLabel": {"@value": t.title_en(), "@language": "en"},
                           "skos:inScheme": {"@id": "http://publications.europa.eu/resource/authority/data-theme"}}),
                )
            })
            .collect();
        let access = format!("eu-access:{}", access_right(m.access));
        let access = self.typed(
            &access,
            json!({"@id": access, "@type": "dct:RightsStatement"}),
        );
        let licence = licence_iri(&m.licence);
        let licence = self.typed(
            &licence,
            json!({"@id": licence, "@type": "dct:LicenseDocument",
            "rdfs:label": licence_facts(&m.licence).0}),
        );
        let mut node = json!({
            "@id": id,
            "@type": "dcat:Dataset",
            "dct:identifier": d.id.to_string(),
            "dct:title": tagged(&m.title),
            "dct:description": tagged(&m.description),
            "dcat:keyword": m.keywords,
            "dcat:theme": themes,
            "dct:accessRights": access,
            "dct:license": licence,
            "dcat:version": m.version,
            "dct:issued": {"@value": d.created_at.to_rfc3339(), "@type": "xsd:dateTime"},
            "dct:modified": {"@value": d.updated_at.to_rfc3339(), "@type": "xsd:dateTime"},
            "dcat:landingPage": {"@id": landing},
            "senim:accessLevel": m.access.as_str(),
            "senim:personalData": m.personal_data,
            "senim:trainingOptOut": m.training_opt_out,
        });
        self.typed(&landing, json!({"@id": landing, "@type": "foaf:Document"}));
        if let Some(o) = org {
            node["dct:publisher"] = self.organisation(site, o);
            if let Some(email) = &o.contacts.email {
                node["dcat:contactPoint"] = json!({"@type": ["vcard:Kind", "vcard:Organization"],
                    "vcard:fn": o.name.get("en"), "vcard:hasEmail": {"@id": format!("mailto:{email}")}});
            }
        }
        node["dct:creator"] = json!({"@type": ["foaf:Agent"], "foaf:name": m.producer.name});
        if let Some(bin) = &m.producer.bin {
            node["dct:creator"]["dct:identifier"] = json!(bin);
        }
        if let Some(s) = &m.spatial {
            node["dct:spatial"] = json!({"@type": "dct:Location", "skos:prefLabel": s});
        }
        if let Some(t) = &m.temporal {
            let mut period = json!({"@type": "dct:PeriodOfTime"});
            if let Some(s) = t.start {
                period["dcat:startDate"] = json!({"@value": s.to_string(), "@type": "xsd:date"});
            }
            if let Some(e) = t.end {
                period["dcat:endDate"] = json!({"@value": e.to_string(), "@type": "xsd:date"});
            }
            node["dct:temporal"] = period;
        }
        if let Some(p) = &m.provenance {
            node["dct:provenance"] = json!({"@type": "dct:ProvenanceStatement", "rdfs:label": p});
        }
        if let Some(c) = &m.changelog {
            node["adms:versionNotes"] = json!(c);
        }
        if m.personal_data {
            node["dpv:hasPersonalData"] = json!({"@id": "dpv:PersonalData"});
            if let Some(b) = m.legal_basis {
                node["senim:legalBasis"] = json!(b.as_str());
            }
        }
        if m.training_opt_out {
            // The rightholder reserves text and data mining (W3C TDMRep).
            node["tdm:reservation"] = json!(1);
            if let Some(r) = &m.opt_out_reference {
                node["tdm:policy"] = json!(r);
            }
        }
        let mut distributions = Vec::new();
        // A closed dataset is described, never served: no distribution.
        let served = if m.access == AccessLevel::Closed {
            &[][..]
        } else {
            files
        };
        for r in served {
            let download = format!("{site}/api/v1/resources/{}/file", r.id);
            let media = format!("iana:{}", media_token(&r.media_type));
            let mut dist = json!({
                "@id": download,
                "@type": "dcat:Distribution",
                "dct:title": r.name,
                "dcat:accessURL": {"@id": landing},
                "dcat:downloadURL": {"@id": download},
                "dcat:mediaType": self.typed(&media, json!({"@id": media, "@type": "dct:MediaType"})),
                "dcat:byteSize": {"@value": r.size.to_string(), "@type": "xsd:nonNegativeInteger"},
                "spdx:checksum": {"@type": "spdx:Checksum",
                    "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
                    "spdx:checksumValue": {"@value": r.sha256, "@type": "xsd:hexBinary"}},
                "dct:license": {"@id": licence_iri(&m.licence)},
                "dct:issued": {"@value": r.created_at.to_rfc3339(), "@type": "xsd:dateTime"},
            });
            if let Some(code) = eu_file_type(&r.format()) {
                let iri = format!("eu-ftype:{code}");
                dist["dct:format"] =
                    self.typed(&iri, json!({"@id": iri, "@type": "dct:MediaTypeOrExtent"}));
            }
            if let Some(schema) = &r.schema {
                dist["senim:rows"] = json!(schema.rows);
            }
            self.typed(
                "spdx:checksumAlgorithm_sha256",
                json!({"@id": "spdx:checksumAlgorithm_sha256", "@type": "spdx:ChecksumAlgorithm"}),
            );
            distributions.push(json!({"@id": download}));
            self.nodes.push(dist);
        }
        if !distributions.is_empty() {
            node["dcat:distribution"] = Value::Array(distributions);
        }
        node["dct:conformsTo"] =
            json!({"@id": format!("{site}/dataset/{}/croissant.jsonld", d.id)});
        self.nodes.insert(0, node);
        id
    }

    fn document(mut self) -> Value {
        let mut context = dcat_context();
        context["adms"] = json!("http://www.w3.org/ns/adms#");
        self.nodes.extend(self.typed.into_values());
        json!({"@context": context, "@graph": self.nodes})
    }
}

/// A media type as it may stand in an IRI: `type/subtype` of RFC 6838's
/// characters (anything else, which the upload check should not have let
/// through, becomes `application/octet-stream`).
fn media_token(media_type: &str) -> &str {
    let t = media_type.split(';').next().unwrap_or("").trim();
    let ok = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    match t.split_once('/') {
        Some((a, b)) if ok(a) && ok(b) => t,
        _ => "application/octet-stream",
    }
}

fn licence_iri(spdx: &str) -> String {
    if spdx.starts_with("LicenseRef-") {
        format!("https://senim.kz/licences/{spdx}")
    } else {
        format!("http://spdx.org/licenses/{spdx}")
    }
}

/// Loads a dataset with its files and organisation, if anyone may read it.
async fn load(
    state: &AppState,
    id: &str,
) -> Result<(Dataset, Vec<Resource>, Organisation), ApiError> {
    let dataset =
        senim_app::datasets::dataset_for(state, &Caller::anonymous(), id, Action::DatasetRead)
            .await?;
    let files = state.store.resources_of(dataset.id).await?;
    let org = state.store.organisation(dataset.organisation_id).await?;
    Ok((dataset, files, org))
}

/// `GET /dataset/{id}.jsonld`: one dataset in DCAT-AP 3.
pub async fn dcat_dataset(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = file
        .strip_suffix(".jsonld")
        .ok_or_else(|| ApiError::not_found("document"))?;
    let (dataset, files, org) = load(&state, id).await?;
    let site = site_url(&state, &headers);
    let mut graph = Graph::default();
    graph.dataset(&site, &dataset, &files, Some(&org));
    Ok(jsonld(graph.document()))
}

#[derive(Debug, Deserialize)]
pub struct CatalogQuery {
    /// From 1.
    pub page: Option<usize>,
}

/// `GET /catalog.jsonld?page=N`: the library as a DCAT-AP 3 catalogue, the
/// most recently changed datasets first, 100 a page.
pub async fn catalog(
    State(state): State<AppState>,
    Query(query): Query<CatalogQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    Caller::anonymous().require(
        &state,
        Action::DatasetRead,
        &PolicyResource::Collection("datasets"),
    )?;
    let page = query.page.unwrap_or(1).max(1);
    let hits = state.library.search(&Search {
        sort: vec![(SortKey::Modified, Order::Desc)],
        offset: (page - 1).saturating_mul(CATALOG_PAGE),
        limit: CATALOG_PAGE,
        ..Search::default()
    })?;
    let last = (hits.total as usize).div_ceil(CATALOG_PAGE).max(1);
    if page > last {
        // A harvester reading past the end stops at a 404.
        return Err(ApiError::not_found("catalogue page"));
    }
    let datasets = state.store.datasets_by_id(&hits.ids).await?;
    let mut files = state.store.resources_of_datasets(&hits.ids).await?;
    let site = site_url(&state, &headers);
    let mut graph = Graph::default();
    let mut org_ids: Vec<_> = datasets.iter().map(|d| d.organisation_id).collect();
    org_ids.sort();
    org_ids.dedup();
    let orgs = state.store.organisations_by_id(&org_ids).await?;
    let mut members = Vec::new();
    for d in &datasets {
        let f = files.remove(&d.id).unwrap_or_default();
        let id = graph.dataset(&site, d, &f, orgs.get(&d.organisation_id));
        members.push(json!({"@id": id}));
    }
    let page_iri = |n: usize| json!({"@id": format!("{site}/catalog.jsonld?page={n}")});
    let mut view = json!({
        "@id": format!("{site}/catalog.jsonld?page={page}"),
        "@type": ["hydra:PartialCollectionView", "hydra:PagedCollection"],
        "hydra:totalItems": hits.total,
        "hydra:itemsPerPage": CATALOG_PAGE,
        "hydra:first": page_iri(1), "hydra:firstPage": page_iri(1),
        "hydra:last": page_iri(last), "hydra:lastPage": page_iri(last),
    });
    if page < last {
        view["hydra:next"] = page_iri(page + 1);
        view["hydra:nextPage"] = page_iri(page + 1);
    }
    if page > 1 {
        view["hydra:previous"] = page_iri(page - 1);
        view["hydra:previousPage"] = page_iri(page - 1);
    }
    let catalog_id = format!("{site}/catalog.jsonld");
    let publisher = format!("{site}/#authority");
    graph.typed(
        &publisher,
        json!({"@id": publisher, "@type": ["foaf:Agent", "foaf:Organization"],
               "foaf:name": "National AI Platform data library (Senim)"}),
    );
    for (lang, code) in [("kk", "KAZ"), ("ru", "RUS"), ("en", "ENG")] {
        let iri = format!("eu-lang:{code}");
        graph.typed(
            &iri,
            json!({"@id": iri, "@type": "dct:LinguisticSystem", "rdfs:label": lang}),
        );
    }
    graph.typed(
        "http://publications.europa.eu/resource/authority/data-theme",
        json!({"@id": "http://publications.europa.eu/resource/authority/data-theme",
               "@type": "skos:ConceptScheme", "dct:title": "Data theme"}),
    );
    graph.nodes.insert(0, view);
    graph.nodes.insert(
        0,
        json!({
            "@id": catalog_id,
            "@type": "dcat:Catalog",
            "dct:title": [
                {"@value": "Ұлттық жасанды интеллект платформасының деректер кітапханасы", "@language": "kk"},
                {"@value": "Библиотека данных Национальной платформы искусственного интеллекта", "@language": "ru"},
                {"@value": "National AI Platform data library", "@language": "en"},
            ],
            "dct:description": [
                {"@value": "Datasets published for the development of AI systems under Law No. 230-VIII, with their access conditions.", "@language": "en"},
            ],
            "dct:publisher": {"@id": publisher},
            "foaf:homepage": {"@id": format!("{site}/")},
            "dct:language": [{"@id": "eu-lang:KAZ"}, {"@id": "eu-lang:RUS"}, {"@id": "eu-lang:ENG"}],
            "dcat:themeTaxonomy": {"@id": "http://publications.europa.eu/resource/authority/data-theme"},
            "dcat:dataset": members,
            "hydra:view": {"@id": format!("{site}/catalog.jsonld?page={page}")},
        }),
    );
    Ok(jsonld(graph.document()))
}

/// The Croissant 1.1 context: the terms of the specification, inline (the
/// reference validator reads no remote context).
fn croissant_context() -> Value {
    let mut context = json!({
        "@language": "en",
        "@vocab": "https://schema.org/",
        "sc": "https://schema.org/",
        "cr": "http://mlcommons.org/croissant/",
        "rai": "http://mlcommons.org/croissant/RAI/",
        "dct": "http://purl.org/dc/terms/",
        "tdm": "http://www.w3.org/ns/tdmrep#",
        "data": {"@id": "cr:data", "@type": "@json"},
        "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
        "examples": {"@id": "cr:examples", "@type": "@json"},
        "conformsTo": "dct:conformsTo",
        "name": {"@container": "@language"},
        "description": {"@container": "@language"},
    });
    for term in [
        "annotation",
        "arrayShape",
        "citeAs",
        "column",
        "containedIn",
        "equivalentProperty",
        "excludes",
        "extract",
        "field",
        "fileProperty",
        "fileObject",
        "fileSet",
        "format",
        "includes",
        "isArray",
        "isLiveDataset",
        "jsonPath",
        "key",
        "md5",
        "parentField",
        "path",
        "recordSet",
        "references",
        "regex",
        "repeated",
        "replace",
        "samplingRate",
        "sdVersion",
        "separator",
        "source",
        "subField",
        "transform",
    ] {
        context[term] = json!(format!("cr:{term}"));
    }
    context
}

/// A language map of the languages a text has.
fn language_map(text: &LocalizedText) -> Value {
    let mut map = serde_json::Map::new();
    for (lang, value) in [("kk", &text.kk), ("ru", &text.ru), ("en", &text.en)] {
        if let Some(v) = value {
            map.insert(lang.into(), json!(v));
        }
    }
    Value::Object(map)
}

fn croissant_type(t: ColumnType) -> &'static str {
    match t {
        ColumnType::Integer => "sc:Integer",
        ColumnType::Number => "sc:Float",
        ColumnType::Boolean => "sc:Boolean",
        ColumnType::Date => "sc:Date",
        ColumnType::Text => "sc:Text",
    }
}

/// An `@id` made of a name: no slash (it separates record sets from fields).
fn id_part(name: &str) -> String {
    name.replace(['/', '#', '?'], "_")
}

/// A dataset as a Croissant 1.1 document.
pub(crate) fn croissant_document(
    site: &str,
    d: &Dataset,
    files: &[Resource],
    org: &Organisation,
) -> Value {
    let m = &d.metadata;
    let landing = format!("{site}/api/v1/datasets/{}", d.id);
    let year = &d.created_at.to_rfc3339()[..4];
    let title_en = m.title.get("en");
    let mut doc = json!({
        "@context": croissant_context(),
        "@type": "sc:Dataset",
        "@id": landing,
        "conformsTo": ["http://mlcommons.org/croissant/1.1", "http://mlcommons.org/croissant/RAI/1.0"],
        "name": language_map(&m.title),
        "description": language_map(&m.description),
        "url": landing,
        "license": licence_iri(&m.licence),
        "version": semver(&m.version),
        "datePublished": d.created_at.to_rfc3339(),
        "dateModified": d.updated_at.to_rfc3339(),
        "keywords": m.keywords,
        "inLanguage": ["kk", "ru", "en"],
        "citeAs": format!(
            "@misc{{senim_{}, title={{{}}}, author={{{}}}, year={{{year}}}, version={{{}}}, url={{{landing}}}}}",
            d.id.to_string().replace('-', ""), title_en.replace(['{', '}'], ""),
            m.producer.name.replace(['{', '}'], ""), m.version.replace(['{', '}'], "")
        ),
        "creator": {"@type": "sc:Organization", "name": m.producer.name},
        "publisher": {"@type": "sc:Organization", "name": org.name.get("en"), "identifier": org.bin.as_str()},
        "isAccessibleForFree": true,
        "conditionsOfAccess": match m.access {
            AccessLevel::Open => "Open: anyone may download the files.",
            AccessLevel::Registered => "Registered: any account of the platform may download the files.",
            AccessLevel::Restricted => "Restricted: the data steward grants access, for a limited time, on a request stating its purpose.",
            AccessLevel::Closed => "Closed: the metadata only; the files are not served.",
        },
        "rai:personalSensitiveInformation": if m.personal_data {
            format!("Holds personal data; legal basis: {}.", m.legal_basis.map(|b| b.as_str()).unwrap_or("not stated"))
        } else {
            "Holds no personal data.".to_string()
        },
    });
    if let Some(p) = &m.provenance {
        doc["rai:dataCollection"] = json!(p);
    }
    if let Some(c) = &m.collection_method {
        doc["rai:dataCollectionType"] = json!(c);
    }
    if let Some(s) = &m.spatial {
        doc["spatialCoverage"] = json!({"@type": "sc:Place", "name": s});
    }
    if let Some(t) = &m.temporal {
        let side =
            |day: Option<senim_domain::Day>| day.map(|d| d.to_string()).unwrap_or("..".into());
        doc["temporalCoverage"] = json!(format!("{}/{}", side(t.start), side(t.end)));
    }
    if m.training_opt_out {
        doc["tdm:reservation"] = json!(1);
        doc["usageInfo"] = json!({"@type": "sc:CreativeWork",
            "name": "The rightholder opted out of the use of this data for training AI (Law 230-VIII Art. 23)",
            "url": m.opt_out_reference.clone().unwrap_or_else(|| landing.clone())});
    }
    let mut distribution = Vec::new();
    let mut record_sets = Vec::new();
    if m.access != AccessLevel::Closed {
        for r in files {
            let file_id = r.id.to_string();
            distribution.push(json!({
                "@type": "cr:FileObject",
                "@id": file_id,
                "name": r.name,
                "contentUrl": format!("{site}/api/v1/resources/{}/file", r.id),
                "encodingFormat": croissant_format(r),
                "contentSize": format!("{} B", r.size),
                "sha256": r.sha256,
            }));
            let Some(schema) = &r.schema else { continue };
            let set = id_part(
                r.name
                    .rsplit_once('.')
                    .map(|(stem, _)| stem)
                    .unwrap_or(&r.name),
            );
            let set = format!("{set}-{}", &file_id[file_id.len() - 6..]);
            // Column names may repeat or differ only in what `id_part`
            // replaces: the second of a kind gets its position as well.
            let mut taken = std::collections::HashSet::new();
            let fields: Vec<Value> = schema
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let mut field_id = format!("{set}/{}", id_part(&c.name));
                    if !taken.insert(field_id.clone()) {
                        field_id = format!("{field_id}-{i}");
                        taken.insert(field_id.clone());
                    }
                    json!({
                        "@type": "cr:Field",
                        "@id": field_id,
                        "name": c.name,
                        "dataType": croissant_type(c.column_type),
                        "source": {"fileObject": {"@id": file_id}, "extract": {"column": c.name}},
                    })
                })
                .collect();
            record_sets.push(json!({
                "@type": "cr:RecordSet",
                "@id": set,
                "name": set,
                "description": {"en": format!("The rows of {}: {} rows.", r.name, schema.rows)},
                "annotation": [{
                    "@type": "cr:Field", "@id": format!("{set}/__row_count"), "name": "row count",
                    "value": schema.rows, "dataType": "http://www.wikidata.org/entity/Q4049983",
                }],
                "field": fields,
            }));
        }
    }
    doc["distribution"] = Value::Array(distribution);
    if !record_sets.is_empty() {
        doc["recordSet"] = Value::Array(record_sets);
    }
    doc
}

/// A file's encoding as Croissant names it (its name for Parquet is
/// `application/x-parquet`).
fn croissant_format(r: &Resource) -> String {
    if r.format() == "PARQUET" {
        return "application/x-parquet".into();
    }
    media_token(&r.media_type).to_string()
}

/// A version as MAJOR.MINOR.PATCH, as Croissant wants it ("1.2" becomes
/// "1.2.0"; a version that is no number is kept as it is).
fn semver(v: &str) -> String {
    let parts: Vec<&str> = v.split('.').collect();
    if parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && parts.len() < 3
    {
        let mut parts: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
        while parts.len() < 3 {
            parts.push("0".into());
        }
        return parts.join(".");
    }
    v.to_string()
}

/// `GET /dataset/{id}/croissant.jsonld`.
pub async fn croissant(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (dataset, files, org) = load(&state, &id).await?;
    let site = site_url(&state, &headers);
    Ok(jsonld(croissant_document(&site, &dataset, &files, &org)))
}
