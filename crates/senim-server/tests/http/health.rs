//! `/healthz`, `/readyz`, `/metrics` and the fallback.

use crate::helpers::TestApp;

crate::on_both_backends!(
    health_ready_and_metrics,
    unknown_route_has_error_shape,
    entry_page_is_html_with_a_strict_policy,
);

async fn health_ready_and_metrics(app: TestApp) {
    let health = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    app.http
        .get(app.url("/api/v1/systems"))
        .send()
        .await
        .unwrap();
    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(text.contains("senim_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/api/v1/systems\""), "{text}");
    assert!(
        text.contains("senim_http_request_duration_seconds_bucket"),
        "{text}"
    );
}

async fn unknown_route_has_error_shape(app: TestApp) {
    let r = app
        .http
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    let r = app
        .http
        .patch(app.url("/api/v1/systems"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

async fn entry_page_is_html_with_a_strict_policy(app: TestApp) {
    let r = app.http.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(r.text().await.unwrap().contains("href=\"/register\""));
}
