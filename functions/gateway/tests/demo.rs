//! The demo theatre of the first start has data on every screen, consistent with itself, and a
//! second start seeds nothing again.

use std::collections::{HashMap, HashSet};

use gateway::{GatewayConfig, build};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

mod common;

fn config(database_url: String, data_dir: &std::path::Path) -> GatewayConfig {
    GatewayConfig {
        run_worker: false,
        ..common::config(database_url, testkit::redis_url(), data_dir)
    }
}

struct Api {
    url: String,
    http: reqwest::Client,
}

impl Api {
    async fn login(&self, email: &str, password: &str) -> String {
        let reply = self
            .http
            .post(format!("{}/api/v1/auth/login", self.url))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "{email} signs in");
        let body: Value = reply.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    async fn get(&self, token: &str, path: &str) -> Value {
        let reply = self
            .http
            .get(format!("{}/api/v1{path}", self.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "GET {path}");
        reply.json().await.unwrap()
    }
}

/// The staff logins the demo file lists: email → (password, role).
fn staff(file: &str) -> HashMap<String, (String, String)> {
    file.lines()
        .filter_map(|l| l.strip_prefix("user: "))
        .map(|l| {
            let mut parts = l.split_whitespace();
            let email = parts.next().unwrap().to_string();
            let password = parts.next().unwrap().to_string();
            let role = parts.next().unwrap().to_string();
            (email, (password, role))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_start_seeds_a_demo_theatre_with_data_on_every_screen_once() {
    let name = testkit::create_empty_database().await;
    let data = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let first = build(config(testkit::database_url(&name), data.path()))
        .await
        .unwrap();
    eprintln!("first start with the demo seed: {:?}", started.elapsed());
    let (email, password) = first.demo_login.clone().expect("a demo login");
    let seeded = first.demo_seed.clone().expect("the demo was seeded");
    assert_eq!(seeded.items, shared::seed::Size::DEMO.items);
    let api = Api {
        url: common::serve(first.router).await,
        http: reqwest::Client::new(),
    };
    let admin = api.login(&email, &password).await;

    // Users with different roles, each able to sign in with the password in the login file.
    let file = std::fs::read_to_string(data.path().join("demo-login.txt")).unwrap();
    assert!(file.starts_with(&format!("email: {email}\npassword: {password}\n")));
    let staff = staff(&file);
    assert_eq!(staff.len(), shared::seed::DEMO_USERS.len());
    let users = api.get(&admin, "/users?limit=200").await;
    let roles: HashMap<String, Vec<String>> = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let codes = u["roles"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["code"].as_str().unwrap().to_string())
                .collect();
            (u["email"].as_str().unwrap().to_string(), codes)
        })
        .collect();
    for (email, (password, role)) in &staff {
        assert_eq!(roles[email], vec![role.clone()], "{email}");
        api.login(email, password).await;
    }
    for role in [
        "tech_director",
        "department_head",
        "producer",
        "performer",
        "viewer",
    ] {
        assert!(
            staff.values().any(|(_, r)| r == role),
            "someone is a {role}"
        );
    }
    // The props head heads the props department and belongs to it.
    let props_head = staff
        .iter()
        .find(|(_, (_, role))| role == "department_head")
        .map(|(email, _)| email.clone())
        .unwrap();
    let me = api
        .get(
            &api.login(&props_head, &staff[&props_head].0).await,
            "/auth/me",
        )
        .await;
    let departments = api.get(&admin, "/departments").await;
    let props = departments["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "props")
        .unwrap();
    assert_eq!(props["head_id"], me["id"], "{props}");

    // Inventory: a few hundred items across the trees, in every status, with histories that
    // end in each item's current state.
    let stats = api.get(&admin, "/inventory/stats").await;
    assert_eq!(stats["items"], json!(seeded.items));
    let statuses: HashSet<&str> = stats["by_status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    for status in ["in_stock", "reserved", "in_use", "in_repair", "written_off"] {
        assert!(statuses.contains(status), "{status} in {statuses:?}");
    }
    assert!(stats["by_category"].as_array().unwrap().len() >= 12);
    assert!(stats["by_location"].as_array().unwrap().len() >= 10);
    assert!(
        stats["overdue"].as_i64().unwrap() > 0,
        "some issues are overdue"
    );
    let page = api.get(&admin, "/inventory/items?limit=200").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 200);
    assert!(page["next_cursor"].is_string());
    let tagged = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| !i["tags"].as_array().unwrap().is_empty())
        .count();
    assert!(tagged > 20, "{tagged} tagged items");
    for item in page["items"].as_array().unwrap().iter().take(60) {
        let number = item["inventory_number"].as_str().unwrap();
        let (code, rest) = number.split_once('-').unwrap();
        assert!(
            code.chars().all(|c| c.is_ascii_uppercase()) && rest.len() == 10,
            "{number}"
        );
        let history = api
            .get(
                &admin,
                &format!(
                    "/inventory/items/{}/movements",
                    item["id"].as_str().unwrap()
                ),
            )
            .await;
        let rows = history["items"].as_array().unwrap();
        // Newest first: the last row gives the current state, the first row is the receipt.
        assert_eq!(rows[0]["to_status"], item["status"], "{number}");
        assert_eq!(rows.last().unwrap()["kind"], "receipt", "{number}");
        if item["status"] != "written_off" {
            assert_eq!(
                rows[0]["to_location_id"], item["location_id"],
                "{number}: {rows:?}"
            );
        }
        for pair in rows.windows(2) {
            assert_eq!(pair[0]["from_status"], pair[1]["to_status"], "{number}");
        }
    }
    // Search by a word of a name finds the item.
    let first = &page["items"][0];
    let word = first["name"]
        .as_str()
        .unwrap()
        .split([' ', ','])
        .next()
        .unwrap();
    let url = reqwest::Url::parse_with_params(
        &format!("{}/api/v1/inventory/items", api.url),
        &[("q", word.to_lowercase())],
    )
    .unwrap();
    let searched: Value = api
        .http
        .get(url)
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        searched["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == first["id"]),
        "{word}"
    );

    // Documents in the seeded categories with several versions, found by their text, and the
    // bytes really are in the store.
    let documents = api.get(&admin, "/documents?limit=200").await;
    let documents = documents["items"].as_array().unwrap();
    // Each seeded template is backed by a document of its own.
    assert_eq!(documents.len(), seeded.documents + seeded.templates);
    let templates = api.get(&admin, "/documents/templates").await;
    let templates = templates["items"].as_array().unwrap();
    assert_eq!(templates.len(), 2);
    for template in templates {
        let variables = api
            .get(
                &admin,
                &format!(
                    "/documents/templates/{}/variables",
                    template["id"].as_str().unwrap()
                ),
            )
            .await;
        assert_eq!(variables["file_error"], Value::Null, "{variables}");
        assert_eq!(variables["undefined"], json!([]), "{variables}");
        assert!(variables["placeholders"].as_array().unwrap().len() >= 8);
    }
    let mut with_history = 0;
    for doc in documents {
        let versions = api
            .get(
                &admin,
                &format!("/documents/{}/versions", doc["id"].as_str().unwrap()),
            )
            .await;
        let versions = versions["items"].as_array().unwrap();
        assert!(versions.iter().all(|v| v["status"] == "ready"));
        if versions.len() > 1 {
            with_history += 1;
        }
    }
    assert!(with_history >= 8, "{with_history} documents with history");
    let hits = api
        .get(
            &admin,
            "/documents?q=%D0%BF%D1%80%D0%BE%D0%B6%D0%B5%D0%BA%D1%82%D0%BE%D1%80",
        )
        .await;
    let hit = &hits["items"].as_array().unwrap()[0];
    assert!(
        hit["snippet"].as_str().unwrap().contains("<b>прожектор"),
        "{hit}"
    );
    let doc_id = hit["id"].as_str().unwrap();
    let versions = api
        .get(&admin, &format!("/documents/{doc_id}/versions"))
        .await;
    let current = &versions["items"][0];
    let bytes = api
        .http
        .get(format!(
            "{}/api/v1/documents/{doc_id}/versions/{}/download",
            api.url,
            current["id"].as_str().unwrap()
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.len() as i64, current["size"].as_i64().unwrap());
    let sha: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(sha, current["sha256"].as_str().unwrap());
    assert!(
        String::from_utf8(bytes.to_vec())
            .unwrap()
            .contains("прожектор")
    );

    // Productions with kit lists of the theatre's items.
    let pool = deadpool_postgres::Config {
        url: Some(testkit::database_url(&name)),
        ..Default::default()
    }
    .create_pool(None, tokio_postgres::NoTls)
    .unwrap();
    let db = pool.get().await.unwrap();
    let kit: i64 = db
        .query_one(
            "SELECT count(*) FROM performance_kit_items k JOIN performances p ON p.id = k.performance_id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(kit as usize, seeded.kit_lines);
    assert!(seeded.performances >= 3 && kit > 20);

    // Every production has the passport's nine sections, as one created through the API does.
    let productions = api.get(&admin, "/performances?limit=50").await;
    let productions = productions["items"].as_array().unwrap();
    assert_eq!(productions.len(), seeded.performances);
    for p in productions {
        let sections = api
            .get(
                &admin,
                &format!(
                    "/performances/{}/sections?limit=50",
                    p["id"].as_str().unwrap()
                ),
            )
            .await;
        let codes: Vec<&str> = sections["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes.len(), 9, "{}: {codes:?}", p["title"]);
        assert_eq!(codes[0], "lighting");
    }

    // A schedule around today: this week's events through the API, with people and kit.
    let now = chrono::Utc::now();
    let week = api
        .get(
            &admin,
            &format!(
                "/schedule/events?from={}&to={}&limit=200",
                (now - chrono::Duration::days(1)).format("%Y-%m-%dT00:00:00Z"),
                (now + chrono::Duration::days(7)).format("%Y-%m-%dT00:00:00Z")
            ),
        )
        .await;
    let week = week["items"].as_array().unwrap();
    assert!(week.len() >= 10, "{} events this week", week.len());
    assert!(
        week.iter()
            .any(|e| e["kind"] == "performance" && !e["performance_id"].is_null())
    );
    assert!(week.iter().any(|e| e["kind"] == "rehearsal"));
    let counts = db
        .query_one(
            "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM event_participants),
                    (SELECT count(*) FROM event_reservations)",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(counts.get::<_, i64>(0) as usize, seeded.events);
    assert_eq!(counts.get::<_, i64>(1) as usize, seeded.participants);
    assert_eq!(counts.get::<_, i64>(2) as usize, seeded.reservations);
    assert!(seeded.events > 40 && seeded.participants > seeded.events && seeded.reservations > 0);
    // No item is reserved beyond its quantity at any moment (shared::reservations' rule).
    let overbooked: i64 = db
        .query_one(
            "SELECT count(*) FROM event_reservations a
             JOIN events ea ON ea.id = a.event_id AND ea.status <> 'cancelled'
             JOIN inventory_items i ON i.id = a.item_id
             WHERE i.quantity < (
                 SELECT sum(b.quantity) FROM event_reservations b
                 JOIN events eb ON eb.id = b.event_id AND eb.status <> 'cancelled'
                 WHERE b.item_id = a.item_id AND eb.busy && ea.busy)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(overbooked, 0);

    // A second start finds the theatre and seeds nothing.
    let second = build(config(testkit::database_url(&name), data.path()))
        .await
        .unwrap();
    assert!(second.demo_login.is_none() && second.demo_seed.is_none());
    let items: i64 = db
        .query_one("SELECT count(*) FROM inventory_items", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(items as usize, seeded.items);
    let theaters: i64 = db
        .query_one("SELECT count(*) FROM theaters", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(theaters, 1);
}
