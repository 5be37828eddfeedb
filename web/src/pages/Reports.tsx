// Reports: the ones the caller may run (GET /reports), a form per report from the parameters it
// reads, the result as a table (JSON) or a file (CSV, XLSX, PDF; a large file comes as a 303 to
// a short-lived link), and the scheduled reports whose results are stored as documents.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, authFetch, type Schemas } from '../api/client';
import { Gate, useCan } from '../components/Gate';
import { Badge, Button, Card, Empty, Field, Input, Loading, ProblemMessage, Select } from '../components/ui';
import { useI18n } from '../i18n';
import { can } from '../lib/permissions';
import { ApiProblem, fieldErrors, unwrap, type Problem } from '../lib/problem';
import { downloadName, formatCell, GROUP_BY, initialForm, numeric, ORDERS, reportPath, type ReportForm, type ReportFormat, type ReportInfo } from '../lib/reports';
import { useSession } from '../session/store';
import { saveBlob } from '../lib/upload';

type ReportResult = Schemas['ReportResult'];
type Outcome =
  | { kind: 'table'; result: ReportResult }
  | { kind: 'file'; name: string }
  | { kind: 'link'; url: string; format: ReportFormat };

const PARAM_FIELDS = ['from', 'to', 'group_by', 'order', 'limit', 'format'];
/** Rows shown on the screen; the files hold all of them. */
const SHOWN_ROWS = 1000;

/** Runs a report: JSON becomes a table, a file is saved, a 303 to storage becomes a link. */
async function runReport(info: ReportInfo, form: ReportForm, format: ReportFormat): Promise<Outcome> {
  const res = await authFetch(new Request(new URL(reportPath(info.code, info, form, format), window.location.origin)));
  if (!res.ok) {
    let problem: Problem = {};
    try {
      problem = (await res.json()) as Problem;
    } catch {
      /* not a problem document */
    }
    throw new ApiProblem(res.status, problem);
  }
  if (format === 'json') return { kind: 'table', result: (await res.json()) as ReportResult };
  if (res.redirected) {
    // A large file was written to storage: offer its link rather than holding it in memory.
    await res.body?.cancel();
    return { kind: 'link', url: res.url, format };
  }
  const name = downloadName(info.code, format, res.headers.get('Content-Disposition'));
  saveBlob(await res.blob(), name);
  return { kind: 'file', name };
}

function ResultTable({ result }: { result: ReportResult }) {
  const { m, tag, dateTime, date } = useI18n();
  const rows = result.rows as Record<string, unknown>[];
  return (
    <div data-testid="report-result" className="mt-3">
      <p className="mb-1 text-sm text-stone-600">
        {result.title} · {result.theatre}
        {result.from && ` · ${date(result.from)} — ${date(result.to)}`} · {m.reports.generated} {dateTime(result.generated_at)} · {m.reports.rows}: {rows.length}
      </p>
      {rows.length === 0 ? <Empty /> : (
        <div className="max-h-[70vh] overflow-auto rounded border border-stone-200">
          <table className="w-full text-sm">
            <thead className="sticky top-0 bg-stone-100">
              <tr>{result.columns.map((c) => <th key={c.key} scope="col" className={`px-2 py-1 font-medium ${numeric(c.kind) ? 'text-right' : 'text-left'}`}>{c.title}</th>)}</tr>
            </thead>
            <tbody>
              {rows.slice(0, SHOWN_ROWS).map((row, i) => (
                <tr key={i} data-testid="report-row" className="border-t border-stone-100">
                  {result.columns.map((c) => <td key={c.key} className={`px-2 py-1 ${numeric(c.kind) ? 'text-right tabular-nums' : ''}`}>{formatCell(row[c.key], c.kind, tag)}</td>)}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function ReportRunner({ info }: { info: ReportInfo }) {
  const { m } = useI18n();
  const [form, setForm] = useState<ReportForm>(() => initialForm(info));
  const run = useMutation({ mutationFn: ({ format }: { format: ReportFormat }) => runReport(info, form, format) });
  const { byField, other } = fieldErrors(run.error instanceof ApiProblem ? run.error.problem : undefined, PARAM_FIELDS);
  const set = (k: keyof ReportForm) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));
  const submit = (e: FormEvent) => { e.preventDefault(); run.mutate({ format: 'json' }); };
  return (
    <section aria-labelledby={`report-${info.code}`}>
      <h3 id={`report-${info.code}`} className="font-semibold">{info.title}</h3>
      <p className="mb-2 text-sm text-stone-600">{info.description}</p>
      <form data-testid="report-form" onSubmit={submit} className="grid grid-cols-2 gap-2 sm:grid-cols-4">
        {info.params.includes('from') && <Field label={m.reports.from} error={byField.from}><Input type="date" name="from" value={form.from ?? ''} onChange={set('from')} required={info.over_period} aria-invalid={!!byField.from} /></Field>}
        {info.params.includes('to') && <Field label={m.reports.to} error={byField.to}><Input type="date" name="to" value={form.to ?? ''} onChange={set('to')} required={info.over_period} aria-invalid={!!byField.to} /></Field>}
        {info.params.includes('group_by') && (
          <Field label={m.reports.group_by} error={byField.group_by}>
            <Select name="group_by" value={form.group_by ?? ''} onChange={set('group_by')} aria-invalid={!!byField.group_by}>
              <option value="">{m.reports.groupBy.category}</option>
              {GROUP_BY.filter((g) => g !== 'category').map((g) => <option key={g} value={g}>{m.reports.groupBy[g]}</option>)}
            </Select>
          </Field>
        )}
        {info.params.includes('order') && (
          <Field label={m.reports.order} error={byField.order}>
            <Select name="order" value={form.order ?? ''} onChange={set('order')} aria-invalid={!!byField.order}>
              {ORDERS.map((o) => <option key={o} value={o === 'most' ? '' : o}>{m.reports.orders[o]}</option>)}
            </Select>
          </Field>
        )}
        {info.params.includes('limit') && <Field label={m.reports.limit} error={byField.limit}><Input type="number" name="limit" min={1} max={1000} placeholder="20" value={form.limit ?? ''} onChange={set('limit')} aria-invalid={!!byField.limit} /></Field>}
        <div className="col-span-2 flex flex-wrap items-end gap-2 sm:col-span-4">
          <Button type="submit" disabled={run.isPending}>{m.reports.run}</Button>
          {info.formats.filter((f) => f !== 'json').map((f) => (
            <Button key={f} kind="plain" data-format={f} disabled={run.isPending} onClick={() => run.mutate({ format: f })}>{m.reports.download} {f.toUpperCase()}</Button>
          ))}
        </div>
      </form>
      {byField.format && <p role="alert" className="mt-1 text-sm text-red-700">{byField.format}</p>}
      {other.length > 0 && <ul role="alert" className="mt-1 text-sm text-red-700">{other.map((o) => <li key={o}>{o}</li>)}</ul>}
      {run.error != null && !Object.keys(byField).length && !other.length && <ProblemMessage error={run.error} />}
      {run.isPending && <Loading />}
      {run.data?.kind === 'table' && <ResultTable result={run.data.result} />}
      {run.data?.kind === 'file' && <p role="status" data-testid="report-downloaded" className="mt-2 text-sm text-green-700">{m.reports.downloaded}: {run.data.name}</p>}
      {run.data?.kind === 'link' && (
        <p role="status" className="mt-2 text-sm">
          {m.reports.large} <a data-testid="report-link" className="text-amber-900 underline" href={run.data.url} download>{m.reports.link} ({run.data.format.toUpperCase()})</a>
        </p>
      )}
    </section>
  );
}

type Schedule = Schemas['ReportScheduleView'];

function NewSchedule({ reports, onDone }: { reports: ReportInfo[]; onDone: () => void }) {
  const { m } = useI18n();
  const client = useQueryClient();
  const granted = useSession((s) => s.permissions);
  const [code, setCode] = useState<string>(reports[0]?.code ?? '');
  const [cadence, setCadence] = useState<Schemas['ReportCadence']>('weekly');
  const info = reports.find((r) => r.code === code);
  const users = useQuery({
    queryKey: ['admin', 'users'],
    enabled: can(granted, 'users:view'),
    queryFn: async () => unwrap(await api.GET('/api/v1/users', { params: { query: { limit: 200 } as never } })).items,
  });
  const create = useMutation({
    mutationFn: async (f: FormData) => {
      const text = (k: string) => String(f.get(k) ?? '').trim();
      const params: Schemas['ReportScheduleParams'] = {};
      if (info?.params.includes('group_by') && text('group_by')) params.group_by = text('group_by') as Schemas['ReportGroupBy'];
      if (info?.params.includes('order') && text('order')) params.order = text('order') as Schemas['ReportUsageOrder'];
      if (info?.params.includes('limit') && text('limit')) params.limit = Number(text('limit'));
      return unwrap(await api.POST('/api/v1/reports/schedules', {
        body: {
          report: code as Schemas['ReportCode'],
          params,
          format: text('format') as ReportFormat,
          cadence,
          day: cadence === 'daily' ? null : Number(text('day')),
          time: text('time'),
          title: text('title') || null,
          recipients: f.getAll('recipients').map(String),
          is_active: f.get('is_active') === 'on',
        },
      }));
    },
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['reports', 'schedules'] });
      onDone();
    },
  });
  const fields = ['report', 'params.group_by', 'params.order', 'params.limit', 'params', 'format', 'cadence', 'day', 'time', 'title', 'recipients'];
  const { byField, other } = fieldErrors(create.error instanceof ApiProblem ? create.error.problem : undefined, fields);
  return (
    <form data-testid="schedule-form" className="mb-4 grid grid-cols-2 gap-2 rounded border border-amber-200 bg-amber-50 p-3 sm:grid-cols-4" onSubmit={(e: FormEvent<HTMLFormElement>) => { e.preventDefault(); create.mutate(new FormData(e.currentTarget)); }}>
      <div className="col-span-2">
        <Field label={m.reports.report} error={byField.report}>
          <Select name="report" value={code} onChange={(e) => setCode(e.target.value)}>
            {reports.map((r) => <option key={r.code} value={r.code}>{r.title}</option>)}
          </Select>
        </Field>
      </div>
      {info?.params.includes('group_by') && (
        <Field label={m.reports.group_by} error={byField['params.group_by']}>
          <Select name="group_by" defaultValue="">{[['', m.reports.groupBy.category], ...GROUP_BY.filter((g) => g !== 'category').map((g) => [g, m.reports.groupBy[g]])].map(([v, l]) => <option key={v} value={v}>{l}</option>)}</Select>
        </Field>
      )}
      {info?.params.includes('order') && (
        <Field label={m.reports.order} error={byField['params.order']}>
          <Select name="order" defaultValue="">{ORDERS.map((o) => <option key={o} value={o === 'most' ? '' : o}>{m.reports.orders[o]}</option>)}</Select>
        </Field>
      )}
      {info?.params.includes('limit') && <Field label={m.reports.limit} error={byField['params.limit']}><Input type="number" name="limit" min={1} max={1000} placeholder="20" /></Field>}
      <Field label={m.reports.format} error={byField.format}>
        <Select name="format" defaultValue="xlsx">{(info?.formats ?? ['csv', 'xlsx', 'pdf']).filter((f) => f !== 'json').map((f) => <option key={f} value={f}>{f.toUpperCase()}</option>)}</Select>
      </Field>
      <Field label={m.reports.cadence} error={byField.cadence}>
        <Select name="cadence" value={cadence} onChange={(e) => setCadence(e.target.value as Schemas['ReportCadence'])}>
          {(['daily', 'weekly', 'monthly'] as const).map((c) => <option key={c} value={c}>{m.reports.cadences[c]}</option>)}
        </Select>
      </Field>
      {cadence === 'weekly' && (
        <Field label={m.reports.weekday} error={byField.day}>
          <Select name="day" defaultValue="1">{m.reports.weekdays.map((d, i) => <option key={d} value={i + 1}>{d}</option>)}</Select>
        </Field>
      )}
      {cadence === 'monthly' && <Field label={m.reports.monthDay} error={byField.day}><Input type="number" name="day" min={1} max={28} defaultValue={1} aria-invalid={!!byField.day} /></Field>}
      <Field label={m.reports.time} error={byField.time}><Input type="time" name="time" defaultValue="08:00" required aria-invalid={!!byField.time} /></Field>
      <div className="col-span-2"><Field label={m.reports.docTitle} error={byField.title}><Input name="title" placeholder={info?.title} aria-invalid={!!byField.title} /></Field></div>
      {users.data && (
        <div className="col-span-2">
          <Field label={m.reports.recipients} error={byField.recipients}>
            <select name="recipients" multiple className="h-24 w-full rounded border border-stone-300 bg-white text-sm">
              {users.data.map((u) => <option key={u.id} value={u.id}>{u.last_name} {u.first_name}</option>)}
            </select>
          </Field>
        </div>
      )}
      <label className="flex items-center gap-2 self-end text-sm"><input type="checkbox" name="is_active" defaultChecked /> {m.reports.active}</label>
      <div className="col-span-2 flex gap-2 sm:col-span-4">
        <Button type="submit" disabled={create.isPending || !info}>{m.app.create}</Button>
        <Button kind="plain" onClick={onDone}>{m.app.cancel}</Button>
      </div>
      {other.length > 0 && <ul role="alert" className="col-span-2 text-sm text-red-700 sm:col-span-4">{other.map((o) => <li key={o}>{o}</li>)}</ul>}
      {create.error != null && !Object.keys(byField).length && !other.length && <div className="col-span-2 sm:col-span-4"><ProblemMessage error={create.error} /></div>}
    </form>
  );
}

function ScheduleRow({ s, title, mayChange }: { s: Schedule; title: string; mayChange: boolean }) {
  const { m, dateTime } = useI18n();
  const client = useQueryClient();
  const remove = useMutation({
    mutationFn: async () => unwrap(await api.DELETE('/api/v1/reports/schedules/{id}', { params: { path: { id: s.id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['reports', 'schedules'] }),
  });
  const when = s.cadence === 'weekly' ? `${m.reports.cadences.weekly}, ${m.reports.weekdays[(s.day ?? 1) - 1]}` : s.cadence === 'monthly' ? `${m.reports.cadences.monthly}, ${s.day}` : m.reports.cadences.daily;
  return (
    <li data-testid="schedule-row" className="flex flex-wrap items-center gap-2 py-2 text-sm">
      <span className="font-medium">{s.title}</span>
      <span className="text-stone-600">{title}</span>
      <Badge>{s.format.toUpperCase()}</Badge>
      <span>{when}, {s.time} ({s.timezone})</span>
      {!s.is_active && <Badge tone="amber">—</Badge>}
      {s.next_run_at && <span className="text-stone-500">{m.reports.nextRun}: {dateTime(s.next_run_at)}</span>}
      {s.last_run && <Badge tone={s.last_run.status === 'done' ? 'green' : s.last_run.status === 'failed' ? 'red' : 'blue'}>{m.reports.lastRun}: {(m.reports.runStatus as Record<string, string>)[s.last_run.status] ?? s.last_run.status}</Badge>}
      {s.last_run?.error && <span className="text-red-700">{s.last_run.error}</span>}
      {s.document_id && <Link className="text-amber-900 hover:underline" to={`/documents/${s.document_id}`}>{m.reports.result}</Link>}
      {mayChange && <Button kind="danger" className="ml-auto" disabled={remove.isPending} onClick={() => { if (window.confirm(m.reports.confirmDelete)) remove.mutate(); }}>{m.reports.delete}</Button>}
      <ProblemMessage error={remove.error} />
    </li>
  );
}

function Schedules({ reports }: { reports: ReportInfo[] }) {
  const { m } = useI18n();
  const allowed = useCan();
  const [creating, setCreating] = useState(false);
  const list = useQuery({
    queryKey: ['reports', 'schedules'],
    queryFn: async () => unwrap(await api.GET('/api/v1/reports/schedules', { params: { query: { limit: 200 } } })).items,
  });
  const titles = new Map(reports.map((r) => [r.code, r.title]));
  // Changing a schedule needs documents:create and every permission of its report: the ones
  // listed are exactly the reports the caller may run.
  const mayChange = (code: string) => allowed('documents:create') && titles.has(code as ReportInfo['code']);
  return (
    <Card title={m.reports.schedules} actions={allowed('documents:create') && reports.length > 0 && !creating && <Button onClick={() => setCreating(true)}>{m.reports.newSchedule}</Button>}>
      {creating && <NewSchedule reports={reports} onDone={() => setCreating(false)} />}
      <ProblemMessage error={list.error} />
      {list.isPending ? <Loading /> : (list.data ?? []).length === 0 ? <Empty /> : (
        <ul className="divide-y divide-stone-100">
          {list.data!.map((s) => <ScheduleRow key={s.id} s={s} title={titles.get(s.report) ?? s.report} mayChange={mayChange(s.report)} />)}
        </ul>
      )}
    </Card>
  );
}

export default function Reports() {
  const { m } = useI18n();
  const [params, setParams] = useSearchParams();
  const reports = useQuery({
    queryKey: ['reports', 'list'],
    queryFn: async () => unwrap(await api.GET('/api/v1/reports')).items,
  });
  const list = reports.data ?? [];
  const chosen = list.find((r) => r.code === params.get('report')) ?? list[0];
  return (
    <div>
      <Card title={m.reports.title}>
        <ProblemMessage error={reports.error} />
        {reports.isPending ? <Loading /> : list.length === 0 ? <Empty>{m.reports.none}</Empty> : (
          <div className="grid gap-4 md:grid-cols-[16rem_1fr]">
            <nav aria-label={m.reports.title}>
              <label className="md:hidden">
                <span className="sr-only">{m.reports.report}</span>
                <Select value={chosen?.code} onChange={(e) => setParams({ report: e.target.value })}>
                  {list.map((r) => <option key={r.code} value={r.code}>{r.title}</option>)}
                </Select>
              </label>
              <ul className="hidden space-y-0.5 text-sm md:block">
                {list.map((r) => (
                  <li key={r.code}>
                    <Link to={`?report=${r.code}`} data-report={r.code} aria-current={r.code === chosen?.code ? 'page' : undefined} className={`block rounded px-2 py-1 ${r.code === chosen?.code ? 'bg-amber-700 text-white' : 'hover:bg-stone-100'}`}>{r.title}</Link>
                  </li>
                ))}
              </ul>
            </nav>
            <div className="min-w-0">{chosen && <ReportRunner key={chosen.code} info={chosen} />}</div>
          </div>
        )}
      </Card>
      <Gate need="documents:view"><Schedules reports={list} /></Gate>
    </div>
  );
}
