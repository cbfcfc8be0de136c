//! The data steward's pages: publishing a dataset's description, changing
//! it, and adding its files from the browser. They go through the API's own
//! paths ([`senim_app::datasets`], [`senim_app::files`]), so the
//! policies and the domain decide as they do for a script.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use senim_domain::dataset::{LegalBasis, Producer, Temporal, Theme, LICENCES};
use senim_domain::{AccessLevel, Dataset, DatasetInput, Day, LocalizedText};

use crate::upload::PostedFile;
use crate::PageResult;
use crate::{Ctx, FormData, Posted, Problems};
use senim_app::blobs::{BlobError, Upload};
use senim_app::datasets::{create_dataset, dataset_for, update_dataset};
use senim_app::error::ApiError;
use senim_app::files::{add_resource, guess_media_type};
use senim_app::policy::Action;
use senim_app::state::AppState;

#[derive(askama::Template)]
#[template(path = "dataset_form.html")]
struct DatasetForm<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    title: String,
    problems: Problems,
    form: FormData,
    /// Where the form posts.
    target: String,
    /// The revision an edit starts from.
    revision: Option<i64>,
    licences: Vec<(&'static str, String)>,
    themes: Vec<(&'static str, String)>,
    access: Vec<(&'static str, String)>,
    bases: Vec<(&'static str, String)>,
}

impl DatasetForm<'_> {
    fn yes_no(&self) -> [(&'static str, String); 2] {
        [("true", self.c.t("yes")), ("false", self.c.t("no"))]
    }
}

/// The form; an edit posts back the revision it was read at (shown again
/// after a problem, so a change made meanwhile is never overwritten).
fn render_form(c: &Ctx, dataset: Option<&Dataset>, form: FormData, problems: Problems) -> Response {
    let posted = form.text("revision").parse::<i64>().ok();
    let (title, target, revision, mut crumbs) = match dataset {
        None => (
            c.t("steward-new-dataset"),
            "/steward/datasets/new".to_string(),
            None,
            vec![("/steward".to_string(), c.t("desk-steward"))],
        ),
        Some(d) => (
            c.t("steward-edit-dataset"),
            format!("/library/{}/edit", d.id),
            Some(posted.unwrap_or(d.revision)),
            vec![
                ("/library".to_string(), c.t("nav-library")),
                (
                    format!("/library/{}", d.id),
                    d.metadata.title.get(c.lang()).to_string(),
                ),
            ],
        ),
    };
    crumbs.push((String::new(), title.clone()));
    let failed = !problems.is_empty();
    let page = DatasetForm {
        c,
        crumbs,
        title,
        problems,
        form,
        target,
        revision,
        licences: LICENCES
            .iter()
            .map(|l| (l.id, crate::library::licence_name(c, l.id)))
            .collect(),
        themes: Theme::ALL
            .iter()
            .map(|t| (t.as_str(), c.t.term("theme", t.as_str())))
            .collect(),
        access: AccessLevel::ALL
            .iter()
            .map(|a| (a.as_str(), c.t.term("access", a.as_str())))
            .collect(),
        bases: LegalBasis::ALL
            .iter()
            .map(|b| (b.as_str(), c.t.term("legal-basis", b.as_str())))
            .collect(),
    };
    let mut response = c.render(&page);
    if failed {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// A dataset's description as the form's fields.
fn form_of(m: &DatasetInput) -> FormData {
    let mut f = Vec::new();
    let mut put = |k: &str, v: Option<&str>| {
        if let Some(v) = v {
            f.push((k.to_string(), v.to_string()));
        }
    };
    for (name, text) in [("title", &m.title), ("description", &m.description)] {
        put(&format!("{name}_kk"), text.kk.as_deref());
        put(&format!("{name}_ru"), text.ru.as_deref());
        put(&format!("{name}_en"), text.en.as_deref());
    }
    put("keywords", Some(&m.keywords.join(", ")));
    put("spatial", m.spatial.as_deref());
    let temporal = m.temporal.clone().unwrap_or_default();
    put(
        "temporal_start",
        temporal.start.map(|d| d.to_string()).as_deref(),
    );
    put(
        "temporal_end",
        temporal.end.map(|d| d.to_string()).as_deref(),
    );
    put("licence", Some(&m.licence));
    put("producer_name", Some(&m.producer.name));
    put("producer_bin", m.producer.bin.as_deref());
    put("producer_contact", m.producer.contact.as_deref());
    put("provenance", m.provenance.as_deref());
    put("collection_method", m.collection_method.as_deref());
    put(
        "personal_data",
        Some(if m.personal_data { "true" } else { "false" }),
    );
    put("legal_basis", m.legal_basis.map(|b| b.as_str()));
    if m.training_opt_out {
        put("training_opt_out", Some("true"));
    }
    put("opt_out_reference", m.opt_out_reference.as_deref());
    put("access", Some(m.access.as_str()));
    put("version", Some(&m.version));
    put("changelog", m.changelog.as_deref());
    for t in &m.themes {
        put("themes", Some(t.as_str()));
    }
    FormData(f)
}

/// The description a form gives, or its problems in the reader's language
/// (the domain checks the rest, and its reasons come back beside the field).
fn input_of(c: &Ctx, form: &FormData) -> Result<DatasetInput, Problems> {
    let mut p = Problems::default();
    let text = |name: &str| Some(form.text(name)).filter(|v| !v.is_empty());
    let localized = |name: &str| LocalizedText {
        kk: text(&format!("{name}_kk")),
        ru: text(&format!("{name}_ru")),
        en: text(&format!("{name}_en")),
    };
    let required = |p: &mut Problems, id: &str, label: &str| {
        p.push(
            id,
            c.t.t1(
                "problem-required",
                "field",
                c.t(&format!("dataset-field-{label}")),
            ),
        )
    };
    let title = localized("title");
    if title.kk.is_none() && title.ru.is_none() && title.en.is_none() {
        required(&mut p, "title_kk", "title");
    }
    let description = localized("description");
    if description.kk.is_none() && description.ru.is_none() && description.en.is_none() {
        required(&mut p, "description_kk", "description");
    }
    let day = |name: &str, p: &mut Problems| match text(name) {
        None => None,
        Some(v) => match Day::parse(&v) {
            Ok(d) => Some(d),
            Err(_) => {
                p.push(name, c.t("problem-date"));
                None
            }
        },
    };
    let start = day("temporal_start", &mut p);
    let end = day("temporal_end", &mut p);
    let licence = form.text("licence");
    if licence.is_empty() {
        required(&mut p, "licence", "licence");
    }
    let producer_name = form.text("producer_name");
    if producer_name.is_empty() {
        required(&mut p, "producer_name", "producer-name");
    }
    let personal_data = match form.text("personal_data").as_str() {
        "true" => true,
        "false" => false,
        _ => {
            required(&mut p, "personal_data", "personal-data");
            false
        }
    };
    let legal_basis = match text("legal_basis") {
        None if personal_data => {
            required(&mut p, "legal_basis", "legal-basis");
            None
        }
        None => None,
        Some(_) if !personal_data => {
            p.push("legal_basis", c.t("steward-basis-without-personal-data"));
            None
        }
        Some(v) => v.parse::<LegalBasis>().ok(),
    };
    let access = match form.text("access").parse::<AccessLevel>() {
        Ok(a) => Some(a),
        Err(_) => {
            required(&mut p, "access", "access");
            None
        }
    };
    let version = form.text("version");
    if version.is_empty() {
        required(&mut p, "version", "version");
    }
    let mut themes = Vec::new();
    for t in form.all("themes") {
        match t.parse::<Theme>() {
            Ok(t) => themes.push(t),
            Err(_) => p.push(
                "themes",
                c.t.t2(
                    "problem-unknown-value",
                    "field",
                    c.t("dataset-field-themes"),
                    "value",
                    t,
                ),
            ),
        }
    }
    if !p.is_empty() {
        return Err(p);
    }
    Ok(DatasetInput {
        title,
        description,
        keywords: form
            .text("keywords")
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect(),
        themes,
        spatial: text("spatial"),
        temporal: (start.is_some() || end.is_some()).then_some(Temporal { start, end }),
        licence,
        producer: Producer {
            name: producer_name,
            bin: text("producer_bin"),
            contact: text("producer_contact"),
            created: None,
        },
        provenance: text("provenance"),
        collection_method: text("collection_method"),
        personal_data,
        legal_basis,
        training_opt_out: form.get("training_opt_out") == Some("true"),
        opt_out_reference: text("opt_out_reference"),
        access: access.unwrap_or(AccessLevel::Open),
        version,
        changelog: text("changelog"),
        organisation_id: None,
    })
}

/// The API's refusal as the form's problems: each reason beside its field
/// (a field's path such as `producer.bin` is the input `producer_bin`).
fn refusal(c: &Ctx, e: &ApiError) -> Problems {
    crate::refusal(c, e, "title_kk", |field| {
        let path = field.split('[').next().unwrap_or("");
        let id = match path {
            "title" | "description" => format!("{path}_kk"),
            _ => path.replace('.', "_"),
        };
        let label_key = format!(
            "dataset-field-{}",
            id.trim_end_matches("_kk").replace('_', "-")
        );
        let label = if c.t.has(&label_key) {
            c.t(&label_key)
        } else {
            field.to_string()
        };
        (id, label)
    })
}

fn steward_of_some_organisation(c: &Ctx) -> Result<(), ApiError> {
    c.require_desk("steward")
}

/// `GET /steward/datasets/new`: the form for a new dataset's description.
pub async fn new_form(c: Ctx) -> PageResult {
    steward_of_some_organisation(&c)?;
    let form = FormData(vec![
        ("access".into(), "open".into()),
        ("personal_data".into(), "false".into()),
        ("version".into(), "1.0".into()),
    ]);
    Ok(render_form(&c, None, form, Problems::default()))
}

/// `POST /steward/datasets/new`: publishes the description; its files come next.
pub async fn create(State(state): State<AppState>, Posted { ctx: c, form }: Posted) -> PageResult {
    steward_of_some_organisation(&c)?;
    let input = match input_of(&c, &form) {
        Ok(i) => i,
        Err(p) => return Ok(render_form(&c, None, form, p)),
    };
    match create_dataset(&state, &c.caller, input).await {
        Ok(d) => Ok(c.redirect(&format!("/library/{}?done=published", d.id))),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let p = refusal(&c, &e);
            Ok(render_form(&c, None, form, p))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /library/{id}/edit`: the description's form, filled in.
pub async fn edit_form(
    c: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> PageResult {
    let d = dataset_for(&state, &c.caller, &id, Action::DatasetWrite).await?;
    Ok(render_form(
        &c,
        Some(&d),
        form_of(&d.metadata),
        Problems::default(),
    ))
}

/// `POST /library/{id}/edit`: replaces the description, from the revision
/// the form was read at (a change made meanwhile is not overwritten).
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { ctx: c, form }: Posted,
) -> PageResult {
    let d = dataset_for(&state, &c.caller, &id, Action::DatasetWrite).await?;
    let mut input = match input_of(&c, &form) {
        Ok(i) => i,
        Err(p) => return Ok(render_form(&c, Some(&d), form, p)),
    };
    // What the form does not ask is kept as it was.
    input.producer.created = d.metadata.producer.created;
    let revision = form.revision()?;
    let dataset_id = d.id;
    match update_dataset(&state, &c.caller, d, revision, input).await {
        Ok(d) => Ok(c.redirect(&format!("/library/{}?done=updated", d.id))),
        Err(e)
            if e.status == StatusCode::UNPROCESSABLE_ENTITY || e.status == StatusCode::CONFLICT =>
        {
            let p = refusal(&c, &e);
            let d = state.store.dataset(dataset_id).await?;
            Ok(render_form(&c, Some(&d), form, p))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /library/{id}/files`: a file for the dataset, from the browser. It
/// is streamed to the staging area, hashed as it arrives and stored under
/// its SHA-256, as a resumable upload is; the page then shows it.
pub async fn upload(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PostedFile {
        ctx: c,
        form: _,
        file,
    }: PostedFile,
) -> PageResult {
    let d = dataset_for(&state, &c.caller, &id, Action::DatasetWrite).await?;
    let Some(account) = c.account() else {
        return Err(ApiError::unauthenticated().into());
    };
    let back = |problem: String| {
        let mut p = Problems::default();
        p.push("file", problem);
        p
    };
    let Some(file) = file else {
        let p = back(c.t.t1("problem-required", "field", c.t("library-file")));
        return crate::library::dataset_page(&c, &state, &id, p, String::new()).await;
    };
    let name = match senim_domain::dataset::check_file_name(&file.name) {
        Ok(n) => n,
        Err(reason) => {
            let p = back(format!("{}: {reason}", c.t("library-file")));
            return crate::library::dataset_page(&c, &state, &id, p, String::new()).await;
        }
    };
    let upload = Upload {
        id: uuid::Uuid::now_v7().simple().to_string(),
        dataset_id: d.id,
        account_id: account.id,
        media_type: guess_media_type(&name).to_string(),
        name,
        size: 0,
        sha256: String::new(),
        created_at: state.clock.now(),
    };
    let limit = state.config.max_upload_bytes;
    match state.blobs.receive(upload, limit, file.stream()).await {
        Err(BlobError::Empty) => {
            let p = back(format!(
                "{}: {}",
                c.t("library-file"),
                c.t("problem-empty-file")
            ));
            crate::library::dataset_page(&c, &state, &id, p, String::new()).await
        }
        Ok((upload, schema)) => {
            add_resource(&state, &c.caller, upload, schema).await?;
            Ok(c.redirect(&format!("/library/{}?done=file-added", d.id)))
        }
        Err(BlobError::TooLong { .. }) => {
            let p = back(c.t.t1(
                "steward-file-too-large",
                "size",
                format!("{} MiB", limit >> 20),
            ));
            crate::library::dataset_page(&c, &state, &id, p, String::new()).await
        }
        Err(e) => Err(e.into()),
    }
}
