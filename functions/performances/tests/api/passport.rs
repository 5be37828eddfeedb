//! The technical passport: filing documents of the documents function (auto-filed from the file
//! name or by hand), correcting and unfiling them, and readiness over ready versions only.

use documents::{DocumentsState, UploadLimits};
use performances::{ImageLimits, PerformancesState};
use serde_json::{Value, json};
use testkit::{StatusCode, TestApp, TestOptions, TestUser};

use crate::helpers::{create, id};

/// The documents API's own client flow (create, presigned upload, complete, wait for the
/// worker), used as it is rather than copied.
#[allow(dead_code)]
#[path = "../../../documents/tests/api/helpers.rs"]
pub mod documents_flow;

pub use documents_flow::DocApp;

/// Auth + performances + documents + inventory, and the worker that verifies versions.
pub async fn spawn_with_documents() -> DocApp {
    let app = testkit::spawn_app_with(TestOptions::default(), |s| {
        performances::router(PerformancesState::new(
            s.ctx.clone(),
            s.storage.clone(),
            ImageLimits::default(),
        ))
        .merge(documents::router(DocumentsState::new(
            s.ctx.clone(),
            s.storage.clone(),
            UploadLimits::default(),
        )))
        .merge(inventory::router(inventory::InventoryState {
            ctx: s.ctx.clone(),
            storage: s.storage.clone(),
        }))
    })
    .await;
    let worker = documents_flow::start_worker(&app).await;
    DocApp {
        app,
        _worker: worker,
    }
}

/// A document titled `title` with one ready version uploaded as `file_name`; returns its id.
pub async fn ready_document(
    app: &TestApp,
    user: &TestUser,
    title: &str,
    file_name: &str,
) -> String {
    let doc = documents_flow::create_document(app, user, json!({ "title": title })).await;
    let doc_id = id(&doc);
    let pdf = documents_flow::pdf_with_text(title);
    let version =
        documents_flow::upload_ready(app, user, &doc_id, file_name, "application/pdf", &pdf).await;
    assert_eq!(version["status"], "ready", "{version:?}");
    doc_id
}

pub async fn file(
    app: &TestApp,
    user: &TestUser,
    performance: &str,
    body: Value,
) -> testkit::Reply {
    app.post(
        &format!("/api/v1/performances/{performance}/passport/documents"),
        &user.token,
        body,
    )
    .await
}

async fn readiness(app: &TestApp, user: &TestUser, performance: &str) -> Value {
    let reply = app
        .get(
            &format!("/api/v1/performances/{performance}/passport/readiness"),
            &user.token,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body
}

fn part<'a>(readiness: &'a Value, code: &str) -> &'a Value {
    readiness["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .find(|p| p["code"] == code)
        .expect("part")
}

fn missing(part: &Value) -> Vec<String> {
    part["missing"]
        .as_array()
        .expect("missing")
        .iter()
        .map(|m| m["code"].as_str().expect("code").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_issue_examples_are_guessed_before_upload() {
    let app = spawn_with_documents().await;
    let admin = app.new_theater().await;
    let show = id(&create(&app, &admin, json!({})).await);
    let cases = [
        ("2.1 ТЗ свет.pdf", Some("tech_spec_light")),
        ("plan.dwg", Some("drawings")),
        ("cue list.cues", Some("sound_partition")),
        ("Монтировочная опись.xlsx", Some("mount_list")),
        ("notes.txt", None),
    ];
    for (name, expected) in cases {
        let reply = app
            .post(
                &format!("/api/v1/performances/{show}/passport/classify"),
                &admin.token,
                json!({ "file_name": name }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        assert_eq!(reply.body["file_name"], name);
        match expected {
            Some(code) => {
                assert_eq!(reply.body["guess"]["category"], code, "{name}");
                let confidence = reply.body["guess"]["confidence"].as_f64().unwrap();
                assert!(confidence > 0.0 && confidence <= 1.0);
                assert!(reply.body["guess"]["reason"].as_str().is_some());
            }
            None => assert!(reply.body["guess"].is_null(), "{name}: {:?}", reply.body),
        }
    }
    let empty = app
        .post(
            &format!("/api/v1/performances/{show}/passport/classify"),
            &admin.token,
            json!({ "file_name": "  " }),
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.body["errors"][0]["field"], "file_name");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_filed_document_counts_for_readiness_only_with_a_ready_version() {
    let app = spawn_with_documents().await;
    let admin = app.new_theater().await;
    let show = id(&create(&app, &admin, json!({})).await);

    let empty = readiness(&app, &admin, &show).await;
    assert_eq!(
        empty["overall"],
        json!({"done": 0, "required": 24, "percent": 0})
    );
    let required: Vec<i64> = empty["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["required"].as_i64().unwrap())
        .collect();
    assert_eq!(required, [6, 6, 9, 3]);

    // Auto-filed from the current version's file name, not from the title.
    let light = ready_document(&app, &admin, "Документ 1", "2.1 ТЗ свет.pdf").await;
    let filed = file(&app, &admin, &show, json!({ "document_id": light })).await;
    assert_eq!(filed.status, StatusCode::CREATED, "{:?}", filed.body);
    assert_eq!(filed.body["document"]["category"], "tech_spec_light");
    assert_eq!(filed.body["guess"]["category"], "tech_spec_light");
    let confidence = filed.body["document"]["confidence"].as_f64().unwrap();
    assert!((confidence - 0.9).abs() < 1e-6, "{confidence}");
    assert_eq!(filed.body["document"]["current_version"]["number"], 1);
    assert!(filed.header("etag").is_some());

    // Filed by hand, but its only upload never completed: no current version, no readiness.
    let drawing = documents_flow::create_document(&app, &admin, json!({ "title": "Чертёж" })).await;
    documents_flow::upload(
        &app,
        &admin,
        &id(&drawing),
        "Чертёж.pdf",
        "application/pdf",
        b"%PDF-1.4",
    )
    .await;
    let by_hand = file(
        &app,
        &admin,
        &show,
        json!({ "document_id": id(&drawing), "category": "drawings" }),
    )
    .await;
    assert_eq!(by_hand.status, StatusCode::CREATED, "{:?}", by_hand.body);
    assert!(by_hand.body["guess"].is_null());
    assert!(by_hand.body["document"]["confidence"].is_null());
    assert!(by_hand.body["document"]["current_version"].is_null());
    assert_eq!(by_hand.body["document"]["latest_version_status"], "pending");

    // The optional video partition does not count either.
    let video = ready_document(&app, &admin, "Видео", "Видеопроекция.pdf").await;
    let filed_video = file(&app, &admin, &show, json!({ "document_id": video })).await;
    assert_eq!(filed_video.body["document"]["category"], "video_partition");

    let r = readiness(&app, &admin, &show).await;
    assert_eq!(
        r["overall"],
        json!({"done": 1, "required": 24, "percent": 4})
    );
    assert_eq!(part(&r, "2.0")["done"], 1);
    assert_eq!(part(&r, "2.0")["percent"], 16);
    assert!(!missing(part(&r, "2.0")).contains(&"tech_spec_light".to_string()));
    assert!(missing(part(&r, "4.0")).contains(&"drawings".to_string()));
    assert!(!missing(part(&r, "3.0")).contains(&"video_partition".to_string()));

    // The passport: parts → categories → documents.
    let passport = app
        .get(
            &format!("/api/v1/performances/{show}/passport"),
            &admin.token,
        )
        .await;
    assert_eq!(passport.status, StatusCode::OK, "{:?}", passport.body);
    assert_eq!(passport.body["readiness"]["done"], 1);
    let categories: Vec<&Value> = passport.body["parts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["categories"].as_array().unwrap())
        .collect();
    assert_eq!(categories.len(), 25);
    let spec = categories
        .iter()
        .find(|c| c["code"] == "tech_spec_light")
        .unwrap();
    assert_eq!(spec["number"], "2.3");
    assert_eq!(spec["complete"], true);
    assert_eq!(spec["documents"][0]["document_id"], light.as_str());
    let drawings = categories.iter().find(|c| c["code"] == "drawings").unwrap();
    assert_eq!(drawings["complete"], false);
    assert_eq!(drawings["documents"].as_array().unwrap().len(), 1);

    // The documents API sees the link too.
    let listed = app
        .get(
            &format!("/api/v1/documents?performance_id={show}"),
            &admin.token,
        )
        .await;
    assert_eq!(
        listed.body["items"].as_array().unwrap().len(),
        3,
        "{:?}",
        listed.body
    );

    // Corrected by hand: confidence gone, readiness follows.
    let etag = filed.header("etag").unwrap().to_string();
    let refiled = app
        .call_with(
            "PATCH",
            &format!("/api/v1/performances/{show}/passport/documents/{light}"),
            Some(&admin.token),
            Some(json!({ "category": "sketches" })),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(refiled.status, StatusCode::OK, "{:?}", refiled.body);
    assert_eq!(refiled.body["category"], "sketches");
    assert!(refiled.body["confidence"].is_null());
    let stale = app
        .call_with(
            "PATCH",
            &format!("/api/v1/performances/{show}/passport/documents/{light}"),
            Some(&admin.token),
            Some(json!({ "category": "layouts" })),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let r = readiness(&app, &admin, &show).await;
    assert_eq!(part(&r, "2.0")["done"], 1);
    assert!(missing(part(&r, "2.0")).contains(&"tech_spec_light".to_string()));
    assert!(!missing(part(&r, "2.0")).contains(&"sketches".to_string()));

    // Unfiled: out of the passport, still the performance's document.
    let unfiled = app
        .delete(
            &format!("/api/v1/performances/{show}/passport/documents/{light}"),
            &admin.token,
        )
        .await;
    assert_eq!(unfiled.status, StatusCode::NO_CONTENT);
    assert_eq!(readiness(&app, &admin, &show).await["overall"]["done"], 0);
    let again = app
        .delete(
            &format!("/api/v1/performances/{show}/passport/documents/{light}"),
            &admin.token,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    assert_eq!(app.audit_count(admin.theater_id, "passport.file").await, 3);
    assert_eq!(
        app.audit_count(admin.theater_id, "passport.refile").await,
        1
    );
    assert_eq!(
        app.audit_count(admin.theater_id, "passport.unfile").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn filing_refuses_what_it_cannot_file() {
    let app = spawn_with_documents().await;
    let admin = app.new_theater().await;
    let show = id(&create(&app, &admin, json!({})).await);
    let other_show = id(&create(&app, &admin, json!({ "title": "Вишнёвый сад" })).await);
    let doc =
        documents_flow::create_document(&app, &admin, json!({ "title": "Без названия" })).await;
    let doc_id = id(&doc);

    // Nothing to guess from: no version, a title that names nothing.
    let unguessable = file(&app, &admin, &show, json!({ "document_id": doc_id })).await;
    assert_eq!(
        unguessable.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        unguessable.body
    );
    assert_eq!(unguessable.body["errors"][0]["field"], "category");
    let unknown = file(
        &app,
        &admin,
        &show,
        json!({ "document_id": doc_id, "category": "other" }),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.body["errors"][0]["field"], "category");
    let missing_doc = file(
        &app,
        &admin,
        &show,
        json!({ "document_id": uuid::Uuid::new_v4() }),
    )
    .await;
    assert_eq!(missing_doc.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing_doc.body["errors"][0]["field"], "document_id");

    let ok = file(
        &app,
        &admin,
        &show,
        json!({ "document_id": doc_id, "category": "rider" }),
    )
    .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{:?}", ok.body);
    let twice = file(
        &app,
        &admin,
        &show,
        json!({ "document_id": doc_id, "category": "rider" }),
    )
    .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let elsewhere = file(
        &app,
        &admin,
        &other_show,
        json!({ "document_id": doc_id, "category": "rider" }),
    )
    .await;
    assert_eq!(elsewhere.status, StatusCode::CONFLICT);
    let wrong_place = app
        .delete(
            &format!("/api/v1/performances/{other_show}/passport/documents/{doc_id}"),
            &admin.token,
        )
        .await;
    assert_eq!(wrong_place.status, StatusCode::NOT_FOUND);

    // A member who may only look.
    let performer = app.user_with_roles(&admin, &["performer"]).await;
    let refused = file(
        &app,
        &performer,
        &show,
        json!({ "document_id": doc_id, "category": "rider" }),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = app
        .delete(
            &format!("/api/v1/performances/{show}/passport/documents/{doc_id}"),
            &performer.token,
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let readable = app
        .get(
            &format!("/api/v1/performances/{show}/passport/readiness"),
            &performer.token,
        )
        .await;
    assert_eq!(readable.status, StatusCode::OK);

    // Another theatre: its performance ids and documents do not exist here.
    let stranger = app.new_theater().await;
    for path in [
        format!("/api/v1/performances/{show}/passport"),
        format!("/api/v1/performances/{show}/passport/readiness"),
    ] {
        assert_eq!(
            app.get(&path, &stranger.token).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let theirs = id(&create(&app, &stranger, json!({})).await);
    let foreign = file(
        &app,
        &stranger,
        &theirs,
        json!({ "document_id": doc_id, "category": "rider" }),
    )
    .await;
    assert_eq!(
        foreign.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        foreign.body
    );
    let foreign = file(
        &app,
        &stranger,
        &show,
        json!({ "document_id": doc_id, "category": "rider" }),
    )
    .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);

    // A document taken off the performance through the documents API leaves the passport.
    let detached = app
        .patch(
            &format!("/api/v1/documents/{doc_id}"),
            &admin.token,
            json!({ "performance_id": null }),
        )
        .await;
    assert_eq!(detached.status, StatusCode::OK, "{:?}", detached.body);
    let passport = app
        .get(
            &format!("/api/v1/performances/{show}/passport"),
            &admin.token,
        )
        .await;
    let filed: usize = passport.body["parts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["categories"].as_array().unwrap())
        .map(|c| c["documents"].as_array().unwrap().len())
        .sum();
    assert_eq!(filed, 0);
}
