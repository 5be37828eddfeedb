use serde_json::json;
use testkit::StatusCode;

use crate::helpers::{event, new_venue, post_event, spawn, venue};

#[tokio::test]
async fn a_person_invited_to_overlapping_events_is_warned_or_refused_when_strict() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let actor = app.user_with_roles(&admin, &["performer"]).await;
    let hall = venue(&app, &admin, "rehearsal-hall").await;
    let stage = venue(&app, &admin, "main-stage").await;
    let morning = event(
        &app,
        &admin,
        &hall,
        "2027-03-10T07:00:00Z",
        "2027-03-10T10:00:00Z",
    )
    .await;
    let overlapping = event(
        &app,
        &admin,
        &stage,
        "2027-03-10T09:00:00Z",
        "2027-03-10T12:00:00Z",
    )
    .await;
    let invite = |e: &str| format!("/api/v1/schedule/events/{e}/participants");
    let first = app
        .post(
            &invite(&morning),
            &admin.token,
            json!({"user_id": actor.user_id, "role": "performer"}),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!(first.body["answer"], "invited");
    assert_eq!(first.body["warnings"].as_array().unwrap().len(), 0);
    let strict = app
        .post(
            &format!("{}?strict=true", invite(&overlapping)),
            &admin.token,
            json!({"user_id": actor.user_id}),
        )
        .await;
    assert_eq!(strict.status, StatusCode::CONFLICT, "{:?}", strict.body);
    assert_eq!(strict.body["conflicts"][0]["id"], morning.as_str());
    let lenient = app
        .post(
            &invite(&overlapping),
            &admin.token,
            json!({"user_id": actor.user_id}),
        )
        .await;
    assert_eq!(lenient.status, StatusCode::CREATED);
    assert_eq!(lenient.body["warnings"][0]["id"], morning.as_str());
    assert_eq!(lenient.body["warnings"][0]["kind"], "event");
    let again = app
        .post(
            &invite(&overlapping),
            &admin.token,
            json!({"user_id": actor.user_id}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    // Declining one invitation ends the clash; only the person may answer.
    let participant = lenient.body["id"].as_str().unwrap().to_string();
    let path = format!("{}/{participant}", invite(&overlapping));
    let by_admin = app
        .patch(&path, &admin.token, json!({"answer": "declined"}))
        .await;
    assert_eq!(by_admin.status, StatusCode::FORBIDDEN);
    let declined = app
        .patch(&path, &actor.token, json!({"answer": "declined"}))
        .await;
    assert_eq!(declined.status, StatusCode::OK, "{:?}", declined.body);
    assert_eq!(declined.body["answer"], "declined");
    let role_by_actor = app
        .patch(&path, &actor.token, json!({"role": "guest"}))
        .await;
    assert_eq!(role_by_actor.status, StatusCode::FORBIDDEN);
    let list = app.get(&invite(&morning), &admin.token).await;
    assert_eq!(
        list.body["warnings"].as_array().unwrap().len(),
        0,
        "{:?}",
        list.body
    );
    // The person's own schedule.
    let mine = app
        .get(
            "/api/v1/schedule/events/me?from=2027-03-01T00:00:00Z",
            &actor.token,
        )
        .await;
    let ids: Vec<&str> = mine.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [morning.as_str()]);
    assert_eq!(
        app.delete(&path, &actor.token).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(&path, &admin.token).await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn unavailability_is_a_clash_too() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let other = app.new_theater().await;
    let actor = app.user_with_roles(&admin, &["performer"]).await;
    let off = app
        .post("/api/v1/schedule/unavailability", &actor.token,
            json!({"starts_at": "2027-04-05T00:00:00Z", "ends_at": "2027-04-06T00:00:00Z", "reason": "Съёмки"}))
        .await;
    assert_eq!(off.status, StatusCode::CREATED, "{:?}", off.body);
    let someone_else = app
        .post("/api/v1/schedule/unavailability", &actor.token,
            json!({"user_id": admin.user_id, "starts_at": "2027-04-05T00:00:00Z", "ends_at": "2027-04-06T00:00:00Z"}))
        .await;
    assert_eq!(someone_else.status, StatusCode::FORBIDDEN);
    let v = new_venue(&app, &admin, 0, 0).await;
    let e = event(
        &app,
        &admin,
        &v,
        "2027-04-05T10:00:00Z",
        "2027-04-05T12:00:00Z",
    )
    .await;
    let invite = format!("/api/v1/schedule/events/{e}/participants");
    let strict = app
        .post(
            &format!("{invite}?strict=true"),
            &admin.token,
            json!({"user_id": actor.user_id}),
        )
        .await;
    assert_eq!(strict.status, StatusCode::CONFLICT, "{:?}", strict.body);
    assert_eq!(strict.body["conflicts"][0]["kind"], "unavailable");
    assert_eq!(strict.body["conflicts"][0]["title"], "Съёмки");
    let foreign = app
        .post(&invite, &admin.token, json!({"user_id": other.user_id}))
        .await;
    assert_eq!(foreign.status, StatusCode::UNPROCESSABLE_ENTITY);
    let id = off.body["id"].as_str().unwrap();
    let list = app
        .get(
            &format!(
                "/api/v1/schedule/unavailability?user_id={}&from=2027-01-01T00:00:00Z",
                actor.user_id
            ),
            &admin.token,
        )
        .await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.delete(
            &format!("/api/v1/schedule/unavailability/{id}"),
            &other.token
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(
            &format!("/api/v1/schedule/unavailability/{id}"),
            &actor.token
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    let now_free = app
        .post(
            &format!("{invite}?strict=true"),
            &admin.token,
            json!({"user_id": actor.user_id}),
        )
        .await;
    assert_eq!(now_free.status, StatusCode::CREATED, "{:?}", now_free.body);
}

#[tokio::test]
async fn a_series_checks_its_participants_at_every_occurrence_and_strict_refuses_naming_them() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let actor = app.user_with_roles(&admin, &["performer"]).await;
    let v = new_venue(&app, &admin, 0, 0).await;
    // Daily 10:00-12:00 UTC from 1 May; the actor is off on the 3rd and rehearses elsewhere
    // on the 5th.
    let off = app
        .post("/api/v1/schedule/unavailability", &actor.token,
            json!({"starts_at": "2027-05-03T00:00:00Z", "ends_at": "2027-05-04T00:00:00Z", "reason": "Съёмки"}))
        .await;
    assert_eq!(off.status, StatusCode::CREATED, "{:?}", off.body);
    let elsewhere = post_event(
        &app,
        &admin,
        &new_venue(&app, &admin, 0, 0).await,
        "2027-05-05T11:00:00Z",
        "2027-05-05T13:00:00Z",
        json!({"title": "Другой спектакль", "participants": [{"user_id": actor.user_id}]}),
    )
    .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::CREATED,
        "{:?}",
        elsewhere.body
    );
    let series = json!({"recurrence": {"rrule": "FREQ=DAILY;COUNT=7"},
                        "participants": [{"user_id": actor.user_id, "role": "performer"}]});
    let strict = app
        .post(
            "/api/v1/schedule/events?strict=true",
            &admin.token,
            json!({"kind": "rehearsal", "title": "Репетиция", "venue_id": v,
                   "starts_at": "2027-05-01T10:00:00Z", "ends_at": "2027-05-01T12:00:00Z",
                   "recurrence": series["recurrence"], "participants": series["participants"]}),
        )
        .await;
    assert_eq!(strict.status, StatusCode::CONFLICT, "{:?}", strict.body);
    assert_eq!(strict.body["reason"], "person_busy");
    let named: Vec<(&str, &str)> = strict.body["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["occurrence_starts_at"].as_str().unwrap(),
                c["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            ("2027-05-03T10:00:00Z", "unavailable"),
            ("2027-05-05T10:00:00Z", "event")
        ]
    );
    assert!(
        strict.body["detail"]
            .as_str()
            .unwrap()
            .contains("2027-05-03T10:00:00"),
        "{:?}",
        strict.body
    );
    let events: i64 = app
        .db()
        .await
        .query_one("SELECT count(*) FROM events", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(events, 1, "nothing of the refused series was written");
    // By default the series is booked and the clashes come back as warnings.
    let lenient = post_event(
        &app,
        &admin,
        &v,
        "2027-05-01T10:00:00Z",
        "2027-05-01T12:00:00Z",
        series.clone(),
    )
    .await;
    assert_eq!(lenient.status, StatusCode::CREATED, "{:?}", lenient.body);
    let warnings = lenient.body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert_eq!(warnings[1]["id"], elsewhere.body["id"]);
    assert_eq!(warnings[1]["user_id"], actor.user_id.to_string());
    let occurrences = lenient.body["occurrences"].as_array().unwrap();
    assert_eq!(warnings[1]["event_id"], occurrences[4]["id"]);
    let invited: i64 = app
        .db()
        .await
        .query_one(
            "SELECT count(*) FROM event_participants WHERE user_id = $1",
            &[&actor.user_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(invited, 7 + 1, "invited to every occurrence");

    // Rescheduling the last three an hour later: the 6th now meets a new engagement.
    let late = post_event(
        &app,
        &admin,
        &new_venue(&app, &admin, 0, 0).await,
        "2027-05-06T12:30:00Z",
        "2027-05-06T14:00:00Z",
        json!({"title": "Интервью", "participants": [{"user_id": actor.user_id}]}),
    )
    .await;
    assert_eq!(late.status, StatusCode::CREATED, "{:?}", late.body);
    assert_eq!(late.body["warnings"].as_array().unwrap().len(), 0);
    let fifth = occurrences[4]["id"].as_str().unwrap();
    let move_body = json!({"starts_at": "2027-05-05T11:00:00Z"});
    let refused = app
        .patch(
            &format!("/api/v1/schedule/events/{fifth}?scope=following&strict=true"),
            &admin.token,
            move_body.clone(),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{:?}", refused.body);
    let at: Vec<&str> = refused.body["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["occurrence_starts_at"].as_str().unwrap())
        .collect();
    assert_eq!(at, ["2027-05-05T11:00:00Z", "2027-05-06T11:00:00Z"]);
    let unchanged = app
        .get(&format!("/api/v1/schedule/events/{fifth}"), &admin.token)
        .await;
    assert_eq!(unchanged.body["starts_at"], "2027-05-05T10:00:00Z");
    let moved = app
        .patch(
            &format!("/api/v1/schedule/events/{fifth}?scope=following"),
            &admin.token,
            move_body,
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(moved.body["warnings"].as_array().unwrap().len(), 2);
    assert_eq!(moved.body["warnings"][1]["id"], late.body["id"]);
}
