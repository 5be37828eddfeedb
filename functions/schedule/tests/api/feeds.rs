use std::collections::HashMap;
use std::io::BufReader;

use serde_json::json;
use testkit::{StatusCode, TestApp};

use crate::helpers::{event, new_venue, performance, post_event, spawn};

/// The feed at `path` as text (any status).
async fn fetch(app: &TestApp, path: &str) -> (StatusCode, String, Option<String>) {
    let r = app.http.get(app.url(path)).send().await.unwrap();
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, r.text().await.unwrap(), ct)
}

/// A property's value and parameters.
type Prop = (String, Vec<(String, Vec<String>)>);

/// The VEVENTs of an iCalendar text, read by the independent `ical` parser: per event, its
/// properties by name (value and parameters).
fn parse(text: &str) -> Vec<HashMap<String, Prop>> {
    let mut calendars = ical::IcalParser::new(BufReader::new(text.as_bytes()));
    let calendar = calendars.next().expect("one calendar").expect("parses");
    assert!(calendars.next().is_none());
    calendar
        .events
        .into_iter()
        .map(|e| {
            e.properties
                .into_iter()
                .map(|p| {
                    (
                        p.name,
                        (p.value.unwrap_or_default(), p.params.unwrap_or_default()),
                    )
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn a_venue_feed_parses_back_field_by_field_and_a_revoked_token_is_a_404() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let other = app.new_theater().await;
    let v = new_venue(&app, &admin, 0, 0).await;
    let show = event(
        &app,
        &admin,
        &v,
        "2027-05-10T16:00:00Z",
        "2027-05-10T19:00:00Z",
    )
    .await;
    let cancelled = event(
        &app,
        &admin,
        &v,
        "2027-05-11T16:00:00Z",
        "2027-05-11T19:00:00Z",
    )
    .await;
    let c = app
        .patch(
            &format!("/api/v1/schedule/events/{cancelled}"),
            &admin.token,
            json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(c.status, StatusCode::OK);
    let all_day = app
        .post("/api/v1/schedule/events", &admin.token,
            json!({"kind": "maintenance", "title": "Уборка; сцена, \"большая\"", "venue_id": v, "all_day": true, "start_date": "2027-05-12"}))
        .await;
    assert_eq!(all_day.status, StatusCode::CREATED);
    let token = app
        .post(
            "/api/v1/schedule/calendar/tokens",
            &admin.token,
            json!({"name": "Телефон"}),
        )
        .await;
    assert_eq!(token.status, StatusCode::CREATED, "{:?}", token.body);
    let secret = token.body["token"].as_str().unwrap().to_string();
    let path = format!("/api/v1/schedule/calendar/venues/{v}.ics?token={secret}");
    let (status, text, ct) = fetch(&app, &path).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(ct.as_deref(), Some("text/calendar; charset=utf-8"));
    assert!(text.contains("\r\n"), "CRLF line ends");
    let events = parse(&text);
    assert_eq!(events.len(), 3);
    let by_uid = |id: &str| {
        events
            .iter()
            .find(|e| e["UID"].0 == format!("{id}@theatre-management-system"))
            .unwrap_or_else(|| panic!("UID of {id}"))
    };
    let s = by_uid(&show);
    assert_eq!(s["DTSTART"].0, "20270510T160000Z");
    assert_eq!(s["DTEND"].0, "20270510T190000Z");
    assert_eq!(s["SUMMARY"].0, "Репетиция");
    assert_eq!(s["SEQUENCE"].0, "1");
    assert_eq!(s["STATUS"].0, "TENTATIVE");
    assert_eq!(s["LOCATION"].0, "Малая сцена");
    let c = by_uid(&cancelled);
    assert_eq!(c["STATUS"].0, "CANCELLED");
    assert_eq!(c["SEQUENCE"].0, "2", "bumped by the change");
    let a = by_uid(all_day.body["id"].as_str().unwrap());
    assert_eq!(a["DTSTART"].0, "20270512");
    assert_eq!(
        a["DTSTART"].1,
        vec![("VALUE".to_string(), vec!["DATE".to_string()])]
    );
    assert_eq!(a["DTEND"].0, "20270513");
    assert_eq!(
        a["SUMMARY"].0, "Уборка\\; сцена\\, \"большая\"",
        "escaped per RFC 5545"
    );
    // Another theatre's venue, a wrong token, no token: all 404.
    let (status, ..) = fetch(
        &app,
        &format!("/api/v1/schedule/calendar/venues/{v}.ics?token=nonsense"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, ..) = fetch(&app, &format!("/api/v1/schedule/calendar/venues/{v}.ics")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let foreign = app
        .post("/api/v1/schedule/calendar/tokens", &other.token, json!({}))
        .await;
    let foreign = foreign.body["token"].as_str().unwrap();
    let (status, ..) = fetch(
        &app,
        &format!("/api/v1/schedule/calendar/venues/{v}.ics?token={foreign}"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Revoked: 404 from then on.
    let id = token.body["id"].as_str().unwrap();
    assert_eq!(
        app.delete(
            &format!("/api/v1/schedule/calendar/tokens/{id}"),
            &other.token
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(
            &format!("/api/v1/schedule/calendar/tokens/{id}"),
            &admin.token
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    let (status, ..) = fetch(&app, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn personal_and_performance_feeds_and_the_size_of_five_hundred_events() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let actor = app.user_with_roles(&admin, &["performer"]).await;
    let play = performance(&app, &admin, "Три сестры", &[]).await;
    let v = new_venue(&app, &admin, 0, 0).await;
    let now = chrono::Utc::now();
    let start = (now + chrono::Duration::days(1))
        .format("%Y-%m-%dT10:00:00Z")
        .to_string();
    let end = (now + chrono::Duration::days(1))
        .format("%Y-%m-%dT12:00:00Z")
        .to_string();
    let series = post_event(
        &app,
        &admin,
        &v,
        &start,
        &end,
        json!({"kind": "performance", "title": "Три сестры", "performance_id": play,
               "recurrence": {"rrule": "FREQ=DAILY;COUNT=365"}}),
    )
    .await;
    assert_eq!(series.status, StatusCode::CREATED, "{:?}", series.body);
    let first = series.body["id"].as_str().unwrap();
    let invite = app
        .post(
            &format!("/api/v1/schedule/events/{first}/participants"),
            &admin.token,
            json!({"user_id": actor.user_id}),
        )
        .await;
    assert_eq!(invite.status, StatusCode::CREATED);
    let token = app
        .post("/api/v1/schedule/calendar/tokens", &actor.token, json!({}))
        .await;
    let secret = token.body["token"].as_str().unwrap();
    let (status, text, _) = fetch(
        &app,
        &format!("/api/v1/schedule/calendar/me.ics?token={secret}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let mine = parse(&text);
    assert_eq!(mine.len(), 1);
    assert_eq!(
        mine[0]["UID"].0,
        format!("{first}@theatre-management-system")
    );
    let (status, text, _) = fetch(
        &app,
        &format!("/api/v1/schedule/calendar/performances/{play}.ics?token={secret}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(parse(&text).len(), 365);
    // 135 more on another venue's feed make 500 in the performance feed.
    let more = post_event(
        &app,
        &admin,
        &new_venue(&app, &admin, 0, 0).await,
        &start,
        &end,
        json!({"kind": "performance", "title": "Три сестры (гастроли)", "performance_id": play,
               "recurrence": {"rrule": "FREQ=DAILY;COUNT=135"}}),
    )
    .await;
    assert_eq!(more.status, StatusCode::CREATED, "{:?}", more.body);
    let (_, text, _) = fetch(
        &app,
        &format!("/api/v1/schedule/calendar/performances/{play}.ics?token={secret}"),
    )
    .await;
    assert_eq!(parse(&text).len(), 500);
    println!("FIGURE feed with 500 events: {} bytes", text.len());
    let (status, ..) = fetch(
        &app,
        &format!(
            "/api/v1/schedule/calendar/performances/{}.ics?token={secret}",
            uuid::Uuid::new_v4()
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[test]
fn the_feeds_are_documented_with_their_id_and_token_and_no_bearer() {
    let doc = serde_json::to_value(schedule::openapi()).unwrap();
    for path in [
        "/api/v1/schedule/calendar/venues/{id}.ics",
        "/api/v1/schedule/calendar/performances/{id}.ics",
        "/api/v1/schedule/calendar/me.ics",
    ] {
        let op = &doc["paths"][path]["get"];
        assert!(op.is_object(), "{path} documented");
        assert!(op["security"].is_null(), "{path}: no bearer");
        let names: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"token"), "{path}: {names:?}");
        assert_eq!(
            names.contains(&"id"),
            path.contains("{id}"),
            "{path}: {names:?}"
        );
        assert!(!names.contains(&"file"), "{path}: {names:?}");
        assert!(
            op["responses"]["200"]["content"]["text/calendar"].is_object(),
            "{path}"
        );
    }
}
