-- Issue 8 hardening.

-- Department scope (свой цех) is an attribute of a role, not of its code: a renamed or cloned
-- head role keeps the limit, and any role can be made department-scoped.
ALTER TABLE roles ADD COLUMN department_scoped boolean NOT NULL DEFAULT false;
UPDATE roles SET department_scoped = true WHERE is_system AND code = 'department_head';

-- New theatres: the seeded head role is department-scoped. A separate trigger so that the
-- seeding function of V1 stays as it is.
CREATE FUNCTION seed_department_scope() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.is_system AND NEW.code = 'department_head' THEN
        NEW.department_scoped := true;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER roles_seed_department_scope
    BEFORE INSERT ON roles
    FOR EACH ROW EXECUTE FUNCTION seed_department_scope();

-- Revocation state is rebuilt from the database when Redis has lost it: the sessions of a user
-- revoked within the last access-token lifetime.
CREATE INDEX refresh_tokens_user_revoked_idx ON refresh_tokens (user_id, revoked_at)
    WHERE revoked_at IS NOT NULL;
