//! The first-start demo theatre the gateway creates (`DEMO_*` settings): a theatre and its
//! administrator, and whatever the caller seeds into it, in one transaction.

use uuid::Uuid;

use crate::AuthState;
use crate::domain::{Email, Password};
use crate::password;
use crate::sessions::insert_theater_with_admin;

/// The first-start demo: a theatre and its admin, unless any theatre exists. Returns whether
/// it was created.
pub async fn create_demo_theater(
    state: &AuthState,
    theater_name: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<bool> {
    create_demo_theater_with(state, theater_name, email, password, async |_, _, _| Ok(())).await
}

/// Like [`create_demo_theater`], and `seed(tx, theater_id, admin_id)` fills the new theatre in
/// the same transaction: a failed seed leaves no half-made demo, and the next start tries again.
pub async fn create_demo_theater_with(
    state: &AuthState,
    theater_name: &str,
    email: &str,
    password: &str,
    seed: impl AsyncFnOnce(&deadpool_postgres::Transaction<'_>, Uuid, Uuid) -> anyhow::Result<()>,
) -> anyhow::Result<bool> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("demo email {e}"))?;
    let password = Password::parse(password).map_err(|e| anyhow::anyhow!("demo password {e}"))?;
    let hash = password::hash(password)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut client = state.ctx.db.get().await?;
    let tx = client.transaction().await?;
    // Two gateways starting together: only one seeds.
    tx.execute("LOCK TABLE theaters IN SHARE ROW EXCLUSIVE MODE", &[])
        .await?;
    let existing: i64 = tx
        .query_one("SELECT count(*) FROM theaters", &[])
        .await?
        .get(0);
    if existing > 0 {
        return Ok(false);
    }
    let (theater_id, admin_id) =
        insert_theater_with_admin(&tx, theater_name, &email, &hash, "Демо", "Администратор")
            .await
            .map_err(|e| anyhow::anyhow!("creating the demo theatre: {e}"))?;
    seed(&tx, theater_id, admin_id).await?;
    tx.commit().await?;
    Ok(true)
}
