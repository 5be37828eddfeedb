-- Scheduled reports (issue 13): a definition runs a report daily, weekly or monthly at a local
-- time of the theatre's zone; each run's file becomes a new version of one document per
-- definition. `report_runs` holds one row per definition and slot: the worker claims a slot by
-- inserting its row, so two workers never both run it (UNIQUE (schedule_id, slot_start)).

CREATE TABLE report_schedules (
    id          uuid PRIMARY KEY,
    theater_id  uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    report_code text NOT NULL CHECK (report_code ~ '^[a-z][a-z_]{1,49}$'),
    -- The report's parameters other than the period (group_by, order, limit).
    params      jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(params) = 'object'),
    format      text NOT NULL CHECK (format IN ('json', 'csv', 'xlsx', 'pdf')),
    cadence     text NOT NULL CHECK (cadence IN ('daily', 'weekly', 'monthly')),
    -- weekly: ISO weekday 1 (Monday) … 7; monthly: day of month 1 … 28; daily: NULL.
    day         smallint,
    local_time  time NOT NULL,
    title       text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    -- Users of the theatre the result is meant for.
    recipients  uuid[] NOT NULL DEFAULT '{}',
    is_active   boolean NOT NULL DEFAULT true,
    -- The document whose versions are the results (made by the first run).
    document_id uuid,
    -- Runs are made with this user's permissions at the time of the run.
    created_by  uuid NOT NULL,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT report_schedules_theater_id_id_key UNIQUE (theater_id, id),
    CONSTRAINT report_schedules_day CHECK (
        (cadence = 'daily' AND day IS NULL)
        OR (cadence = 'weekly' AND day BETWEEN 1 AND 7)
        OR (cadence = 'monthly' AND day BETWEEN 1 AND 28)),
    CONSTRAINT report_schedules_created_by_fkey FOREIGN KEY (theater_id, created_by)
        REFERENCES users (theater_id, id) ON DELETE CASCADE,
    CONSTRAINT report_schedules_document_fkey FOREIGN KEY (theater_id, document_id)
        REFERENCES documents (theater_id, id) ON DELETE SET NULL (document_id)
);
CREATE INDEX report_schedules_list_idx ON report_schedules (theater_id, created_at, id);
CREATE INDEX report_schedules_active_idx ON report_schedules (id) WHERE is_active;

CREATE TABLE report_runs (
    id          uuid PRIMARY KEY,
    theater_id  uuid NOT NULL,
    schedule_id uuid NOT NULL,
    -- The slot's start (the local time of its day, as an instant).
    slot_start  timestamptz NOT NULL,
    status      text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
    error       text,
    version_id  uuid,
    attempts    integer NOT NULL DEFAULT 1,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    CONSTRAINT report_runs_slot_key UNIQUE (schedule_id, slot_start),
    CONSTRAINT report_runs_schedule_fkey FOREIGN KEY (theater_id, schedule_id)
        REFERENCES report_schedules (theater_id, id) ON DELETE CASCADE
);
