//! Свой цех: a department head edits and moves only items of their departments' categories.

use serde_json::json;
use testkit::{StatusCode, TestApp, TestUser};

use crate::helpers::{category, item, location, movement, spawn};

async fn department(app: &TestApp, admin: &TestUser, code: &str) -> String {
    let list = app.get("/api/v1/departments", &admin.token).await;
    list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == code)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_department_head_edits_and_moves_only_their_departments_items() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let head = app.user_with_roles(&admin, &["department_head"]).await;
    let props_dep = department(&app, &admin, "props").await;
    let made_head = app
        .patch(
            &format!("/api/v1/departments/{props_dep}"),
            &admin.token,
            json!({ "head_id": head.user_id }),
        )
        .await;
    assert_eq!(made_head.status, StatusCode::OK, "{:?}", made_head.body);
    // `/auth/me` tells the front end the limit: the head's departments, null for the admin.
    let me = app.get("/api/v1/auth/me", &head.token).await;
    assert_eq!(
        me.body["inventory_departments"],
        json!([props_dep]),
        "{:?}",
        me.body
    );
    let me = app.get("/api/v1/auth/me", &admin.token).await;
    assert!(me.body["inventory_departments"].is_null(), "{:?}", me.body);

    let props = category(&app, &admin, "props").await;
    let costumes = category(&app, &admin, "costumes").await;
    let stage = location(&app, &admin, "stage").await;
    let own = item(&app, &admin, json!({ "category_id": props })).await;
    let foreign = item(&app, &admin, json!({ "category_id": costumes })).await;
    let own_id = own["id"].as_str().unwrap();
    let foreign_id = foreign["id"].as_str().unwrap();

    // Edit.
    let ok = app
        .patch(
            &format!("/api/v1/inventory/items/{own_id}"),
            &head.token,
            json!({ "name": "Кубок" }),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    let denied = app
        .patch(
            &format!("/api/v1/inventory/items/{foreign_id}"),
            &head.token,
            json!({ "name": "Кубок" }),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    // Nor can they pull someone else's item into their category, or push theirs out.
    let moved_out = app
        .patch(
            &format!("/api/v1/inventory/items/{own_id}"),
            &head.token,
            json!({ "category_id": costumes }),
        )
        .await;
    assert_eq!(moved_out.status, StatusCode::FORBIDDEN);

    // Move.
    let transfer = json!({ "kind": "transfer", "to_location_id": stage });
    assert_eq!(
        movement(&app, &head, own_id, transfer.clone()).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        movement(&app, &head, foreign_id, transfer).await.status,
        StatusCode::FORBIDDEN
    );
    let reserve = json!({ "kind": "reserve", "holder_user_id": head.user_id });
    assert_eq!(
        movement(&app, &head, foreign_id, reserve).await.status,
        StatusCode::FORBIDDEN
    );

    // Create.
    let create = |category_id: String| {
        let app = &app;
        let token = head.token.clone();
        async move {
            app.post(
                "/api/v1/inventory/items",
                &token,
                json!({ "name": "Веер", "category_id": category_id }),
            )
            .await
            .status
        }
    };
    assert_eq!(create(props.clone()).await, StatusCode::CREATED);
    assert_eq!(create(costumes.clone()).await, StatusCode::FORBIDDEN);

    // The trees are not theirs to change (or they could claim any category).
    let claim = app
        .patch(
            &format!("/api/v1/inventory/categories/{costumes}"),
            &head.token,
            json!({ "department_id": props_dep }),
        )
        .await;
    assert_eq!(claim.status, StatusCode::FORBIDDEN);

    // Bulk actions check every item: the foreign one fails on its own.
    let bulk = app
        .post(
            "/api/v1/inventory/items/bulk",
            &head.token,
            json!({ "ids": [own_id, foreign_id], "action": "add_tags", "tags": ["гастроли"],
                    "per_item": true }),
        )
        .await;
    assert_eq!(bulk.status, StatusCode::OK, "{:?}", bulk.body);
    assert_eq!(bulk.body["results"][0]["status"], 200);
    assert_eq!(bulk.body["results"][1]["status"], 403);

    // A CSV import may only bring items into their categories.
    let report = app
        .http
        .post(app.url("/api/v1/inventory/items/import?dry_run=true"))
        .bearer_auth(&head.token)
        .header("content-type", "text/csv")
        .body("name,category_code\nЧаша,props\nКорсет,costumes\n")
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(report["valid_rows"], 1, "{report:?}");
    assert_eq!(report["errors"][0]["line"], 3);

    // They still see everything.
    let all = app.get("/api/v1/inventory/items", &head.token).await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn membership_counts_like_heading_and_a_wider_role_lifts_the_limit() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let member = app.user_with_roles(&admin, &["department_head"]).await;
    let costume_dep = department(&app, &admin, "costume").await;
    let joined = app
        .put(
            &format!("/api/v1/users/{}/departments", member.user_id),
            &admin.token,
            json!({ "department_ids": [costume_dep] }),
        )
        .await;
    assert_eq!(joined.status, StatusCode::OK, "{:?}", joined.body);
    let costumes = category(&app, &admin, "costumes").await;
    let props = category(&app, &admin, "props").await;
    let dress = item(&app, &admin, json!({ "category_id": costumes })).await;
    let cup = item(&app, &admin, json!({ "category_id": props })).await;
    let rename = json!({ "name": "Новое" });
    let path =
        |v: &serde_json::Value| format!("/api/v1/inventory/items/{}", v["id"].as_str().unwrap());
    assert_eq!(
        app.patch(&path(&dress), &member.token, rename.clone())
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.patch(&path(&cup), &member.token, rename.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let both = app
        .user_with_roles(&admin, &["department_head", "tech_director"])
        .await;
    assert_eq!(
        app.patch(&path(&cup), &both.token, rename).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_subcategory_belongs_to_its_parents_department_unless_assigned_elsewhere() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let head = app.user_with_roles(&admin, &["department_head"]).await;
    let costume_dep = department(&app, &admin, "costume").await;
    let props_dep = department(&app, &admin, "props").await;
    app.patch(
        &format!("/api/v1/departments/{costume_dep}"),
        &admin.token,
        json!({ "head_id": head.user_id }),
    )
    .await;
    let costumes = category(&app, &admin, "costumes").await;
    let mut sub = Vec::new();
    for (code, department) in [("hats", None), ("fans", Some(props_dep.clone()))] {
        let created = app
            .post(
                "/api/v1/inventory/categories",
                &admin.token,
                json!({ "code": code, "name": code, "parent_id": costumes, "department_id": department }),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
        sub.push(created.body["id"].as_str().unwrap().to_string());
    }
    let hat = item(&app, &admin, json!({ "category_id": sub[0] })).await;
    let fan = item(&app, &admin, json!({ "category_id": sub[1] })).await;
    let rename = json!({ "name": "Новое" });
    let path =
        |v: &serde_json::Value| format!("/api/v1/inventory/items/{}", v["id"].as_str().unwrap());
    assert_eq!(
        app.patch(&path(&hat), &head.token, rename.clone())
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.patch(&path(&fan), &head.token, rename).await.status,
        StatusCode::FORBIDDEN
    );
}

/// The limit follows the role's `department_scoped` attribute, not its code: a clone of the
/// head role made through the API and the seeded role under another code stay limited.
#[tokio::test]
async fn department_scope_follows_the_role_attribute_not_its_code() {
    let app = spawn().await;
    let admin = app.new_theater().await;
    let clone = app
        .post(
            "/api/v1/roles",
            &admin.token,
            json!({
                "code": "props_lead", "name": "Завреквизитом",
                "permissions": ["inventory:view", "inventory:create", "inventory:edit",
                                "inventory:reserve"],
                "department_scoped": true,
            }),
        )
        .await;
    assert_eq!(clone.status, StatusCode::CREATED, "{:?}", clone.body);
    assert_eq!(clone.body["department_scoped"], true);
    let seeded_head = app.get("/api/v1/roles?limit=200", &admin.token).await;
    assert!(
        seeded_head.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "department_head" && r["department_scoped"] == true)
    );
    // The seeded role renamed (its code changed in the database).
    app.db()
        .await
        .execute(
            "UPDATE roles SET code = 'zav_ceha' WHERE theater_id = $1 AND code = 'department_head'",
            &[&admin.theater_id],
        )
        .await
        .unwrap();

    let costumes = category(&app, &admin, "costumes").await;
    let foreign = item(&app, &admin, json!({ "category_id": costumes })).await;
    let foreign_id = foreign["id"].as_str().unwrap();
    for code in ["props_lead", "zav_ceha"] {
        let user = app.user_with_roles(&admin, &[code]).await;
        let props_dep = department(&app, &admin, "props").await;
        let joined = app
            .patch(
                &format!("/api/v1/departments/{props_dep}"),
                &admin.token,
                json!({ "head_id": user.user_id }),
            )
            .await;
        assert_eq!(joined.status, StatusCode::OK, "{:?}", joined.body);
        let denied = app
            .patch(
                &format!("/api/v1/inventory/items/{foreign_id}"),
                &user.token,
                json!({ "name": "Чужой" }),
            )
            .await;
        assert_eq!(
            denied.status,
            StatusCode::FORBIDDEN,
            "{code}: {:?}",
            denied.body
        );
    }
}
