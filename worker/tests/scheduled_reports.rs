//! Scheduled reports with a test clock: a definition made through the API fires once per slot
//! (two workers ticking at the same moment still store one version), a slot before the
//! definition existed never fires, and after an outage over several slots only the latest
//! missed one runs. Each result is the next version of one document.

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::json;
use sha2::{Digest, Sha256};
use testkit::{TestApp, TestOptions};
use uuid::Uuid;

async fn spawn() -> TestApp {
    testkit::spawn_app_with(TestOptions::default(), |s| {
        reports::router(reports::ReportsState::new(s.ctx.clone(), s.storage.clone()).unwrap())
    })
    .await
}

fn deps(app: &TestApp) -> worker::Deps {
    let config =
        worker::WorkerConfig::new(&app.database_url, &testkit::redis_url(), &app.redis_prefix);
    worker::Deps::new(config, app.storage.clone()).unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scheduled_report_fires_once_per_slot_and_lands_as_document_versions() {
    let app = spawn().await;
    let admin = app.new_theater().await;

    // The API: validation, permission, tenancy.
    let bad = app
        .post(
            "/api/v1/reports/schedules",
            &admin.token,
            json!({"report": "inventory_stock", "format": "csv", "cadence": "weekly",
                   "time": "25:00"}),
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        bad.body
    );
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"time") && fields.contains(&"day"),
        "{fields:?}"
    );
    let performer = app.user_with_roles(&admin, &["performer"]).await;
    let refused = app
        .post(
            "/api/v1/reports/schedules",
            &performer.token,
            json!({"report": "inventory_stock", "format": "csv", "cadence": "daily",
                   "time": "07:30"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let created = app
        .post(
            "/api/v1/reports/schedules",
            &admin.token,
            json!({"report": "inventory_stock", "params": {"group_by": "status"},
                   "format": "csv", "cadence": "daily", "time": "07:30",
                   "title": "Остатки по статусам", "recipients": [admin.user_id]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id: Uuid = created.body["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(created.body["timezone"], "Europe/Moscow");
    assert!(created.body["next_run_at"].is_string());
    let other = app.new_theater().await;
    for (method, body) in [("PATCH", Some(json!({"time": "08:00"}))), ("DELETE", None)] {
        let reply = app
            .call(
                method,
                &format!("/api/v1/reports/schedules/{id}"),
                Some(&other.token),
                body,
            )
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method}");
    }
    let theirs = app.get("/api/v1/reports/schedules", &other.token).await;
    assert_eq!(theirs.body["items"].as_array().unwrap().len(), 0);

    // The test clock: the definition "was made" on 2026-12-05 at 07:40 Moscow (04:40 UTC),
    // after that day's 07:30 slot.
    let db = app.db().await;
    db.execute(
        "UPDATE report_schedules SET created_at = '2026-12-05T04:40:00Z' WHERE id = $1",
        &[&id],
    )
    .await
    .unwrap();
    let (a, b) = (deps(&app), deps(&app));
    let ticked = worker::reports::run_due(&a, at("2026-12-05T05:00:00Z"))
        .await
        .unwrap();
    assert_eq!(ticked.done, 0, "the slot before the definition existed");

    // Two workers at the next slot: one run.
    let now = at("2026-12-06T04:31:00Z");
    let (x, y) = tokio::join!(
        worker::reports::run_due(&a, now),
        worker::reports::run_due(&b, now)
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(x.done + y.done, 1, "{x:?} {y:?}");
    assert_eq!(x.failed + y.failed, 0);
    // Later the same day: nothing more.
    let again = worker::reports::run_due(&b, at("2026-12-06T20:00:00Z"))
        .await
        .unwrap();
    assert_eq!(again.done, 0);

    // An outage from the 6th to the 9th: the 7th, 8th and 9th slots were missed; the worker
    // comes back on the 9th after the slot and runs once, for the 9th.
    let back = worker::reports::run_due(&a, at("2026-12-09T06:00:00Z"))
        .await
        .unwrap();
    assert_eq!(back.done, 1);
    let slots: Vec<DateTime<Utc>> = db
        .query(
            "SELECT slot_start FROM report_runs WHERE schedule_id = $1 AND status = 'done'
             ORDER BY slot_start",
            &[&id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        slots,
        vec![at("2026-12-06T04:30:00Z"), at("2026-12-09T04:30:00Z")]
    );

    // One document, two ready versions numbered 1 and 2, the second current; the bytes in
    // storage are what the version says.
    let document_id: Uuid = db
        .query_one(
            "SELECT document_id FROM report_schedules WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    let versions = db
        .query(
            "SELECT v.id, v.number, v.status, v.sha256, v.storage_key, v.size, d.current_version_id,
                    d.title, v.content_type
             FROM document_versions v JOIN documents d ON d.id = v.document_id
             WHERE v.document_id = $1 ORDER BY v.number",
            &[&document_id],
        )
        .await
        .unwrap();
    assert_eq!(versions.len(), 2);
    let numbers: Vec<i32> = versions.iter().map(|r| r.get(1)).collect();
    assert_eq!(numbers, vec![1, 2]);
    let last = &versions[1];
    assert_eq!(last.get::<_, String>(2), "ready");
    assert_eq!(last.get::<_, Uuid>(6), last.get::<_, Uuid>(0));
    assert_eq!(last.get::<_, String>(7), "Остатки по статусам");
    assert_eq!(last.get::<_, String>(8), "text/csv");
    let key: String = last.get(4);
    let object = app.storage.get(&key).await.unwrap().expect("stored bytes");
    let stored = object.body.collect().await.unwrap().into_bytes().to_vec();
    assert_eq!(stored.len() as i64, last.get::<_, i64>(5));
    let digest: String = Sha256::digest(&stored)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(digest, last.get::<_, String>(3));
    let text = String::from_utf8(stored).unwrap();
    assert!(
        text.starts_with("\u{feff}Группа,Наименование,Позиций,Единиц"),
        "{text}"
    );

    // The API shows the last run.
    let list = app.get("/api/v1/reports/schedules", &admin.token).await;
    let item = &list.body["items"][0];
    assert_eq!(item["document_id"], json!(document_id));
    assert_eq!(item["last_run"]["status"], "done");
    assert_eq!(item["last_run"]["slot_start"], "2026-12-09T04:30:00Z");

    // A paused definition does not run.
    let paused = app
        .patch(
            &format!("/api/v1/reports/schedules/{id}"),
            &admin.token,
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(paused.status, StatusCode::OK, "{:?}", paused.body);
    let later = worker::reports::run_due(&a, at("2026-12-10T06:00:00Z"))
        .await
        .unwrap();
    assert_eq!(later.done, 0);
}
