// Snapshots of the passport ("as premiered", before a tour): taken by editors, listed, and each
// compared with the live passport or another snapshot, the differences shown as rows
// (lib/snapshotDiff.ts).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type Schemas } from '../../api/client';
import { Gate } from '../../components/Gate';
import { Badge, Button, Card, Empty, Field, Input, Loading, ProblemMessage, Select } from '../../components/ui';
import { useI18n } from '../../i18n';
import { unwrap } from '../../lib/problem';
import { diffModel, type Change, type DiffNames } from '../../lib/snapshotDiff';
import { CardProblem, formErrors, OtherErrors, useStaff } from './common';

const KINDS: Schemas['SnapshotKind'][] = ['manual', 'as_premiered', 'before_tour', 'before_revival'];

export function SnapshotsTab({ id }: { id: string }) {
  const { m, dateTime } = useI18n();
  const staff = useStaff();
  const snapshots = useQuery({
    queryKey: ['performances', id, 'snapshots'],
    queryFn: async () => unwrap(await api.GET('/api/v1/performances/{id}/snapshots', { params: { path: { id }, query: { limit: 200 } } })).items,
  });
  const [comparing, setComparing] = useState<string | null>(null);
  return (
    <Card title={m.perfCard.tabSnapshots}>
      <Gate need="performance:edit"><TakeSnapshot performanceId={id} /></Gate>
      {snapshots.isPending ? <Loading /> : snapshots.error ? <ProblemMessage error={snapshots.error} /> : snapshots.data.length === 0 ? <Empty /> : (
        <ul className="space-y-2">
          {snapshots.data.map((s) => (
            <li key={s.id} data-testid="snapshot-row" className="rounded border border-stone-200 p-2 text-sm">
              <div className="flex flex-wrap items-center gap-2">
                <span className="font-medium">{s.name}</span>
                <Badge>{m.perfCard.snapshotKind[s.kind]}</Badge>
                <span className="text-xs text-stone-500">{dateTime(s.created_at)}{s.created_by ? ` · ${staff.byId.get(s.created_by) ?? ''}` : ''}</span>
                <Button kind="plain" className="ml-auto text-xs" aria-expanded={comparing === s.id} onClick={() => setComparing(comparing === s.id ? null : s.id)}>{m.perfCard.compare}</Button>
              </div>
              {comparing === s.id && <Comparison performanceId={id} snapshotId={s.id} others={snapshots.data.filter((o) => o.id !== s.id)} />}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

const CHANGE_LOOK: Record<Change, string> = {
  added: 'border-green-500 bg-green-50',
  removed: 'border-red-500 bg-red-50',
  changed: 'border-amber-500 bg-amber-50',
};

/** The snapshot against the live passport, or against another snapshot the user picks. */
function Comparison({ performanceId, snapshotId, others }: { performanceId: string; snapshotId: string; others: Schemas['SnapshotSummary'][] }) {
  const { m, dateTime } = useI18n();
  const [withId, setWithId] = useState('');
  const compare = useQuery({
    queryKey: ['performances', performanceId, 'snapshots', snapshotId, 'compare', withId],
    staleTime: 0,
    queryFn: async () => unwrap(await api.GET('/api/v1/performances/{id}/snapshots/{snapshot_id}/compare', {
      params: { path: { id: performanceId, snapshot_id: snapshotId }, query: withId ? { with: withId } : {} },
    })),
  });
  const passport = useQuery({
    queryKey: ['performances', performanceId, 'passport'],
    queryFn: async () => unwrap(await api.GET('/api/v1/performances/{id}/passport', { params: { path: { id: performanceId } } })),
  });
  const sections = useQuery({
    queryKey: ['performances', performanceId, 'sections'],
    queryFn: async () => unwrap(await api.GET('/api/v1/performances/{id}/sections', { params: { path: { id: performanceId }, query: { limit: 200 } } })).items,
  });
  const picker = (
    <Field label={m.perfCard.compareWith}>
      <Select data-testid="compare-with" value={withId} onChange={(e) => setWithId(e.target.value)}>
        <option value="">{m.perfCard.livePassport}</option>
        {others.map((o) => <option key={o.id} value={o.id}>{o.name} · {dateTime(o.created_at)}</option>)}
      </Select>
    </Field>
  );
  if (compare.isPending) return <div className="mt-2">{picker}<Loading /></div>;
  if (compare.error) return <div className="mt-2">{picker}<ProblemMessage error={compare.error} /></div>;
  const titles = new Map((passport.data?.parts ?? []).flatMap((p) => p.categories).map((c) => [c.code as string, c.title]));
  const sectionTitles = new Map((sections.data ?? []).map((x) => [x.code, x.title]));
  const names: DiffNames = {
    category: (c) => titles.get(c) ?? c,
    section: (code, title) => sectionTitles.get(code) ?? title,
    version: (n) => (n == null ? m.perfCard.noVersion : `${m.perfCard.version} ${n}`),
    castKind: (k) => (k === 'cast' || k === 'crew' ? m.perfCard.castKind[k] : k),
  };
  const model = diffModel(compare.data.diff, names);
  return (
    <div data-testid="snapshot-diff" className="mt-2 space-y-3 border-t border-stone-100 pt-2">
      {picker}
      <p className="text-xs text-stone-500">{m.perfCard.comparedAt} {dateTime(compare.data.compared_at)}</p>
      {!model.changed ? <p data-testid="no-changes">{withId ? m.perfCard.noDifference : m.perfCard.noChanges}</p> : model.groups.map((g) => (
        <section key={g.key}>
          <h4 className="font-semibold">{m.perfCard.groups[g.key]}</h4>
          <ul className="mt-1 space-y-1">
            {g.rows.map((r, i) => (
              <li key={i} data-testid="diff-row" className={`border-l-4 px-2 py-1 ${CHANGE_LOOK[r.change]}`}>
                <span className="mr-2 text-xs uppercase text-stone-600">{m.perfCard.change[r.change]}</span>
                <span className="font-medium">{r.subject}</span>
                {(r.from || r.to) && <span className="ml-2 text-stone-700">{r.from ?? '—'} → {r.to ?? '—'}</span>}
                {r.lines && (
                  <pre className="mt-1 overflow-x-auto whitespace-pre-wrap text-xs">
                    {r.lines.map((l, j) => (
                      <div key={j} className={l.op === 'add' ? 'bg-green-100' : l.op === 'del' ? 'bg-red-100 line-through' : 'text-stone-500'}>
                        {l.op === 'add' ? '+ ' : l.op === 'del' ? '− ' : '  '}{l.text}
                      </div>
                    ))}
                  </pre>
                )}
              </li>
            ))}
          </ul>
        </section>
      ))}
      {model.unchangedSections > 0 && <p className="text-xs text-stone-500">{m.perfCard.unchangedSections}: {model.unchangedSections}</p>}
    </div>
  );
}

function TakeSnapshot({ performanceId }: { performanceId: string }) {
  const { m } = useI18n();
  const client = useQueryClient();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<Schemas['SnapshotKind']>('manual');
  const take = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/v1/performances/{id}/snapshots', { params: { path: { id: performanceId } }, body: { name: name.trim(), kind } })),
    onSuccess: async () => {
      setName('');
      await client.invalidateQueries({ queryKey: ['performances', performanceId, 'snapshots'] });
    },
  });
  const { byField, other, whole } = formErrors(take.error, ['name', 'kind']);
  return (
    <form className="mb-3 flex flex-wrap items-end gap-2 rounded border border-stone-200 p-2" onSubmit={(e) => { e.preventDefault(); take.mutate(); }} noValidate>
      <div className="min-w-0 flex-1"><Field label={m.perfCard.snapshotName} error={byField.name}><Input name="snapshot_name" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={!!byField.name} /></Field></div>
      <Field label={m.perfCard.snapshotOccasion} error={byField.kind}>
        <Select name="snapshot_kind" value={kind} onChange={(e) => setKind(e.target.value as Schemas['SnapshotKind'])}>
          {KINDS.map((k) => <option key={k} value={k}>{m.perfCard.snapshotKind[k]}</option>)}
        </Select>
      </Field>
      <Button type="submit" disabled={take.isPending}>{m.perfCard.takeSnapshot}</Button>
      <div className="w-full"><OtherErrors other={other} /><CardProblem error={whole} performanceId={performanceId} /></div>
    </form>
  );
}
