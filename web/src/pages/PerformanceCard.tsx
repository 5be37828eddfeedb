// A production's card: its fields (editable), status actions (the moves the state machine allows
// from here and the API lists as next), the poster and its web variants, and tabs for the
// passport, cast, scenes, kit, checklists and snapshots (pages/performance/).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useParams, useSearchParams } from 'react-router';
import { api } from '../api/client';
import { Gate } from '../components/Gate';
import { Badge, Button, Card, Empty, Loading, ProblemMessage } from '../components/ui';
import { useI18n } from '../i18n';
import { ifMatch, offeredStatuses, type PerformanceStatus } from '../lib/performance';
import { unwrap } from '../lib/problem';
import { statusTone } from '../lib/tones';
import { uploadTo } from '../lib/upload';
import { useSession } from '../session/store';
import { CastTab } from './performance/CastTab';
import { ChecklistsTab } from './performance/ChecklistsTab';
import { CardProblem, Tabs } from './performance/common';
import { KitTab } from './performance/KitTab';
import { PassportTab } from './performance/PassportTab';
import { PerformanceForm } from './performance/PerformanceForm';
import { ScenesTab } from './performance/ScenesTab';
import { SnapshotsTab } from './performance/SnapshotsTab';

const TABS = ['passport', 'cast', 'scenes', 'kit', 'checklists', 'snapshots'] as const;
type Tab = (typeof TABS)[number];

export default function PerformanceCard() {
  const { id = '' } = useParams();
  const { m, label, date, number } = useI18n();
  const client = useQueryClient();
  const granted = useSession((s) => s.permissions);
  const [params, setParams] = useSearchParams();
  const tab: Tab = (TABS as readonly string[]).includes(params.get('tab') ?? '') ? (params.get('tab') as Tab) : 'passport';
  const [editing, setEditing] = useState(false);
  const perf = useQuery({
    queryKey: ['performances', id],
    queryFn: async () => unwrap(await api.GET('/api/v1/performances/{id}', { params: { path: { id } } })),
    refetchInterval: (q) => (['pending', 'processing'].includes(String(q.state.data?.poster?.status)) ? 1000 : false),
  });
  const [progress, setProgress] = useState<number | null>(null);
  // Poster: a presigned PUT straight to storage, then the worker makes the web variants
  // (the card polls while it is processing).
  const poster = useMutation({
    mutationFn: async (file: File) => {
      const ticket = unwrap(await api.POST('/api/v1/performances/{id}/poster', {
        params: { path: { id } },
        body: { filename: file.name, content_type: file.type, size: file.size } as never,
      }));
      setProgress(0);
      await uploadTo(ticket.upload as never, file, setProgress);
      unwrap(await api.POST('/api/v1/performances/{id}/poster/complete', { params: { path: { id } } }));
    },
    onSettled: async () => {
      setProgress(null);
      await client.invalidateQueries({ queryKey: ['performances', id] });
    },
  });
  const move = useMutation({
    mutationFn: async ({ status, version }: { status: PerformanceStatus; version: number }) =>
      unwrap(await api.POST('/api/v1/performances/{id}/status', { params: { path: { id }, header: ifMatch(version) }, body: { status } })),
    onSettled: () => client.invalidateQueries({ queryKey: ['performances'] }),
  });
  if (perf.isPending) return <Loading />;
  if (perf.error) return <ProblemMessage error={perf.error} />;
  const p = perf.data;
  const variants = Object.entries(p.poster?.variants ?? {});
  const moves = offeredStatuses(p.status, p.next_statuses, granted);
  const tabTitles: Record<Tab, string> = {
    passport: m.perfCard.tabPassport,
    cast: m.perfCard.tabCast,
    scenes: m.perfCard.tabScenes,
    kit: m.perfCard.tabKit,
    checklists: m.perfCard.tabChecklists,
    snapshots: m.perfCard.tabSnapshots,
  };
  return (
    <div className="grid min-w-0 gap-4 lg:grid-cols-3">
      <div className="min-w-0 lg:col-span-2">
        <Card title={editing ? m.perfCard.editCard : p.title} actions={!editing && <Gate need="performance:edit"><Button kind="plain" onClick={() => setEditing(true)}>{m.app.edit}</Button></Gate>}>
          {editing ? (
            <PerformanceForm key={p.version} existing={p} onDone={() => setEditing(false)} onCancel={() => setEditing(false)} />
          ) : (
            <>
              <p className="text-sm text-stone-600">{[p.subtitle, p.author, p.genre, p.age_rating].filter(Boolean).join(' · ')}</p>
              <p className="mt-1 flex flex-wrap items-center gap-2 text-sm">
                <Badge tone={statusTone(p.status)}><span data-testid="performance-status">{label('perfStatus', p.status)}</span></Badge>
                {p.director && <span>{m.performances.director}: {p.director}</span>}
                {p.premiere_date && <span>{m.performances.premiere}: {date(p.premiere_date)}</span>}
                {p.duration_minutes != null && <span>{number(p.duration_minutes)} {m.perfCard.minutes}</span>}
              </p>
              {p.description && <p className="mt-2 whitespace-pre-wrap text-sm text-stone-700">{p.description}</p>}
              {moves.length > 0 && (
                <div className="mt-3 flex flex-wrap items-center gap-2" aria-label={m.perfCard.statusActions} role="group">
                  {moves.map((s) => (
                    <Button key={s} kind="plain" data-status-action={s} onClick={() => move.mutate({ status: s, version: p.version })} disabled={move.isPending}>→ {label('perfStatus', s)}</Button>
                  ))}
                </div>
              )}
              <CardProblem error={move.error} performanceId={id} />
            </>
          )}
        </Card>
        <Tabs label={m.perfCard.tabs} current={tab} onChange={(t) => setParams(t === 'passport' ? {} : { tab: t }, { replace: true })}
          tabs={TABS.map((t) => ({ key: t, title: tabTitles[t] }))} />
        <div role="tabpanel" aria-label={tabTitles[tab]}>
          {tab === 'passport' && <PassportTab id={id} />}
          {tab === 'cast' && <CastTab id={id} />}
          {tab === 'scenes' && <ScenesTab id={id} />}
          {tab === 'kit' && <KitTab id={id} />}
          {tab === 'checklists' && <ChecklistsTab id={id} />}
          {tab === 'snapshots' && <SnapshotsTab id={id} />}
        </div>
      </div>
      <Card title={m.performances.poster}>
        {p.poster && <p className="mb-2 text-sm"><Badge tone={statusTone(String(p.poster.status))}><span data-testid="poster-status">{label('versionStatus', String(p.poster.status))}</span></Badge> {p.poster.error}</p>}
        <Gate need="performance:edit">
          <label className="mb-2 block text-sm font-medium">
            {m.performances.uploadPoster}
            <input data-testid="poster-input" type="file" accept="image/jpeg,image/png,image/webp" className="mt-1 block max-w-full text-sm" disabled={poster.isPending}
              onChange={(e) => { const f = e.target.files?.[0]; if (f) poster.mutate(f); e.target.value = ''; }} />
          </label>
          {progress !== null && <progress className="block w-full" max={1} value={progress} aria-label={m.documents.uploading} />}
          <ProblemMessage error={poster.error} />
        </Gate>
        {variants.length === 0 ? <Empty>{m.performances.noPoster}</Empty> : (
          <div className="space-y-2">
            <img src={variants.find(([n]) => n.startsWith('card'))?.[1].url ?? variants[0][1].url} alt={p.title} className="w-full rounded" />
            <ul className="text-xs text-stone-600">{variants.map(([n, v]) => <li key={n} data-testid="poster-variant">{n}: {v.width}×{v.height} {v.format}, {number(v.bytes / 1024)} KiB</li>)}</ul>
          </div>
        )}
      </Card>
    </div>
  );
}
