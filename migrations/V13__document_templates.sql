-- Document templates (issue 13): DOCX files with {{variable}} placeholders, filled for a
-- performance into a new document.
--
-- A template is its own row that points at a document of its own: the DOCX is that document's
-- current version, so uploading or replacing a template is the documents function's versioned
-- upload (presigned PUT → complete → the worker verifies, numbers and indexes it), every
-- version of the template is kept, and who may see the template is who may see its document.

CREATE TABLE document_templates (
    id            uuid PRIMARY KEY,
    theater_id    uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    -- The document holding the DOCX.
    document_id   uuid NOT NULL,
    name          text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    description   text CHECK (length(description) <= 2000),
    -- The placeholders found in the DOCX, and the document version they were read from
    -- (read again when the document's current version changes).
    placeholders  text[] NOT NULL DEFAULT '{}',
    placeholders_version_id uuid,
    created_by    uuid,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz,
    CONSTRAINT document_templates_theater_id_id_key UNIQUE (theater_id, id),
    CONSTRAINT document_templates_document_fkey FOREIGN KEY (theater_id, document_id)
        REFERENCES documents (theater_id, id)
);
CREATE UNIQUE INDEX document_templates_name_key ON document_templates (theater_id, lower(name))
    WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX document_templates_document_key ON document_templates (theater_id, document_id)
    WHERE deleted_at IS NULL;

-- Typed variables (DOMAIN.md). `field` names the performance field (performance_field, or a
-- fallback of any scalar type) or the user field (user_field).
CREATE TABLE document_template_variables (
    theater_id    uuid NOT NULL,
    template_id   uuid NOT NULL,
    name          text NOT NULL CHECK (name ~ '^[[:alnum:]_.-]{1,100}$'),
    type          text NOT NULL CHECK (type IN ('text', 'number', 'date', 'choice',
                      'performance_field', 'user_field', 'actor_list', 'staff_list')),
    label         text CHECK (length(label) <= 200),
    required      boolean NOT NULL DEFAULT false,
    default_value text CHECK (length(default_value) <= 10000),
    options       text[] NOT NULL DEFAULT '{}',
    field         text,
    position      integer NOT NULL,
    PRIMARY KEY (template_id, name),
    CONSTRAINT document_template_variables_template_fkey FOREIGN KEY (theater_id, template_id)
        REFERENCES document_templates (theater_id, id) ON DELETE CASCADE,
    CONSTRAINT document_template_variables_choice CHECK (type <> 'choice' OR cardinality(options) > 0),
    CONSTRAINT document_template_variables_field CHECK (type <> 'performance_field' OR field IS NOT NULL)
);

-- One generation: the values used (as filled in), the template version read, and the new
-- document with its pre-assigned version id (so a retried job writes the same version).
CREATE TABLE document_generations (
    id                  uuid PRIMARY KEY,
    theater_id          uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    template_id         uuid NOT NULL,
    template_version_id uuid NOT NULL,
    performance_id      uuid,
    format              text NOT NULL CHECK (format IN ('docx', 'pdf')),
    "values"            jsonb NOT NULL,
    document_id         uuid NOT NULL,
    version_id          uuid NOT NULL,
    status              text NOT NULL DEFAULT 'processing'
        CHECK (status IN ('processing', 'ready', 'failed')),
    error               text,
    attempts            integer NOT NULL DEFAULT 0,
    created_by          uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    processing_started_at timestamptz NOT NULL DEFAULT now(),
    completed_at        timestamptz,
    CONSTRAINT document_generations_theater_id_id_key UNIQUE (theater_id, id),
    CONSTRAINT document_generations_template_fkey FOREIGN KEY (theater_id, template_id)
        REFERENCES document_templates (theater_id, id),
    CONSTRAINT document_generations_performance_fkey FOREIGN KEY (theater_id, performance_id)
        REFERENCES performances (theater_id, id),
    CONSTRAINT document_generations_document_fkey FOREIGN KEY (theater_id, document_id)
        REFERENCES documents (theater_id, id)
);
CREATE INDEX document_generations_template_idx ON document_generations (theater_id, template_id, created_at DESC);
CREATE INDEX document_generations_processing_idx ON document_generations (processing_started_at)
    WHERE status = 'processing';
