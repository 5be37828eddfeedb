-- Performances, the production's structure (issue 9): the technical passport's sections, cast
-- and crew, acts and scenes, and the kit list's narrowing to a scene and a cast member. Every
-- cross-reference stays inside one theatre through composite (theater_id, id) foreign keys.

-- The passport's sections. Every new performance gets the nine of DOMAIN.md (created by the
-- performances function in the same transaction); each belongs to the department of the same
-- trade, which is what the "свой цех" rule keys on.
CREATE TABLE performance_sections (
    id                  uuid PRIMARY KEY,
    theater_id          uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    performance_id      uuid NOT NULL,
    code                text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{1,49}$'),
    title               text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    sort_order          integer NOT NULL DEFAULT 0,
    -- Markdown.
    content             text NOT NULL DEFAULT '' CHECK (length(content) <= 100000),
    responsible_user_id uuid,
    department_id       uuid,
    version             integer NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT performance_sections_theater_id_id_key UNIQUE (theater_id, id),
    CONSTRAINT performance_sections_code_key UNIQUE (performance_id, code),
    CONSTRAINT performance_sections_performance_fkey FOREIGN KEY (theater_id, performance_id)
        REFERENCES performances (theater_id, id) ON DELETE CASCADE,
    CONSTRAINT performance_sections_responsible_fkey FOREIGN KEY (theater_id, responsible_user_id)
        REFERENCES users (theater_id, id) ON DELETE SET NULL (responsible_user_id),
    CONSTRAINT performance_sections_department_fkey FOREIGN KEY (theater_id, department_id)
        REFERENCES departments (theater_id, id) ON DELETE SET NULL (department_id)
);
CREATE INDEX performance_sections_performance_idx
    ON performance_sections (theater_id, performance_id, sort_order);

-- Cast and crew: a user of the theatre or an outside name, with the role (a character for the
-- cast, a job for the crew). Several people for one role are a double cast, ordered by
-- `cast_order` (1 = first cast); understudies are marked.
CREATE TABLE performance_cast (
    id             uuid PRIMARY KEY,
    theater_id     uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    performance_id uuid NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('cast', 'crew')),
    user_id        uuid,
    person_name    text CHECK (length(btrim(person_name)) BETWEEN 1 AND 200),
    role_name      text NOT NULL CHECK (length(btrim(role_name)) BETWEEN 1 AND 200),
    cast_order     integer NOT NULL DEFAULT 1 CHECK (cast_order BETWEEN 1 AND 20),
    is_understudy  boolean NOT NULL DEFAULT false,
    note           text CHECK (length(note) <= 2000),
    sort_order     integer NOT NULL DEFAULT 0,
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT performance_cast_theater_id_id_key UNIQUE (theater_id, id),
    CONSTRAINT performance_cast_performance_fkey FOREIGN KEY (theater_id, performance_id)
        REFERENCES performances (theater_id, id) ON DELETE CASCADE,
    CONSTRAINT performance_cast_user_fkey FOREIGN KEY (theater_id, user_id)
        REFERENCES users (theater_id, id),
    -- Somebody: a user, or a name for people without an account.
    CONSTRAINT performance_cast_has_person CHECK (num_nonnulls(user_id, person_name) >= 1)
);
CREATE INDEX performance_cast_performance_idx
    ON performance_cast (theater_id, performance_id, kind, role_name, cast_order);

-- Acts and scenes: an optional structure. A scene is numbered within its act.
CREATE TABLE performance_scenes (
    id               uuid PRIMARY KEY,
    theater_id       uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    performance_id   uuid NOT NULL,
    act_number       integer NOT NULL CHECK (act_number BETWEEN 1 AND 20),
    scene_number     integer NOT NULL CHECK (scene_number BETWEEN 1 AND 200),
    title            text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    description      text CHECK (length(description) <= 10000),
    duration_minutes integer CHECK (duration_minutes BETWEEN 1 AND 600),
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT performance_scenes_theater_id_id_key UNIQUE (theater_id, id),
    CONSTRAINT performance_scenes_number_key UNIQUE (performance_id, act_number, scene_number),
    CONSTRAINT performance_scenes_performance_fkey FOREIGN KEY (theater_id, performance_id)
        REFERENCES performances (theater_id, id) ON DELETE CASCADE
);

-- The kit list narrowed to a scene and to the cast member who wears or uses the item (a
-- costume per performer per scene). Deleting the scene or the cast entry widens the line again.
ALTER TABLE performance_kit_items
    ADD COLUMN scene_id       uuid,
    ADD COLUMN cast_member_id uuid,
    ADD COLUMN version        integer NOT NULL DEFAULT 1,
    ADD COLUMN updated_at     timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT performance_kit_items_scene_fkey FOREIGN KEY (theater_id, scene_id)
        REFERENCES performance_scenes (theater_id, id) ON DELETE SET NULL (scene_id),
    ADD CONSTRAINT performance_kit_items_cast_member_fkey FOREIGN KEY (theater_id, cast_member_id)
        REFERENCES performance_cast (theater_id, id) ON DELETE SET NULL (cast_member_id);

-- Search by title and author (ILIKE '%…%'; pg_trgm comes from V2).
CREATE INDEX performances_title_trgm_idx ON performances
    USING gin (title gin_trgm_ops) WHERE deleted_at IS NULL;
CREATE INDEX performances_author_trgm_idx ON performances
    USING gin (author gin_trgm_ops) WHERE deleted_at IS NULL;
CREATE INDEX performances_repertoire_idx ON performances (theater_id, repertoire_order)
    WHERE deleted_at IS NULL AND status = 'in_repertoire';
