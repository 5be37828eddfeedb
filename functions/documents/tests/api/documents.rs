//! Documents: categories, tags, metadata, status, search.

use serde_json::json;
use testkit::StatusCode;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_new_theatre_has_the_eight_seeded_categories_and_finance_needs_a_permission() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let reply = app.get("/api/v1/documents/categories", &admin.token).await;
    let codes: Vec<&str> = reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        vec![
            "contracts",
            "creative",
            "finance",
            "hr",
            "orders",
            "other",
            "promo",
            "technical"
        ]
    );
    let finance = reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "finance")
        .unwrap();
    assert_eq!(finance["required_permission"], "documents:view_financial");
    assert_eq!(finance["name"], "Финансовые документы");

    let created = app
        .post(
            "/api/v1/documents/categories",
            &admin.token,
            json!({"code": "riders", "name": "Райдеры"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let duplicate = app
        .post(
            "/api/v1/documents/categories",
            &admin.token,
            json!({"code": "riders", "name": "Ещё"}),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
}

#[tokio::test(flavor = "multi_thread")]
async fn tags_are_created_on_first_use_and_filter_the_list() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let lit = create_document(
        &app,
        &admin,
        json!({"title": "Свет", "tags": ["свет", " гастроли "]}),
    )
    .await;
    let _other = create_document(&app, &admin, json!({"title": "Звук", "tags": ["звук"]})).await;
    assert_eq!(lit["tags"], json!(["свет", "гастроли"]));
    let tags = app.get("/api/v1/documents/tags", &admin.token).await;
    let names: Vec<&str> = tags.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["гастроли", "звук", "свет"]);
    let filtered = app
        .get(
            "/api/v1/documents?tag=%D1%81%D0%B2%D0%B5%D1%82",
            &admin.token,
        )
        .await;
    assert_eq!(ids(&filtered.body), vec![id(&lit)]);
    let explicit = app
        .post(
            "/api/v1/documents/tags",
            &admin.token,
            json!({"name": "премьера"}),
        )
        .await;
    assert_eq!(explicit.status, StatusCode::CREATED);
    let again = app
        .post(
            "/api/v1/documents/tags",
            &admin.token,
            json!({"name": "премьера"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test(flavor = "multi_thread")]
async fn search_finds_a_russian_word_in_another_grammatical_form_with_a_snippet() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let doc = create_document(
        &app,
        &admin,
        json!({"title": "Эскизы", "description": "Материалы художника"}),
    )
    .await;
    let other = create_document(&app, &admin, json!({"title": "Договор аренды"})).await;
    let v = upload_ready(
        &app,
        &admin,
        &id(&doc),
        "эскизы.txt",
        "text/plain",
        "Эскизы декораций и костюмов для второго акта.".as_bytes(),
    )
    .await;
    assert_eq!(v["status"], "ready", "{v:?}");

    let found = app
        .get(
            "/api/v1/documents?q=%D0%B4%D0%B5%D0%BA%D0%BE%D1%80%D0%B0%D1%86%D0%B8%D1%8F",
            &admin.token,
        )
        .await; // q=декорация
    assert_eq!(found.status, StatusCode::OK, "{:?}", found.body);
    assert_eq!(ids(&found.body), vec![id(&doc)]);
    let hit = &found.body["items"][0];
    assert!(hit["rank"].as_f64().unwrap() > 0.0);
    let snippet = hit["snippet"].as_str().unwrap();
    assert!(snippet.contains("<b>декораций</b>"), "{snippet}");

    // The title is searched too, by its stem: "договоры" finds "Договор аренды".
    let by_title = app
        .get(
            "/api/v1/documents?q=%D0%B4%D0%BE%D0%B3%D0%BE%D0%B2%D0%BE%D1%80%D1%8B",
            &admin.token,
        )
        .await;
    assert_eq!(ids(&by_title.body), vec![id(&other)]);
}

/// Search pages by rank: title matches (weight A) before description-only ones (weight C),
/// each page with snippets, the cursor leading through every match exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn search_pages_through_every_match_best_first() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let mut in_title = Vec::new();
    for n in 0..3 {
        let doc = create_document(&app, &admin, json!({"title": format!("Занавес {n}")})).await;
        in_title.push(id(&doc));
    }
    let mut in_description = Vec::new();
    for n in 0..2 {
        let doc = create_document(
            &app,
            &admin,
            json!({"title": format!("Смета {n}"), "description": "новый занавес для сцены"}),
        )
        .await;
        in_description.push(id(&doc));
    }
    create_document(&app, &admin, json!({"title": "Договор аренды"})).await;

    let q = "%D0%B7%D0%B0%D0%BD%D0%B0%D0%B2%D0%B5%D1%81"; // занавес
    let mut seen = Vec::new();
    let mut ranks = Vec::new();
    let mut path = format!("/api/v1/documents?q={q}&limit=2");
    loop {
        let page = app.get(&path, &admin.token).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        for item in page.body["items"].as_array().unwrap() {
            seen.push(id(item));
            ranks.push(item["rank"].as_f64().unwrap());
            let snippet = item["snippet"].as_str().unwrap();
            assert!(
                snippet.to_lowercase().contains("<b>занавес</b>"),
                "{snippet}"
            );
        }
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/documents?q={q}&limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "every match once: {seen:?}");
    let (first, rest) = seen.split_at(3);
    let mut first = first.to_vec();
    first.sort();
    in_title.sort();
    assert_eq!(first, in_title, "title matches first");
    let mut rest = rest.to_vec();
    rest.sort();
    in_description.sort();
    assert_eq!(rest, in_description);
    assert!(
        ranks.windows(2).all(|w| w[0] >= w[1]),
        "best first: {ranks:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_if_match_changes_nothing_and_archive_blocks_new_versions() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let doc = create_document(&app, &admin, json!({})).await;
    let path = format!("/api/v1/documents/{}", id(&doc));
    let updated = app
        .call_with(
            "PATCH",
            &path,
            Some(&admin.token),
            Some(json!({"title": "Райдер v2", "status": "active"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    assert_eq!(updated.body["version"], 2);
    assert_eq!(updated.header("etag"), Some("\"2\""));
    let stale = app
        .call_with(
            "PATCH",
            &path,
            Some(&admin.token),
            Some(json!({"title": "Потеряно"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        app.get(&path, &admin.token).await.body["title"],
        "Райдер v2"
    );

    let archived = app
        .post(&format!("{path}/archive"), &admin.token, json!({}))
        .await;
    assert_eq!(archived.body["status"], "archived");
    let refused = app
        .post(
            &format!("{path}/versions"),
            &admin.token,
            json!({"filename": "a.txt", "content_type": "text/plain", "size": 3}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    let restored = app
        .post(&format!("{path}/restore"), &admin.token, json!({}))
        .await;
    assert_eq!(restored.body["status"], "active");
    assert_eq!(
        app.audit_count(admin.theater_id, "document.archive").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_document_disappears_but_keeps_its_versions() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let doc_id = id(&create_document(&app, &admin, json!({})).await);
    let v = upload_ready(&app, &admin, &doc_id, "a.txt", "text/plain", b"kept").await;
    let deleted = app
        .delete(&format!("/api/v1/documents/{doc_id}"), &admin.token)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/api/v1/documents/{doc_id}"), &admin.token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(ids(&app.get("/api/v1/documents", &admin.token).await.body).is_empty());
    let kept: i64 = app
        .db()
        .await
        .query_one(
            "SELECT count(*) FROM document_versions WHERE id = $1::text::uuid AND status = 'ready'",
            &[&id(&v)],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(kept, 1);
    assert_eq!(
        app.audit_count(admin.theater_id, "document.delete").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_documents_are_refused_with_the_fields_named() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let reply = app
        .post(
            "/api/v1/documents",
            &admin.token,
            json!({"title": " ", "status": "lost"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["title", "status", "category_id"]);
    let bad_role = app
        .post(
            "/api/v1/documents",
            &admin.token,
            json!({"title": "x", "category_id": category(&app, &admin, "hr").await,
                   "allowed_role_ids": [uuid::Uuid::new_v4()]}),
        )
        .await;
    assert_eq!(bad_role.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread")]
async fn search_snippets_escape_the_document_text_and_mark_matches_safely() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let doc = create_document(&app, &admin, json!({"title": "Сценарий"})).await;
    let v = upload_ready(
        &app,
        &admin,
        &id(&doc),
        "xss.txt",
        "text/plain",
        "<img src=x onerror=alert(1)> декораций <b>fake</b> & more".as_bytes(),
    )
    .await;
    assert_eq!(v["status"], "ready", "{v:?}");
    let found = app
        .get(
            "/api/v1/documents?q=%D0%B4%D0%B5%D0%BA%D0%BE%D1%80%D0%B0%D1%86%D0%B8%D1%8F",
            &admin.token,
        )
        .await;
    assert_eq!(found.status, StatusCode::OK, "{:?}", found.body);
    let snippet = found.body["items"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<b>декораций</b>"), "{snippet}");
    // PostgreSQL's ts_headline drops what it parses as tags and may cut the fragment anywhere;
    // whatever is left of the document's text is escaped: the only markup is our own <b>.
    let text = snippet.replace("<b>", "").replace("</b>", "");
    assert!(!text.contains('<') && !text.contains('>'), "{snippet}");
    assert!(text.contains("&amp; more"), "{snippet}");
    assert!(!snippet.contains("<img"), "{snippet}");
}
