//! The library's search, through our API and CKAN's.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{TestApp, Who};
use crate::routes::datasets::{chunk, dataset_json, send, sha256};

crate::on_both_backends!(
    search_finds_in_three_languages,
    the_library_speaks_ckan,
    dcat_and_croissant_describe_the_library,
);

/// Publishes the bank's three datasets: two open (one with a CSV file), one
/// restricted.
async fn publish(app: &TestApp) -> Vec<String> {
    let mut ids = Vec::new();
    for (title_en, title_ru, keywords, licence, access) in [
        (
            "Card transactions",
            "Операции по картам",
            vec!["payments", "fraud"],
            "CC-BY-4.0",
            "restricted",
        ),
        (
            "Branch visits",
            "Посещения отделений больницы",
            vec!["payments"],
            "CC0-1.0",
            "open",
        ),
        (
            "Loan defaults",
            "Просрочки по кредитам",
            vec!["credit"],
            "CC0-1.0",
            "open",
        ),
    ] {
        let mut body = dataset_json(title_en, access);
        body["title"] = json!({"en": title_en, "ru": title_ru, "kk": "Банк деректері"});
        body["keywords"] = json!(keywords);
        body["licence"] = json!(licence);
        let (status, d) = send(
            app,
            Who::DataSteward,
            Method::POST,
            "/api/v1/datasets",
            None,
            Some(body),
        )
        .await;
        assert_eq!(status, 201, "{d}");
        ids.push(d["id"].as_str().unwrap().to_string());
    }
    // The loans get a CSV file.
    let csv = b"loan_id,amount,defaulted\n1,1500.5,true\n2,300,false\n";
    let (status, upload) = send(
        app,
        Who::DataSteward,
        Method::POST,
        &format!("/api/v1/datasets/{}/uploads", ids[2]),
        None,
        Some(json!({"name": "loans.csv", "size": csv.len(), "sha256": sha256(csv)})),
    )
    .await;
    assert_eq!(status, 201, "{upload}");
    let (status, _, _) = chunk(
        app,
        Who::DataSteward,
        upload["id"].as_str().unwrap(),
        0,
        csv,
    )
    .await;
    assert_eq!(status, 201);
    ids
}

async fn get(app: &TestApp, path: &str) -> (u16, Value) {
    send(app, Who::Anonymous, Method::GET, path, None, None).await
}

fn titles(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|d| d["metadata"]["title"]["en"].as_str().unwrap().to_string())
        .collect()
}

async fn search_finds_in_three_languages(app: TestApp) {
    let ids = publish(&app).await;
    // Russian stemming: "больница" finds "больницы"; English: "visit" finds "visits".
    let (_, found) = get(&app, "/api/v1/datasets?q=больница").await;
    assert_eq!(titles(&found), vec!["Branch visits"]);
    let (_, found) = get(&app, "/api/v1/datasets?q=visit").await;
    assert_eq!(titles(&found), vec!["Branch visits"]);
    // Kazakh words, whatever their case.
    let (_, found) = get(&app, "/api/v1/datasets?q=БАНК").await;
    assert_eq!(found["total"], 3);
    // Filters, facets, order and pages.
    let (status, found) = get(
        &app,
        "/api/v1/datasets?keyword=payments&sort=title&facets=format,licence,access",
    )
    .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(titles(&found), vec!["Branch visits", "Card transactions"]);
    assert_eq!(
        found["facets"]["licence"],
        json!([{"value": "CC-BY-4.0", "count": 1}, {"value": "CC0-1.0", "count": 1}])
    );
    let (_, found) = get(&app, "/api/v1/datasets?format=csv&facets=format").await;
    assert_eq!(titles(&found), vec!["Loan defaults"]);
    assert_eq!(
        found["facets"]["format"],
        json!([{"value": "CSV", "count": 1}])
    );
    let (_, page) = get(&app, "/api/v1/datasets?sort=title&limit=2").await;
    assert_eq!(titles(&page), vec!["Branch visits", "Card transactions"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, page) = get(
        &app,
        &format!("/api/v1/datasets?sort=title&limit=2&cursor={cursor}"),
    )
    .await;
    assert_eq!(titles(&page), vec!["Loan defaults"]);
    assert!(page["next_cursor"].is_null());
    // A changed description is found by its new words only.
    let mut v2 = dataset_json("Loan arrears", "open");
    v2["keywords"] = json!(["credit"]);
    v2["licence"] = json!("CC0-1.0");
    let (status, _) = send(
        &app,
        Who::DataSteward,
        Method::PUT,
        &format!("/api/v1/datasets/{}", ids[2]),
        Some(1),
        Some(v2),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(get(&app, "/api/v1/datasets?q=defaults").await.1["total"], 0);
    assert_eq!(get(&app, "/api/v1/datasets?q=arrears").await.1["total"], 1);
    // Mistakes are named.
    for (query, field) in [
        ("q=colour:red", "q"),
        ("q=title:%22open", "q"),
        ("sort=size", "sort"),
        ("facets=colour", "facets"),
        ("cursor=zzz", "cursor"),
    ] {
        let (status, body) = get(&app, &format!("/api/v1/datasets?{query}")).await;
        assert_eq!(status, 422, "{query}: {body}");
        assert_eq!(
            body["error"]["fields"][0]["field"], field,
            "{query}: {body}"
        );
    }
}

async fn ckan(app: &TestApp, action: &str, query: &str) -> (u16, Value) {
    let response = reqwest::get(app.url(&format!("/api/3/action/{action}?{query}")))
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn the_library_speaks_ckan(app: TestApp) {
    let ids = publish(&app).await;
    let bank_bin = crate::helpers::bin("05034000018");

    let (status, found) = ckan(
        &app,
        "package_search",
        "q=*:*&facet.field=%5B%22organization%22,%22res_format%22,%22license_id%22,%22tags%22%5D",
    )
    .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["success"], true);
    assert!(found["help"]
        .as_str()
        .unwrap()
        .ends_with("/api/3/action/help_show?name=package_search"));
    let result = &found["result"];
    assert_eq!(result["count"], 3);
    assert_eq!(result["facets"]["organization"][&bank_bin], 3);
    assert_eq!(result["facets"]["res_format"]["CSV"], 1);
    assert_eq!(result["facets"]["tags"]["payments"], 2);
    let licences = &result["search_facets"]["license_id"]["items"];
    assert_eq!(licences[0]["display_name"], "Creative Commons CCZero");
    assert_eq!(licences[0]["count"], 2);
    // The packages have CKAN's shape.
    let loans = result["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == ids[2])
        .unwrap();
    assert_eq!(loans["name"], ids[2]);
    assert_eq!(loans["organization"]["name"], bank_bin);
    assert_eq!(loans["license_id"], "CC0-1.0");
    assert_eq!(loans["isopen"], true);
    assert_eq!(loans["num_resources"], 1);
    assert_eq!(loans["resources"][0]["format"], "CSV");
    assert_eq!(loans["resources"][0]["rows"], 2);
    assert_eq!(loans["title_translated"]["ru"], "Просрочки по кредитам");
    let modified = loans["metadata_modified"].as_str().unwrap();
    assert_eq!(
        modified.len(),
        26,
        "naive UTC with microseconds: {modified}"
    );

    // Filters as harvesters send them, and POST with a JSON body.
    let (_, found) = ckan(
        &app,
        "package_search",
        &format!("fq=organization:{bank_bin}%20res_format:CSV&rows=10&start=0&sort=id%20asc"),
    )
    .await;
    assert_eq!(found["result"]["count"], 1);
    let posted: Value = reqwest::Client::new()
        .post(app.url("/api/action/package_search"))
        .json(
            &json!({"q": "payments", "fq": "-license_id:CC0-1.0", "rows": "5",
                      "facet.field": ["tags"], "include_private": true}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(posted["result"]["count"], 1, "{posted}");
    assert_eq!(posted["result"]["results"][0]["id"], ids[0]);
    // Paging by id covers everything exactly once.
    let mut seen = Vec::new();
    for start in 0..4 {
        let (_, page) = ckan(
            &app,
            "package_search",
            &format!("rows=1&start={start}&sort=id%20asc"),
        )
        .await;
        seen.extend(
            page["result"]["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_str().unwrap().to_string()),
        );
    }
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(seen, expected);
    let (_, list) = ckan(&app, "package_list", "").await;
    assert_eq!(list["result"], json!(expected));
    let (_, list) = ckan(&app, "package_list", "limit=1&offset=1").await;
    assert_eq!(list["result"], json!([expected[1]]));

    // Show, by id.
    let (status, shown) = ckan(&app, "package_show", &format!("id={}", ids[2])).await;
    assert_eq!(status, 200);
    assert_eq!(shown["result"]["id"], ids[2]);
    let resource = shown["result"]["resources"][0]["id"].as_str().unwrap();
    let (_, res) = ckan(&app, "resource_show", &format!("id={resource}")).await;
    assert_eq!(res["result"]["package_id"], ids[2]);
    assert!(res["result"]["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/api/v1/resources/{resource}/file")));

    // Organisations and tags.
    let (_, orgs) = ckan(&app, "organization_list", "").await;
    assert!(orgs["result"]
        .as_array()
        .unwrap()
        .contains(&json!(bank_bin)));
    let (_, orgs) = ckan(
        &app,
        "organization_list",
        "all_fields=true&sort=package_count%20desc",
    )
    .await;
    assert_eq!(orgs["result"][0]["name"], bank_bin);
    assert_eq!(orgs["result"][0]["package_count"], 3);
    let (_, org) = ckan(
        &app,
        "organization_show",
        &format!("id={bank_bin}&include_datasets=true"),
    )
    .await;
    assert_eq!(org["result"]["package_count"], 3);
    assert_eq!(org["result"]["packages"].as_array().unwrap().len(), 3);
    let (_, tags) = ckan(&app, "tag_list", "").await;
    assert_eq!(tags["result"], json!(["credit", "fraud", "payments"]));
    let (_, tags) = ckan(&app, "tag_list", "query=pay").await;
    assert_eq!(tags["result"], json!(["payments"]));
    let (_, status_show) = ckan(&app, "status_show", "").await;
    assert!(status_show["result"]["ckan_version"].is_string());

    // CKAN's errors, with its types and codes.
    for (action, query, code, kind) in [
        (
            "package_show",
            "id=nope".to_string(),
            404,
            "Not Found Error",
        ),
        ("package_show", String::new(), 409, "Validation Error"),
        (
            "resource_show",
            format!("id={}", ids[0]),
            404,
            "Not Found Error",
        ),
        (
            "organization_show",
            "id=000000000000".into(),
            404,
            "Not Found Error",
        ),
        (
            "package_search",
            "q=colour:red".into(),
            400,
            "Search Query Error",
        ),
        (
            "package_search",
            "sort=size%20desc".into(),
            400,
            "Search Query Error",
        ),
        (
            "package_search",
            "colour=red".into(),
            400,
            "Search Query Error",
        ),
        ("package_search", "rows=-1".into(), 409, "Validation Error"),
        (
            "package_search",
            "rows=many".into(),
            409,
            "Validation Error",
        ),
    ] {
        let (status, body) = ckan(&app, action, &query).await;
        assert_eq!(status, code, "{action}?{query}: {body}");
        assert_eq!(body["success"], false);
        assert_eq!(body["error"]["__type"], kind, "{action}?{query}: {body}");
    }
    let (status, body) = ckan(&app, "package_create", "").await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!("Bad request - Action name not known: package_create")
    );
    let response = reqwest::Client::new()
        .post(app.url("/api/3/action/package_search"))
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    // More rows than CKAN's maximum are cut to it, not refused; pages far
    // past the end are empty (and cost nothing), repeated facets count once.
    let (status, _) = ckan(&app, "package_search", "rows=5000").await;
    assert_eq!(status, 200);
    let (status, far) = ckan(&app, "package_search", "start=1000000000000").await;
    assert_eq!((status, far["result"]["count"].as_u64()), (200, Some(3)));
    assert_eq!(far["result"]["results"], json!([]));
    let (_, list) = ckan(
        &app,
        "package_list",
        "limit=1000000000000&offset=1000000000000",
    )
    .await;
    assert_eq!(list["result"], json!([]));
    let many = vec!["tags"; 5000];
    let posted: Value = reqwest::Client::new()
        .post(app.url("/api/action/package_search"))
        .json(&json!({"rows": 0, "facet.field": many}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(posted["result"]["facets"]["tags"]["payments"], 2);
    let (status, body) = ckan(&app, "package_search", "q=a%20AND%20(b%20OR%20c)").await;
    assert_eq!(
        (status, body["error"]["__type"].as_str()),
        (400, Some("Search Query Error"))
    );
}

async fn json_ld(app: &TestApp, path: &str) -> (u16, Option<String>, Value) {
    let response = reqwest::get(app.url(path)).await.unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    (status, kind, response.json().await.unwrap_or(Value::Null))
}

async fn dcat_and_croissant_describe_the_library(app: TestApp) {
    let ids = publish(&app).await;
    // The catalogue: one page, every dataset once, Hydra paging.
    let (status, kind, catalog) = json_ld(&app, "/catalog.jsonld").await;
    assert_eq!(
        (status, kind.as_deref()),
        (200, Some("application/ld+json"))
    );
    let graph = catalog["@graph"].as_array().unwrap();
    let cat = graph.iter().find(|n| n["@type"] == "dcat:Catalog").unwrap();
    assert_eq!(cat["dcat:dataset"].as_array().unwrap().len(), 3);
    let view = graph
        .iter()
        .find(|n| n["hydra:totalItems"].is_number())
        .unwrap();
    assert_eq!(view["hydra:totalItems"], 3);
    assert!(view.get("hydra:next").is_none());
    assert_eq!(json_ld(&app, "/catalog.jsonld?page=2").await.0, 404);
    assert_eq!(
        json_ld(&app, "/catalog.jsonld?page=100000000000000")
            .await
            .0,
        404
    );

    // One dataset: its file as a distribution with size and checksum.
    let (status, _, doc) = json_ld(&app, &format!("/dataset/{}.jsonld", ids[2])).await;
    assert_eq!(status, 200);
    let graph = doc["@graph"].as_array().unwrap();
    let dataset = graph.iter().find(|n| n["@type"] == "dcat:Dataset").unwrap();
    assert_eq!(dataset["dct:accessRights"]["@id"], "eu-access:PUBLIC");
    assert_eq!(dataset["dcat:theme"][0]["@id"], "eu-theme:HEAL");
    let dist = graph
        .iter()
        .find(|n| n["@type"] == "dcat:Distribution")
        .unwrap();
    assert_eq!(dist["dcat:byteSize"]["@type"], "xsd:nonNegativeInteger");
    assert_eq!(
        dist["spdx:checksum"]["spdx:checksumValue"]["@value"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    // The restricted dataset has no file, hence no distribution.
    let (_, _, doc) = json_ld(&app, &format!("/dataset/{}.jsonld", ids[0])).await;
    let graph = doc["@graph"].as_array().unwrap();
    assert!(graph.iter().all(|n| n["@type"] != "dcat:Distribution"));
    assert!(graph
        .iter()
        .any(|n| n["dct:accessRights"]["@id"] == "eu-access:RESTRICTED"));

    // Croissant: the file object and a record set from the detected columns.
    let (status, _, c) = json_ld(&app, &format!("/dataset/{}/croissant.jsonld", ids[2])).await;
    assert_eq!(status, 200);
    assert_eq!(c["conformsTo"][0], "http://mlcommons.org/croissant/1.1");
    assert_eq!(c["name"]["ru"], "Просрочки по кредитам");
    assert_eq!(c["version"], "1.0.0");
    let file = &c["distribution"][0];
    assert_eq!(file["@type"], "cr:FileObject");
    assert_eq!(file["encodingFormat"], "text/csv");
    let fields: Vec<(&str, &str)> = c["recordSet"][0]["field"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap(), f["dataType"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("loan_id", "sc:Integer"),
            ("amount", "sc:Float"),
            ("defaulted", "sc:Boolean")
        ]
    );
    assert_eq!(c["recordSet"][0]["annotation"][0]["value"], 2);

    // Unknown datasets and documents are 404s.
    for path in [
        "/dataset/00000000-0000-0000-0000-000000000000.jsonld".to_string(),
        format!("/dataset/{}.json", ids[2]),
        "/dataset/nope/croissant.jsonld".to_string(),
    ] {
        assert_eq!(json_ld(&app, &path).await.0, 404, "{path}");
    }
}
