//! The audit log: who changed what, with the before/after diff, written in the same transaction
//! as the change itself.

use deadpool_postgres::GenericClient;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::ApiError;

/// One mutation to record.
#[derive(Debug)]
pub struct AuditEntry<'a> {
    pub theater_id: Uuid,
    pub actor_id: Option<Uuid>,
    /// What happened, e.g. `user.create`, `role.update`.
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<Uuid>,
    /// The entity before the change (None for a creation). Never pass secrets.
    pub before: Option<Value>,
    /// The entity after the change (None for a deletion). Never pass secrets.
    pub after: Option<Value>,
}

impl<'a> AuditEntry<'a> {
    /// A change made by `user` to `entity_type` `entity_id`.
    pub fn by(
        user: &crate::auth::AuthUser,
        action: &'a str,
        entity_type: &'a str,
        entity_id: Uuid,
    ) -> Self {
        Self {
            theater_id: user.theater_id,
            actor_id: Some(user.user_id),
            action,
            entity_type,
            entity_id: Some(entity_id),
            before: None,
            after: None,
        }
    }

    /// The entity before the change.
    pub fn before(mut self, value: impl serde::Serialize) -> Self {
        self.before = serde_json::to_value(value).ok();
        self
    }

    /// The entity after the change.
    pub fn after(mut self, value: impl serde::Serialize) -> Self {
        self.after = serde_json::to_value(value).ok();
        self
    }
}

/// The fields that changed: `{field: {"from": .., "to": ..}}`. For a creation every field of
/// `after` appears with `from: null`, for a deletion every field of `before` with `to: null`.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Value {
    let empty = Map::new();
    let b = before.and_then(Value::as_object).unwrap_or(&empty);
    let a = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut changes = Map::new();
    for key in b.keys().chain(a.keys()) {
        if changes.contains_key(key) || key == "updated_at" || key == "version" {
            continue;
        }
        let from = b.get(key).unwrap_or(&Value::Null);
        let to = a.get(key).unwrap_or(&Value::Null);
        if from != to {
            changes.insert(key.clone(), serde_json::json!({ "from": from, "to": to }));
        }
    }
    Value::Object(changes)
}

/// Writes an audit row through `client` (pass the transaction of the change).
pub async fn record(client: &impl GenericClient, entry: AuditEntry<'_>) -> Result<(), ApiError> {
    let changes = diff(entry.before.as_ref(), entry.after.as_ref());
    client
        .execute(
            "INSERT INTO audit_log (id, theater_id, actor_id, action, entity_type, entity_id, changes, request_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &Uuid::now_v7(),
                &entry.theater_id,
                &entry.actor_id,
                &entry.action,
                &entry.entity_type,
                &entry.entity_id,
                &changes,
                &crate::http::current_request_id(),
            ],
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_changed_fields_are_kept() {
        let d = diff(
            Some(&json!({"name": "a", "same": 1, "version": 1})),
            Some(&json!({"name": "b", "same": 1, "version": 2})),
        );
        assert_eq!(d, json!({"name": {"from": "a", "to": "b"}}));
    }

    #[test]
    fn a_creation_lists_every_field_from_null() {
        let d = diff(None, Some(&json!({"name": "a"})));
        assert_eq!(d, json!({"name": {"from": null, "to": "a"}}));
    }
}
