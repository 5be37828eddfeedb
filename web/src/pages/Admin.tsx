// Administration: users, roles with permission checkboxes, the audit log with its diffs.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { NavLink, Navigate, Route, Routes } from 'react-router';
import { api } from '../api/client';
import { useCan } from '../components/Gate';
import { Badge, Button, Card, Empty, Field, Input, Loading, ProblemMessage } from '../components/ui';
import { useI18n } from '../i18n';
import { ALL_PERMISSIONS } from '../lib/permissions';
import { ApiProblem, fieldErrors, unwrap } from '../lib/problem';

function NewUser({ onDone }: { onDone: () => void }) {
  const { m } = useI18n();
  const client = useQueryClient();
  const roles = useQuery({
    queryKey: ['admin', 'roles'],
    queryFn: async () => unwrap(await api.GET('/api/v1/roles', { params: { query: { limit: 200 } as never } })).items,
  });
  const create = useMutation({
    mutationFn: async (f: FormData) => {
      const text = (k: string) => String(f.get(k) ?? '').trim();
      return unwrap(await api.POST('/api/v1/users', {
        body: {
          email: text('email'), first_name: text('first_name'), last_name: text('last_name'), password: text('password'),
          role_ids: f.getAll('role_ids').map(String), department_ids: [], phone: null, position: text('position') || null,
        },
      }));
    },
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['admin', 'users'] });
      onDone();
    },
  });
  const { byField, other } = fieldErrors(create.error instanceof ApiProblem ? create.error.problem : undefined, ['email', 'first_name', 'last_name', 'password', 'position', 'role_ids']);
  const field = (name: string, labelText: string, type = 'text') => (
    <Field label={labelText} error={byField[name]}><Input name={name} type={type} aria-invalid={!!byField[name]} /></Field>
  );
  return (
    <form className="mb-4 grid gap-2 rounded border border-amber-200 bg-amber-50 p-3 sm:grid-cols-3" onSubmit={(e: FormEvent<HTMLFormElement>) => { e.preventDefault(); create.mutate(new FormData(e.currentTarget)); }}>
      {field('email', m.auth.email, 'email')}
      {field('first_name', m.auth.firstName)}
      {field('last_name', m.auth.lastName)}
      {field('password', m.auth.password, 'password')}
      {field('position', m.admin.position)}
      <Field label={m.admin.roles} error={byField.role_ids}>
        <select name="role_ids" multiple className="h-24 w-full rounded border border-stone-300 bg-white text-sm">
          {(roles.data ?? []).map((r) => <option key={r.id} value={r.id}>{r.name}</option>)}
        </select>
      </Field>
      <div className="flex gap-2 sm:col-span-3">
        <Button type="submit" disabled={create.isPending}>{m.app.create}</Button>
        <Button kind="plain" onClick={onDone}>{m.app.cancel}</Button>
      </div>
      {other.length > 0 && <ul role="alert" className="text-sm text-red-700 sm:col-span-3">{other.map((o) => <li key={o}>{o}</li>)}</ul>}
      {create.error && !Object.keys(byField).length && !other.length && <div className="sm:col-span-3"><ProblemMessage error={create.error} /></div>}
    </form>
  );
}

function Users() {
  const { m } = useI18n();
  const allowed = useCan();
  const [creating, setCreating] = useState(false);
  const users = useQuery({
    queryKey: ['admin', 'users'],
    queryFn: async () => unwrap(await api.GET('/api/v1/users', { params: { query: { limit: 200 } as never } })).items,
  });
  if (users.isPending) return <Loading />;
  return (
    <Card title={m.admin.users} actions={allowed('users:create') && <Button onClick={() => setCreating(true)}>{m.admin.newUser}</Button>}>
      {creating && <NewUser onDone={() => setCreating(false)} />}
      <ProblemMessage error={users.error} />
      <ul className="divide-y divide-stone-100 text-sm">
        {(users.data ?? []).map((u) => (
          <li key={u.id} className="flex flex-wrap gap-2 py-1.5">
            <span className="font-medium">{u.first_name} {u.last_name}</span>
            <span className="text-stone-600">{u.email}</span>
            {((u as { roles?: { code?: string; name?: string }[] }).roles ?? []).map((r) => <Badge key={r.code ?? r.name}>{r.name ?? r.code}</Badge>)}
          </li>
        ))}
      </ul>
    </Card>
  );
}

function RoleEditor({ role }: { role: { id: string; name: string; code?: string | null; permissions: string[]; version?: number } }) {
  const { m } = useI18n();
  const allowed = useCan()('users:edit');
  const client = useQueryClient();
  const [perms, setPerms] = useState<string[]>(role.permissions);
  const save = useMutation({
    mutationFn: async () => unwrap(await api.PATCH('/api/v1/roles/{id}', { params: { path: { id: role.id } }, body: { permissions: perms } as never })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['admin', 'roles'] }),
  });
  const changed = perms.slice().sort().join() !== role.permissions.slice().sort().join();
  return (
    <details className="border-b border-stone-100 py-2">
      <summary className="cursor-pointer font-medium">{role.name} <span className="text-xs text-stone-500">{role.code}</span> <span className="text-xs text-stone-500">({role.permissions.length})</span></summary>
      <fieldset disabled={!allowed} className="mt-2 grid grid-cols-1 gap-1 text-sm sm:grid-cols-3">
        <legend className="sr-only">{m.admin.permissions}</legend>
        {ALL_PERMISSIONS.map((p) => (
          <label key={p} className="flex items-center gap-1">
            <input type="checkbox" checked={perms.includes(p)} onChange={(e) => setPerms((s) => (e.target.checked ? [...s, p] : s.filter((x) => x !== p)))} />
            <span className="font-mono text-xs">{p}</span>
          </label>
        ))}
      </fieldset>
      {allowed && changed && <Button className="mt-2" onClick={() => save.mutate()} disabled={save.isPending}>{m.app.save}</Button>}
      <ProblemMessage error={save.error} />
    </details>
  );
}

function Roles() {
  const { m } = useI18n();
  const roles = useQuery({
    queryKey: ['admin', 'roles'],
    queryFn: async () => unwrap(await api.GET('/api/v1/roles', { params: { query: { limit: 200 } as never } })).items,
  });
  if (roles.isPending) return <Loading />;
  return (
    <Card title={m.admin.roles}>
      <ProblemMessage error={roles.error} />
      {(roles.data ?? []).map((r) => <RoleEditor key={`${r.id}:${r.permissions.join()}`} role={r as never} />)}
    </Card>
  );
}

function Audit() {
  const { m, dateTime } = useI18n();
  const [entity, setEntity] = useState('');
  const audit = useQuery({
    queryKey: ['admin', 'audit', entity],
    queryFn: async () => unwrap(await api.GET('/api/v1/audit', { params: { query: { limit: 100, entity_type: entity || undefined } as never } })).items,
  });
  return (
    <Card title={m.admin.audit} actions={<input aria-label={m.admin.entity} placeholder={m.admin.entity} value={entity} onChange={(e) => setEntity(e.target.value)} className="rounded border border-stone-300 px-2 py-1 text-sm" />}>
      <ProblemMessage error={audit.error} />
      {audit.isPending ? <Loading /> : (audit.data ?? []).length === 0 ? <Empty /> : (
        <ul className="divide-y divide-stone-100 text-sm">
          {audit.data!.map((a) => {
            const row = a as unknown as { id: string; action: string; entity_type: string; entity_id?: string | null; created_at: string; actor_id?: string | null; before?: unknown; after?: unknown; diff?: unknown };
            return (
              <li key={row.id} data-testid="audit-row" className="py-1.5">
                <div className="flex flex-wrap gap-2"><span className="text-stone-500">{dateTime(row.created_at)}</span><Badge>{row.action}</Badge><span>{row.entity_type}</span><span className="font-mono text-xs text-stone-500">{row.entity_id}</span></div>
                {(row.before != null || row.after != null || row.diff != null) && (
                  <details><summary className="cursor-pointer text-xs text-stone-500">{m.admin.diff}</summary>
                    <pre className="overflow-x-auto rounded bg-stone-100 p-2 text-xs">{JSON.stringify(row.diff ?? { before: row.before, after: row.after }, null, 2)}</pre>
                  </details>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </Card>
  );
}

export default function Admin() {
  const { m } = useI18n();
  const allowed = useCan();
  const tab = ({ isActive }: { isActive: boolean }) => `rounded px-3 py-1 text-sm ${isActive ? 'bg-amber-700 text-white' : 'bg-white border border-stone-300'}`;
  return (
    <div>
      <nav className="mb-3 flex gap-2" aria-label={m.nav.admin}>
        {allowed('users:view') && <NavLink to="/admin/users" className={tab}>{m.admin.users}</NavLink>}
        {allowed('users:view') && <NavLink to="/admin/roles" className={tab}>{m.admin.roles}</NavLink>}
        {allowed('audit:view') && <NavLink to="/admin/audit" className={tab}>{m.admin.audit}</NavLink>}
      </nav>
      <Routes>
        <Route index element={<Navigate to={allowed('users:view') ? 'users' : 'audit'} replace />} />
        <Route path="users" element={<Users />} />
        <Route path="roles" element={<Roles />} />
        <Route path="audit" element={<Audit />} />
      </Routes>
    </div>
  );
}
