//! Document templates end to end: upload a DOCX through the documents' versioned upload, define
//! variables, generate for a performance, read the document the worker stored.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shared::docx::{Block, Run, build};
use testkit::{StatusCode, TestApp, TestUser};
use uuid::Uuid;

use crate::helpers::*;

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// A template whose title placeholder is split across three bold italic runs, with a number,
/// a date and a cast table.
fn template_docx() -> Vec<u8> {
    let styled = |text: &str| Run {
        text: text.into(),
        bold: true,
        italic: true,
        size: None,
    };
    build(&[
        Block::Paragraph {
            runs: vec![
                Run::plain("Спектакль «"),
                styled("{{"),
                styled("title"),
                styled("}}"),
                Run::plain("»"),
            ],
            centered: true,
        },
        Block::Paragraph {
            runs: vec![Run::plain(
                "Смета: {{amount}} руб., дата: {{day}}, акт № {{act}}",
            )],
            centered: false,
        },
        Block::Table(vec![
            vec![vec![Run::bold("Роль — исполнитель")]],
            vec![vec![Run::plain("{{cast}}")]],
        ]),
    ])
}

/// A performance with two cast lines, written as the performances function stores them.
async fn performance(app: &TestApp, theater_id: Uuid) -> Uuid {
    let id = Uuid::now_v7();
    let db = app.db().await;
    db.execute(
        "INSERT INTO performances (id, theater_id, title, director, premiere_date)
         VALUES ($1, $2, 'Чайка', 'Анна Петрова', '2026-03-07')",
        &[&id, &theater_id],
    )
    .await
    .unwrap();
    for (n, (role, person)) in [
        ("Нина Заречная", "Мария Иванова"),
        ("Треплев", "Иван Сидоров"),
    ]
    .iter()
    .enumerate()
    {
        db.execute(
            "INSERT INTO performance_cast (id, theater_id, performance_id, kind, person_name,
                 role_name, sort_order)
             VALUES ($1, $2, $3, 'cast', $4, $5, $6)",
            &[&Uuid::now_v7(), &theater_id, &id, person, role, &(n as i32)],
        )
        .await
        .unwrap();
    }
    id
}

/// Creates a template, uploads its DOCX and defines its variables; returns the template.
async fn ready_template(app: &DocApp, admin: &TestUser) -> Value {
    let created = app
        .post(
            "/api/v1/documents/templates",
            &admin.token,
            json!({"name": "Смета спектакля"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let document_id = created.body["document_id"].as_str().unwrap().to_string();
    let version = upload_ready(
        app,
        admin,
        &document_id,
        "смета.docx",
        DOCX,
        &template_docx(),
    )
    .await;
    assert_eq!(version["status"], "ready", "{version:?}");
    created.body
}

async fn put_variables(app: &DocApp, admin: &TestUser, template_id: &str) -> Value {
    let reply = app
        .put(
            &format!("/api/v1/documents/templates/{template_id}/variables"),
            &admin.token,
            json!({"variables": [
                {"name": "title", "type": "performance_field", "field": "title", "required": true},
                {"name": "amount", "type": "number", "required": true},
                {"name": "day", "type": "date", "field": "premiere_date"},
                {"name": "act", "type": "text", "required": true},
                {"name": "cast", "type": "actor_list"},
            ]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body
}

async fn count_documents(app: &TestApp) -> i64 {
    app.db()
        .await
        .query_one("SELECT count(*) FROM documents", &[])
        .await
        .unwrap()
        .get(0)
}

/// Polls a generation until the worker finished it.
async fn wait_generation(app: &TestApp, user: &TestUser, template_id: &str, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let reply = app
            .get(
                &format!("/api/v1/documents/templates/{template_id}/generations/{id}"),
                &user.token,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        if reply.body["status"] != "processing" {
            return reply.body;
        }
        assert!(
            Instant::now() < deadline,
            "still processing: {:?}",
            reply.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The bytes of a document's current version, from the store.
async fn current_bytes(app: &TestApp, document_id: &str) -> (Vec<u8>, String) {
    let row = app
        .db()
        .await
        .query_one(
            "SELECT v.storage_key, v.content_type FROM documents d
             JOIN document_versions v ON v.id = d.current_version_id
             WHERE d.id = $1::text::uuid",
            &[&document_id],
        )
        .await
        .unwrap();
    let object = app
        .storage
        .get(row.get(0))
        .await
        .unwrap()
        .expect("the object");
    let bytes = object.body.collect().await.unwrap().into_bytes().to_vec();
    (bytes, row.get(1))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_split_placeholder_is_filled_for_a_performance_keeping_bold_italic_and_russian_formats() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let template = ready_template(&app, &admin).await;
    let template_id = id(&template);

    // The placeholders are discovered from the uploaded file, split runs and all.
    let vars = app
        .get(
            &format!("/api/v1/documents/templates/{template_id}/variables"),
            &admin.token,
        )
        .await;
    assert_eq!(vars.status, StatusCode::OK, "{:?}", vars.body);
    assert_eq!(
        vars.body["placeholders"],
        json!(["title", "amount", "day", "act", "cast"])
    );
    assert_eq!(vars.body["undefined"].as_array().unwrap().len(), 5);
    let defined = put_variables(&app, &admin, &template_id).await;
    assert_eq!(defined["undefined"], json!([]));

    let performance_id = performance(&app, admin.theater_id).await;
    let reply = app
        .post(
            &format!("/api/v1/documents/templates/{template_id}/generate"),
            &admin.token,
            json!({"performance_id": performance_id, "format": "docx",
                   "values": {"amount": 1234.5, "act": "7/26"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
    // The values used are recorded: typed, from the performance, formatted.
    assert_eq!(reply.body["values"]["amount"], "1 234,50");
    assert_eq!(reply.body["values"]["day"], "07.03.2026");
    assert_eq!(reply.body["values"]["title"], "Чайка");
    let done = wait_generation(&app, &admin, &template_id, &id(&reply.body)).await;
    assert_eq!(done["status"], "ready", "{done:?}");

    let document_id = done["document_id"].as_str().unwrap();
    let document = app
        .get(&format!("/api/v1/documents/{document_id}"), &admin.token)
        .await;
    assert_eq!(document.status, StatusCode::OK);
    assert_eq!(document.body["current_version_number"], 1);
    assert_eq!(document.body["performance_id"], performance_id.to_string());
    let (bytes, content_type) = current_bytes(&app, document_id).await;
    assert_eq!(content_type, DOCX);
    let text = shared::docx::text(&bytes).unwrap();
    assert_eq!(
        text,
        "Спектакль «Чайка»\nСмета: 1 234,50 руб., дата: 07.03.2026, акт № 7/26\n\
         Роль — исполнитель\nНина Заречная — Мария Иванова\nТреплев — Иван Сидоров"
    );
    let xml = shared::docx::document_xml(&bytes).unwrap();
    assert!(
        xml.contains("<w:rPr><w:b/><w:i/></w:rPr><w:t xml:space=\"preserve\">Чайка</w:t>"),
        "{xml}"
    );
    // The list became table rows: header + two cast lines.
    assert_eq!(xml.matches("<w:tr>").count(), 3);

    // Re-running the finished job (a duplicate delivery) changes nothing.
    let config =
        worker::WorkerConfig::new(&app.database_url, &testkit::redis_url(), &app.redis_prefix);
    let deps = worker::Deps::new(config, app.storage.clone()).unwrap();
    let job = shared::jobs::GenerateDocument {
        theater_id: admin.theater_id,
        generation_id: id(&done).parse().unwrap(),
        traceparent: None,
    };
    worker::generation::run(&deps, job).await.unwrap();
    let versions = app
        .get(
            &format!("/api/v1/documents/{document_id}/versions"),
            &admin.token,
        )
        .await;
    assert_eq!(versions.body["items"].as_array().unwrap().len(), 1);
    let again = wait_generation(&app, &admin, &template_id, &id(&done)).await;
    assert_eq!(again["completed_at"], done["completed_at"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_required_variable_is_a_422_naming_it_and_nothing_is_created() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let template = ready_template(&app, &admin).await;
    let template_id = id(&template);
    put_variables(&app, &admin, &template_id).await;
    let before = count_documents(&app).await;
    // No performance (so no title) and no act number; a bad date.
    let reply = app
        .post(
            &format!("/api/v1/documents/templates/{template_id}/generate"),
            &admin.token,
            json!({"format": "docx", "values": {"amount": 10, "day": "07.03.2026"}}),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        reply.body
    );
    let fields: Vec<&str> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["values.day", "values.title", "values.act"]);
    assert_eq!(count_documents(&app).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pdf_is_made_by_libreoffice_where_installed_and_fails_readably_where_not() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let template = ready_template(&app, &admin).await;
    let template_id = id(&template);
    put_variables(&app, &admin, &template_id).await;
    let performance_id = performance(&app, admin.theater_id).await;
    let reply = app
        .post(
            &format!("/api/v1/documents/templates/{template_id}/generate"),
            &admin.token,
            json!({"performance_id": performance_id, "format": "pdf",
                   "values": {"amount": "2500", "act": "8"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
    let done = wait_generation(&app, &admin, &template_id, &id(&reply.body)).await;
    if worker::preview::libreoffice().is_none() {
        assert_eq!(done["status"], "failed");
        assert_eq!(done["error"], worker::generation::NO_LIBREOFFICE);
        return;
    }
    assert_eq!(done["status"], "ready", "{done:?}");
    let (bytes, content_type) = current_bytes(&app, done["document_id"].as_str().unwrap()).await;
    assert_eq!(content_type, "application/pdf");
    assert!(bytes.starts_with(b"%PDF"));
    let pdftotext = std::process::Command::new("pdftotext").arg("-v").output();
    if pdftotext.is_ok() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.pdf");
        std::fs::write(&path, &bytes).unwrap();
        let out = std::process::Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Спектакль «Чайка»"), "{text}");
        assert!(text.contains("2 500 руб."), "{text}");
        assert!(text.contains("Треплев — Иван Сидоров"), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn templates_are_tenant_scoped_and_every_change_checks_its_permission() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let template = ready_template(&app, &admin).await;
    let t = id(&template);
    let outsider = app.new_theater().await;
    let viewer = app.user_with_roles(&admin, &["viewer"]).await;
    let head = app.user_with_roles(&admin, &["department_head"]).await;
    let base = format!("/api/v1/documents/templates/{t}");
    let generation = format!("{base}/generations/{}", Uuid::now_v7());
    let generate_body = json!({"format": "docx", "values": {}});
    // Another theatre's administrator: every path naming this template is a 404.
    for reply in [
        app.get(&base, &outsider.token).await,
        app.patch(&base, &outsider.token, json!({"name": "x"}))
            .await,
        app.get(&format!("{base}/variables"), &outsider.token).await,
        app.put(
            &format!("{base}/variables"),
            &outsider.token,
            json!({"variables": []}),
        )
        .await,
        app.post(
            &format!("{base}/generate"),
            &outsider.token,
            generate_body.clone(),
        )
        .await,
        app.get(&generation, &outsider.token).await,
        app.delete(&base, &outsider.token).await,
    ] {
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{:?}", reply.body);
    }
    let listed = app
        .get("/api/v1/documents/templates", &outsider.token)
        .await;
    assert_eq!(listed.body["items"], json!([]));
    // A viewer reads but changes nothing.
    assert_eq!(app.get(&base, &viewer.token).await.status, StatusCode::OK);
    for reply in [
        app.post(
            "/api/v1/documents/templates",
            &viewer.token,
            json!({"name": "x"}),
        )
        .await,
        app.patch(&base, &viewer.token, json!({"name": "x"})).await,
        app.put(
            &format!("{base}/variables"),
            &viewer.token,
            json!({"variables": []}),
        )
        .await,
        app.post(
            &format!("{base}/generate"),
            &viewer.token,
            generate_body.clone(),
        )
        .await,
        app.delete(&base, &viewer.token).await,
    ] {
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{:?}", reply.body);
    }
    // A department head creates documents (so generates) but does not edit templates.
    for reply in [
        app.patch(&base, &head.token, json!({"name": "x"})).await,
        app.put(
            &format!("{base}/variables"),
            &head.token,
            json!({"variables": []}),
        )
        .await,
    ] {
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{:?}", reply.body);
    }
    let generated = app
        .post(&format!("{base}/generate"), &head.token, generate_body)
        .await;
    assert_eq!(
        generated.status,
        StatusCode::ACCEPTED,
        "{:?}",
        generated.body
    );
    let still = app.get(&base, &admin.token).await;
    assert_eq!(still.body["name"], "Смета спектакля");
}
