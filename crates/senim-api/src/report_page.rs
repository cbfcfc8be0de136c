//! Printable pages of the authority's documents (an audit report), rendered
//! on the server with every value escaped and no script at all.

use std::fmt::Write;

use senim_domain::oversight::Audit;
use senim_domain::{Case, System};

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#111}\
table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top}\
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}.meta td:first-child{width:14rem;font-weight:600}\
@media print{body{margin:0;max-width:none}}";

/// The audit's report: the system, the basis, the checklist, each finding
/// with its corrective action and the owner's response, the conclusion.
pub fn audit(case: &Case, audit: &Audit, system: Option<&System>) -> String {
    let mut h = String::new();
    let title = format!("Audit report {}", case.number);
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body><h1>{}</h1>",
        escape(&title),
        escape(&title)
    );
    let system_name = system
        .map(|s| {
            s.name
                .en
                .clone()
                .or_else(|| s.name.ru.clone())
                .or_else(|| s.name.kk.clone())
                .unwrap_or_default()
        })
        .unwrap_or_default();
    let rows = [
        ("System", system_name),
        (
            "Registry number",
            system
                .and_then(|s| s.registry_number.clone())
                .unwrap_or_else(|| "not registered".into()),
        ),
        (
            "System id",
            case.system_id.map(|s| s.to_string()).unwrap_or_default(),
        ),
        ("Version audited", audit.version.to_string()),
        ("Basis", audit.basis.to_string()),
        ("Auditor (account)", audit.auditor.to_string()),
        (
            "Rule pack",
            audit
                .pack
                .as_ref()
                .map(|p| format!("{} {}", p.id, p.version))
                .unwrap_or_default(),
        ),
        ("Opened", case.created_at.to_string()),
        ("State", case.state().to_string()),
        (
            "Closed",
            audit
                .closed_at
                .map(|t| t.to_string())
                .unwrap_or_else(|| "open".into()),
        ),
    ];
    h.push_str("<table class=\"meta\">");
    for (k, v) in rows {
        let _ = write!(h, "<tr><td>{}</td><td>{}</td></tr>", escape(k), escape(&v));
    }
    h.push_str(
        "</table><h2>Checklist</h2><table><tr><th>Item</th><th>Source</th><th>Findings</th></tr>",
    );
    for item in &audit.checklist {
        let n = audit.findings.iter().filter(|f| f.item == item.id).count();
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{n}</td></tr>",
            escape(&item.title),
            escape(&item.citation.source)
        );
    }
    h.push_str("</table><h2>Findings</h2>");
    if audit.findings.is_empty() {
        h.push_str("<p>No findings.</p>");
    }
    for f in &audit.findings {
        let _ = write!(
            h,
            "<h3>Finding {} ({}) on {}</h3><p>{}</p>",
            f.number,
            escape(f.severity.as_str()),
            escape(&f.item),
            escape(&f.description)
        );
        if let Some(a) = &f.corrective_action {
            let _ = write!(
                h,
                "<p><strong>Corrective action, due {}:</strong> {}</p>",
                a.due,
                escape(&a.description)
            );
        }
        match &f.response {
            Some(r) => {
                let _ = write!(
                    h,
                    "<p><strong>Owner's response ({}):</strong> {}</p>",
                    r.at,
                    escape(&r.text)
                );
            }
            None => h.push_str("<p><em>No response from the owner yet.</em></p>"),
        }
    }
    let _ = write!(
        h,
        "<h2>Conclusion</h2><p>{}</p></body></html>",
        escape(
            audit
                .conclusion
                .as_deref()
                .unwrap_or("The audit is still open.")
        )
    );
    h
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn report_text_escapes_markup() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
