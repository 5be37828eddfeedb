// Administration: users, roles with permission checkboxes by module, departments, theatre
// settings, the audit log with filters and its before/after diffs.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { NavLink, Navigate, Route, Routes } from 'react-router';
import { api, type Schemas } from '../api/client';
import { useCan } from '../components/Gate';
import { Badge, Button, Card, Empty, Field, Input, Loading, ProblemMessage, Select } from '../components/ui';
import { useI18n } from '../i18n';
import { auditQuery, changeRows, permissionGroups, type AuditFilters } from '../lib/audit';
import { Departments, TheaterSettings } from './AdminOrg';
import { ApiProblem, fieldErrors, unwrap } from '../lib/problem';

function NewUser({ onDone }: { onDone: () => void }) {
  const { m } = useI18n();
  const client = useQueryClient();
  const roles = useQuery({
    queryKey: ['admin', 'roles'],
    queryFn: async () => unwrap(await api.GET('/api/v1/roles', { params: { query: { limit: 200 } as never } })).items,
  });
  const departments = useQuery({
    queryKey: ['admin', 'departments'],
    queryFn: async () => unwrap(await api.GET('/api/v1/departments', { params: { query: { limit: 200 } } })).items,
  });
  const create = useMutation({
    mutationFn: async (f: FormData) => {
      const text = (k: string) => String(f.get(k) ?? '').trim();
      return unwrap(await api.POST('/api/v1/users', {
        body: {
          email: text('email'), first_name: text('first_name'), last_name: text('last_name'), password: text('password'),
          role_ids: f.getAll('role_ids').map(String), department_ids: f.getAll('department_ids').map(String), phone: null, position: text('position') || null,
        },
      }));
    },
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['admin', 'users'] });
      await client.invalidateQueries({ queryKey: ['admin', 'departments'] });
      onDone();
    },
  });
  const { byField, other } = fieldErrors(create.error instanceof ApiProblem ? create.error.problem : undefined, ['email', 'first_name', 'last_name', 'password', 'position', 'role_ids', 'department_ids']);
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
      <Field label={m.adminMore.departments} error={byField.department_ids}>
        <select name="department_ids" multiple className="h-24 w-full rounded border border-stone-300 bg-white text-sm">
          {(departments.data ?? []).map((d) => <option key={d.id} value={d.id}>{d.name}</option>)}
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
            {((u as { departments?: { id: string; name: string }[] }).departments ?? []).map((d) => <Badge key={d.id} tone="blue">{d.name}</Badge>)}
          </li>
        ))}
      </ul>
    </Card>
  );
}

/** The permission vocabulary as checkboxes, grouped by module. */
function PermissionBoxes({ value, onChange, disabled }: { value: string[]; onChange: (next: string[]) => void; disabled: boolean }) {
  const { m } = useI18n();
  return (
    <fieldset disabled={disabled} className="mt-2 grid grid-cols-1 gap-2 text-sm sm:grid-cols-2 lg:grid-cols-4">
      <legend className="sr-only">{m.admin.permissions}</legend>
      {permissionGroups().map(([module, list]) => (
        <fieldset key={module} data-testid="permission-group" className="rounded border border-stone-200 p-2">
          <legend className="px-1 text-xs font-semibold uppercase text-stone-600">{(m.adminMore.module as Record<string, string>)[module] ?? module}</legend>
          {list.map((p) => (
            <label key={p} className="flex items-center gap-1">
              <input type="checkbox" checked={value.includes(p)} onChange={(e) => onChange(e.target.checked ? [...value, p] : value.filter((x) => x !== p))} />
              <span className="font-mono text-xs">{p}</span>
            </label>
          ))}
        </fieldset>
      ))}
    </fieldset>
  );
}

type Role = Schemas['RoleView'];

function RoleEditor({ role }: { role: Role }) {
  const { m } = useI18n();
  const allowed = useCan()('users:edit');
  const client = useQueryClient();
  const [perms, setPerms] = useState<string[]>(role.permissions);
  const refresh = () => client.invalidateQueries({ queryKey: ['admin', 'roles'] });
  const save = useMutation({
    mutationFn: async () => unwrap(await api.PATCH('/api/v1/roles/{id}', { params: { path: { id: role.id }, header: { 'If-Match': `"${role.version}"` } as never }, body: { permissions: perms } as never })),
    onSuccess: refresh,
    onError: (e) => { if (e instanceof ApiProblem && e.status === 412) void refresh(); },
  });
  const remove = useMutation({
    mutationFn: async () => unwrap(await api.DELETE('/api/v1/roles/{id}', { params: { path: { id: role.id } } })),
    onSuccess: refresh,
  });
  const changed = perms.slice().sort().join() !== role.permissions.slice().sort().join();
  return (
    <details data-testid="role-row" className="border-b border-stone-100 py-2">
      <summary className="cursor-pointer font-medium">{role.name} <span className="text-xs text-stone-500">{role.code}</span> <span className="text-xs text-stone-500">({role.permissions.length})</span></summary>
      <PermissionBoxes value={perms} onChange={setPerms} disabled={!allowed} />
      <div className="mt-2 flex gap-2">
        {allowed && changed && <Button onClick={() => save.mutate()} disabled={save.isPending}>{m.app.save}</Button>}
        {allowed && !role.is_system && <Button kind="danger" disabled={remove.isPending} onClick={() => { if (window.confirm(`${m.adminMore.delete}: ${role.name}?`)) remove.mutate(); }}>{m.adminMore.delete}</Button>}
      </div>
      {save.error instanceof ApiProblem && save.error.status === 412 ? <p role="alert" className="text-sm text-red-700">{m.adminMore.stale}</p> : <ProblemMessage error={save.error ?? remove.error} />}
    </details>
  );
}

function NewRole({ onDone }: { onDone: () => void }) {
  const { m } = useI18n();
  const client = useQueryClient();
  const [perms, setPerms] = useState<string[]>([]);
  const create = useMutation({
    mutationFn: async (f: FormData) => {
      const text = (k: string) => String(f.get(k) ?? '').trim();
      return unwrap(await api.POST('/api/v1/roles', { body: { code: text('code'), name: text('name'), description: text('description') || null, permissions: perms, department_scoped: f.get('department_scoped') === 'on' } as never }));
    },
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['admin', 'roles'] });
      onDone();
    },
  });
  const { byField, other } = fieldErrors(create.error instanceof ApiProblem ? create.error.problem : undefined, ['code', 'name', 'description', 'permissions']);
  return (
    <form data-testid="role-form" className="mb-4 rounded border border-amber-200 bg-amber-50 p-3" onSubmit={(e: FormEvent<HTMLFormElement>) => { e.preventDefault(); create.mutate(new FormData(e.currentTarget)); }}>
      <div className="grid gap-2 sm:grid-cols-3">
        <Field label={m.adminMore.code} error={byField.code}><Input name="code" required aria-invalid={!!byField.code} /></Field>
        <Field label={m.adminMore.name} error={byField.name}><Input name="name" required aria-invalid={!!byField.name} /></Field>
        <Field label={m.templates.description} error={byField.description}><Input name="description" aria-invalid={!!byField.description} /></Field>
      </div>
      <label className="mt-2 flex items-center gap-2 text-sm"><input type="checkbox" name="department_scoped" /> {m.adminMore.departmentScoped}</label>
      <PermissionBoxes value={perms} onChange={setPerms} disabled={false} />
      {byField.permissions && <p role="alert" className="text-sm text-red-700">{byField.permissions}</p>}
      <div className="mt-2 flex gap-2">
        <Button type="submit" disabled={create.isPending}>{m.app.create}</Button>
        <Button kind="plain" onClick={onDone}>{m.app.cancel}</Button>
      </div>
      {other.length > 0 && <ul role="alert" className="text-sm text-red-700">{other.map((o) => <li key={o}>{o}</li>)}</ul>}
      {create.error != null && !Object.keys(byField).length && !other.length && <ProblemMessage error={create.error} />}
    </form>
  );
}

function Roles() {
  const { m } = useI18n();
  const allowed = useCan();
  const [creating, setCreating] = useState(false);
  const roles = useQuery({
    queryKey: ['admin', 'roles'],
    queryFn: async () => unwrap(await api.GET('/api/v1/roles', { params: { query: { limit: 200 } as never } })).items,
  });
  if (roles.isPending) return <Loading />;
  return (
    <Card title={m.admin.roles} actions={allowed('users:edit') && !creating && <Button onClick={() => setCreating(true)}>{m.adminMore.newRole}</Button>}>
      {creating && <NewRole onDone={() => setCreating(false)} />}
      <ProblemMessage error={roles.error} />
      {(roles.data ?? []).map((r) => <RoleEditor key={`${r.id}:${r.version}`} role={r} />)}
    </Card>
  );
}

const ENTITY_TYPES = ['user', 'role', 'department', 'theater', 'item', 'movement', 'category', 'location', 'document', 'document_version', 'document_template', 'document_generation', 'performance', 'event', 'venue', 'report_schedule'];

function ChangeTable({ changes }: { changes: unknown }) {
  const { m } = useI18n();
  const rows = changeRows(changes);
  if (!rows.length) return <p className="text-xs text-stone-500">{m.adminMore.noChanges}</p>;
  return (
    <div className="overflow-x-auto">
      <table data-testid="audit-diff" className="w-full text-left text-xs">
        <thead><tr className="text-stone-500"><th className="py-1 pr-2 font-medium">{m.adminMore.field}</th><th className="py-1 pr-2 font-medium">{m.adminMore.before}</th><th className="py-1 font-medium">{m.adminMore.after}</th></tr></thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.field} className="border-t border-stone-100 align-top">
              <td className="py-1 pr-2 font-mono">{r.field}</td>
              <td className="py-1 pr-2 break-all"><span className={r.kind === 'added' ? 'text-stone-400' : 'bg-red-50 text-red-800 line-through decoration-red-300'}>{r.from || '—'}</span></td>
              <td className="py-1 break-all"><span className={r.kind === 'removed' ? 'text-stone-400' : 'bg-green-50 text-green-800'}>{r.to || '—'}</span></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Audit() {
  const { m, dateTime } = useI18n();
  const allowed = useCan();
  const [filters, setFilters] = useState<AuditFilters>({});
  const users = useQuery({
    queryKey: ['admin', 'users'],
    enabled: allowed('users:view'),
    queryFn: async () => unwrap(await api.GET('/api/v1/users', { params: { query: { limit: 200 } as never } })).items,
  });
  const names = new Map((users.data ?? []).map((u) => [u.id, `${u.first_name} ${u.last_name}`]));
  const query = auditQuery(filters);
  const audit = useInfiniteQuery({
    queryKey: ['admin', 'audit', query],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) => unwrap(await api.GET('/api/v1/audit', { params: { query: { ...query, limit: 50, cursor: pageParam } } })),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const rows = audit.data?.pages.flatMap((p) => p.items) ?? [];
  const apply = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const get = (k: string) => String(f.get(k) ?? '');
    setFilters({ actor_id: get('actor_id'), entity_type: get('entity_type'), entity_id: get('entity_id'), action: get('action'), from: get('from'), to: get('to') });
  };
  const { byField } = fieldErrors(audit.error instanceof ApiProblem ? audit.error.problem : undefined, ['actor_id', 'entity_type', 'entity_id', 'action', 'from', 'to']);
  return (
    <Card title={m.admin.audit}>
      <form data-testid="audit-filters" onSubmit={apply} onReset={() => setFilters({})} className="mb-3 grid grid-cols-2 gap-2 sm:grid-cols-3 lg:grid-cols-6">
        <Field label={m.admin.who} error={byField.actor_id}>
          {allowed('users:view') ? (
            <Select name="actor_id" defaultValue="">
              <option value="">{m.adminMore.anyone}</option>
              {(users.data ?? []).map((u) => <option key={u.id} value={u.id}>{u.last_name} {u.first_name}</option>)}
            </Select>
          ) : <Input name="actor_id" placeholder="uuid" />}
        </Field>
        <Field label={m.admin.entity} error={byField.entity_type}>
          <Input name="entity_type" list="audit-entities" autoComplete="off" />
          <datalist id="audit-entities">{ENTITY_TYPES.map((t) => <option key={t} value={t} />)}</datalist>
        </Field>
        <Field label={m.adminMore.entityId} error={byField.entity_id}><Input name="entity_id" placeholder="uuid" /></Field>
        <Field label={m.admin.what} error={byField.action}><Input name="action" placeholder="department.create" title={m.adminMore.action} /></Field>
        <Field label={m.adminMore.from} error={byField.from}><Input name="from" type="date" /></Field>
        <Field label={m.adminMore.to} error={byField.to}><Input name="to" type="date" /></Field>
        <div className="col-span-2 flex gap-2 sm:col-span-3 lg:col-span-6">
          <Button type="submit">{m.adminMore.apply}</Button>
          <Button type="reset" kind="plain">{m.adminMore.reset}</Button>
        </div>
      </form>
      {!Object.keys(byField).length && <ProblemMessage error={audit.error} />}
      {audit.isPending ? <Loading /> : rows.length === 0 ? <Empty /> : (
        <ul className="divide-y divide-stone-100 text-sm">
          {rows.map((row) => (
            <li key={row.id} data-testid="audit-row" className="py-1.5">
              <div className="flex flex-wrap items-center gap-2">
                <span className="text-stone-500">{dateTime(row.created_at)}</span>
                <Badge>{row.action}</Badge>
                <span>{row.entity_type}</span>
                <span className="font-mono text-xs text-stone-500">{row.entity_id}</span>
                <span className="text-stone-700">{row.actor_id ? names.get(row.actor_id) ?? row.actor_id : m.adminMore.system}</span>
              </div>
              <details>
                <summary className="cursor-pointer text-xs text-stone-500">{m.admin.diff} ({changeRows(row.changes).length})</summary>
                <ChangeTable changes={row.changes} />
              </details>
            </li>
          ))}
        </ul>
      )}
      {audit.hasNextPage && <Button kind="plain" className="mt-2" disabled={audit.isFetchingNextPage} onClick={() => audit.fetchNextPage()}>{m.app.more}</Button>}
    </Card>
  );
}

export default function Admin() {
  const { m } = useI18n();
  const allowed = useCan();
  const tab = ({ isActive }: { isActive: boolean }) => `rounded px-3 py-1 text-sm ${isActive ? 'bg-amber-700 text-white' : 'bg-white border border-stone-300'}`;
  return (
    <div>
      <nav className="mb-3 flex flex-wrap gap-2" aria-label={m.nav.admin}>
        {allowed('users:view') && <NavLink to="/admin/users" className={tab}>{m.admin.users}</NavLink>}
        {allowed('users:view') && <NavLink to="/admin/roles" className={tab}>{m.admin.roles}</NavLink>}
        {(allowed('system:settings') || allowed('users:view')) && <NavLink to="/admin/departments" className={tab}>{m.adminMore.departments}</NavLink>}
        {allowed('system:settings') && <NavLink to="/admin/theater" className={tab}>{m.adminMore.theater}</NavLink>}
        {allowed('audit:view') && <NavLink to="/admin/audit" className={tab}>{m.admin.audit}</NavLink>}
      </nav>
      <Routes>
        <Route index element={<Navigate to={allowed('users:view') ? 'users' : allowed('system:settings') ? 'theater' : 'audit'} replace />} />
        <Route path="users" element={<Users />} />
        <Route path="roles" element={<Roles />} />
        <Route path="departments" element={<Departments />} />
        <Route path="theater" element={<TheaterSettings />} />
        <Route path="audit" element={<Audit />} />
      </Routes>
    </div>
  );
}
