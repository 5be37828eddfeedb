use chrono::{DateTime, Timelike, Utc};
use serde_json::json;
use testkit::StatusCode;

use crate::helpers::{
    event, item, new_venue, performance, post_event, set_zone, spawn, stored_rule,
};

#[tokio::test]
async fn a_weekly_series_whose_fifth_occurrence_clashes_is_refused_naming_it() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let v = new_venue(&app, &admin, 0, 0).await;
    // Tuesdays 2027-01-05 ... ; the fifth is 2027-02-02 (Moscow, UTC+3: 10:00 local = 07:00Z).
    let blocker = event(
        &app,
        &admin,
        &v,
        "2027-02-02T08:00:00Z",
        "2027-02-02T09:00:00Z",
    )
    .await;
    let reply = post_event(
        &app,
        &admin,
        &v,
        "2027-01-05T07:00:00Z",
        "2027-01-05T10:00:00Z",
        json!({"recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=10"}}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{:?}", reply.body);
    assert_eq!(reply.body["occurrence"]["index"], 4);
    assert_eq!(
        reply.body["occurrence"]["starts_at"],
        "2027-02-02T07:00:00Z"
    );
    assert_eq!(reply.body["conflicts"][0]["id"], blocker.as_str());
    let count: i64 = app
        .db()
        .await
        .query_one("SELECT count(*) FROM events", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 1, "nothing of the series was written");
    // Leaving that Tuesday out makes the series fit.
    let reply = post_event(&app, &admin, &v, "2027-01-05T07:00:00Z", "2027-01-05T10:00:00Z",
        json!({"recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=10", "exdates": ["2027-02-02"]}})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["occurrences"].as_array().unwrap().len(), 9);
    let unbounded = post_event(
        &app,
        &admin,
        &v,
        "2028-01-05T07:00:00Z",
        "2028-01-05T08:00:00Z",
        json!({"recurrence": {"rrule": "FREQ=DAILY"}}),
    )
    .await;
    assert_eq!(
        unbounded.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        unbounded.body
    );
    let garbage = post_event(
        &app,
        &admin,
        &v,
        "2028-01-05T07:00:00Z",
        "2028-01-05T08:00:00Z",
        json!({"recurrence": {"rrule": "FREQ=NEVER"}}),
    )
    .await;
    assert_eq!(garbage.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_weekly_rehearsal_keeps_its_local_time_across_the_dst_change_in_berlin() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    set_zone(&app, &admin, "Europe/Berlin").await;
    let v = new_venue(&app, &admin, 0, 0).await;
    // 19:00 CEST on Tuesday 2026-10-20 is 17:00Z; DST ends on Sunday 2026-10-25.
    let reply = post_event(
        &app,
        &admin,
        &v,
        "2026-10-20T17:00:00Z",
        "2026-10-20T20:00:00Z",
        json!({"recurrence": {"rrule": "FREQ=WEEKLY;COUNT=4"}}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let occurrences = reply.body["occurrences"].as_array().unwrap();
    let starts: Vec<DateTime<Utc>> = occurrences
        .iter()
        .map(|o| o["starts_at"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(starts[0].hour(), 17);
    assert_eq!(
        starts[1].to_rfc3339(),
        "2026-10-27T18:00:00+00:00",
        "19:00 CET"
    );
    for s in &starts[1..] {
        assert_eq!(s.with_timezone(&chrono_tz_berlin()).hour(), 19);
    }
}

fn chrono_tz_berlin() -> chrono::FixedOffset {
    // After the change Berlin is UTC+1 for the occurrences checked past the first.
    chrono::FixedOffset::east_opt(3600).unwrap()
}

#[tokio::test]
async fn this_and_following_edits_move_the_rest_of_the_series() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let v = new_venue(&app, &admin, 0, 0).await;
    let reply = post_event(
        &app,
        &admin,
        &v,
        "2027-03-01T07:00:00Z",
        "2027-03-01T09:00:00Z",
        json!({"recurrence": {"rrule": "FREQ=DAILY;COUNT=5"}}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let ids: Vec<String> = reply.body["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    let only = app
        .patch(
            &format!("/api/v1/schedule/events/{}?scope=this", ids[1]),
            &admin.token,
            json!({"title": "Прогон"}),
        )
        .await;
    assert_eq!(only.status, StatusCode::OK, "{:?}", only.body);
    let moved = app
        .patch(
            &format!("/api/v1/schedule/events/{}?scope=following", ids[2]),
            &admin.token,
            json!({"starts_at": "2027-03-03T08:00:00Z", "ends_at": "2027-03-03T10:00:00Z"}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    // The series is split: the original keeps the first two, a new one carries the edit.
    let series = reply.body["series_id"].as_str().unwrap();
    let split = moved.body["series_id"].as_str().unwrap();
    assert_ne!(split, series);
    let listed = |id: &str| {
        let app = &app;
        let token = admin.token.clone();
        let id = id.to_string();
        async move {
            let list = app
                .get(&format!("/api/v1/schedule/events?from=2027-03-01T00:00:00Z&to=2027-03-10T00:00:00Z&series_id={id}"), &token)
                .await;
            list.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        e["starts_at"].as_str().unwrap().to_string(),
                        e["recurrence_id"].as_str().unwrap().to_string(),
                        e["title"].as_str().unwrap().to_string(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let before = listed(series).await;
    let starts: Vec<&str> = before.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(starts, ["2027-03-01T07:00:00Z", "2027-03-02T07:00:00Z"]);
    assert_eq!(before[1].2, "Прогон");
    assert_eq!(before[0].2, "Репетиция");
    let after = listed(split).await;
    let starts: Vec<&str> = after.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        starts,
        [
            "2027-03-03T08:00:00Z",
            "2027-03-04T08:00:00Z",
            "2027-03-05T08:00:00Z"
        ]
    );
    for (start, rid, _) in &after {
        assert_eq!(start, rid, "the new series' rule gives these starts");
    }
    // The feed shows two series: the original rule ends before the cut, the new one starts there.
    let token = app
        .post("/api/v1/schedule/calendar/tokens", &admin.token, json!({}))
        .await;
    let feed = app
        .http
        .get(app.url(&format!(
            "/api/v1/schedule/calendar/venues/{v}.ics?token={}",
            token.body["token"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut parsed = ical::IcalParser::new(std::io::BufReader::new(feed.as_bytes()));
    let events = parsed.next().unwrap().unwrap().events;
    let prop = |e: &ical::parser::ical::component::IcalEvent, name: &str| {
        e.properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap_or_default()
    };
    let masters: Vec<(String, String, String)> = events
        .iter()
        .filter(|e| !prop(e, "RRULE").is_empty())
        .map(|e| (prop(e, "UID"), prop(e, "DTSTART"), prop(e, "RRULE")))
        .collect();
    assert_eq!(masters.len(), 2, "{feed}");
    let of = |id: &str| {
        masters
            .iter()
            .find(|m| m.0 == format!("{id}@theatre-management-system"))
            .unwrap_or_else(|| panic!("{id} in {feed}"))
            .clone()
    };
    // Moscow (UTC+3) local times.
    assert_eq!(
        of(series),
        (
            format!("{series}@theatre-management-system"),
            "20270301T100000".to_string(),
            "FREQ=DAILY;COUNT=2".to_string()
        )
    );
    assert_eq!(of(split).1, "20270303T110000");
    assert_eq!(of(split).2, "FREQ=DAILY;COUNT=3");
    let gone = app
        .delete(
            &format!("/api/v1/schedule/events/{}?scope=following", ids[3]),
            &admin.token,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(listed(split).await.len(), 1);
    assert_eq!(listed(series).await.len(), 2);
    // Deleting "this and following" ends the rule there rather than listing exceptions.
    let rule = stored_rule(&app, split).await.unwrap();
    assert_eq!(rule, "FREQ=DAILY;COUNT=1");
}

#[tokio::test]
async fn a_following_edit_from_the_first_occurrence_replaces_the_series_and_keeps_weekdays() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let v = new_venue(&app, &admin, 0, 0).await;
    // Mondays and Wednesdays 10:00 Moscow, moved a day later: Tuesdays and Thursdays.
    let reply = post_event(
        &app,
        &admin,
        &v,
        "2027-03-01T07:00:00Z",
        "2027-03-01T09:00:00Z",
        json!({"recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4"}}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let first = reply.body["id"].as_str().unwrap();
    let moved = app
        .patch(
            &format!("/api/v1/schedule/events/{first}?scope=following"),
            &admin.token,
            json!({"starts_at": "2027-03-02T07:00:00Z"}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    let series = moved.body["series_id"].as_str().unwrap();
    assert_ne!(series, reply.body["series_id"].as_str().unwrap());
    assert_eq!(
        stored_rule(&app, reply.body["series_id"].as_str().unwrap()).await,
        None,
        "nothing of the old series is left"
    );
    let rule = stored_rule(&app, series).await.unwrap();
    assert_eq!(rule, "FREQ=WEEKLY;COUNT=4;BYDAY=TU,TH");
}

/// The figure the issue asks for: a 52-week series with a 30-item kit, booked in one request.
#[tokio::test]
async fn booking_a_year_of_weekly_shows_with_a_thirty_item_kit() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let mut kit = Vec::new();
    for i in 0..30 {
        kit.push(item(&app, &admin, &format!("Реквизит {i}"), 3).await);
    }
    let lines: Vec<(&str, i32)> = kit.iter().map(|k| (k.as_str(), 1)).collect();
    let show = performance(&app, &admin, "Вишнёвый сад", &lines).await;
    let v = new_venue(&app, &admin, 60, 30).await;
    let started = std::time::Instant::now();
    let reply = post_event(&app, &admin, &v, "2027-01-08T16:00:00Z", "2027-01-08T19:00:00Z",
        json!({"kind": "performance", "title": "Вишнёвый сад", "performance_id": show, "reserve_kit": true,
               "recurrence": {"rrule": "FREQ=WEEKLY;COUNT=52"}})).await;
    let took = started.elapsed();
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["occurrences"].as_array().unwrap().len(), 52);
    let reserved: i64 = app
        .db()
        .await
        .query_one("SELECT count(*) FROM event_reservations", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(reserved, 52 * 30);
    println!(
        "FIGURE book 52-week series with 30-item kit: {} ms",
        took.as_millis()
    );
    // A second production wanting all the pieces of one item at one show clashes.
    let greedy = performance(&app, &admin, "Жадный", &[(kit[0].as_str(), 3)]).await;
    let other = new_venue(&app, &admin, 0, 0).await;
    let clash = post_event(&app, &admin, &other, "2027-03-05T17:00:00Z", "2027-03-05T18:00:00Z",
        json!({"kind": "performance", "title": "Жадный", "performance_id": greedy, "reserve_kit": true})).await;
    assert_eq!(clash.status, StatusCode::CONFLICT, "{:?}", clash.body);
}
