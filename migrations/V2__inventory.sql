-- Inventory: category and location trees, items with generated inventory numbers, the
-- append-only movement ledger, photos, and the per-theatre number counter. Every row carries
-- theater_id and every cross-reference is a composite foreign key on (theater_id, id), so a
-- reference can never leave its theatre.

-- Trigram indexes make substring search over names, numbers, descriptions and tags fast.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Categories (реквизит, костюмы, ...): a tree. `code` is the prefix of generated inventory
-- numbers; `department_id` assigns the category to a department (свой цех).
CREATE TABLE inventory_categories (
    id            uuid PRIMARY KEY,
    theater_id    uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    parent_id     uuid,
    code          text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{0,29}$'),
    name          text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    color         text CHECK (color ~ '^#[0-9a-f]{6}$'),
    icon          text CHECK (length(icon) <= 50),
    sort_order    integer NOT NULL DEFAULT 0,
    department_id uuid,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz,
    CONSTRAINT inventory_categories_theater_id_id_key UNIQUE (theater_id, id),
    CONSTRAINT inventory_categories_not_own_parent CHECK (parent_id IS DISTINCT FROM id),
    CONSTRAINT inventory_categories_parent_fkey FOREIGN KEY (theater_id, parent_id)
        REFERENCES inventory_categories (theater_id, id),
    CONSTRAINT inventory_categories_department_fkey FOREIGN KEY (theater_id, department_id)
        REFERENCES departments (theater_id, id)
);
-- Codes are unique among live categories; a deleted category frees its code.
CREATE UNIQUE INDEX inventory_categories_code_key
    ON inventory_categories (theater_id, code) WHERE deleted_at IS NULL;
CREATE INDEX inventory_categories_parent_idx ON inventory_categories (theater_id, parent_id);

-- The department a category belongs to: its own, or the nearest ancestor's. A subcategory
-- ("hats" under "costumes") stays with its trade's department unless assigned elsewhere.
CREATE FUNCTION inventory_category_department(theater uuid, category uuid)
RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH RECURSIVE up (id, parent_id, department_id, depth) AS (
        SELECT id, parent_id, department_id, 0 FROM inventory_categories
        WHERE theater_id = theater AND id = category
        UNION ALL
        SELECT c.id, c.parent_id, c.department_id, up.depth + 1
        FROM inventory_categories c JOIN up ON c.id = up.parent_id
        WHERE c.theater_id = theater AND up.department_id IS NULL AND up.depth < 1000
    )
    SELECT department_id FROM up WHERE department_id IS NOT NULL ORDER BY depth LIMIT 1
$$;

-- Locations: building → room → shelf, a tree as well.
CREATE TABLE inventory_locations (
    id          uuid PRIMARY KEY,
    theater_id  uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    parent_id   uuid,
    code        text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_-]{0,49}$'),
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    color       text CHECK (color ~ '^#[0-9a-f]{6}$'),
    icon        text CHECK (length(icon) <= 50),
    sort_order  integer NOT NULL DEFAULT 0,
    description text,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    CONSTRAINT inventory_locations_theater_id_id_key UNIQUE (theater_id, id),
    CONSTRAINT inventory_locations_not_own_parent CHECK (parent_id IS DISTINCT FROM id),
    CONSTRAINT inventory_locations_parent_fkey FOREIGN KEY (theater_id, parent_id)
        REFERENCES inventory_locations (theater_id, id)
);
CREATE UNIQUE INDEX inventory_locations_code_key
    ON inventory_locations (theater_id, code) WHERE deleted_at IS NULL;
CREATE INDEX inventory_locations_parent_idx ON inventory_locations (theater_id, parent_id);

-- No cycles in either tree. Checked in the database so that no code path can create one; the
-- per-theatre advisory lock serialises concurrent re-parenting (A under B and B under A at the
-- same moment would each pass a check that does not see the other).
CREATE FUNCTION inventory_tree_no_cycle() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    found boolean;
BEGIN
    IF NEW.parent_id IS NULL THEN
        RETURN NEW;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended(TG_TABLE_NAME || ':' || NEW.theater_id::text, 0));
    EXECUTE format(
        'WITH RECURSIVE up (id, parent_id, depth) AS (
             SELECT id, parent_id, 1 FROM %I WHERE theater_id = $1 AND id = $2
             UNION ALL
             SELECT t.id, t.parent_id, up.depth + 1 FROM %I t JOIN up ON t.id = up.parent_id
             WHERE t.theater_id = $1 AND up.depth < 1000
         ) SELECT EXISTS (SELECT 1 FROM up WHERE id = $3)', TG_TABLE_NAME, TG_TABLE_NAME)
        INTO found USING NEW.theater_id, NEW.parent_id, NEW.id;
    IF found THEN
        RAISE EXCEPTION 'moving % under % would make a cycle', NEW.id, NEW.parent_id
            USING ERRCODE = 'check_violation', CONSTRAINT = TG_TABLE_NAME || '_no_cycle';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER inventory_categories_no_cycle
    BEFORE INSERT OR UPDATE OF parent_id ON inventory_categories
    FOR EACH ROW EXECUTE FUNCTION inventory_tree_no_cycle();
CREATE TRIGGER inventory_locations_no_cycle
    BEFORE INSERT OR UPDATE OF parent_id ON inventory_locations
    FOR EACH ROW EXECUTE FUNCTION inventory_tree_no_cycle();

-- One counter per theatre for generated inventory numbers. Taking a number is an UPDATE of
-- this row, so concurrent creations queue on its row lock and a rolled-back creation gives its
-- number back: the sequence has no gaps and no duplicates (a PostgreSQL sequence would leave
-- gaps).
CREATE TABLE inventory_number_counters (
    theater_id uuid PRIMARY KEY REFERENCES theaters (id) ON DELETE CASCADE,
    last_value bigint NOT NULL DEFAULT 0 CHECK (last_value >= 0)
);

CREATE TABLE inventory_items (
    id                    uuid PRIMARY KEY,
    theater_id            uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    -- Unique per theatre over live AND deleted items: a number is never reused, so printed
    -- labels stay valid.
    inventory_number      text NOT NULL CHECK (inventory_number ~ '^[A-Z0-9][A-Z0-9._/-]{0,59}$'),
    name                  text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 300),
    description           text CHECK (length(description) <= 10000),
    category_id           uuid NOT NULL,
    location_id           uuid,
    status                text NOT NULL DEFAULT 'in_stock' CHECK (status IN
                              ('in_stock', 'reserved', 'in_use', 'in_repair', 'on_tour', 'written_off')),
    condition             text NOT NULL DEFAULT 'good' CHECK (condition IN
                              ('new', 'good', 'fair', 'poor', 'broken')),
    quantity              integer NOT NULL DEFAULT 1 CHECK (quantity BETWEEN 1 AND 1000000),
    width_cm              double precision CHECK (width_cm > 0),
    height_cm             double precision CHECK (height_cm > 0),
    depth_cm              double precision CHECK (depth_cm > 0),
    weight_kg             double precision CHECK (weight_kg > 0),
    -- Per unit, in roubles.
    purchase_price        numeric(14, 2) CHECK (purchase_price >= 0),
    current_value         numeric(14, 2) CHECK (current_value >= 0),
    purchase_date         date,
    warranty_until        date,
    supplier              text CHECK (length(supplier) <= 300),
    tags                  text[] NOT NULL DEFAULT '{}',
    attributes            jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(attributes) = 'object'),
    -- Who holds or reserved the item (set by reserve/issue, cleared by release/return).
    holder_user_id        uuid,
    -- Performances and events live in their own functions; their tables get the foreign keys
    -- when they exist.
    holder_performance_id uuid,
    holder_event_id       uuid,
    due_at                timestamptz,
    -- The item this one was split from when part of a quantity moved.
    split_from_id         uuid,
    split_count           integer NOT NULL DEFAULT 0,
    created_by            uuid,
    version               integer NOT NULL DEFAULT 1,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    deleted_at            timestamptz,
    CONSTRAINT inventory_items_number_key UNIQUE (theater_id, inventory_number),
    CONSTRAINT inventory_items_theater_id_id_key UNIQUE (theater_id, id),
    CONSTRAINT inventory_items_category_fkey FOREIGN KEY (theater_id, category_id)
        REFERENCES inventory_categories (theater_id, id),
    CONSTRAINT inventory_items_location_fkey FOREIGN KEY (theater_id, location_id)
        REFERENCES inventory_locations (theater_id, id),
    CONSTRAINT inventory_items_holder_user_fkey FOREIGN KEY (theater_id, holder_user_id)
        REFERENCES users (theater_id, id),
    CONSTRAINT inventory_items_split_from_fkey FOREIGN KEY (theater_id, split_from_id)
        REFERENCES inventory_items (theater_id, id),
    -- A written-off item has no place; an issued item has a holder.
    CONSTRAINT inventory_items_written_off_has_no_location
        CHECK (status <> 'written_off' OR location_id IS NULL),
    CONSTRAINT inventory_items_in_use_has_holder CHECK (status <> 'in_use'
        OR num_nonnulls(holder_user_id, holder_performance_id, holder_event_id) > 0),
    CONSTRAINT inventory_items_warranty_after_purchase
        CHECK (warranty_until IS NULL OR purchase_date IS NULL OR warranty_until >= purchase_date)
);

-- The text that `q` searches: one immutable expression so a trigram index can serve it.
CREATE FUNCTION inventory_item_search_text(name text, inventory_number text, description text, tags text[])
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT lower(name || ' ' || inventory_number || ' ' || coalesce(description, '') || ' '
                 || array_to_string(tags, ' '))
$$;

CREATE INDEX inventory_items_search_idx ON inventory_items
    USING gin (inventory_item_search_text(name, inventory_number, description, tags) gin_trgm_ops)
    WHERE deleted_at IS NULL;
-- "C" collation: the list sorts and pages on these keys byte-wise, whatever the database locale.
CREATE INDEX inventory_items_name_idx ON inventory_items (theater_id, name COLLATE "C", id) WHERE deleted_at IS NULL;
CREATE INDEX inventory_items_number_idx ON inventory_items (theater_id, inventory_number COLLATE "C", id) WHERE deleted_at IS NULL;
CREATE INDEX inventory_items_created_idx ON inventory_items (theater_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX inventory_items_category_idx ON inventory_items (theater_id, category_id) WHERE deleted_at IS NULL;
CREATE INDEX inventory_items_location_idx ON inventory_items (theater_id, location_id) WHERE deleted_at IS NULL;
CREATE INDEX inventory_items_status_idx ON inventory_items (theater_id, status) WHERE deleted_at IS NULL;
CREATE INDEX inventory_items_tags_idx ON inventory_items USING gin (tags) WHERE deleted_at IS NULL;
CREATE INDEX inventory_items_due_idx ON inventory_items (theater_id, due_at)
    WHERE deleted_at IS NULL AND status = 'in_use' AND due_at IS NOT NULL;

-- Items linked to performances (the production's kit). The performances function adds the
-- foreign key to its table.
CREATE TABLE inventory_item_performances (
    theater_id     uuid NOT NULL,
    item_id        uuid NOT NULL,
    performance_id uuid NOT NULL,
    PRIMARY KEY (item_id, performance_id),
    CONSTRAINT inventory_item_performances_item_fkey FOREIGN KEY (theater_id, item_id)
        REFERENCES inventory_items (theater_id, id) ON DELETE CASCADE
);
CREATE INDEX inventory_item_performances_performance_idx
    ON inventory_item_performances (theater_id, performance_id);

-- The ledger: every state change of an item is exactly one row here, written in the same
-- transaction as the item row. Append-only (see the trigger below).
CREATE TABLE inventory_movements (
    id                    uuid PRIMARY KEY,
    theater_id            uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    item_id               uuid NOT NULL,
    kind                  text NOT NULL CHECK (kind IN ('receipt', 'transfer', 'reserve', 'release',
                              'issue', 'return', 'repair_start', 'repair_end', 'write_off')),
    quantity              integer NOT NULL CHECK (quantity >= 1),
    from_status           text,
    to_status             text NOT NULL,
    from_location_id      uuid,
    to_location_id        uuid,
    holder_user_id        uuid,
    holder_performance_id uuid,
    holder_event_id       uuid,
    due_at                timestamptz,
    comment               text CHECK (length(comment) <= 2000),
    -- When part of a quantity moved: the new item carrying that part.
    split_item_id         uuid,
    actor_id              uuid,
    created_at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT inventory_movements_item_fkey FOREIGN KEY (theater_id, item_id)
        REFERENCES inventory_items (theater_id, id),
    CONSTRAINT inventory_movements_split_item_fkey FOREIGN KEY (theater_id, split_item_id)
        REFERENCES inventory_items (theater_id, id),
    CONSTRAINT inventory_movements_from_location_fkey FOREIGN KEY (theater_id, from_location_id)
        REFERENCES inventory_locations (theater_id, id),
    CONSTRAINT inventory_movements_to_location_fkey FOREIGN KEY (theater_id, to_location_id)
        REFERENCES inventory_locations (theater_id, id),
    CONSTRAINT inventory_movements_holder_user_fkey FOREIGN KEY (theater_id, holder_user_id)
        REFERENCES users (theater_id, id)
);
CREATE INDEX inventory_movements_item_idx ON inventory_movements (item_id, created_at DESC, id DESC);
CREATE INDEX inventory_movements_split_idx ON inventory_movements (split_item_id) WHERE split_item_id IS NOT NULL;
CREATE INDEX inventory_movements_journal_idx ON inventory_movements (theater_id, created_at DESC, id DESC);

CREATE FUNCTION inventory_movements_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Only the deletion of the whole theatre may remove ledger rows.
    IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM theaters WHERE id = OLD.theater_id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the movement ledger is append-only'
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER inventory_movements_append_only
    BEFORE UPDATE OR DELETE ON inventory_movements
    FOR EACH ROW EXECUTE FUNCTION inventory_movements_append_only();

-- Photos go straight to S3 through a presigned PUT; the row is `pending` until confirmed.
CREATE TABLE inventory_item_photos (
    id           uuid PRIMARY KEY,
    theater_id   uuid NOT NULL,
    item_id      uuid NOT NULL,
    storage_key  text NOT NULL UNIQUE,
    filename     text NOT NULL,
    content_type text NOT NULL,
    size_bytes   bigint NOT NULL CHECK (size_bytes > 0),
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready')),
    is_primary   boolean NOT NULL DEFAULT false,
    sort_order   integer NOT NULL DEFAULT 0,
    created_by   uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT inventory_item_photos_item_fkey FOREIGN KEY (theater_id, item_id)
        REFERENCES inventory_items (theater_id, id) ON DELETE CASCADE
);
CREATE INDEX inventory_item_photos_item_idx ON inventory_item_photos (item_id, sort_order, created_at);
-- At most one primary photo per item.
CREATE UNIQUE INDEX inventory_item_photos_primary_key ON inventory_item_photos (item_id) WHERE is_primary;

-- Seeds a theatre's categories, locations and number counter (DOMAIN.md).
CREATE FUNCTION seed_inventory_for(theater uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO inventory_categories (id, theater_id, code, name, sort_order, department_id)
    SELECT gen_random_uuid(), theater, c.code, c.name, c.sort_order,
           (SELECT d.id FROM departments d
            WHERE d.theater_id = theater AND d.code = c.department AND d.deleted_at IS NULL)
    FROM (VALUES
        ('props', 'Реквизит', 10, 'props'),
        ('costumes', 'Костюмы', 20, 'costume'),
        ('scenery', 'Декорации', 30, 'stage'),
        ('furniture', 'Мебель', 40, 'stage'),
        ('equipment', 'Оборудование', 50, NULL),
        ('lighting', 'Свет', 60, 'light'),
        ('sound', 'Звук', 70, 'sound'),
        ('other', 'Прочее', 80, NULL)
    ) AS c (code, name, sort_order, department)
    ON CONFLICT DO NOTHING;

    INSERT INTO inventory_locations (id, theater_id, code, name, sort_order)
    SELECT gen_random_uuid(), theater, l.code, l.name, l.sort_order
    FROM (VALUES
        ('main-warehouse', 'Основной склад', 10),
        ('costume-room', 'Костюмерная', 20),
        ('props-room', 'Реквизиторская', 30),
        ('stage', 'Сцена', 40),
        ('backstage', 'Закулисье', 50)
    ) AS l (code, name, sort_order)
    ON CONFLICT DO NOTHING;

    INSERT INTO inventory_number_counters (theater_id) VALUES (theater) ON CONFLICT DO NOTHING;
END;
$$;

CREATE FUNCTION seed_inventory() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM seed_inventory_for(NEW.id);
    RETURN NEW;
END;
$$;

-- Named so that it fires after theaters_seed_accounts (triggers fire in name order): the
-- departments exist when categories are assigned to them.
CREATE TRIGGER theaters_seed_inventory
    AFTER INSERT ON theaters
    FOR EACH ROW EXECUTE FUNCTION seed_inventory();

-- Theatres that existed before this migration get the same defaults.
SELECT seed_inventory_for(id) FROM theaters;
