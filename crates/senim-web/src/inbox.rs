//! `/inbox`: the notices Senim left for the signed-in account, its
//! organisation and its roles, in the reader's language, newest first.

use axum::extract::{Query, State};
use serde::Deserialize;

use crate::public::date;
use crate::Ctx;
use crate::PageResult;
use senim_app::error::ApiError;
use senim_app::state::AppState;

/// Notices on one page.
const PAGE: u32 = 50;

/// One notice as the page shows it.
pub struct InboxRow {
    pub when: String,
    pub text: String,
    /// Where it leads (the case, else the system) and what to call it.
    pub about: Option<(String, String)>,
}

#[derive(askama::Template)]
#[template(path = "inbox.html")]
struct InboxPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    rows: Vec<InboxRow>,
    /// The address of the next, older page.
    more: Option<String>,
}

#[derive(Deserialize)]
pub struct InboxQuery {
    before: Option<String>,
}

/// `GET /inbox`.
pub async fn show(
    c: Ctx,
    State(state): State<AppState>,
    Query(query): Query<InboxQuery>,
) -> PageResult {
    let Some(account) = c.account() else {
        return Err(ApiError::unauthenticated().into());
    };
    // A cursor is a notice id: a UUID; anything else starts at the top.
    let before = query
        .before
        .filter(|b| b.len() == 36 && b.chars().all(|ch| ch.is_ascii_hexdigit() || ch == '-'));
    let notices = state
        .store
        .inbox_newest(account, before.as_deref(), PAGE)
        .await?;
    let more = (notices.len() == PAGE as usize)
        .then(|| notices.last().map(|n| format!("/inbox?before={}", n.id)))
        .flatten();
    let lang = c.lang();
    let rows = notices
        .into_iter()
        .map(|n| {
            let system = n
                .system_id
                .and_then(|id| state.register.system_name(id, lang).map(|name| (id, name)));
            let about = match (n.case_id, system) {
                (Some(case), Some((_, name))) => Some((format!("/desk/cases/{case}"), name)),
                (Some(case), None) => Some((format!("/desk/cases/{case}"), c.t("inbox-case"))),
                (None, Some((id, name))) => Some((format!("/systems/{id}"), name)),
                (None, None) => None,
            };
            InboxRow {
                when: date(&n.created_at.to_rfc3339()),
                text: c.t.notice(&n.key, &n.args, &n.text),
                about,
            }
        })
        .collect();
    Ok(c.render(&InboxPage {
        crumbs: vec![(String::new(), c.t("inbox-title"))],
        c: &c,
        rows,
        more,
    }))
}
