-- Documents: categories, tags, documents and every version ever uploaded, with full-text
-- search in Russian and English. Files live in S3 under keys the server chooses; rows here
-- describe them. Cross-references stay inside one theatre through composite foreign keys.

CREATE TABLE document_categories (
    id          uuid PRIMARY KEY,
    theater_id  uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    code        text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{1,49}$'),
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    -- A permission needed, on top of documents:view, to see documents of this category
    -- (finance → documents:view_financial).
    required_permission text CHECK (required_permission IN ('documents:view_financial')),
    is_system   boolean NOT NULL DEFAULT false,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT document_categories_code_key UNIQUE (theater_id, code),
    CONSTRAINT document_categories_theater_id_id_key UNIQUE (theater_id, id)
);

-- Tags are free words; the table lists them for pickers. Documents carry tag names.
CREATE TABLE document_tags (
    id          uuid PRIMARY KEY,
    theater_id  uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 50 AND name = btrim(name)),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT document_tags_name_key UNIQUE (theater_id, name)
);

CREATE TABLE documents (
    id              uuid PRIMARY KEY,
    theater_id      uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    category_id     uuid NOT NULL,
    title           text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    description     text CHECK (length(description) <= 10000),
    tags            text[] NOT NULL DEFAULT '{}',
    status          text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'archived')),
    department_id   uuid,
    -- Performances arrive in a later module; kept as a plain id until then.
    performance_id  uuid,
    -- NULL: everyone with documents:view; otherwise only holders of one of these roles
    -- (and administrators). Ids are checked against the theatre's roles on write.
    allowed_role_ids uuid[],
    -- The version most recently made ready, and the last number handed out. Numbers are
    -- assigned under this row's lock, so they are gap-free under concurrency.
    current_version_id  uuid,
    last_version_number integer NOT NULL DEFAULT 0,
    created_by      uuid,
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    -- Maintained by documents_search_update(): title, tags, description and the current
    -- version's text, each in Russian and English stemming.
    search_vector   tsvector NOT NULL DEFAULT ''::tsvector,
    CONSTRAINT documents_theater_id_id_key UNIQUE (theater_id, id),
    CONSTRAINT documents_category_fkey FOREIGN KEY (theater_id, category_id)
        REFERENCES document_categories (theater_id, id),
    CONSTRAINT documents_department_fkey FOREIGN KEY (theater_id, department_id)
        REFERENCES departments (theater_id, id)
);
CREATE INDEX documents_list_idx ON documents (theater_id, updated_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX documents_category_idx ON documents (theater_id, category_id);
CREATE INDEX documents_performance_idx ON documents (theater_id, performance_id);
CREATE INDEX documents_tags_idx ON documents USING gin (tags);
CREATE INDEX documents_search_idx ON documents USING gin (search_vector);

CREATE TABLE document_versions (
    id              uuid PRIMARY KEY,
    theater_id      uuid NOT NULL,
    document_id     uuid NOT NULL,
    -- Assigned when the version becomes ready; gap-free per document.
    number          integer,
    status          text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'processing', 'ready', 'failed')),
    -- A readable reason when failed.
    error           text,
    original_filename text NOT NULL CHECK (length(original_filename) BETWEEN 1 AND 255),
    declared_size   bigint NOT NULL CHECK (declared_size > 0),
    declared_content_type text NOT NULL,
    -- Measured by the worker from the bytes.
    size            bigint,
    sha256          text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content_type    text,
    -- Chosen by the server; never derived from the user's file name. A restored version
    -- shares its source's key (objects are immutable), so no bytes are duplicated.
    storage_key     text NOT NULL,
    preview_key     text,
    preview_content_type text,
    extracted_text  text,
    comment         text CHECK (length(comment) <= 2000),
    uploaded_by     uuid,
    restored_from_id uuid,
    -- Set when the upload turned out identical to the current version (nothing stored).
    identical_to_id uuid,
    attempts        integer NOT NULL DEFAULT 0,
    upload_expires_at timestamptz,
    processing_started_at timestamptz,
    completed_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT document_versions_theater_id_id_key UNIQUE (theater_id, id),
    CONSTRAINT document_versions_document_fkey FOREIGN KEY (theater_id, document_id)
        REFERENCES documents (theater_id, id) ON DELETE CASCADE,
    CONSTRAINT document_versions_number_key UNIQUE (document_id, number),
    CONSTRAINT document_versions_ready_numbered
        CHECK (status <> 'ready' OR (number IS NOT NULL AND sha256 IS NOT NULL))
);
CREATE INDEX document_versions_document_idx ON document_versions (document_id, created_at DESC);
-- The sweeper looks for versions stuck in processing.
CREATE INDEX document_versions_processing_idx ON document_versions (processing_started_at)
    WHERE status = 'processing';

ALTER TABLE documents ADD CONSTRAINT documents_current_version_fkey
    FOREIGN KEY (theater_id, current_version_id) REFERENCES document_versions (theater_id, id)
    DEFERRABLE INITIALLY DEFERRED;

-- Russian and English stemming side by side: "декорация" finds "декораций", "rider" finds
-- "riders". Weights: title A, tags B, description C, file text D. The file text is capped so
-- the vector stays under PostgreSQL's 1 MB limit.
CREATE FUNCTION documents_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    body text;
    tag_text text := array_to_string(NEW.tags, ' ');
BEGIN
    SELECT left(v.extracted_text, 200000) INTO body
    FROM document_versions v WHERE v.id = NEW.current_version_id;
    NEW.search_vector :=
        setweight(to_tsvector('russian', coalesce(NEW.title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') ||
        setweight(to_tsvector('russian', coalesce(tag_text, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(tag_text, '')), 'B') ||
        setweight(to_tsvector('russian', coalesce(NEW.description, '')), 'C') ||
        setweight(to_tsvector('english', coalesce(NEW.description, '')), 'C') ||
        setweight(to_tsvector('russian', coalesce(body, '')), 'D') ||
        setweight(to_tsvector('english', coalesce(body, '')), 'D');
    RETURN NEW;
END;
$$;

CREATE TRIGGER documents_search
    BEFORE INSERT OR UPDATE OF title, description, tags, current_version_id ON documents
    FOR EACH ROW EXECUTE FUNCTION documents_search_update();

-- The eight categories of DOMAIN.md for a theatre.
CREATE FUNCTION seed_document_categories(theater uuid) RETURNS void LANGUAGE sql AS $$
    INSERT INTO document_categories (id, theater_id, code, name, required_permission, is_system)
    SELECT gen_random_uuid(), theater, c.code, c.name, c.required_permission, true
    FROM (VALUES
        ('orders', 'Приказы', NULL),
        ('contracts', 'Договоры', NULL),
        ('finance', 'Финансовые документы', 'documents:view_financial'),
        ('hr', 'Кадровые документы', NULL),
        ('technical', 'Технические документы', NULL),
        ('creative', 'Творческие материалы', NULL),
        ('promo', 'Афиши и программки', NULL),
        ('other', 'Прочее', NULL)
    ) AS c (code, name, required_permission)
    ON CONFLICT (theater_id, code) DO NOTHING;
$$;

CREATE FUNCTION seed_documents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM seed_document_categories(NEW.id);
    RETURN NEW;
END;
$$;

CREATE TRIGGER theaters_seed_documents
    AFTER INSERT ON theaters
    FOR EACH ROW EXECUTE FUNCTION seed_documents();

-- Theatres that exist already get their categories now.
SELECT seed_document_categories(id) FROM theaters;
