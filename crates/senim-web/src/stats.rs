//! Statistics: the register by sector and risk level, by status, how long
//! reviews take, and reports per month, each as a server-drawn SVG chart
//! with the same numbers in a table beside it.

use axum::extract::State;

use senim_domain::oversight::ReportType;
use senim_domain::profile::Sector;
use senim_domain::{RiskLevel, SystemStatus};

use crate::charts::{self, Bar, Segment, StackedBar};
use crate::Ctx;
use crate::PageResult;
use senim_app::state::AppState;

/// Months shown in the time charts.
const MONTHS: usize = 12;

/// Risk levels in the order of the stacked bars, with their colours (each
/// at least 3:1 against white, as graphics must be).
const RISK_COLOURS: [(Option<RiskLevel>, &str); 5] = [
    (Some(RiskLevel::Prohibited), "#942514"),
    (Some(RiskLevel::High), "#c2410c"),
    (Some(RiskLevel::Medium), "#806a00"),
    (Some(RiskLevel::Minimal), "#00703c"),
    (None, "#505a5f"),
];

/// A table under a chart: a header row and rows of label and numbers.
pub struct Table {
    pub caption: String,
    pub head: Vec<String>,
    pub rows: Vec<(String, Vec<String>)>,
}

/// One chart with its table.
pub struct Figure {
    pub id: &'static str,
    pub title: String,
    pub svg: String,
    pub table: Table,
}

#[derive(askama::Template)]
#[template(path = "statistics.html")]
struct StatsPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    figures: Vec<Figure>,
}

/// The last `MONTHS` months as `YYYY-MM`, oldest first, ending with `now`'s.
fn months(now: &str) -> Vec<String> {
    let year: i32 = now.get(..4).and_then(|y| y.parse().ok()).unwrap_or(2026);
    let month: i32 = now.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    let mut out: Vec<String> = (0..MONTHS as i32)
        .map(|back| {
            let total = year * 12 + (month - 1) - back;
            format!("{:04}-{:02}", total / 12, total % 12 + 1)
        })
        .collect();
    out.reverse();
    out
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

/// `GET /statistics`.
pub async fn page(c: Ctx, State(state): State<AppState>) -> PageResult {
    // The register's own facet counts: sectors counted under each risk
    // level, and statuses over everything (no system is copied).
    let counts = |risks: Vec<Option<RiskLevel>>| {
        state.register.search(&senim_app::register::Query {
            risks,
            lang: c.lang(),
            limit: Some(0),
            ..Default::default()
        })
    };
    let by_risk: Vec<_> = RISK_COLOURS.iter().map(|(r, _)| counts(vec![*r])).collect();
    let all = counts(Vec::new());
    let empty = c.t("chart-empty");
    let mut figures = Vec::new();

    // Systems by sector, split by risk level.
    let segments: Vec<Segment> = RISK_COLOURS
        .iter()
        .map(|(r, colour)| Segment {
            name: crate::public::risk_tag(&c, *r).label,
            colour,
        })
        .collect();
    let mut bars = Vec::new();
    for sector in Sector::ALL {
        let values: Vec<u64> = by_risk
            .iter()
            .map(|found| {
                found
                    .sectors
                    .iter()
                    .find(|x| x.value == *sector)
                    .map_or(0, |x| x.count as u64)
            })
            .collect();
        if values.iter().any(|v| *v > 0) {
            bars.push(StackedBar {
                label: c.t.term("sector", sector.as_str()),
                values,
            });
        }
    }
    let title = c.t("stats-by-sector");
    figures.push(Figure {
        id: "by-sector",
        svg: charts::stacked_bar_chart(
            "by-sector",
            &title,
            &c.t("stats-by-sector-desc"),
            &empty,
            &segments,
            &bars,
        ),
        table: Table {
            caption: title.clone(),
            head: std::iter::once(c.t("facet-sector"))
                .chain(segments.iter().map(|s| s.name.clone()))
                .collect(),
            rows: bars
                .iter()
                .map(|b| {
                    (
                        b.label.clone(),
                        b.values.iter().map(u64::to_string).collect(),
                    )
                })
                .collect(),
        },
        title,
    });

    // Systems by status.
    let bars: Vec<Bar> = SystemStatus::ALL
        .iter()
        .map(|st| Bar {
            label: c.t.term("status", st.as_str()),
            value: all
                .statuses
                .iter()
                .find(|x| x.value == *st)
                .map_or(0, |x| x.count as u64),
        })
        .filter(|b| b.value > 0)
        .collect();
    figures.push(simple(
        "by-status",
        c.t("stats-by-status"),
        c.t("stats-by-status-desc"),
        c.t("facet-status"),
        c.t("stats-systems"),
        &empty,
        bars,
        false,
    ));

    // Review times: working from submission to the decision, by month
    // of the decision (median calendar days).
    let now = state.clock.now().to_rfc3339();
    let months = months(&now);
    let cases = senim_app::figures::case_figures(&state).await?;
    let mut days = cases.review_days.clone();
    let bars: Vec<Bar> = months
        .iter()
        .map(|m| Bar {
            label: m.clone(),
            value: days
                .get_mut(m)
                .and_then(|v| median(v))
                .map_or(0, |d| d.round() as u64),
        })
        .collect();
    figures.push(simple(
        "review-days",
        c.t("stats-review-days"),
        c.t("stats-review-days-desc"),
        c.t("stats-month"),
        c.t("stats-days"),
        &empty,
        bars,
        true,
    ));

    // Reports per month.

    for (id, kind, key) in [
        ("incidents", ReportType::Incident, "stats-incidents"),
        ("complaints", ReportType::Complaint, "stats-complaints"),
    ] {
        let bars: Vec<Bar> = months
            .iter()
            .map(|m| Bar {
                label: m.clone(),
                value: cases
                    .reports
                    .iter()
                    .filter(|(t, month)| *t == kind && month == m)
                    .count() as u64,
            })
            .collect();
        figures.push(simple(
            id,
            c.t(key),
            c.t(&format!("{key}-desc")),
            c.t("stats-month"),
            c.t("stats-reports"),
            &empty,
            bars,
            true,
        ));
    }
    let page = StatsPage {
        c: &c,
        crumbs: vec![(String::new(), c.t("nav-statistics"))],
        figures,
    };
    Ok(c.render(&page))
}

#[allow(clippy::too_many_arguments)]
fn simple(
    id: &'static str,
    title: String,
    desc: String,
    label_head: String,
    value_head: String,
    empty: &str,
    bars: Vec<Bar>,
    columns: bool,
) -> Figure {
    let svg = if columns {
        charts::column_chart(id, &title, &desc, empty, &bars)
    } else {
        charts::bar_chart(id, &title, &desc, empty, &bars)
    };
    Figure {
        id,
        svg,
        table: Table {
            caption: title.clone(),
            head: vec![label_head, value_head],
            rows: bars
                .iter()
                .map(|b| (b.label.clone(), vec![b.value.to_string()]))
                .collect(),
        },
        title,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_cross_the_year() {
        let m = months("2026-02-10T00:00:00Z");
        assert_eq!(m.len(), MONTHS);
        assert_eq!(m.first().map(String::as_str), Some("2025-03"));
        assert_eq!(m.last().map(String::as_str), Some("2026-02"));
    }

    #[test]
    fn median_of_even_and_odd() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }
}
