use serde_json::{Value, json};
use testkit::StatusCode;

use crate::helpers::{new_venue, post_event, set_zone, spawn};

/// Books an event that must succeed; its id.
async fn booked(
    app: &testkit::TestApp,
    user: &testkit::TestUser,
    venue: &str,
    start: &str,
    end: &str,
    extra: Value,
) -> String {
    let r = post_event(app, user, venue, start, end, extra).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn counts_per_day_week_and_month_and_venue_utilisation_follow_the_booked_events() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let other = app.new_theater().await;
    set_zone(&app, &admin, "Europe/Berlin").await;
    // Venue A blocks 30 minutes before and after each event, B nothing.
    let a = new_venue(&app, &admin, 30, 30).await;
    let b = new_venue(&app, &admin, 0, 0).await;
    // The range: Saturday 27 to Monday 29 March 2027; Berlin moves to CEST on Sunday 28th,
    // a 23-hour day. Available hours: 24 + 23 + 24 = 71.
    // Sat 27, 10:00-13:00 CET in A: 3 h + 1 h of buffers.
    booked(
        &app,
        &admin,
        &a,
        "2027-03-27T09:00:00Z",
        "2027-03-27T12:00:00Z",
        json!({}),
    )
    .await;
    // Sun 28, 19:00-22:00 CEST in A, confirmed: 3 h + 1 h.
    booked(
        &app,
        &admin,
        &a,
        "2027-03-28T17:00:00Z",
        "2027-03-28T20:00:00Z",
        json!({"kind": "performance", "status": "confirmed"}),
    )
    .await;
    // Mon 29, 10:00-11:00 in A, then cancelled: counted by status, no hours.
    let cancelled = booked(
        &app,
        &admin,
        &a,
        "2027-03-29T08:00:00Z",
        "2027-03-29T09:00:00Z",
        json!({"kind": "meeting"}),
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
    // Sun 28 all day in B: the 23 hours of that local day.
    let all_day = app
        .post("/api/v1/schedule/events", &admin.token,
            json!({"kind": "maintenance", "title": "Уборка", "venue_id": b, "all_day": true, "start_date": "2027-03-28"}))
        .await;
    assert_eq!(all_day.status, StatusCode::CREATED, "{:?}", all_day.body);
    // Mon 29 23:00 to Tue 02:00 CEST in B: 1 hour inside the range.
    booked(
        &app,
        &admin,
        &b,
        "2027-03-29T21:00:00Z",
        "2027-03-30T00:00:00Z",
        json!({}),
    )
    .await;
    // Tue 30 in A: outside the range.
    booked(
        &app,
        &admin,
        &a,
        "2027-03-30T10:00:00Z",
        "2027-03-30T11:00:00Z",
        json!({}),
    )
    .await;

    let range = "from=2027-03-27&to=2027-03-29";
    let days = app
        .get(
            &format!("/api/v1/schedule/aggregates/events?{range}"),
            &admin.token,
        )
        .await;
    assert_eq!(days.status, StatusCode::OK, "{:?}", days.body);
    assert_eq!(days.body["timezone"], "Europe/Berlin");
    assert_eq!(
        days.body["buckets"],
        json!([
            {"date": "2027-03-27", "total": 1, "by_kind": {"rehearsal": 1}, "by_status": {"planned": 1}},
            {"date": "2027-03-28", "total": 2, "by_kind": {"maintenance": 1, "performance": 1},
             "by_status": {"confirmed": 1, "planned": 1}},
            {"date": "2027-03-29", "total": 2, "by_kind": {"meeting": 1, "rehearsal": 1},
             "by_status": {"cancelled": 1, "planned": 1}},
        ])
    );
    let weeks = app
        .get(
            &format!("/api/v1/schedule/aggregates/events?{range}&period=week"),
            &admin.token,
        )
        .await;
    let totals: Vec<(String, i64)> = weeks.body["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["date"].as_str().unwrap().to_string(),
                b["total"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        totals,
        [("2027-03-22".to_string(), 3), ("2027-03-29".to_string(), 2)],
        "weeks named by their Monday"
    );
    let month = app
        .get(
            &format!("/api/v1/schedule/aggregates/events?{range}&period=month&venue_id={b}"),
            &admin.token,
        )
        .await;
    assert_eq!(month.body["buckets"][0]["date"], "2027-03-01");
    assert_eq!(month.body["buckets"][0]["total"], 2, "B only");

    let usage = app
        .get(
            &format!("/api/v1/schedule/aggregates/venues?{range}"),
            &admin.token,
        )
        .await;
    assert_eq!(usage.status, StatusCode::OK, "{:?}", usage.body);
    let of = |id: &str| {
        usage.body["venues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["venue_id"] == id)
            .unwrap()
            .clone()
    };
    let (va, vb) = (of(&a), of(&b));
    assert_eq!(va["events"], 2);
    assert_eq!(va["booked_hours"], 8.0);
    assert_eq!(va["available_hours"], 71.0);
    assert_eq!(vb["events"], 2);
    assert_eq!(vb["booked_hours"], 24.0);
    let u = vb["utilisation"].as_f64().unwrap();
    assert!((u - 24.0 / 71.0).abs() < 1e-9, "{u}");
    assert_eq!(
        usage.body["venues"].as_array().unwrap().len(),
        6,
        "4 seeded + 2"
    );
    let only = app
        .get(
            &format!("/api/v1/schedule/aggregates/venues?{range}&venue_id={a}"),
            &admin.token,
        )
        .await;
    assert_eq!(only.body["venues"].as_array().unwrap().len(), 1);

    // Another theatre's venue is a 404, no schedule permission a 403, bad ranges 422.
    for path in ["events", "venues"] {
        let url = |q: &str| format!("/api/v1/schedule/aggregates/{path}?{q}");
        let foreign = app
            .get(&url(&format!("{range}&venue_id={a}")), &other.token)
            .await;
        assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{path}");
        let accountant = app.user_with_roles(&admin, &["accountant"]).await;
        assert_eq!(
            app.get(&url(range), &accountant.token).await.status,
            StatusCode::FORBIDDEN
        );
        for bad in [
            "from=2027-03-29&to=2027-03-27",
            "from=2027-01-01&to=2028-01-02",
            "to=2027-01-01",
        ] {
            let r = app.get(&url(bad), &admin.token).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path} {bad}: {:?}",
                r.body
            );
        }
        // Not a date: a 400 like any malformed query value.
        let malformed = app
            .get(&url("from=2027-13-01&to=2027-12-01"), &admin.token)
            .await;
        assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    }
}
