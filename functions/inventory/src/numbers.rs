//! Inventory numbers: `{CATEGORY_CODE}-{YYYY}-{NNNNN}` from one counter per theatre.

use deadpool_postgres::GenericClient;
use shared::ApiResult;
use uuid::Uuid;

use crate::domain::InventoryNumber;

/// Takes the next number of the theatre's counter. The counter row stays locked until the
/// caller's transaction ends, so concurrent creations queue and a rollback gives the number
/// back: no gaps, no duplicates. A value whose number somebody already took by hand (an
/// imported number in the same pattern) is passed over; numbers of deleted items stay taken.
pub async fn next_number(
    client: &impl GenericClient,
    theater_id: Uuid,
    category_code: &str,
) -> ApiResult<InventoryNumber> {
    loop {
        let row = client
            .query_one(
                "WITH taken AS (
                     INSERT INTO inventory_number_counters AS c (theater_id, last_value) VALUES ($1, 1)
                     ON CONFLICT (theater_id) DO UPDATE SET last_value = c.last_value + 1
                     RETURNING last_value)
                 SELECT taken.last_value,
                        extract(year FROM now() AT TIME ZONE t.timezone)::int AS year
                 FROM taken, theaters t WHERE t.id = $1",
                &[&theater_id],
            )
            .await?;
        let number = InventoryNumber::generated(category_code, row.get("year"), row.get(0));
        let exists = client
            .query_opt(
                "SELECT 1 FROM inventory_items WHERE theater_id = $1 AND inventory_number = $2",
                &[&theater_id, &number.as_str()],
            )
            .await?
            .is_some();
        if !exists {
            return Ok(number);
        }
    }
}
