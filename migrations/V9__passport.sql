-- The technical passport's documents, snapshots and checklists (issue 9).
--
-- Passport documents are the documents of the documents function: the same rows, the same
-- versions, the same verifying worker. Filing a document under a performance sets its
-- performance_id (which V6 made a composite foreign key) and its passport category here; no
-- second table of files, no second storage path.

ALTER TABLE documents
    -- One of the 25 categories of DOMAIN.md's four passport parts (24 of them required).
    ADD COLUMN passport_category text CHECK (passport_category IN (
        'passport', 'reception_act', 'fire_protection', 'welding_acts', 'material_certs',
        'calculations',
        'sketches', 'tech_spec_decor', 'tech_spec_light', 'tech_spec_costume', 'tech_spec_props',
        'tech_spec_sound',
        'decor_photos', 'layouts', 'mount_list', 'hanging_list', 'mount_instruction',
        'light_partition', 'sound_partition', 'video_partition', 'costume_list', 'makeup_card',
        'rider', 'estimates', 'drawings')),
    -- How sure auto-filing was (0-1); NULL when a person chose the category.
    ADD COLUMN passport_confidence real CHECK (passport_confidence BETWEEN 0 AND 1),
    ADD COLUMN passport_filed_at timestamptz,
    -- A category only means something inside a performance's passport.
    ADD CONSTRAINT documents_passport_needs_performance
        CHECK (passport_category IS NULL OR performance_id IS NOT NULL);

CREATE INDEX documents_passport_idx ON documents (theater_id, performance_id, passport_category)
    WHERE passport_category IS NOT NULL AND deleted_at IS NULL;

-- A document taken off its performance through the documents API leaves that passport too
-- (rather than the documents function failing on the CHECK above).
CREATE FUNCTION documents_passport_follow_performance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.performance_id IS DISTINCT FROM OLD.performance_id
       AND NEW.passport_category IS NOT DISTINCT FROM OLD.passport_category THEN
        NEW.passport_category := NULL;
        NEW.passport_confidence := NULL;
        NEW.passport_filed_at := NULL;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER documents_passport_follow_performance
    BEFORE UPDATE OF performance_id ON documents
    FOR EACH ROW EXECUTE FUNCTION documents_passport_follow_performance();

-- Snapshots ("as premiered", before a tour or a revival): the passport frozen at a moment as
-- one jsonb document (sections, the current version of every filed document, kit list, cast).
-- Immutable once taken.
CREATE TABLE performance_snapshots (
    id             uuid PRIMARY KEY,
    theater_id     uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    performance_id uuid NOT NULL,
    name           text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    kind           text NOT NULL DEFAULT 'manual'
        CHECK (kind IN ('as_premiered', 'before_tour', 'before_revival', 'manual')),
    state          jsonb NOT NULL,
    created_by     uuid,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT performance_snapshots_theater_id_id_key UNIQUE (theater_id, id),
    CONSTRAINT performance_snapshots_performance_fkey FOREIGN KEY (theater_id, performance_id)
        REFERENCES performances (theater_id, id) ON DELETE CASCADE
);
CREATE INDEX performance_snapshots_list_idx
    ON performance_snapshots (theater_id, performance_id, created_at DESC, id DESC);

-- Checklist templates per theatre: a type and ordered item texts. Soft-deleted, so the
-- checklists made from a template keep pointing at it.
CREATE TABLE checklist_templates (
    id          uuid PRIMARY KEY,
    theater_id  uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    kind        text NOT NULL
        CHECK (kind IN ('pre_show', 'day_of', 'post_show', 'montage', 'rehearsal')),
    -- The item texts in order: a template is edited as a whole, never ticked.
    items       text[] NOT NULL CHECK (cardinality(items) BETWEEN 1 AND 200),
    is_system   boolean NOT NULL DEFAULT false,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    CONSTRAINT checklist_templates_theater_id_id_key UNIQUE (theater_id, id)
);
CREATE INDEX checklist_templates_list_idx ON checklist_templates (theater_id, kind, name)
    WHERE deleted_at IS NULL;

-- A checklist run for a performance (and, once the schedule exists, for one of its events):
-- a copy of the template's items, so editing the template never changes a run under way.
CREATE TABLE performance_checklists (
    id             uuid PRIMARY KEY,
    theater_id     uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    performance_id uuid NOT NULL,
    -- The schedule's event this run is for; the schedule function adds the foreign key.
    event_id       uuid,
    template_id    uuid,
    name           text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    kind           text NOT NULL
        CHECK (kind IN ('pre_show', 'day_of', 'post_show', 'montage', 'rehearsal')),
    created_by     uuid,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT performance_checklists_theater_id_id_key UNIQUE (theater_id, id),
    CONSTRAINT performance_checklists_performance_fkey FOREIGN KEY (theater_id, performance_id)
        REFERENCES performances (theater_id, id) ON DELETE CASCADE,
    CONSTRAINT performance_checklists_template_fkey FOREIGN KEY (theater_id, template_id)
        REFERENCES checklist_templates (theater_id, id)
);
CREATE INDEX performance_checklists_list_idx
    ON performance_checklists (theater_id, performance_id, created_at DESC, id DESC);

-- One row per item: a tick is an UPDATE of its own row, so concurrent ticks of different items
-- never touch the same row and none is lost; ticking a ticked item changes nothing.
CREATE TABLE performance_checklist_items (
    id           uuid PRIMARY KEY,
    theater_id   uuid NOT NULL,
    checklist_id uuid NOT NULL,
    position     integer NOT NULL CHECK (position >= 1),
    text         text NOT NULL CHECK (length(btrim(text)) BETWEEN 1 AND 500),
    ticked_by    uuid,
    ticked_at    timestamptz,
    CONSTRAINT performance_checklist_items_theater_id_id_key UNIQUE (theater_id, id),
    CONSTRAINT performance_checklist_items_position_key UNIQUE (checklist_id, position),
    CONSTRAINT performance_checklist_items_checklist_fkey FOREIGN KEY (theater_id, checklist_id)
        REFERENCES performance_checklists (theater_id, id) ON DELETE CASCADE,
    CONSTRAINT performance_checklist_items_ticker_fkey FOREIGN KEY (theater_id, ticked_by)
        REFERENCES users (theater_id, id) ON DELETE SET NULL (ticked_by),
    -- Who ticked may be gone (account deleted); when is always known for a ticked item.
    CONSTRAINT performance_checklist_items_tick_time CHECK (ticked_by IS NULL OR ticked_at IS NOT NULL)
);

-- The seeded templates of a theatre (DOMAIN.md's five types), editable by its admins.
CREATE FUNCTION seed_checklist_templates(theater uuid) RETURNS void LANGUAGE sql AS $$
    INSERT INTO checklist_templates (id, theater_id, name, kind, items, is_system)
    SELECT gen_random_uuid(), theater, t.name, t.kind, t.items, true
    FROM (VALUES
        ('Перед спектаклем', 'pre_show', ARRAY[
            'Декорации установлены по монтировочной описи',
            'Световые приборы проверены, пульт загружен',
            'Звук: микрофоны и мониторы проверены',
            'Реквизит разложен по местам',
            'Костюмы готовы и развешаны',
            'Пожарные выходы свободны',
            'Связь помощника режиссёра проверена']),
        ('День спектакля', 'day_of', ARRAY[
            'Сцена свободна к началу монтажа',
            'Монтаж декораций закончен',
            'Световая репетиция проведена',
            'Саундчек проведён',
            'Грим и парики готовы']),
        ('После спектакля', 'post_show', ARRAY[
            'Реквизит собран и сдан',
            'Костюмы сданы в костюмерную',
            'Пульты выключены',
            'Сцена разобрана или законсервирована',
            'Замечания записаны в журнал спектакля']),
        ('Монтаж', 'montage', ARRAY[
            'Штанкеты загружены по развеске',
            'Станки собраны и закреплены',
            'Огнезащита декораций проверена',
            'Планировка размечена на планшете']),
        ('Репетиция', 'rehearsal', ARRAY[
            'Репетиционный зал подготовлен',
            'Выгородка установлена',
            'Репетиционный реквизит выдан'])
    ) AS t (name, kind, items)
    WHERE NOT EXISTS (SELECT 1 FROM checklist_templates c
                      WHERE c.theater_id = theater AND c.is_system);
$$;

CREATE FUNCTION seed_checklists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM seed_checklist_templates(NEW.id);
    RETURN NEW;
END;
$$;

CREATE TRIGGER theaters_seed_checklists
    AFTER INSERT ON theaters
    FOR EACH ROW EXECUTE FUNCTION seed_checklists();

-- Theatres that exist already get their templates now.
SELECT seed_checklist_templates(id) FROM theaters;
