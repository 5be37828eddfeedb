-- Schedule (issue 10): venues, events that can never double-book a venue, recurring series,
-- participants and their unavailability, kit reservations, calendar feed tokens.
--
-- The theatre's IANA time zone is `theaters.timezone` (V1). Every cross-reference stays inside
-- one theatre through composite (theater_id, id) foreign keys.

-- `=` on uuid inside a GiST exclusion constraint next to `&&` on a range.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE venues (
    id             uuid PRIMARY KEY,
    theater_id     uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    code           text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_-]{1,49}$'),
    name           text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    kind           text NOT NULL CHECK (kind IN
                       ('main_stage', 'small_stage', 'rehearsal', 'warehouse', 'workshop', 'other')),
    capacity       integer CHECK (capacity BETWEEN 0 AND 100000),
    -- Defaults for the events held here: time blocked before (set-up) and after (strike).
    setup_minutes  integer NOT NULL DEFAULT 0 CHECK (setup_minutes BETWEEN 0 AND 1440),
    strike_minutes integer NOT NULL DEFAULT 0 CHECK (strike_minutes BETWEEN 0 AND 1440),
    is_active      boolean NOT NULL DEFAULT true,
    description    text CHECK (length(description) <= 5000),
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz,
    CONSTRAINT venues_theater_id_id_key UNIQUE (theater_id, id)
);
CREATE UNIQUE INDEX venues_code_key ON venues (theater_id, code) WHERE deleted_at IS NULL;

-- Seeds a theatre's venues (DOMAIN.md).
CREATE FUNCTION seed_schedule_for(theater uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO venues (id, theater_id, code, name, kind, capacity)
    SELECT gen_random_uuid(), theater, v.code, v.name, v.kind, v.capacity
    FROM (VALUES
        ('main-stage', 'Основная сцена', 'main_stage', 500),
        ('rehearsal-hall', 'Репетиционный зал', 'rehearsal', 50),
        ('warehouse', 'Склад', 'warehouse', NULL),
        ('workshop', 'Мастерская', 'workshop', NULL)
    ) AS v (code, name, kind, capacity)
    ON CONFLICT DO NOTHING;
END;
$$;

CREATE FUNCTION seed_schedule() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM seed_schedule_for(NEW.id);
    RETURN NEW;
END;
$$;

CREATE TRIGGER theaters_seed_schedule
    AFTER INSERT ON theaters
    FOR EACH ROW EXECUTE FUNCTION seed_schedule();

SELECT seed_schedule_for(id) FROM theaters;

-- The time an event blocks its venue: from set-up before the start to strike after the end,
-- half-open so that an event ending at 18:00 and one starting at 18:00 do not clash.
-- `timestamptz ± interval` is only STABLE in general (day and month steps depend on the session
-- time zone); whole minutes do not, so the function is truly immutable and may be indexed.
CREATE FUNCTION schedule_busy_range(starts timestamptz, ends timestamptz, setup integer, strike integer)
RETURNS tstzrange LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT tstzrange(starts - make_interval(mins => setup), ends + make_interval(mins => strike), '[)')
$$;

-- A recurring series: the rule as sent (RFC 5545 RRULE), its exceptions, and the local time
-- zone it was expanded in. Its occurrences are ordinary event rows.
CREATE TABLE event_series (
    id         uuid PRIMARY KEY,
    theater_id uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    rrule      text NOT NULL CHECK (length(rrule) BETWEEN 1 AND 1000),
    exdates    timestamptz[] NOT NULL DEFAULT '{}',
    timezone   text NOT NULL,
    dtstart    timestamptz NOT NULL,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT event_series_theater_id_id_key UNIQUE (theater_id, id)
);

CREATE TABLE events (
    id             uuid PRIMARY KEY,
    theater_id     uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    kind           text NOT NULL CHECK (kind IN ('performance', 'rehearsal', 'tech_rehearsal',
                       'dress_rehearsal', 'meeting', 'maintenance', 'other')),
    title          text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    description    text CHECK (length(description) <= 10000),
    performance_id uuid,
    venue_id       uuid NOT NULL,
    starts_at      timestamptz NOT NULL,
    ends_at        timestamptz NOT NULL,
    -- All-day events run from local midnight to local midnight in the theatre's time zone.
    all_day        boolean NOT NULL DEFAULT false,
    setup_minutes  integer NOT NULL DEFAULT 0 CHECK (setup_minutes BETWEEN 0 AND 1440),
    strike_minutes integer NOT NULL DEFAULT 0 CHECK (strike_minutes BETWEEN 0 AND 1440),
    status         text NOT NULL DEFAULT 'planned' CHECK (status IN
                       ('planned', 'confirmed', 'in_progress', 'completed', 'cancelled')),
    colour         text CHECK (colour ~ '^#[0-9a-f]{6}$'),
    notes          text CHECK (length(notes) <= 10000),
    -- Occurrences of a series: the series and the start the rule gave this occurrence
    -- (iCalendar's RECURRENCE-ID), kept when the occurrence is moved.
    series_id      uuid,
    recurrence_id  timestamptz,
    busy           tstzrange NOT NULL
        GENERATED ALWAYS AS (schedule_busy_range(starts_at, ends_at, setup_minutes, strike_minutes)) STORED,
    created_by     uuid,
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_theater_id_id_key UNIQUE (theater_id, id),
    CONSTRAINT events_ends_after_start CHECK (ends_at > starts_at),
    CONSTRAINT events_at_most_a_year CHECK (ends_at - starts_at <= interval '366 days'),
    CONSTRAINT events_venue_fkey FOREIGN KEY (theater_id, venue_id)
        REFERENCES venues (theater_id, id),
    CONSTRAINT events_performance_fkey FOREIGN KEY (theater_id, performance_id)
        REFERENCES performances (theater_id, id),
    CONSTRAINT events_series_fkey FOREIGN KEY (theater_id, series_id)
        REFERENCES event_series (theater_id, id) ON DELETE SET NULL (series_id),
    -- The rule of the whole module: one non-cancelled event per venue at a time, buffers
    -- included. PostgreSQL decides, so concurrent bookings cannot both win.
    CONSTRAINT events_no_double_booking EXCLUDE USING gist (venue_id WITH =, busy WITH &&)
        WHERE (status <> 'cancelled')
);
CREATE INDEX events_theater_time_idx ON events (theater_id, starts_at, id);
CREATE INDEX events_busy_idx ON events USING gist (busy) WHERE status <> 'cancelled';
CREATE INDEX events_performance_idx ON events (theater_id, performance_id) WHERE performance_id IS NOT NULL;
CREATE INDEX events_series_idx ON events (series_id, starts_at) WHERE series_id IS NOT NULL;

-- The events an item was issued for (V2 left the key to this table).
ALTER TABLE inventory_items
    ADD CONSTRAINT inventory_items_holder_event_fkey
    FOREIGN KEY (theater_id, holder_event_id) REFERENCES events (theater_id, id) ON DELETE SET NULL (holder_event_id);
ALTER TABLE inventory_movements
    ADD CONSTRAINT inventory_movements_holder_event_fkey
    FOREIGN KEY (theater_id, holder_event_id) REFERENCES events (theater_id, id) ON DELETE SET NULL (holder_event_id);

-- Kit reserved for an event's busy range. Whether a reservation fits (the overlapping
-- reservations of an item never exceed its quantity; repairs and write-offs cannot be
-- reserved) is decided by shared::reservations under a lock on the item row.
CREATE TABLE event_reservations (
    id         uuid PRIMARY KEY,
    theater_id uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    event_id   uuid NOT NULL,
    item_id    uuid NOT NULL,
    quantity   integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000000),
    -- From the performance's kit list, or added by hand.
    from_kit   boolean NOT NULL DEFAULT false,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT event_reservations_event_item_key UNIQUE (event_id, item_id),
    CONSTRAINT event_reservations_event_fkey FOREIGN KEY (theater_id, event_id)
        REFERENCES events (theater_id, id) ON DELETE CASCADE,
    CONSTRAINT event_reservations_item_fkey FOREIGN KEY (theater_id, item_id)
        REFERENCES inventory_items (theater_id, id) ON DELETE CASCADE
);
CREATE INDEX event_reservations_item_idx ON event_reservations (item_id);

CREATE TABLE event_participants (
    id         uuid PRIMARY KEY,
    theater_id uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    event_id   uuid NOT NULL,
    user_id    uuid NOT NULL,
    role       text NOT NULL DEFAULT 'other' CHECK (role IN
                   ('performer', 'technician', 'manager', 'guest', 'other')),
    -- Set by the participant alone.
    answer     text NOT NULL DEFAULT 'invited' CHECK (answer IN
                   ('invited', 'confirmed', 'declined', 'tentative')),
    version    integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT event_participants_theater_id_id_key UNIQUE (theater_id, id),
    CONSTRAINT event_participants_event_user_key UNIQUE (event_id, user_id),
    CONSTRAINT event_participants_event_fkey FOREIGN KEY (theater_id, event_id)
        REFERENCES events (theater_id, id) ON DELETE CASCADE,
    CONSTRAINT event_participants_user_fkey FOREIGN KEY (theater_id, user_id)
        REFERENCES users (theater_id, id) ON DELETE CASCADE
);
CREATE INDEX event_participants_user_idx ON event_participants (theater_id, user_id);

-- A person's day off or outside engagement: a clash for any event they are invited to.
CREATE TABLE unavailability (
    id         uuid PRIMARY KEY,
    theater_id uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL,
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL,
    reason     text CHECK (length(reason) <= 500),
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT unavailability_theater_id_id_key UNIQUE (theater_id, id),
    CONSTRAINT unavailability_ends_after_start CHECK (ends_at > starts_at),
    CONSTRAINT unavailability_user_fkey FOREIGN KEY (theater_id, user_id)
        REFERENCES users (theater_id, id) ON DELETE CASCADE
);
CREATE INDEX unavailability_user_idx ON unavailability (theater_id, user_id, starts_at);

-- Calendar feed tokens go into URLs that calendar apps poll, so they are not JWTs: random,
-- stored as SHA-256, revocable one by one.
CREATE TABLE calendar_tokens (
    id           uuid PRIMARY KEY,
    theater_id   uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    user_id      uuid NOT NULL,
    name         text CHECK (length(name) <= 100),
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz,
    CONSTRAINT calendar_tokens_theater_id_id_key UNIQUE (theater_id, id),
    CONSTRAINT calendar_tokens_user_fkey FOREIGN KEY (theater_id, user_id)
        REFERENCES users (theater_id, id) ON DELETE CASCADE
);
CREATE INDEX calendar_tokens_user_idx ON calendar_tokens (theater_id, user_id);
