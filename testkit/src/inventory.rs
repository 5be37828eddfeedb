//! Inventory fixtures every function's tests share: a seeded category or location by code, and
//! a new props item (the kit lists of performances, bookings of schedule and the inventory
//! tests all start from one).

use serde_json::{Value, json};

use crate::{StatusCode, TestApp, TestUser};

impl TestApp {
    /// The id of a live inventory category or location (`tree`: `categories` or `locations`)
    /// with `code`, as the API lists it; panics when there is none.
    pub async fn inventory_node(&self, user: &TestUser, tree: &str, code: &str) -> String {
        let list = self
            .get(&format!("/api/v1/inventory/{tree}?limit=200"), &user.token)
            .await;
        assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
        list.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|n| n["code"] == code)
            .unwrap_or_else(|| panic!("{tree} has {code}"))["id"]
            .as_str()
            .expect("id")
            .to_string()
    }

    /// Creates an item in the seeded `props` category: `{"name": "Канделябр", "category_id":
    /// props}` with `fields` laid over it. Returns the created item; panics unless 201.
    pub async fn props_item(&self, user: &TestUser, fields: Value) -> Value {
        let props = self.inventory_node(user, "categories", "props").await;
        let mut body = json!({ "name": "Канделябр", "category_id": props });
        if let (Some(b), Some(f)) = (body.as_object_mut(), fields.as_object()) {
            for (k, v) in f {
                b.insert(k.clone(), v.clone());
            }
        }
        let reply = self
            .post("/api/v1/inventory/items", &user.token, body)
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        reply.body
    }
}
