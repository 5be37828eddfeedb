use std::collections::HashMap;
use std::io::BufReader;

use serde_json::json;
use testkit::{StatusCode, TestApp};

use crate::helpers::{event, new_venue, performance, post_event, set_zone, spawn};

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

/// Every property named `name` in any VEVENT (value, parameters), in order: EXDATE and
/// friends may repeat.
fn all(text: &str, name: &str) -> Vec<Prop> {
    let mut calendars = ical::IcalParser::new(BufReader::new(text.as_bytes()));
    let calendar = calendars.next().expect("one calendar").expect("parses");
    calendar
        .events
        .into_iter()
        .flat_map(|e| e.properties)
        .filter(|p| p.name == name)
        .map(|p| (p.value.unwrap_or_default(), p.params.unwrap_or_default()))
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
    // Invited to one occurrence of a daily series: the series folded, every other day an EXDATE.
    let series_id = series.body["series_id"].as_str().unwrap();
    let mine = parse(&text);
    assert_eq!(mine.len(), 1);
    assert_eq!(
        mine[0]["UID"].0,
        format!("{series_id}@theatre-management-system")
    );
    assert_eq!(mine[0]["RRULE"].0, "FREQ=DAILY;COUNT=365");
    assert_eq!(all(&text, "EXDATE").len(), 364);
    let (status, text, _) = fetch(
        &app,
        &format!("/api/v1/schedule/calendar/performances/{play}.ics?token={secret}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(parse(&text).len(), 1, "365 occurrences, one VEVENT");
    assert!(all(&text, "EXDATE").is_empty());
    // 135 more on another venue make 500 occurrences in two VEVENTs.
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
    let folded = parse(&text);
    assert_eq!(folded.len(), 2);
    let rules: Vec<&str> = folded.iter().map(|e| e["RRULE"].0.as_str()).collect();
    assert!(rules.contains(&"FREQ=DAILY;COUNT=135"), "{rules:?}");
    println!(
        "FIGURE feed with 500 occurrences in two series: {} bytes",
        text.len()
    );
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

/// A property's value and parameters as (`TZID`, value) for the checks below.
fn tzid(prop: &Prop) -> Option<&str> {
    prop.1
        .iter()
        .find(|(k, _)| k == "TZID")
        .and_then(|(_, v)| v.first())
        .map(String::as_str)
}

#[tokio::test]
async fn a_berlin_series_is_folded_with_rrule_exdate_overrides_and_a_vtimezone() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    set_zone(&app, &admin, "Europe/Berlin").await;
    let v = new_venue(&app, &admin, 0, 0).await;
    // Tuesdays 19:00-21:00 Berlin from 16 March 2027 (CET, UTC+1); DST starts on 28 March.
    let reply = post_event(
        &app,
        &admin,
        &v,
        "2027-03-16T18:00:00Z",
        "2027-03-16T20:00:00Z",
        json!({"title": "Репетиция", "recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=6"}}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let series = reply.body["series_id"].as_str().unwrap().to_string();
    let occ: Vec<(String, String)> = reply.body["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap().to_string(),
                o["starts_at"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(occ[2].1, "2027-03-30T17:00:00Z", "19:00 CEST");
    let path = |i: usize| format!("/api/v1/schedule/events/{}?scope=this", occ[i].0);
    assert_eq!(
        app.delete(&path(1), &admin.token).await.status,
        StatusCode::NO_CONTENT
    );
    let moved = app
        .patch(
            &path(3),
            &admin.token,
            json!({"title": "Прогон", "starts_at": "2027-04-06T18:00:00Z"}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    let cancelled = app
        .patch(&path(4), &admin.token, json!({"status": "cancelled"}))
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    let token = app
        .post("/api/v1/schedule/calendar/tokens", &admin.token, json!({}))
        .await;
    let feed = format!(
        "/api/v1/schedule/calendar/venues/{v}.ics?token={}",
        token.body["token"].as_str().unwrap()
    );
    let (status, text, _) = fetch(&app, &feed).await;
    assert_eq!(status, StatusCode::OK, "{text}");

    // The zone, as an independent parser reads it.
    let mut calendars = ical::IcalParser::new(BufReader::new(text.as_bytes()));
    let calendar = calendars.next().unwrap().unwrap();
    assert_eq!(calendar.timezones.len(), 1);
    let zone = &calendar.timezones[0];
    let value = |props: &[ical::property::Property], name: &str| {
        props
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap_or_default()
    };
    assert_eq!(value(&zone.properties, "TZID"), "Europe/Berlin");
    let spring = zone
        .transitions
        .iter()
        .find(|t| value(&t.properties, "DTSTART") == "20270328T020000")
        .expect("the 2027 spring change");
    assert!(matches!(
        spring.transition,
        ical::parser::ical::component::IcalTimeZoneTransitionType::DAYLIGHT
    ));
    assert_eq!(value(&spring.properties, "TZOFFSETFROM"), "+0100");
    assert_eq!(value(&spring.properties, "TZOFFSETTO"), "+0200");

    // One UID for the series: the master and two overrides.
    let events = parse(&text);
    let uid = format!("{series}@theatre-management-system");
    let mine: Vec<&HashMap<String, Prop>> = events.iter().filter(|e| e["UID"].0 == uid).collect();
    assert_eq!(mine.len(), 3, "{text}");
    let master = mine
        .iter()
        .find(|e| !e.contains_key("RECURRENCE-ID"))
        .unwrap();
    assert_eq!(master["DTSTART"].0, "20270316T190000");
    assert_eq!(tzid(&master["DTSTART"]), Some("Europe/Berlin"));
    assert_eq!(master["DTEND"].0, "20270316T210000");
    assert_eq!(master["RRULE"].0, "FREQ=WEEKLY;COUNT=6;BYDAY=TU");
    assert_eq!(master["STATUS"].0, "TENTATIVE");
    assert_eq!(master["SUMMARY"].0, "Репетиция");
    assert_eq!(master["SEQUENCE"].0, "4", "three changes to the series");
    let exdates = all(&text, "EXDATE");
    assert_eq!(exdates.len(), 1);
    assert_eq!(exdates[0].0, "20270323T190000");
    assert_eq!(tzid(&exdates[0]), Some("Europe/Berlin"));
    let by_rid = |rid: &str| {
        mine.iter()
            .find(|e| e.get("RECURRENCE-ID").is_some_and(|r| r.0 == rid))
            .unwrap_or_else(|| panic!("override {rid}: {text}"))
    };
    let edited = by_rid("20270406T190000");
    assert_eq!(tzid(&edited["RECURRENCE-ID"]), Some("Europe/Berlin"));
    assert_eq!(edited["DTSTART"].0, "20270406T200000");
    assert_eq!(edited["SUMMARY"].0, "Прогон");
    let off = by_rid("20270413T190000");
    assert_eq!(off["STATUS"].0, "CANCELLED");
    assert_eq!(off["SEQUENCE"].0, "4");

    // Expanded from the parsed feed alone, the rule keeps 19:00 Berlin across the DST change
    // and gives exactly the stored occurrences that were not edited on their own.
    let set: rrule::RRuleSet = format!(
        "DTSTART;TZID=Europe/Berlin:{}\nRRULE:{}\nEXDATE;TZID=Europe/Berlin:{}",
        master["DTSTART"].0, master["RRULE"].0, exdates[0].0
    )
    .parse()
    .expect("the feed's rule parses");
    let expanded = set.all(100).dates;
    assert_eq!(expanded.len(), 5);
    for d in &expanded {
        assert_eq!(d.format("%H:%M").to_string(), "19:00", "{d}");
    }
    let utc: Vec<String> = expanded
        .iter()
        .map(|d| {
            d.with_timezone(&chrono::Utc)
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        })
        .collect();
    for i in [0, 2] {
        assert!(utc.contains(&occ[i].1), "{} in {utc:?}", occ[i].1);
    }
    assert_eq!(utc[0], "2027-03-16T18:00:00Z", "CET");
    assert_eq!(utc[1], "2027-03-30T17:00:00Z", "CEST");

    // Any change bumps the SEQUENCE again.
    let again = app
        .patch(&path(0), &admin.token, json!({"notes": "свет"}))
        .await;
    assert_eq!(again.status, StatusCode::OK);
    let (_, text, _) = fetch(&app, &feed).await;
    let seq: Vec<String> = parse(&text)
        .iter()
        .filter(|e| e["UID"].0 == uid)
        .map(|e| e["SEQUENCE"].0.clone())
        .collect();
    assert!(seq.iter().all(|s| s == "5"), "{seq:?}");
}

#[tokio::test]
async fn an_all_day_series_is_folded_with_dates_only() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let v = new_venue(&app, &admin, 0, 0).await;
    // Mondays, all day (Moscow), no end given: bounded to two years when stored.
    let reply = app
        .post("/api/v1/schedule/events", &admin.token,
            json!({"kind": "maintenance", "title": "Санитарный день", "venue_id": v, "all_day": true,
                   "start_date": "2027-03-01", "recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=MO"}}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let occurrences = reply.body["occurrences"].as_array().unwrap();
    let last = occurrences.last().unwrap()["starts_at"].as_str().unwrap();
    let second = occurrences[1]["id"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/api/v1/schedule/events/{second}"), &admin.token)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let token = app
        .post("/api/v1/schedule/calendar/tokens", &admin.token, json!({}))
        .await;
    let (status, text, _) = fetch(
        &app,
        &format!(
            "/api/v1/schedule/calendar/venues/{v}.ics?token={}",
            token.body["token"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let events = parse(&text);
    assert_eq!(events.len(), 1, "{text}");
    let date = vec![("VALUE".to_string(), vec!["DATE".to_string()])];
    assert_eq!(events[0]["DTSTART"].0, "20270301");
    assert_eq!(events[0]["DTSTART"].1, date);
    assert_eq!(events[0]["DTEND"].0, "20270302");
    // The last Monday's local date, as a DATE like DTSTART (the stored start is the UTC
    // instant of its local midnight, 21:00 the day before).
    let last_day = chrono::DateTime::parse_from_rfc3339(last).unwrap() + chrono::Duration::hours(3);
    assert_eq!(
        events[0]["RRULE"].0,
        format!("FREQ=WEEKLY;UNTIL={};BYDAY=MO", last_day.format("%Y%m%d"))
    );
    let exdates = all(&text, "EXDATE");
    assert_eq!(exdates.len(), 1);
    assert_eq!(exdates[0].0, "20270308");
    assert_eq!(exdates[0].1, date);
}
