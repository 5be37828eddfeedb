use std::sync::Arc;

use serde_json::json;
use testkit::StatusCode;

use crate::helpers::{conflict_ids, event, new_venue, post_event, spawn, venue};

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_bookings_of_one_slot_give_exactly_one_event() {
    let app = Arc::new(spawn().await);
    let admin = app.new_theater().await;
    let stage = venue(&app, &admin, "main-stage").await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (app, admin, stage) = (app.clone(), admin.clone(), stage.clone());
        tasks.push(tokio::spawn(async move {
            // Overlapping slots, all different: 19:00 + i minutes for two hours.
            let start = format!("2027-03-01T16:{:02}:00Z", i % 60);
            let end = format!("2027-03-01T18:{:02}:00Z", i % 60);
            post_event(
                &app,
                &admin,
                &stage,
                &start,
                &end,
                json!({"title": format!("Спектакль {i}")}),
            )
            .await
        }));
    }
    let mut winner = Vec::new();
    let mut refused = Vec::new();
    for t in tasks {
        let reply = t.await.unwrap();
        match reply.status {
            StatusCode::CREATED => winner.push(reply.body["id"].as_str().unwrap().to_string()),
            StatusCode::CONFLICT => refused.push(reply),
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((winner.len(), refused.len()), (1, 49));
    // Every refusal names the booking that won, however the requests interleaved (concurrent
    // inserts once deadlocked in the exclusion check and got a bare 409 after a second).
    for reply in &refused {
        assert_eq!(conflict_ids(reply), winner, "{:?}", reply.body);
    }
    let count: i64 = app
        .db()
        .await
        .query_one("SELECT count(*) FROM events", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_clashes_with_a_booked_slot_each_list_the_booking() {
    let app = Arc::new(spawn().await);
    let admin = app.new_theater().await;
    let stage = venue(&app, &admin, "main-stage").await;
    let booked = post_event(
        &app,
        &admin,
        &stage,
        "2027-04-01T16:00:00Z",
        "2027-04-01T18:00:00Z",
        json!({}),
    )
    .await;
    assert_eq!(booked.status, StatusCode::CREATED);
    let booked = booked.body["id"].as_str().unwrap().to_string();
    for round in 0..3 {
        let mut tasks = Vec::new();
        for i in 0..32 {
            let (app, admin, stage) = (app.clone(), admin.clone(), stage.clone());
            tasks.push(tokio::spawn(async move {
                post_event(
                    &app,
                    &admin,
                    &stage,
                    "2027-04-01T16:30:00Z",
                    "2027-04-01T17:30:00Z",
                    json!({"title": format!("Прогон {round}.{i}")}),
                )
                .await
            }));
        }
        for t in tasks {
            let reply = t.await.unwrap();
            assert_eq!(reply.status, StatusCode::CONFLICT, "{:?}", reply.body);
            // Concurrent inserts into one slot once waited for each other inside the exclusion
            // check until PostgreSQL's deadlock detector broke the cycle: a 409 without the
            // conflicting events.
            assert_eq!(
                conflict_ids(&reply),
                vec![booked.clone()],
                "{:?}",
                reply.body
            );
        }
    }
}

#[tokio::test]
async fn a_clash_lists_the_conflicting_event_touching_is_fine_and_buffers_count() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let hall = venue(&app, &admin, "rehearsal-hall").await;
    let first = event(
        &app,
        &admin,
        &hall,
        "2027-03-02T10:00:00Z",
        "2027-03-02T12:00:00Z",
    )
    .await;
    let clash = post_event(
        &app,
        &admin,
        &hall,
        "2027-03-02T11:00:00Z",
        "2027-03-02T13:00:00Z",
        json!({}),
    )
    .await;
    assert_eq!(clash.status, StatusCode::CONFLICT);
    assert_eq!(conflict_ids(&clash), std::slice::from_ref(&first));
    assert_eq!(clash.body["conflicts"][0]["title"], "Репетиция");
    assert_eq!(
        clash.body["conflicts"][0]["starts_at"],
        "2027-03-02T10:00:00Z"
    );
    assert_eq!(
        clash.body["conflicts"][0]["ends_at"],
        "2027-03-02T12:00:00Z"
    );
    assert_eq!(
        clash.header("content-type"),
        Some("application/problem+json")
    );
    // [10:00, 12:00) and [12:00, 13:00) touch and do not clash.
    event(
        &app,
        &admin,
        &hall,
        "2027-03-02T12:00:00Z",
        "2027-03-02T13:00:00Z",
    )
    .await;
    // Buffers: a venue with 30 min set-up blocks 13:00-13:30 before an event at 13:30 ...
    let buffered = new_venue(&app, &admin, 30, 0).await;
    event(
        &app,
        &admin,
        &buffered,
        "2027-03-02T10:00:00Z",
        "2027-03-02T12:00:00Z",
    )
    .await;
    let too_close = post_event(
        &app,
        &admin,
        &buffered,
        "2027-03-02T12:15:00Z",
        "2027-03-02T13:00:00Z",
        json!({}),
    )
    .await;
    assert_eq!(
        too_close.status,
        StatusCode::CONFLICT,
        "the set-up of the second overlaps"
    );
    event(
        &app,
        &admin,
        &buffered,
        "2027-03-02T12:30:00Z",
        "2027-03-02T13:00:00Z",
    )
    .await;
    // ... and an event's own buffers override the venue's.
    let own = post_event(
        &app,
        &admin,
        &buffered,
        "2027-03-02T13:00:00Z",
        "2027-03-02T14:00:00Z",
        json!({"setup_minutes": 0}),
    )
    .await;
    assert_eq!(own.status, StatusCode::CREATED, "{:?}", own.body);
    assert_eq!(own.body["blocked_from"], "2027-03-02T13:00:00Z");
}

#[tokio::test]
async fn the_dry_run_answers_without_writing() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let hall = venue(&app, &admin, "rehearsal-hall").await;
    let first = event(
        &app,
        &admin,
        &hall,
        "2027-04-01T10:00:00Z",
        "2027-04-01T12:00:00Z",
    )
    .await;
    let body = json!({"kind": "meeting", "title": "Планёрка", "venue_id": hall,
                      "starts_at": "2027-04-01T11:00:00Z", "ends_at": "2027-04-01T11:30:00Z"});
    let check = app
        .post("/api/v1/schedule/events/check", &admin.token, body.clone())
        .await;
    assert_eq!(check.status, StatusCode::OK, "{:?}", check.body);
    assert_eq!(check.body["ok"], false);
    assert_eq!(check.body["reason"], "venue_booked");
    assert_eq!(check.body["conflicts"][0]["id"], first.as_str());
    let mut free = body.clone();
    free["starts_at"] = json!("2027-04-01T12:00:00Z");
    free["ends_at"] = json!("2027-04-01T13:00:00Z");
    let check = app
        .post("/api/v1/schedule/events/check", &admin.token, free)
        .await;
    assert_eq!(check.body["ok"], true, "{:?}", check.body);
    let count: i64 = app
        .db()
        .await
        .query_one("SELECT count(*) FROM events", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 1, "the dry run wrote nothing");
}

#[tokio::test]
async fn cancelling_frees_the_slot_and_uncancelling_into_a_taken_slot_is_a_conflict() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let stage = venue(&app, &admin, "main-stage").await;
    let first = event(
        &app,
        &admin,
        &stage,
        "2027-05-01T16:00:00Z",
        "2027-05-01T19:00:00Z",
    )
    .await;
    let path = format!("/api/v1/schedule/events/{first}");
    let cancelled = app
        .call_with(
            "PATCH",
            &path,
            Some(&admin.token),
            Some(json!({"status": "cancelled"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    assert_eq!(cancelled.body["status"], "cancelled");
    let second = event(
        &app,
        &admin,
        &stage,
        "2027-05-01T17:00:00Z",
        "2027-05-01T20:00:00Z",
    )
    .await;
    let back = app
        .patch(&path, &admin.token, json!({"status": "planned"}))
        .await;
    assert_eq!(back.status, StatusCode::CONFLICT, "{:?}", back.body);
    assert_eq!(conflict_ids(&back), [second]);
    assert_eq!(
        app.get(&path, &admin.token).await.body["status"],
        "cancelled"
    );
    // Moving it elsewhere in time and then un-cancelling works.
    let moved = app
        .patch(
            &path,
            &admin.token,
            json!({"starts_at": "2027-05-02T16:00:00Z", "ends_at": "2027-05-02T19:00:00Z"}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    let back = app
        .patch(&path, &admin.token, json!({"status": "planned"}))
        .await;
    assert_eq!(back.status, StatusCode::OK, "{:?}", back.body);
    // A reschedule into a taken slot is refused too.
    let into = app
        .patch(
            &path,
            &admin.token,
            json!({"starts_at": "2027-05-01T18:00:00Z", "ends_at": "2027-05-01T21:00:00Z"}),
        )
        .await;
    assert_eq!(into.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_status_machine_refuses_other_moves_and_stale_versions() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let stage = venue(&app, &admin, "main-stage").await;
    let id = event(
        &app,
        &admin,
        &stage,
        "2027-06-01T16:00:00Z",
        "2027-06-01T19:00:00Z",
    )
    .await;
    let path = format!("/api/v1/schedule/events/{id}");
    let skip = app
        .patch(&path, &admin.token, json!({"status": "completed"}))
        .await;
    assert_eq!(skip.status, StatusCode::CONFLICT);
    assert_eq!(skip.body["current_status"], "planned");
    for to in ["confirmed", "in_progress", "completed"] {
        let r = app.patch(&path, &admin.token, json!({"status": to})).await;
        assert_eq!(r.status, StatusCode::OK, "{to}: {:?}", r.body);
    }
    let cancel = app
        .patch(&path, &admin.token, json!({"status": "cancelled"}))
        .await;
    assert_eq!(
        cancel.status,
        StatusCode::CONFLICT,
        "a completed event cannot be cancelled"
    );
    let stale = app
        .call_with(
            "PATCH",
            &path,
            Some(&admin.token),
            Some(json!({"title": "Новое"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        app.get(&path, &admin.token).await.body["title"],
        "Репетиция"
    );
}

#[tokio::test]
async fn all_day_events_cover_local_days_and_queries_are_bounded() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let workshop = venue(&app, &admin, "workshop").await;
    let reply = app
        .post(
            "/api/v1/schedule/events",
            &admin.token,
            json!({"kind": "maintenance", "title": "Профилактика", "venue_id": workshop,
                   "all_day": true, "start_date": "2027-07-10", "end_date": "2027-07-11"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    // Europe/Moscow (the default zone) is UTC+3.
    assert_eq!(reply.body["starts_at"], "2027-07-09T21:00:00Z");
    assert_eq!(reply.body["ends_at"], "2027-07-11T21:00:00Z");
    assert_eq!(reply.body["start_date"], "2027-07-10");
    assert_eq!(reply.body["end_date"], "2027-07-11");
    let list = app
        .get("/api/v1/schedule/events?from=2027-07-01T00:00:00Z&to=2027-08-01T00:00:00Z&kind=maintenance", &admin.token)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    // The list gives the theatre's local days too (in UTC they would start on the 9th).
    assert_eq!(list.body["items"][0]["start_date"], "2027-07-10");
    assert_eq!(list.body["items"][0]["end_date"], "2027-07-11");
    let none = app
        .get("/api/v1/schedule/events?from=2027-07-01T00:00:00Z&to=2027-08-01T00:00:00Z&kind=meeting", &admin.token)
        .await;
    assert_eq!(none.body["items"].as_array().unwrap().len(), 0);
    let wide = app
        .get(
            "/api/v1/schedule/events?from=2027-01-01T00:00:00Z&to=2028-06-01T00:00:00Z",
            &admin.token,
        )
        .await;
    assert_eq!(wide.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = app
        .get("/api/v1/schedule/events?colour=red", &admin.token)
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn events_are_tenant_scoped_and_need_their_permissions() {
    let app = spawn().await;
    let a = app.new_theater().await;
    let b = app.new_theater().await;
    let stage = venue(&app, &a, "main-stage").await;
    let id = event(
        &app,
        &a,
        &stage,
        "2027-08-01T16:00:00Z",
        "2027-08-01T19:00:00Z",
    )
    .await;
    let path = format!("/api/v1/schedule/events/{id}");
    assert_eq!(app.get(&path, &b.token).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.patch(&path, &b.token, json!({"title": "x"}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&path, &b.token).await.status,
        StatusCode::NOT_FOUND
    );
    // B cannot book A's venue.
    let foreign = post_event(
        &app,
        &b,
        &stage,
        "2027-08-02T16:00:00Z",
        "2027-08-02T19:00:00Z",
        json!({}),
    )
    .await;
    assert_eq!(foreign.status, StatusCode::UNPROCESSABLE_ENTITY);
    let performer = app.user_with_roles(&a, &["performer"]).await;
    assert_eq!(
        app.get(&path, &performer.token).await.status,
        StatusCode::OK
    );
    let denied = post_event(
        &app,
        &performer,
        &stage,
        "2027-08-03T16:00:00Z",
        "2027-08-03T19:00:00Z",
        json!({}),
    )
    .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.delete(&path, &performer.token).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(&path, &a.token).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.audit_count(a.theater_id, "event.delete").await, 1);
}
