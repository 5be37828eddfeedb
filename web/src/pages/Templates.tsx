// Document templates: a DOCX with {{variables}} uploaded through the documents' presigned flow,
// its variables (defined, undefined, unused) with their types, and generation of a filled
// document from a form the variables make, polled until ready or failed, then downloaded.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, authFetch, type Schemas } from '../api/client';
import { Gate, useCan } from '../components/Gate';
import { Badge, Button, Card, Empty, Field, Input, Loading, ProblemMessage, Select } from '../components/ui';
import { useI18n } from '../i18n';
import { ApiProblem, fieldErrors, unwrap } from '../lib/problem';
import { generationForm, generationValues, PERFORMANCE_FIELDS, USER_FIELDS, valueFieldName, VARIABLE_TYPES, withType, type FormField, type TemplateVariable } from '../lib/templates';
import { downloadVia, uploadTo } from '../lib/upload';

type Template = Schemas['DocumentTemplateView'];
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** Uploads `file` as the next version of the template's document (ask → PUT → complete). */
async function uploadDocx(documentId: string, file: File, onProgress: (f: number) => void) {
  const asked = unwrap(await api.POST('/api/v1/documents/{id}/versions', {
    params: { path: { id: documentId } },
    body: { filename: file.name, content_type: file.type || DOCX, size: file.size } as never,
  }));
  await uploadTo(asked.upload as never, file, onProgress);
  unwrap(await api.POST('/api/v1/documents/{id}/versions/{version_id}/complete', { params: { path: { id: documentId, version_id: asked.version_id } } }));
}

function Progress({ value }: { value: number | null }) {
  const { m } = useI18n();
  if (value === null) return null;
  return <progress className="mt-1 block w-full" max={1} value={value} aria-label={m.documents.uploading} />;
}

function NewTemplate({ onDone }: { onDone: (id: string) => void }) {
  const { m } = useI18n();
  const client = useQueryClient();
  const [progress, setProgress] = useState<number | null>(null);
  const create = useMutation({
    mutationFn: async (f: FormData) => {
      const text = (k: string) => String(f.get(k) ?? '').trim();
      const created = unwrap(await api.POST('/api/v1/documents/templates', { body: { name: text('name'), description: text('description') || null } }));
      const file = f.get('file');
      if (file instanceof File && file.size > 0) {
        setProgress(0);
        await uploadDocx(created.document_id, file, setProgress);
      }
      return created;
    },
    onSettled: () => setProgress(null),
    onSuccess: async (t) => {
      await client.invalidateQueries({ queryKey: ['templates'] });
      onDone(t.id);
    },
  });
  const { byField, other } = fieldErrors(create.error instanceof ApiProblem ? create.error.problem : undefined, ['name', 'description']);
  return (
    <form data-testid="template-form" className="mb-4 grid gap-2 rounded border border-amber-200 bg-amber-50 p-3 sm:grid-cols-3" onSubmit={(e: FormEvent<HTMLFormElement>) => { e.preventDefault(); create.mutate(new FormData(e.currentTarget)); }}>
      <Field label={m.templates.name} error={byField.name}><Input name="name" required aria-invalid={!!byField.name} /></Field>
      <Field label={m.templates.description} error={byField.description}><Input name="description" aria-invalid={!!byField.description} /></Field>
      <Field label={m.templates.file}><input name="file" type="file" accept=".docx,application/vnd.openxmlformats-officedocument.wordprocessingml.document" className="block w-full text-sm" /></Field>
      <div className="flex gap-2 sm:col-span-3">
        <Button type="submit" disabled={create.isPending}>{m.app.create}</Button>
        <Button kind="plain" onClick={() => onDone('')}>{m.app.cancel}</Button>
      </div>
      <div className="sm:col-span-3"><Progress value={progress} /></div>
      {other.length > 0 && <ul role="alert" className="text-sm text-red-700 sm:col-span-3">{other.map((o) => <li key={o}>{o}</li>)}</ul>}
      {create.error != null && !Object.keys(byField).length && !other.length && <div className="sm:col-span-3"><ProblemMessage error={create.error} /></div>}
    </form>
  );
}

function VariableEditor({ template, variables, undefinedNames, onSaved }: { template: Template; variables: TemplateVariable[]; undefinedNames: string[]; onSaved: () => void }) {
  const { m } = useI18n();
  const mayEdit = useCan()('documents:edit');
  const [vars, setVars] = useState<TemplateVariable[]>(variables);
  // A placeholder without a definition stays undefined until its row is changed here.
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const stored = vars.filter((v) => !undefinedNames.includes(v.name) || touched.has(v.name));
  const save = useMutation({
    mutationFn: async () => unwrap(await api.PUT('/api/v1/documents/templates/{id}/variables', {
      params: { path: { id: template.id }, header: { 'If-Match': `"${template.version}"` } as never },
      body: { variables: stored },
    })),
    onSuccess: onSaved,
    onError: (e) => { if (e instanceof ApiProblem && e.status === 412) onSaved(); },
  });
  // The API names errors by the position in what was sent.
  const names = stored.flatMap((_, i) => ['name', 'type', 'label', 'default', 'options', 'field'].map((f) => `variables[${i}].${f}`));
  const { byField, other } = fieldErrors(save.error instanceof ApiProblem ? save.error.problem : undefined, names);
  const update = (i: number, next: (v: TemplateVariable) => TemplateVariable) => {
    setTouched((t) => new Set(t).add(vars[i].name));
    setVars((list) => list.map((v, j) => (j === i ? next(v) : v)));
  };
  const change = (i: number, patch: Partial<TemplateVariable>) => update(i, (v) => ({ ...v, ...patch }));
  const err = (i: number, f: string) => {
    const at = stored.indexOf(vars[i]);
    return at < 0 ? undefined : byField[`variables[${at}].${f}`];
  };
  return (
    <form onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      <fieldset disabled={!mayEdit} className="space-y-2">
        <legend className="sr-only">{m.templates.variables}</legend>
        {vars.map((v, i) => (
          <div key={v.name} data-testid="variable-row" className="grid grid-cols-2 gap-2 rounded border border-stone-200 p-2 text-sm sm:grid-cols-6">
            <div className="col-span-2 sm:col-span-1"><span className="block text-xs text-stone-500">{'{{'}{v.name}{'}}'}</span>{undefinedNames.includes(v.name) && !touched.has(v.name) && <Badge tone="amber">{m.templates.undefinedVars}</Badge>}{err(i, 'name') && <span role="alert" className="text-red-700">{err(i, 'name')}</span>}</div>
            <Field label={m.templates.type} error={err(i, 'type')}>
              <Select name={`type-${v.name}`} value={v.type} onChange={(e) => update(i, (x) => withType(x, e.target.value as TemplateVariable['type']))}>
                {VARIABLE_TYPES.map((t) => <option key={t} value={t}>{m.templates.types[t]}</option>)}
              </Select>
            </Field>
            <Field label={m.templates.label} error={err(i, 'label')}><Input value={v.label ?? ''} onChange={(e) => change(i, { label: e.target.value || null })} /></Field>
            <Field label={m.templates.default} error={err(i, 'default')}><Input value={v.default ?? ''} onChange={(e) => change(i, { default: e.target.value || null })} /></Field>
            {(v.type === 'performance_field' || v.type === 'user_field') ? (
              <Field label={m.templates.field} error={err(i, 'field')}>
                <Select value={v.field ?? ''} onChange={(e) => change(i, { field: e.target.value })}>
                  {(v.type === 'user_field' ? USER_FIELDS : PERFORMANCE_FIELDS).map((f) => <option key={f} value={f}>{f}</option>)}
                </Select>
              </Field>
            ) : v.type === 'choice' ? (
              <Field label={m.templates.options} error={err(i, 'options')}>
                <textarea rows={2} value={(v.options ?? []).join('\n')} onChange={(e) => change(i, { options: e.target.value.split('\n') })} onBlur={() => change(i, { options: (v.options ?? []).map((o) => o.trim()).filter(Boolean) })} className="w-full rounded border border-stone-300 px-2 py-1" />
              </Field>
            ) : <span />}
            <label className="flex items-center gap-1 self-end pb-2"><input type="checkbox" checked={!!v.required} onChange={(e) => change(i, { required: e.target.checked })} /> {m.templates.required}</label>
          </div>
        ))}
      </fieldset>
      {mayEdit && vars.length > 0 && <Button type="submit" className="mt-2" disabled={save.isPending}>{m.templates.saveVariables}</Button>}
      {save.isSuccess && <span role="status" className="ml-2 text-sm text-green-700">{m.adminMore.saved}</span>}
      {save.error instanceof ApiProblem && save.error.status === 412 ? <p role="alert" className="text-sm text-red-700">{m.adminMore.stale}</p> : (
        <>
          {other.length > 0 && <ul role="alert" className="mt-1 text-sm text-red-700">{other.map((o) => <li key={o}>{o}</li>)}</ul>}
          {save.error != null && !Object.keys(byField).length && !other.length && <ProblemMessage error={save.error} />}
        </>
      )}
    </form>
  );
}

function ValueControl({ field, value, onChange, error, users }: { field: FormField; value: string; onChange: (v: string) => void; error?: string; users?: { id: string; first_name: string; last_name: string }[] }) {
  const { m } = useI18n();
  const hint = field.fromPerformance ? ` (${m.templates.fromPerformance})` : field.control === 'lines' ? ` (${m.templates.lines})` : '';
  const common = { name: `value-${field.name}`, 'aria-invalid': !!error, required: field.required };
  return (
    <Field label={`${field.label}${field.required ? ' *' : ''}${hint}`} error={error}>
      {field.control === 'select' ? (
        <Select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
          {!field.required && <option value="">—</option>}
          {field.options.map((o) => <option key={o} value={o}>{o}</option>)}
        </Select>
      ) : field.control === 'user' && users ? (
        <Select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">{m.templates.pickUser}</option>
          {users.map((u) => <option key={u.id} value={u.id}>{u.last_name} {u.first_name}</option>)}
        </Select>
      ) : field.control === 'lines' ? (
        <textarea {...common} rows={3} value={value} onChange={(e) => onChange(e.target.value)} className="w-full rounded border border-stone-300 bg-white px-2 py-1.5 aria-[invalid=true]:border-red-500" />
      ) : (
        <Input {...common} type={field.control === 'date' ? 'date' : 'text'} inputMode={field.control === 'number' ? 'decimal' : undefined} value={value} onChange={(e) => onChange(e.target.value)} />
      )}
    </Field>
  );
}

function Generate({ template, variables }: { template: Template; variables: TemplateVariable[] }) {
  const { m, label } = useI18n();
  const form = generationForm(variables);
  const [typed, setTyped] = useState<Record<string, string>>(() => Object.fromEntries(form.fields.map((f) => [f.name, f.initial])));
  const [performance, setPerformance] = useState('');
  const [format, setFormat] = useState<'docx' | 'pdf'>('docx');
  const [generationId, setGenerationId] = useState<string | null>(null);
  const performances = useQuery({
    queryKey: ['performances', 'list'],
    enabled: form.performance !== 'none',
    queryFn: async () => unwrap(await api.GET('/api/v1/performances', { params: { query: { limit: 200 } as never } })).items,
  });
  const mayListUsers = useCan()('users:view');
  const needsUsers = form.fields.some((f) => f.control === 'user');
  const users = useQuery({
    queryKey: ['admin', 'users'],
    enabled: needsUsers && mayListUsers,
    queryFn: async () => unwrap(await api.GET('/api/v1/users', { params: { query: { limit: 200 } as never } })).items,
  });
  const start = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/v1/documents/templates/{id}/generate', {
      params: { path: { id: template.id } },
      body: { performance_id: performance || null, values: generationValues(form.fields, typed) as never, format },
    })),
    onSuccess: (g) => setGenerationId(g.id),
  });
  const generation = useQuery({
    queryKey: ['templates', template.id, 'generation', generationId],
    enabled: !!generationId,
    queryFn: async () => unwrap(await api.GET('/api/v1/documents/templates/{id}/generations/{generation_id}', { params: { path: { id: template.id, generation_id: generationId! } } })),
    refetchInterval: (q) => (q.state.data?.status === 'processing' ? 1000 : false),
  });
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const fieldNames = ['performance_id', 'format', ...form.fields.map((f) => f.name)];
  const problem = start.error instanceof ApiProblem ? { ...start.error.problem, errors: start.error.problem.errors?.map((e) => ({ ...e, field: valueFieldName(e.field) })) } : undefined;
  const { byField, other } = fieldErrors(problem, fieldNames);
  const g = generation.data;
  const status = g?.status ?? (generationId ? 'processing' : null);
  return (
    <form data-testid="generate-form" onSubmit={(e) => { e.preventDefault(); setGenerationId(null); start.mutate(); }} className="grid grid-cols-1 gap-2 sm:grid-cols-2">
      {form.performance !== 'none' && (
        <Field label={`${m.templates.performance}${form.performance === 'required' ? ' *' : ''}`} error={byField.performance_id}>
          <Select name="performance_id" value={performance} onChange={(e) => setPerformance(e.target.value)} required={form.performance === 'required'} aria-invalid={!!byField.performance_id}>
            <option value="">{m.templates.noPerformance}</option>
            {(performances.data ?? []).map((p) => <option key={p.id} value={p.id}>{p.title} ({label('perfStatus', p.status)})</option>)}
          </Select>
        </Field>
      )}
      {form.fields.map((f) => (
        <ValueControl key={f.name} field={f} value={typed[f.name] ?? ''} onChange={(v) => setTyped((t) => ({ ...t, [f.name]: v }))} error={byField[f.name]} users={mayListUsers ? users.data ?? [] : undefined} />
      ))}
      <Field label={m.templates.output} error={byField.format}>
        <Select name="format" value={format} onChange={(e) => setFormat(e.target.value as 'docx' | 'pdf')}>
          <option value="docx">DOCX</option>
          <option value="pdf">PDF</option>
        </Select>
      </Field>
      <div className="flex flex-wrap items-end gap-2">
        <Button type="submit" disabled={start.isPending || status === 'processing'}>{m.templates.generate}</Button>
      </div>
      <div className="sm:col-span-2" aria-live="polite">
        {other.length > 0 && <ul role="alert" className="text-sm text-red-700">{other.map((o) => <li key={o}>{o}</li>)}</ul>}
        {start.error != null && !Object.keys(byField).length && !other.length && <ProblemMessage error={start.error} />}
        <ProblemMessage error={generation.error ?? downloadError} />
        {status && (
          <p className="flex flex-wrap items-center gap-2 text-sm">
            <Badge tone={status === 'ready' ? 'green' : status === 'failed' ? 'red' : 'blue'}><span data-testid="generation-status">{status === 'ready' ? m.templates.ready : status === 'failed' ? m.templates.failed : m.templates.generating}</span></Badge>
            {g?.error && <span className="text-red-700">{g.error}</span>}
            {status === 'ready' && g && (
              <>
                <Button kind="plain" data-testid="generation-download" onClick={() => { setDownloadError(null); downloadVia(authFetch, `/api/v1/documents/${g.document_id}/versions/${g.version_id}/download`, `${template.name}.${g.format}`).catch(setDownloadError); }}>{m.documents.download} {g.format.toUpperCase()}</Button>
                <Link className="text-amber-900 hover:underline" to={`/documents/${g.document_id}`}>{m.templates.openDocument}</Link>
              </>
            )}
          </p>
        )}
      </div>
    </form>
  );
}

function TemplateDetail({ id }: { id: string }) {
  const { m } = useI18n();
  const client = useQueryClient();
  const allowed = useCan();
  const [progress, setProgress] = useState<number | null>(null);
  const template = useQuery({
    queryKey: ['templates', id],
    queryFn: async () => unwrap(await api.GET('/api/v1/documents/templates/{id}', { params: { path: { id } } })),
  });
  const variables = useQuery({
    queryKey: ['templates', id, 'variables'],
    queryFn: async () => unwrap(await api.GET('/api/v1/documents/templates/{id}/variables', { params: { path: { id } } })),
    // A file just uploaded is being verified by the worker: ask again until it is readable.
    refetchInterval: (q) => (q.state.data?.file_error && progress === null && q.state.dataUpdateCount < 60 ? 2000 : false),
  });
  const refresh = () => client.invalidateQueries({ queryKey: ['templates'] });
  const upload = useMutation({
    mutationFn: async (file: File) => {
      setProgress(0);
      await uploadDocx(template.data!.document_id, file, setProgress);
    },
    onSettled: async () => { setProgress(null); await refresh(); },
  });
  const remove = useMutation({
    mutationFn: async () => unwrap(await api.DELETE('/api/v1/documents/templates/{id}', { params: { path: { id } } })),
    onSuccess: refresh,
  });
  if (template.isPending) return <Loading />;
  if (template.error) return <ProblemMessage error={template.error} />;
  const t = template.data;
  const v = variables.data;
  return (
    <div>
      <Card title={t.name} actions={<Gate need="documents:delete"><Button kind="danger" disabled={remove.isPending} onClick={() => { if (window.confirm(m.templates.confirmDelete.replace('{name}', t.name))) remove.mutate(); }}>{m.templates.delete}</Button></Gate>}>
        {t.description && <p className="mb-2 text-sm text-stone-600">{t.description}</p>}
        <p className="flex flex-wrap items-center gap-2 text-sm">
          {v?.file_error ? <Badge tone="amber">{v.file_error}</Badge> : v ? <Badge tone="green">{m.templates.fileReady}</Badge> : null}
          <Link className="text-amber-900 hover:underline" to={`/documents/${t.document_id}`}>{m.templates.file}</Link>
        </p>
        <Gate need="documents:edit">
          <label className="mt-2 block text-sm font-medium">
            {m.templates.upload}
            <input data-testid="template-upload" type="file" accept=".docx,application/vnd.openxmlformats-officedocument.wordprocessingml.document" className="mt-1 block text-sm" disabled={upload.isPending} onChange={(e) => { const f = e.target.files?.[0]; if (f) upload.mutate(f); e.target.value = ''; }} />
          </label>
          <Progress value={progress} />
        </Gate>
        <ProblemMessage error={upload.error ?? remove.error} />
      </Card>
      <Card title={m.templates.variables}>
        <ProblemMessage error={variables.error} />
        {variables.isPending ? <Loading /> : v && (
          <>
            <dl className="mb-3 grid gap-1 text-sm sm:grid-cols-[auto_1fr]">
              <dt className="font-medium">{m.templates.defined}</dt>
              <dd data-testid="vars-defined" className="flex flex-wrap gap-1">{v.variables.filter((x) => !v.undefined.includes(x.name)).map((x) => <Badge key={x.name}>{x.name}</Badge>)}</dd>
              <dt className="font-medium">{m.templates.undefinedVars}</dt>
              <dd data-testid="vars-undefined" className="flex flex-wrap gap-1">{v.undefined.length ? v.undefined.map((n) => <Badge key={n} tone="amber">{n}</Badge>) : '—'}</dd>
              <dt className="font-medium">{m.templates.unused}</dt>
              <dd data-testid="vars-unused" className="flex flex-wrap gap-1">{v.unused.length ? v.unused.map((n) => <Badge key={n} tone="red">{n}</Badge>) : '—'}</dd>
            </dl>
            <details>
              <summary className="cursor-pointer text-sm font-medium">{allowed('documents:edit') ? m.app.edit : m.templates.variables}</summary>
              <VariableEditor key={`${t.version}:${v.variables.length}:${v.undefined.join()}`} template={t} variables={v.variables} undefinedNames={v.undefined} onSaved={refresh} />
            </details>
          </>
        )}
      </Card>
      <Gate need="documents:create">
        <Card title={m.templates.generate}>
          {v && !v.file_error ? <Generate key={`${t.version}:${JSON.stringify(v.variables)}`} template={t} variables={v.variables} /> : <Empty>{m.templates.noFile}</Empty>}
        </Card>
      </Gate>
    </div>
  );
}

export default function Templates() {
  const { m } = useI18n();
  const [params, setParams] = useSearchParams();
  const [creating, setCreating] = useState(false);
  const list = useQuery({
    queryKey: ['templates', 'list'],
    queryFn: async () => unwrap(await api.GET('/api/v1/documents/templates', { params: { query: { limit: 200 } } })).items,
  });
  const items = list.data ?? [];
  const chosen = items.find((t) => t.id === params.get('id'))?.id ?? items[0]?.id;
  return (
    <div className="grid items-start gap-4 md:grid-cols-[18rem_1fr]">
      <Card title={m.templates.title} actions={<Gate need="documents:create">{!creating && <Button onClick={() => setCreating(true)}>{m.templates.new}</Button>}</Gate>}>
        {creating && <NewTemplate onDone={(id) => { setCreating(false); if (id) setParams({ id }); }} />}
        <ProblemMessage error={list.error} />
        {list.isPending ? <Loading /> : items.length === 0 ? <Empty /> : (
          <ul className="space-y-0.5 text-sm">
            {items.map((t) => (
              <li key={t.id} data-testid="template-row">
                <Link to={`?id=${t.id}`} aria-current={t.id === chosen ? 'page' : undefined} className={`block rounded px-2 py-1 ${t.id === chosen ? 'bg-amber-700 text-white' : 'hover:bg-stone-100'}`}>{t.name}</Link>
              </li>
            ))}
          </ul>
        )}
      </Card>
      <div className="min-w-0">{chosen && <TemplateDetail key={chosen} id={chosen} />}</div>
    </div>
  );
}
