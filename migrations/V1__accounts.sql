-- Accounts: theatres (tenants), users, roles with permission strings, departments, refresh
-- tokens, and the audit log. Every tenant row carries theater_id; cross-references stay inside
-- one theatre through composite foreign keys on (theater_id, id).

CREATE TABLE theaters (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    timezone    text NOT NULL DEFAULT 'Europe/Moscow',
    locale      text NOT NULL DEFAULT 'ru',
    -- Free-form settings the admin may change (working hours, label sizes, ...).
    settings    jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(settings) = 'object'),
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id              uuid PRIMARY KEY,
    theater_id      uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    -- Unique across the whole system, so login needs no theatre code.
    email           text NOT NULL CONSTRAINT users_email_lowercase CHECK (email = lower(email)),
    password_hash   text NOT NULL,
    first_name      text NOT NULL,
    last_name       text NOT NULL,
    phone           text,
    position        text,
    is_active       boolean NOT NULL DEFAULT true,
    -- Bumped when the user's sessions must end (deactivation, password or role change).
    session_version integer NOT NULL DEFAULT 1,
    last_login_at   timestamptz,
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_theater_id_id_key UNIQUE (theater_id, id)
);

CREATE TABLE roles (
    id          uuid PRIMARY KEY,
    theater_id  uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    code        text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{1,49}$'),
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    description text,
    -- Only strings of the fixed vocabulary (DOMAIN.md) may be stored.
    permissions text[] NOT NULL DEFAULT '{}'
        CONSTRAINT roles_permissions_known CHECK (permissions <@ ARRAY[
            'inventory:view', 'inventory:create', 'inventory:edit', 'inventory:delete',
            'inventory:write_off', 'inventory:reserve',
            'documents:view', 'documents:view_financial', 'documents:create', 'documents:edit',
            'documents:delete',
            'performance:view', 'performance:create', 'performance:edit', 'performance:delete',
            'schedule:view', 'schedule:edit',
            'users:view', 'users:create', 'users:edit', 'users:delete',
            'audit:view', 'system:settings', 'admin:full'
        ]::text[]),
    -- Seeded roles; `admin` cannot be deleted or stripped of admin:full.
    is_system   boolean NOT NULL DEFAULT false,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT roles_code_key UNIQUE (theater_id, code),
    CONSTRAINT roles_theater_id_id_key UNIQUE (theater_id, id)
);

CREATE TABLE user_roles (
    theater_id uuid NOT NULL,
    user_id    uuid NOT NULL,
    role_id    uuid NOT NULL,
    PRIMARY KEY (user_id, role_id),
    CONSTRAINT user_roles_user_fkey FOREIGN KEY (theater_id, user_id)
        REFERENCES users (theater_id, id) ON DELETE CASCADE,
    CONSTRAINT user_roles_role_fkey FOREIGN KEY (theater_id, role_id)
        REFERENCES roles (theater_id, id) ON DELETE CASCADE
);
CREATE INDEX user_roles_role_idx ON user_roles (role_id);

CREATE TABLE departments (
    id          uuid PRIMARY KEY,
    theater_id  uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    code        text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_-]{1,49}$'),
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    head_id     uuid,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    CONSTRAINT departments_code_key UNIQUE (theater_id, code),
    CONSTRAINT departments_theater_id_id_key UNIQUE (theater_id, id),
    CONSTRAINT departments_head_fkey FOREIGN KEY (theater_id, head_id)
        REFERENCES users (theater_id, id) ON DELETE SET NULL (head_id)
);

CREATE TABLE user_departments (
    theater_id    uuid NOT NULL,
    user_id       uuid NOT NULL,
    department_id uuid NOT NULL,
    PRIMARY KEY (user_id, department_id),
    CONSTRAINT user_departments_user_fkey FOREIGN KEY (theater_id, user_id)
        REFERENCES users (theater_id, id) ON DELETE CASCADE,
    CONSTRAINT user_departments_department_fkey FOREIGN KEY (theater_id, department_id)
        REFERENCES departments (theater_id, id) ON DELETE CASCADE
);
CREATE INDEX user_departments_department_idx ON user_departments (department_id);

-- Refresh tokens are stored as SHA-256 hashes. A family is one login session; presenting a
-- token that was already used revokes its whole family (theft detection).
CREATE TABLE refresh_tokens (
    id          uuid PRIMARY KEY,
    theater_id  uuid NOT NULL,
    user_id     uuid NOT NULL,
    family_id   uuid NOT NULL,
    token_hash  bytea NOT NULL UNIQUE,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz,
    user_agent  text,
    ip          text,
    CONSTRAINT refresh_tokens_user_fkey FOREIGN KEY (theater_id, user_id)
        REFERENCES users (theater_id, id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id) WHERE revoked_at IS NULL;

-- Append-only: who changed what, with the field diff, in the transaction of the change.
CREATE TABLE audit_log (
    id          uuid PRIMARY KEY,
    theater_id  uuid NOT NULL REFERENCES theaters (id) ON DELETE CASCADE,
    actor_id    uuid,
    action      text NOT NULL,
    entity_type text NOT NULL,
    entity_id   uuid,
    changes     jsonb NOT NULL DEFAULT '{}'::jsonb,
    request_id  text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_theater_time_idx ON audit_log (theater_id, created_at DESC, id DESC);
CREATE INDEX audit_log_entity_idx ON audit_log (theater_id, entity_type, entity_id);
CREATE INDEX audit_log_actor_idx ON audit_log (theater_id, actor_id);

-- Seeds every new theatre with the nine roles and seven departments of DOMAIN.md. A trigger
-- (not application code) so that every path creating a theatre gets them.
CREATE FUNCTION seed_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO roles (id, theater_id, code, name, permissions, is_system)
    SELECT gen_random_uuid(), NEW.id, r.code, r.name, r.permissions, true
    FROM (VALUES
        ('admin', 'Администратор', ARRAY['admin:full']),
        ('sysadmin', 'Системный администратор', ARRAY[
            'users:view', 'users:create', 'users:edit', 'users:delete', 'system:settings',
            'inventory:view', 'documents:view', 'performance:view', 'schedule:view']),
        ('director', 'Руководитель', ARRAY[
            'inventory:view', 'documents:view', 'documents:view_financial', 'performance:view',
            'schedule:view', 'users:view', 'audit:view']),
        ('tech_director', 'Технический директор', ARRAY[
            'inventory:view', 'inventory:create', 'inventory:edit', 'inventory:delete',
            'inventory:write_off', 'inventory:reserve',
            'documents:view', 'documents:create', 'documents:edit',
            'performance:view', 'performance:create', 'performance:edit',
            'schedule:view', 'schedule:edit']),
        ('producer', 'Продюсер', ARRAY[
            'inventory:view', 'documents:view', 'performance:view', 'performance:create',
            'performance:edit', 'schedule:view', 'schedule:edit']),
        ('department_head', 'Заведующий цехом', ARRAY[
            'inventory:view', 'inventory:create', 'inventory:edit', 'inventory:reserve',
            'documents:view', 'documents:create', 'performance:view', 'schedule:view']),
        ('accountant', 'Бухгалтер', ARRAY[
            'documents:view', 'documents:view_financial', 'documents:create', 'inventory:view']),
        ('performer', 'Артист', ARRAY['performance:view', 'schedule:view']),
        ('viewer', 'Наблюдатель', ARRAY[
            'inventory:view', 'documents:view', 'performance:view', 'schedule:view'])
    ) AS r (code, name, permissions);

    INSERT INTO departments (id, theater_id, code, name)
    SELECT gen_random_uuid(), NEW.id, d.code, d.name
    FROM (VALUES
        ('sound', 'Звуковой'),
        ('light', 'Осветительный'),
        ('stage', 'Машинно-декорационный'),
        ('costume', 'Костюмерный'),
        ('props', 'Реквизиторский'),
        ('makeup', 'Гримёрный'),
        ('video', 'Видео')
    ) AS d (code, name);
    RETURN NEW;
END;
$$;

CREATE TRIGGER theaters_seed_accounts
    AFTER INSERT ON theaters
    FOR EACH ROW EXECUTE FUNCTION seed_accounts();
