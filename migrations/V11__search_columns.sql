-- Inventory text search reads a stored column instead of calling a function per row.
--
-- inventory_item_search_text() is declared IMMUTABLE but its body uses array_to_string(),
-- which is STABLE, so PostgreSQL never inlines it: every evaluation is a full SQL-function
-- call (~16 µs). The trigram index served the candidates, but the recheck called the function
-- for each of them, and a generic plan (what a prepared statement gets after five runs) walked
-- the name index calling it for every row of the theatre: 12–18 ms a query at 10,000 items
-- (BENCHMARKS.md, "Inventory text search"). A stored generated column computes the text once
-- per write; the list's `q` filter compares the column, which the new index serves.
ALTER TABLE inventory_items
    ADD COLUMN search_text text NOT NULL
        GENERATED ALWAYS AS (inventory_item_search_text(name, inventory_number, description, tags)) STORED;

DROP INDEX inventory_items_search_idx;
CREATE INDEX inventory_items_search_idx ON inventory_items
    USING gin (search_text gin_trgm_ops)
    WHERE deleted_at IS NULL;
