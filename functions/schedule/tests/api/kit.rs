use std::sync::Arc;

use serde_json::json;
use testkit::StatusCode;

use crate::helpers::{event, item, new_venue, performance, post_event, spawn, venue};

#[tokio::test]
async fn two_performances_sharing_a_prop_clash_over_overlapping_shows() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let skull = item(&app, &admin, "Череп Йорика", 1).await;
    let sword = item(&app, &admin, "Шпага", 2).await;
    let hamlet = performance(&app, &admin, "Гамлет", &[(&skull, 1), (&sword, 2)]).await;
    let seagull = performance(&app, &admin, "Чайка", &[(&skull, 1)]).await;
    let stage = venue(&app, &admin, "main-stage").await;
    let small = new_venue(&app, &admin, 0, 0).await;
    let show = post_event(&app, &admin, &stage, "2027-09-01T16:00:00Z", "2027-09-01T19:00:00Z",
        json!({"kind": "performance", "title": "Гамлет", "performance_id": hamlet, "reserve_kit": true})).await;
    assert_eq!(show.status, StatusCode::CREATED, "{:?}", show.body);
    let show_id = show.body["id"].as_str().unwrap().to_string();
    assert_eq!(show.body["reserved_items"].as_array().unwrap().len(), 2);
    // Another production needs the same skull at an overlapping time on another stage.
    let clash = post_event(&app, &admin, &small, "2027-09-01T18:00:00Z", "2027-09-01T21:00:00Z",
        json!({"kind": "performance", "title": "Чайка", "performance_id": seagull, "reserve_kit": true})).await;
    assert_eq!(clash.status, StatusCode::CONFLICT, "{:?}", clash.body);
    assert_eq!(clash.body["reason"], "item_reserved");
    assert_eq!(clash.body["conflicts"][0]["id"], show_id.as_str());
    assert_eq!(clash.body["conflicts"][0]["item_id"], skull.as_str());
    assert_eq!(clash.body["conflicts"][0]["title"], "Гамлет");
    let events: i64 = app
        .db()
        .await
        .query_one("SELECT count(*) FROM events", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(events, 1, "the refused show was not written");
    // The next day it fits, and the skull's calendar shows both bookings.
    let later = post_event(&app, &admin, &small, "2027-09-02T16:00:00Z", "2027-09-02T19:00:00Z",
        json!({"kind": "performance", "title": "Чайка", "performance_id": seagull, "reserve_kit": true})).await;
    assert_eq!(later.status, StatusCode::CREATED, "{:?}", later.body);
    let bookings = app
        .get(
            &format!("/api/v1/schedule/items/{skull}/reservations?from=2027-01-01T00:00:00Z"),
            &admin.token,
        )
        .await;
    assert_eq!(bookings.status, StatusCode::OK, "{:?}", bookings.body);
    let titles: Vec<&str> = bookings.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Гамлет", "Чайка"]);
    // Reserving the skull by hand for an overlapping rehearsal is the same clash.
    let rehearsal = event(
        &app,
        &admin,
        &small,
        "2027-09-01T10:00:00Z",
        "2027-09-01T17:00:00Z",
    )
    .await;
    let by_hand = app
        .post(
            &format!("/api/v1/schedule/events/{rehearsal}/reservations"),
            &admin.token,
            json!({"item_id": skull}),
        )
        .await;
    assert_eq!(by_hand.status, StatusCode::CONFLICT, "{:?}", by_hand.body);
    assert_eq!(by_hand.body["conflicts"][0]["id"], show_id.as_str());
    // Cancelling the show frees the skull.
    let cancel = app
        .patch(
            &format!("/api/v1/schedule/events/{show_id}"),
            &admin.token,
            json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(cancel.status, StatusCode::OK);
    let by_hand = app
        .post(
            &format!("/api/v1/schedule/events/{rehearsal}/reservations"),
            &admin.token,
            json!({"item_id": skull}),
        )
        .await;
    assert_eq!(by_hand.status, StatusCode::CREATED, "{:?}", by_hand.body);
    // ... and un-cancelling the show now clashes on the skull.
    let back = app
        .patch(
            &format!("/api/v1/schedule/events/{show_id}"),
            &admin.token,
            json!({"status": "planned"}),
        )
        .await;
    assert_eq!(back.status, StatusCode::CONFLICT, "{:?}", back.body);
    assert_eq!(back.body["reason"], "item_reserved");
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_concurrent_part_reservations_never_exceed_the_quantity() {
    let app = Arc::new(spawn().await);
    let admin = app.new_theater().await;
    let glasses = item(&app, &admin, "Бокалы", 10).await;
    let mut events = Vec::new();
    for _ in 0..20 {
        let v = new_venue(&app, &admin, 0, 0).await;
        // Twenty events all overlapping 18:00-19:00, each wanting one to three glasses.
        events.push(
            event(
                &app,
                &admin,
                &v,
                "2027-10-01T16:00:00Z",
                "2027-10-01T19:00:00Z",
            )
            .await,
        );
    }
    let mut tasks = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let (app, admin, e, glasses) = (app.clone(), admin.clone(), e.clone(), glasses.clone());
        let quantity = 1 + (i % 3) as i32;
        tasks.push(tokio::spawn(async move {
            let r = app
                .post(
                    &format!("/api/v1/schedule/events/{e}/reservations"),
                    &admin.token,
                    json!({"item_id": glasses, "quantity": quantity}),
                )
                .await;
            (r.status, quantity)
        }));
    }
    let mut reserved = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            (StatusCode::CREATED, q) => reserved += q,
            (StatusCode::CONFLICT, _) => refused += 1,
            (other, _) => panic!("unexpected {other}"),
        }
    }
    assert!(reserved <= 10, "{reserved} glasses reserved");
    assert!(reserved >= 8, "the item filled up: {reserved}");
    assert!(refused > 0);
    let stored: i64 = app
        .db()
        .await
        .query_one(
            "SELECT coalesce(sum(quantity), 0) FROM event_reservations",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, reserved as i64);
}

#[tokio::test]
async fn items_in_repair_cannot_be_reserved_and_items_are_tenant_scoped() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let other = app.new_theater().await;
    let lamp = item(&app, &admin, "Прожектор", 1).await;
    let repair = app
        .post(
            &format!("/api/v1/inventory/items/{lamp}/movements"),
            &admin.token,
            json!({"kind": "repair_start"}),
        )
        .await;
    assert_eq!(repair.status, StatusCode::CREATED, "{:?}", repair.body);
    let hall = venue(&app, &admin, "rehearsal-hall").await;
    let reply = post_event(
        &app,
        &admin,
        &hall,
        "2027-11-01T10:00:00Z",
        "2027-11-01T12:00:00Z",
        json!({"items": [{"item_id": lamp, "quantity": 1}]}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{:?}", reply.body);
    assert_eq!(reply.body["current_status"], "in_repair");
    // Another theatre's item is unknown here.
    let foreign = item(&app, &other, "Чужой", 1).await;
    let reply = post_event(
        &app,
        &admin,
        &hall,
        "2027-11-01T10:00:00Z",
        "2027-11-01T12:00:00Z",
        json!({"items": [{"item_id": foreign}]}),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        reply.body
    );
    let bookings = app
        .get(
            &format!("/api/v1/schedule/items/{foreign}/reservations"),
            &admin.token,
        )
        .await;
    assert_eq!(bookings.status, StatusCode::NOT_FOUND);
    let e = event(
        &app,
        &admin,
        &hall,
        "2027-11-02T10:00:00Z",
        "2027-11-02T12:00:00Z",
    )
    .await;
    let list = app
        .get(
            &format!("/api/v1/schedule/events/{e}/reservations"),
            &other.token,
        )
        .await;
    assert_eq!(list.status, StatusCode::NOT_FOUND);
}
