-- Performances, the core that other modules point at (issues 9 and 10).
--
-- The performance card and its kit list. The performances function builds the rest of the
-- production (passport sections, cast, scenes, checklists, posters) in later migrations; the
-- schedule function reserves the kit list for events. Every cross-reference stays inside one
-- theatre through composite (theater_id, id) foreign keys.

CREATE TABLE performances (
    id               uuid PRIMARY KEY,
    theater_id       uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    title            text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    subtitle         text CHECK (length(subtitle) <= 300),
    author           text CHECK (length(author) <= 300),
    director         text CHECK (length(director) <= 300),
    genre            text CHECK (length(genre) <= 100),
    age_rating       text CHECK (age_rating IN ('0+', '6+', '12+', '16+', '18+')),
    duration_minutes integer CHECK (duration_minutes BETWEEN 1 AND 1440),
    intermissions    integer NOT NULL DEFAULT 0 CHECK (intermissions BETWEEN 0 AND 10),
    premiere_date    date,
    description      text CHECK (length(description) <= 20000),
    status           text NOT NULL DEFAULT 'preparation'
        CHECK (status IN ('preparation', 'in_repertoire', 'paused', 'archived')),
    -- Position in the repertoire list (in_repertoire performances, ascending).
    repertoire_order integer,
    created_by       uuid,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz,
    CONSTRAINT performances_theater_id_id_key UNIQUE (theater_id, id)
);
CREATE INDEX performances_list_idx ON performances (theater_id, updated_at DESC, id DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX performances_status_idx ON performances (theater_id, status) WHERE deleted_at IS NULL;

-- The foreign keys the inventory and documents schemas left for this table.
ALTER TABLE inventory_item_performances
    ADD CONSTRAINT inventory_item_performances_performance_fkey
    FOREIGN KEY (theater_id, performance_id) REFERENCES performances (theater_id, id)
    ON DELETE CASCADE;
ALTER TABLE documents
    ADD CONSTRAINT documents_performance_fkey
    FOREIGN KEY (theater_id, performance_id) REFERENCES performances (theater_id, id);
ALTER TABLE inventory_items
    ADD CONSTRAINT inventory_items_holder_performance_fkey
    FOREIGN KEY (theater_id, holder_performance_id) REFERENCES performances (theater_id, id);
ALTER TABLE inventory_movements
    ADD CONSTRAINT inventory_movements_holder_performance_fkey
    FOREIGN KEY (theater_id, holder_performance_id) REFERENCES performances (theater_id, id);

-- The kit list: inventory items a production needs, with the quantity. A line may be narrowed
-- to a passport section (by its code) and, by the performances function, to a scene or a cast
-- member (columns added with those tables).
CREATE TABLE performance_kit_items (
    id             uuid PRIMARY KEY,
    theater_id     uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    performance_id uuid NOT NULL,
    item_id        uuid NOT NULL,
    quantity       integer NOT NULL DEFAULT 1 CHECK (quantity BETWEEN 1 AND 100000),
    section        text CHECK (section IN ('lighting', 'sound', 'scenery', 'props', 'costumes',
                       'makeup', 'video', 'effects', 'other')),
    note           text CHECK (length(note) <= 2000),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT performance_kit_items_theater_id_id_key UNIQUE (theater_id, id),
    CONSTRAINT performance_kit_items_performance_fkey FOREIGN KEY (theater_id, performance_id)
        REFERENCES performances (theater_id, id) ON DELETE CASCADE,
    CONSTRAINT performance_kit_items_item_fkey FOREIGN KEY (theater_id, item_id)
        REFERENCES inventory_items (theater_id, id)
);
CREATE INDEX performance_kit_items_performance_idx
    ON performance_kit_items (theater_id, performance_id);
CREATE INDEX performance_kit_items_item_idx ON performance_kit_items (theater_id, item_id);

-- Posters and production photos. The client PUTs the original straight to S3 (presigned, size
-- and type bound); confirm moves the row to `processing` and enqueues `process_poster`; the
-- worker verifies and pins the original (verified_etag), writes the variants and marks the row
-- `ready` (variants filled) or `failed` (failure_reason). A performance has at most one current
-- poster; photos form its gallery.
CREATE TABLE performance_images (
    id                uuid PRIMARY KEY,
    theater_id        uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    performance_id    uuid NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('poster', 'photo')),
    storage_key       text NOT NULL UNIQUE,
    filename          text NOT NULL,
    content_type      text NOT NULL,
    size_bytes        bigint NOT NULL CHECK (size_bytes > 0),
    status            text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'processing', 'ready', 'failed')),
    -- {"thumb": {"key", "width", "height", "format", "bytes"}, "card_webp": ...}: filled by the worker.
    variants          jsonb NOT NULL DEFAULT '{}'::jsonb,
    width             integer,
    height            integer,
    failure_reason    text,
    verified_etag     text,
    upload_expires_at timestamptz,
    caption           text CHECK (length(caption) <= 500),
    sort_order        integer NOT NULL DEFAULT 0,
    is_current        boolean NOT NULL DEFAULT false,
    attempts          integer NOT NULL DEFAULT 0,
    created_by        uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT performance_images_theater_id_id_key UNIQUE (theater_id, id),
    CONSTRAINT performance_images_performance_fkey FOREIGN KEY (theater_id, performance_id)
        REFERENCES performances (theater_id, id) ON DELETE CASCADE
);
CREATE INDEX performance_images_performance_idx
    ON performance_images (theater_id, performance_id, kind, sort_order, created_at);
-- One current poster per performance.
CREATE UNIQUE INDEX performance_images_current_poster_key ON performance_images (performance_id)
    WHERE kind = 'poster' AND is_current;
-- The sweeper re-enqueues rows stuck in `processing` (a worker killed mid-job).
CREATE INDEX performance_images_processing_idx ON performance_images (updated_at)
    WHERE status = 'processing';
