-- Upload hardening (issue 8).
--
-- A verified object is immutable: once the worker (documents) or the API (photos) has checked
-- the bytes, they are copied to a key no client ever had an upload URL for, and the ETag of that
-- copy is kept so a download can check the object is still the one that was verified.
ALTER TABLE document_versions ADD COLUMN verified_etag text;
ALTER TABLE inventory_item_photos ADD COLUMN verified_etag text;

-- Uploads the client never confirmed expire: the worker's sweeper deletes their objects.
ALTER TABLE inventory_item_photos ADD COLUMN upload_expires_at timestamptz;
CREATE INDEX document_versions_pending_idx ON document_versions (upload_expires_at)
    WHERE status = 'pending';
CREATE INDEX inventory_item_photos_pending_idx ON inventory_item_photos (upload_expires_at)
    WHERE status = 'pending';
