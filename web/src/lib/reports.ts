// Reports: the form a report's parameters make, turned into the query of GET /reports/{code},
// and how a result cell is shown.
import type { Schemas } from '../api/client';

export type ReportInfo = Schemas['ReportInfo'];
export type ReportParam = Schemas['ReportParam'];
export type ReportFormat = Schemas['ReportFormat'];
export type ReportColumnKind = Schemas['ReportColumnKind'];

/** What the report form holds: every parameter as typed (empty = not given). */
export type ReportForm = Partial<Record<ReportParam, string>>;

export const GROUP_BY = ['category', 'status', 'location', 'condition'] as const;
export const ORDERS = ['most', 'least'] as const;

/** The form's starting values: a period report covers the current month up to today. */
export function initialForm(info: Pick<ReportInfo, 'params'>, today: Date = new Date()): ReportForm {
  const form: ReportForm = {};
  const iso = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  if (info.params.includes('from')) form.from = iso(new Date(today.getFullYear(), today.getMonth(), 1));
  if (info.params.includes('to')) form.to = iso(today);
  return form;
}

/**
 * The query string of a run: only the parameters the report reads (the API refuses others with
 * 422), trimmed, empty ones left out, and the format (JSON is the default and left out).
 */
export function reportQuery(info: Pick<ReportInfo, 'params'>, form: ReportForm, format: ReportFormat = 'json'): URLSearchParams {
  const q = new URLSearchParams();
  for (const p of info.params) {
    const v = (form[p] ?? '').trim();
    if (v !== '') q.set(p, v);
  }
  if (format !== 'json') q.set('format', format);
  return q;
}

/** The API path of a run. */
export function reportPath(code: string, info: Pick<ReportInfo, 'params'>, form: ReportForm, format: ReportFormat = 'json'): string {
  const q = reportQuery(info, form, format).toString();
  return `/api/v1/reports/${encodeURIComponent(code)}${q ? `?${q}` : ''}`;
}

/** The file name a download is saved under (the API's own when it names one). */
export function downloadName(code: string, format: ReportFormat, contentDisposition: string | null): string {
  const star = /filename\*=UTF-8''([^;]+)/i.exec(contentDisposition ?? '');
  if (star) {
    try {
      return decodeURIComponent(star[1]);
    } catch {
      /* fall through to the plain name */
    }
  }
  const plain = /filename="?([^";]+)"?/i.exec(contentDisposition ?? '');
  return plain ? plain[1] : `${code}.${format}`;
}

/** A cell as text in the locale: numbers grouped, money with two decimals, percents with %. */
export function formatCell(value: unknown, kind: ReportColumnKind, tag: string): string {
  if (value === null || value === undefined || value === '') return '—';
  switch (kind) {
    case 'integer':
      return typeof value === 'number' ? new Intl.NumberFormat(tag, { maximumFractionDigits: 0 }).format(value) : String(value);
    case 'money':
      return typeof value === 'number' ? new Intl.NumberFormat(tag, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value) : String(value);
    case 'hours':
      return typeof value === 'number' ? new Intl.NumberFormat(tag, { maximumFractionDigits: 1 }).format(value) : String(value);
    case 'percent':
      return typeof value === 'number' ? `${new Intl.NumberFormat(tag, { maximumFractionDigits: 1 }).format(value)} %` : String(value);
    case 'date': {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(value));
      return m ? new Intl.DateTimeFormat(tag, { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]))) : String(value);
    }
    case 'date_time': {
      // Local times of the theatre's zone, written without an offset: shown as they are.
      const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(String(value));
      return m ? `${formatCell(`${m[1]}-${m[2]}-${m[3]}`, 'date', tag)} ${m[4]}:${m[5]}` : String(value);
    }
    default:
      return String(value);
  }
}

/** Whether a column's cells line up on the right (numbers). */
export const numeric = (kind: ReportColumnKind) => kind === 'integer' || kind === 'money' || kind === 'hours' || kind === 'percent';
