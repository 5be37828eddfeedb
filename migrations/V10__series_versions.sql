-- Schedule feeds fold a recurring series into one VEVENT (RRULE, EXDATE, RECURRENCE-ID
-- overrides). Calendar apps take a change only when SEQUENCE grows, and deleting or splitting
-- off occurrences changes the series without touching any remaining row: the series keeps its
-- own counter, bumped by every change to it or to one of its occurrences.
ALTER TABLE event_series
    ADD COLUMN version    integer NOT NULL DEFAULT 1,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
