// CSV import: choose a file, a dry run first (the API checks every row and changes nothing),
// the report row by row (line, ok or each error with its field), and only then, when the file
// is clean and the user confirms, the real import (all rows or none). Needs `inventory:create`.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { authFetch, type Schemas } from '../api/client';
import { useCan } from '../components/Gate';
import { Badge, Button, Card, Empty, Field, Input, ProblemMessage } from '../components/ui';
import { useI18n } from '../i18n';
import { reportRows, rowErrorsOfProblem, type RowError } from '../lib/importReport';
import { ApiProblem, type Problem } from '../lib/problem';

type Report = Schemas['ImportReport'];
interface Checked { text: string; rows: number; errors: RowError[]; report: Report | null }

/** Posts the file's bytes as text/csv (the API reads UTF-8, with or without a BOM). */
async function postCsv(file: Blob, dryRun: boolean): Promise<Report> {
  const res = await authFetch(new Request(new URL(`/api/v1/inventory/items/import${dryRun ? '?dry_run=true' : ''}`, window.location.origin), {
    method: 'POST',
    headers: { 'Content-Type': 'text/csv' },
    body: file,
  }));
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiProblem(res.status, body as Problem);
  return body as Report;
}

function ReportTable({ checked }: { checked: Checked }) {
  const { m } = useI18n();
  const rows = reportRows(checked.text, checked.rows, checked.errors);
  if (rows.length === 0) return <Empty />;
  const created = new Map((checked.report?.created ?? []).map((c) => [c.line, c]));
  return (
    <table className="w-full text-left text-sm" data-testid="import-report">
      <thead className="border-b text-stone-500">
        <tr><th className="py-1 pr-2">{m.inventoryTools.line}</th><th className="pr-2">{m.inventory.name}</th><th>{m.inventoryTools.results}</th></tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const item = created.get(r.line);
          return (
            <tr key={r.line} data-testid="import-row" data-line={r.line} data-ok={r.ok} className={`border-b border-stone-100 align-top ${r.ok ? '' : 'bg-red-50'}`}>
              <td className="py-1.5 pr-2 font-mono">{r.line}</td>
              <td className="py-1.5 pr-2 break-words">{r.name || '—'}</td>
              <td className="py-1.5">
                {r.ok ? (
                  item ? <Link className="text-amber-900 underline" to={`/inventory/${item.id}`}>{item.inventory_number}</Link> : <Badge tone="green">{m.inventoryTools.ok}</Badge>
                ) : (
                  <ul className="text-red-800">
                    {r.errors.map((e, i) => <li key={i}><span className="font-mono text-xs">{e.field}</span>: {e.message}</li>)}
                  </ul>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export default function InventoryImport() {
  const { m, number } = useI18n();
  const client = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [checked, setChecked] = useState<Checked | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [fileProblems, setFileProblems] = useState<string[]>([]);
  const allowed = useCan();

  // A refusal of the whole file (a header problem, not UTF-8) or a real import's 422 by line.
  const onRefusal = (text: string) => (e: unknown) => {
    if (e instanceof ApiProblem && e.status === 422) {
      const { rows, file: whole } = rowErrorsOfProblem(e.problem);
      setFileProblems(whole);
      if (rows.length > 0) setChecked({ text, rows: checked?.rows ?? 0, errors: rows, report: null });
    }
  };
  const dryRun = useMutation({
    mutationFn: async (f: File) => ({ text: await f.text(), report: await postCsv(f, true) }),
    onMutate: () => { setChecked(null); setConfirming(false); setFileProblems([]); },
    onSuccess: ({ text, report }) => setChecked({ text, rows: report.rows, errors: report.errors, report }),
    onError: (e, f) => { f.text().then((t) => onRefusal(t)(e)); },
  });
  const importNow = useMutation({
    mutationFn: (f: File) => postCsv(f, false),
    onSuccess: async (report) => {
      setConfirming(false);
      setChecked((c) => c && { ...c, report, errors: [] });
      await client.invalidateQueries({ queryKey: ['inventory'] });
    },
    onError: (e) => { setConfirming(false); onRefusal(checked?.text ?? '')(e); },
  });
  const imported = checked?.report && !checked.report.dry_run ? checked.report : null;
  const clean = !!checked?.report?.dry_run && checked.errors.length === 0 && checked.report.valid_rows > 0;
  const refusal = (dryRun.error ?? importNow.error) as unknown;

  if (!allowed('inventory:create')) return <Empty>{m.app.forbidden}</Empty>;
  return (
    <Card
      title={m.inventoryTools.importTitle}
      actions={<Link to="/inventory" className="text-sm text-amber-800 underline">← {m.inventory.title}</Link>}
    >
      <p className="mb-3 max-w-3xl text-sm text-stone-600">{m.inventoryTools.importHint}</p>
      <form className="mb-3 flex flex-wrap items-end gap-2" onSubmit={(e) => { e.preventDefault(); if (file) dryRun.mutate(file); }}>
        <div className="min-w-0 flex-1 sm:max-w-md">
          <Field label={m.inventoryTools.file}>
            <Input type="file" accept=".csv,text/csv" data-testid="import-file"
              onChange={(e) => { setFile(e.target.files?.[0] ?? null); setChecked(null); setConfirming(false); setFileProblems([]); dryRun.reset(); importNow.reset(); }} />
          </Field>
        </div>
        <Button type="submit" data-testid="import-dry-run" disabled={!file || dryRun.isPending}>{m.inventoryTools.dryRun}</Button>
      </form>
      {fileProblems.length > 0 ? (
        <div role="alert" data-testid="problem" className="my-2 rounded border border-red-300 bg-red-50 px-3 py-2 text-red-800">
          <p className="font-medium">{m.inventoryTools.fileProblems}</p>
          <ul className="list-disc pl-5">{fileProblems.map((p) => <li key={p}>{p}</li>)}</ul>
        </div>
      ) : !(refusal instanceof ApiProblem && refusal.status === 422) && <ProblemMessage error={refusal} />}
      {checked && (
        <div className="space-y-3">
          {checked.report && (
            <p className="text-sm" data-testid="import-summary">
              {m.inventoryTools.rows}: <b>{number(checked.report.rows)}</b> · {m.inventoryTools.validRows}: <b>{number(checked.report.valid_rows)}</b>
              {imported && <> · {m.inventoryTools.imported}: <b data-testid="imported-count">{number(imported.created.length)}</b></>}
            </p>
          )}
          {checked.errors.length > 0 && <p role="alert" data-testid="import-not-done" className="text-sm font-medium text-red-800">{m.inventoryTools.fixFirst}</p>}
          <div className="overflow-x-auto"><ReportTable checked={checked} /></div>
          {clean && !imported && (
            confirming ? (
              <div role="alertdialog" aria-label={m.inventoryTools.importReal} className="space-y-2 rounded border border-amber-300 bg-amber-50 p-3 text-sm">
                <p>{m.inventoryTools.confirmImport} ({number(checked.report!.valid_rows)})</p>
                <div className="flex gap-2">
                  <Button data-testid="import-confirm" disabled={importNow.isPending} onClick={() => file && importNow.mutate(file)}>{m.inventoryTools.yesImport}</Button>
                  <Button kind="plain" onClick={() => setConfirming(false)} autoFocus>{m.app.cancel}</Button>
                </div>
              </div>
            ) : (
              <Button data-testid="import-real" onClick={() => setConfirming(true)}>{m.inventoryTools.importReal}</Button>
            )
          )}
        </div>
      )}
    </Card>
  );
}
