//! Published rounds as open data: the catalog a CKAN portal harvests lists
//! only published rounds; every distribution it names answers; each round's
//! metadata names the fields of its CSV in order.

use crate::both_backends;
use axum::http::StatusCode;

both_backends!(a_portal_harvests_the_published_rounds, |app| {
    let mut c = app.client();
    let r = c.get("/open-data/data.json").await;
    assert_eq!(r.status, StatusCode::OK);
    let cat = r.json();
    assert_eq!(cat["@type"], "dcat:Catalog");
    let datasets = cat["dataset"].as_array().unwrap();
    let titles: Vec<&str> = datasets
        .iter()
        .map(|d| d["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        datasets.len(),
        2,
        "the published 2564 and 2568 rounds: {titles:?}"
    );
    assert!(
        titles.iter().all(|t| !t.contains("สาธิต")),
        "not the unpublished round"
    );
    let base = "http://127.0.0.1:8080";
    for d in datasets {
        assert_eq!(d["accessLevel"], "public");
        assert!(
            d["license"]
                .as_str()
                .unwrap()
                .contains("creativecommons.org")
        );
        let temporal = d["temporal"].as_str().unwrap();
        assert_eq!(temporal.len(), 21, "{temporal}");
        for dist in d["distribution"].as_array().unwrap() {
            let url = dist["downloadURL"].as_str().unwrap();
            let r = c.get(url.strip_prefix(base).unwrap()).await;
            assert_eq!(r.status, StatusCode::OK, "{url}");
        }
        let meta_url = d["describedBy"].as_str().unwrap();
        let meta = c.get(meta_url.strip_prefix(base).unwrap()).await.json();
        let fields = meta["fields"].as_array().unwrap();
        assert_eq!(fields.len(), meta["csv_header"].as_array().unwrap().len());
        assert_eq!(meta["agencies"], 1);
        // The CSV's columns are the fields, in order.
        let csv_url = d["distribution"][0]["downloadURL"].as_str().unwrap();
        let csv = c.get(csv_url.strip_prefix(base).unwrap()).await.body;
        let header = csv.trim_start_matches('\u{feff}').lines().next().unwrap();
        assert_eq!(header.split(',').count(), fields.len(), "{header}");
        assert_eq!(fields[0]["name"], "code");
        // A framework with a tool in parts adds each part's count before the
        // last column.
        let parts = usize::from(fields.iter().any(|f| f["name"] == "responses_by_part"));
        assert_eq!(fields[fields.len() - 4 - parts]["name"], "overall");
        assert_eq!(fields[fields.len() - 2 - parts]["name"], "level_th");
        assert_eq!(fields[3]["name"], "kind_th");
        assert_eq!(fields[fields.len() - 1]["name"], "below_minimum_sample");
    }
    // An unpublished round has no metadata for the public.
    let current = app.current_round().await;
    assert_eq!(
        c.get(&format!("/results/{current}/metadata.json"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
});
