// Administration of the organisation: departments (цеха) with their staff, and the theatre's
// settings. Departments are edited with `system:settings`, staff assigned with `users:edit`.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { useCan } from '../components/Gate';
import { Badge, Button, Card, Empty, Field, Input, Loading, ProblemMessage, Select } from '../components/ui';
import { useI18n } from '../i18n';
import { ApiProblem, fieldErrors, unwrap } from '../lib/problem';

interface Dept { id: string; code: string; name: string; head_id?: string | null; member_count: number; version: number }
interface UserRow { id: string; first_name: string; last_name: string; email: string; is_active?: boolean; departments?: { id: string }[] }

const useUsers = (enabled: boolean) =>
  useQuery({
    queryKey: ['admin', 'users'],
    enabled,
    queryFn: async () => unwrap(await api.GET('/api/v1/users', { params: { query: { limit: 200 } as never } })).items as UserRow[],
  });

const formErrors = (error: unknown, fields: string[]) => fieldErrors(error instanceof ApiProblem ? error.problem : undefined, fields);

/** The form-level part of an error: the problem message unless every error sits on a field. */
function FormProblem({ error, other, shown }: { error: unknown; other: string[]; shown: boolean }) {
  return (
    <>
      {other.length > 0 && <ul role="alert" className="text-sm text-red-700">{other.map((o) => <li key={o}>{o}</li>)}</ul>}
      {error != null && !shown && !other.length && <ProblemMessage error={error} />}
    </>
  );
}

function NewDepartment({ users, onDone }: { users: UserRow[]; onDone: () => void }) {
  const { m } = useI18n();
  const client = useQueryClient();
  const create = useMutation({
    mutationFn: async (f: FormData) => {
      const text = (k: string) => String(f.get(k) ?? '').trim();
      return unwrap(await api.POST('/api/v1/departments', { body: { code: text('code'), name: text('name'), head_id: text('head_id') || null } }));
    },
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['admin', 'departments'] });
      onDone();
    },
  });
  const { byField, other } = formErrors(create.error, ['code', 'name', 'head_id']);
  return (
    <form data-testid="department-form" className="mb-4 grid gap-2 rounded border border-amber-200 bg-amber-50 p-3 sm:grid-cols-3" onSubmit={(e: FormEvent<HTMLFormElement>) => { e.preventDefault(); create.mutate(new FormData(e.currentTarget)); }}>
      <Field label={m.adminMore.code} error={byField.code}><Input name="code" required aria-invalid={!!byField.code} /></Field>
      <Field label={m.adminMore.name} error={byField.name}><Input name="name" required aria-invalid={!!byField.name} /></Field>
      <Field label={m.adminMore.head} error={byField.head_id}>
        <Select name="head_id" defaultValue="">
          <option value="">{m.adminMore.noHead}</option>
          {users.map((u) => <option key={u.id} value={u.id}>{u.last_name} {u.first_name}</option>)}
        </Select>
      </Field>
      <div className="flex gap-2 sm:col-span-3">
        <Button type="submit" disabled={create.isPending}>{m.app.create}</Button>
        <Button kind="plain" onClick={onDone}>{m.app.cancel}</Button>
      </div>
      <div className="sm:col-span-3"><FormProblem error={create.error} other={other} shown={Object.keys(byField).length > 0} /></div>
    </form>
  );
}

function DepartmentRow({ dept, users, canEdit, canAssign }: { dept: Dept; users: UserRow[] | undefined; canEdit: boolean; canAssign: boolean }) {
  const { m } = useI18n();
  const client = useQueryClient();
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(dept.name);
  const [head, setHead] = useState(dept.head_id ?? '');
  const refresh = () => Promise.all([
    client.invalidateQueries({ queryKey: ['admin', 'departments'] }),
    client.invalidateQueries({ queryKey: ['admin', 'users'] }),
  ]);
  const update = useMutation({
    mutationFn: async () => unwrap(await api.PATCH('/api/v1/departments/{id}', {
      params: { path: { id: dept.id }, header: { 'If-Match': `"${dept.version}"` } as never },
      body: { name: name.trim(), head_id: head || null },
    })),
    onSuccess: async () => { setRenaming(false); await refresh(); },
    onError: (e) => { if (e instanceof ApiProblem && e.status === 412) void refresh(); },
  });
  const remove = useMutation({
    mutationFn: async () => unwrap(await api.DELETE('/api/v1/departments/{id}', { params: { path: { id: dept.id } } })),
    onSuccess: refresh,
  });
  // A ticked box shows its new state at once; the server's answer (or its refusal) settles it.
  const [ticked, setTicked] = useState<Record<string, boolean>>({});
  const assign = useMutation({
    mutationFn: async ({ user, member }: { user: UserRow; member: boolean }) => {
      setTicked((t) => ({ ...t, [user.id]: member }));
      const current = (user.departments ?? []).map((d) => d.id).filter((d) => d !== dept.id);
      return unwrap(await api.PUT('/api/v1/users/{id}/departments', { params: { path: { id: user.id } }, body: { department_ids: member ? [...current, dept.id] : current } }));
    },
    onSettled: async (_data, _error, { user }) => {
      await refresh();
      setTicked((t) => Object.fromEntries(Object.entries(t).filter(([id]) => id !== user.id)));
    },
  });
  const { byField, other } = formErrors(update.error, ['name', 'head_id']);
  const headUser = users?.find((u) => u.id === dept.head_id);
  const members = (users ?? []).filter((u) => u.departments?.some((d) => d.id === dept.id));
  return (
    <li data-testid="department-row" className="py-2">
      {renaming ? (
        <form className="grid gap-2 sm:grid-cols-3" onSubmit={(e) => { e.preventDefault(); update.mutate(); }}>
          <Field label={m.adminMore.name} error={byField.name}><Input name="rename" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={!!byField.name} autoFocus /></Field>
          <Field label={m.adminMore.head} error={byField.head_id}>
            <Select value={head} onChange={(e) => setHead(e.target.value)}>
              <option value="">{m.adminMore.noHead}</option>
              {(users ?? []).map((u) => <option key={u.id} value={u.id}>{u.last_name} {u.first_name}</option>)}
            </Select>
          </Field>
          <div className="flex items-end gap-2">
            <Button type="submit" disabled={update.isPending}>{m.app.save}</Button>
            <Button kind="plain" onClick={() => { setRenaming(false); setName(dept.name); setHead(dept.head_id ?? ''); update.reset(); }}>{m.app.cancel}</Button>
          </div>
        </form>
      ) : (
        <div className="flex flex-wrap items-center gap-2">
          <span className="font-medium">{dept.name}</span>
          <span className="font-mono text-xs text-stone-500">{dept.code}</span>
          <Badge>{m.adminMore.members}: {dept.member_count}</Badge>
          {headUser && <span className="text-sm text-stone-600">{m.adminMore.head}: {headUser.first_name} {headUser.last_name}</span>}
          {canEdit && (
            <span className="ml-auto flex gap-2">
              <Button kind="plain" onClick={() => setRenaming(true)}>{m.adminMore.rename}</Button>
              <Button kind="danger" disabled={remove.isPending} onClick={() => { if (window.confirm(m.adminMore.confirmDelete.replace('{name}', dept.name))) remove.mutate(); }}>{m.adminMore.delete}</Button>
            </span>
          )}
        </div>
      )}
      {update.error instanceof ApiProblem && update.error.status === 412 && <p role="alert" className="text-sm text-red-700">{m.adminMore.stale}</p>}
      {!(update.error instanceof ApiProblem && update.error.status === 412) && <FormProblem error={update.error} other={other} shown={Object.keys(byField).length > 0} />}
      <ProblemMessage error={remove.error ?? assign.error} />
      {users && (
        <details className="mt-1">
          <summary className="cursor-pointer text-sm text-stone-600">{m.adminMore.assign} ({members.length})</summary>
          <fieldset disabled={!canAssign} className="mt-1 grid grid-cols-1 gap-1 text-sm sm:grid-cols-3">
            <legend className="sr-only">{m.adminMore.assign}: {dept.name}</legend>
            {users.map((u) => {
              const member = ticked[u.id] ?? !!u.departments?.some((d) => d.id === dept.id);
              return (
                <label key={u.id} className="flex items-center gap-1">
                  <input type="checkbox" checked={member} disabled={ticked[u.id] !== undefined} onChange={(e) => assign.mutate({ user: u, member: e.target.checked })} />
                  <span>{u.last_name} {u.first_name}</span>
                </label>
              );
            })}
          </fieldset>
        </details>
      )}
    </li>
  );
}

export function Departments() {
  const { m } = useI18n();
  const allowed = useCan();
  const [creating, setCreating] = useState(false);
  const canEdit = allowed('system:settings');
  const depts = useQuery({
    queryKey: ['admin', 'departments'],
    queryFn: async () => unwrap(await api.GET('/api/v1/departments', { params: { query: { limit: 200 } } })).items as Dept[],
  });
  const users = useUsers(allowed('users:view'));
  if (depts.isPending) return <Loading />;
  return (
    <Card title={m.adminMore.departments} actions={canEdit && !creating && <Button onClick={() => setCreating(true)}>{m.adminMore.newDepartment}</Button>}>
      {creating && <NewDepartment users={users.data ?? []} onDone={() => setCreating(false)} />}
      <ProblemMessage error={depts.error ?? users.error} />
      {(depts.data ?? []).length === 0 ? <Empty /> : (
        <ul className="divide-y divide-stone-100">
          {depts.data!.map((d) => <DepartmentRow key={`${d.id}:${d.version}`} dept={d} users={users.data} canEdit={canEdit} canAssign={allowed('users:edit')} />)}
        </ul>
      )}
    </Card>
  );
}

const timeZones = (): string[] => {
  try {
    return (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  } catch {
    return [];
  }
};

interface Theater { id: string; name: string; timezone: string; locale: string; settings: Record<string, unknown>; version: number }
const loadTheater = async () => unwrap(await api.GET('/api/v1/theater')) as unknown as Theater;

function TheaterForm({ theater }: { theater: Theater }) {
  const { m } = useI18n();
  const client = useQueryClient();
  const canEdit = useCan()('system:settings');
  const zones = useMemo(timeZones, []);
  const [name, setName] = useState(theater.name);
  const [timezone, setTimezone] = useState(theater.timezone);
  const [locale, setLocale] = useState(theater.locale);
  const [settings, setSettings] = useState(JSON.stringify(theater.settings ?? {}, null, 2));
  const [jsonError, setJsonError] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: async (parsed: Record<string, unknown>) => unwrap(await api.PATCH('/api/v1/theater', {
      params: { header: { 'If-Match': `"${theater.version}"` } as never },
      body: { name: name.trim(), timezone: timezone.trim(), locale, settings: parsed as never },
    })),
    onSuccess: (t) => client.setQueryData(['admin', 'theater'], t),
    onError: async (e) => {
      if (!(e instanceof ApiProblem && e.status === 412)) return;
      // Someone else saved first: show their values (the next save sends their version).
      const fresh = await client.fetchQuery({ queryKey: ['admin', 'theater'], queryFn: loadTheater, staleTime: 0 });
      setName(fresh.name);
      setTimezone(fresh.timezone);
      setLocale(fresh.locale);
      setSettings(JSON.stringify(fresh.settings ?? {}, null, 2));
    },
  });
  const { byField, other } = formErrors(save.error, ['name', 'timezone', 'locale', 'settings']);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(settings || '{}');
    } catch {
      parsed = null;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      setJsonError(m.adminMore.invalidJson);
      return;
    }
    setJsonError(null);
    save.mutate(parsed as Record<string, unknown>);
  };
  const stale = save.error instanceof ApiProblem && save.error.status === 412;
  return (
    <form data-testid="theater-form" onSubmit={submit} className="grid gap-3 sm:grid-cols-2">
      <fieldset disabled={!canEdit} className="contents">
        <Field label={m.adminMore.theaterName} error={byField.name}><Input name="name" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={!!byField.name} /></Field>
        <Field label={m.adminMore.timezone} error={byField.timezone}>
          <Input name="timezone" list="time-zones" value={timezone} onChange={(e) => setTimezone(e.target.value)} aria-invalid={!!byField.timezone} autoComplete="off" />
          <datalist id="time-zones">{zones.map((z) => <option key={z} value={z} />)}</datalist>
        </Field>
        <Field label={m.adminMore.locale} error={byField.locale}>
          <Select name="locale" value={locale} onChange={(e) => setLocale(e.target.value)} aria-invalid={!!byField.locale}>
            <option value="ru">Русский</option>
            <option value="en">English</option>
          </Select>
        </Field>
        <Field label={m.adminMore.settings} error={jsonError ?? byField.settings}>
          <textarea name="settings" rows={4} value={settings} onChange={(e) => setSettings(e.target.value)} aria-invalid={!!(jsonError ?? byField.settings)} className="w-full rounded border border-stone-300 bg-white px-2 py-1.5 font-mono text-xs aria-[invalid=true]:border-red-500" />
        </Field>
      </fieldset>
      <div className="flex items-center gap-3 sm:col-span-2">
        {canEdit && <Button type="submit" disabled={save.isPending}>{m.app.save}</Button>}
        {save.isSuccess && <span role="status" data-testid="theater-saved" className="text-sm text-green-700">{m.adminMore.saved}</span>}
      </div>
      <div className="sm:col-span-2">
        {stale ? <p role="alert" className="text-sm text-red-700">{m.adminMore.stale}</p> : <FormProblem error={save.error} other={other} shown={Object.keys(byField).length > 0} />}
      </div>
    </form>
  );
}

export function TheaterSettings() {
  const { m } = useI18n();
  const theater = useQuery({
    queryKey: ['admin', 'theater'],
    queryFn: loadTheater,
  });
  return (
    <Card title={m.adminMore.theater}>
      <ProblemMessage error={theater.error} />
      {theater.isPending ? <Loading /> : theater.data && <TheaterForm key={theater.data.id} theater={theater.data} />}
    </Card>
  );
}
