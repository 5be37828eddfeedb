// A production's card: status actions (the moves the API says are next), passport readiness per
// part, the poster and its web variants, the kit list with shortages.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useParams } from 'react-router';
import { api } from '../api/client';
import { Gate } from '../components/Gate';
import { Badge, Button, Card, Empty, Loading, ProblemMessage } from '../components/ui';
import { useI18n } from '../i18n';
import { unwrap } from '../lib/problem';
import { statusTone } from '../lib/tones';
import { uploadTo } from '../lib/upload';

function Bar({ percent }: { percent: number }) {
  return (
    <div className="h-2 w-full rounded bg-stone-200" role="progressbar" aria-valuenow={percent} aria-valuemin={0} aria-valuemax={100}>
      <div className="h-2 rounded bg-amber-600" style={{ width: `${percent}%` }} />
    </div>
  );
}

export default function PerformanceCard() {
  const { id = '' } = useParams();
  const { m, label, date, number } = useI18n();
  const client = useQueryClient();
  const perf = useQuery({
    queryKey: ['performances', id],
    queryFn: async () => unwrap(await api.GET('/api/v1/performances/{id}', { params: { path: { id } } })),
    refetchInterval: (q) => (['pending', 'processing'].includes(String(q.state.data?.poster?.status)) ? 1000 : false),
  });
  const readiness = useQuery({
    queryKey: ['performances', id, 'readiness'],
    queryFn: async () => unwrap(await api.GET('/api/v1/performances/{id}/passport/readiness', { params: { path: { id } } })),
  });
  const kit = useQuery({
    queryKey: ['performances', id, 'kit'],
    queryFn: async () => unwrap(await api.GET('/api/v1/performances/{id}/kit', { params: { path: { id }, query: { limit: 200 } as never } })),
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
    mutationFn: async (status: string) => unwrap(await api.POST('/api/v1/performances/{id}/status', { params: { path: { id } }, body: { status } as never })),
    onSettled: () => client.invalidateQueries({ queryKey: ['performances'] }),
  });
  if (perf.isPending) return <Loading />;
  if (perf.error) return <ProblemMessage error={perf.error} />;
  const p = perf.data;
  const kitLines = ((kit.data as { items?: unknown[] } | undefined)?.items ?? (Array.isArray(kit.data) ? kit.data : [])) as {
    id: string; quantity: number; available: boolean; item: { name: string; inventory_number: string; status: string; quantity: number };
  }[];
  const variants = Object.entries((p.poster as { variants?: Record<string, { url: string; width: number; height: number; format: string; bytes: number }> } | null)?.variants ?? {});
  return (
    <div className="grid gap-4 lg:grid-cols-3">
      <div className="lg:col-span-2">
        <Card title={p.title}>
          <p className="text-sm text-stone-600">{[p.subtitle, p.author].filter(Boolean).join(' · ')}</p>
          <p className="mt-1 flex flex-wrap items-center gap-2 text-sm">
            <Badge tone={statusTone(p.status)}>{label('perfStatus', p.status)}</Badge>
            {p.director && <span>{m.performances.director}: {p.director}</span>}
            {p.premiere_date && <span>{m.performances.premiere}: {date(p.premiere_date)}</span>}
          </p>
          <Gate need="performance:edit">
            <div className="mt-3 flex flex-wrap gap-2">
              {p.next_statuses.map((s) => <Button key={s} kind="plain" onClick={() => move.mutate(s)} disabled={move.isPending}>→ {label('perfStatus', s)}</Button>)}
            </div>
          </Gate>
          <ProblemMessage error={move.error} />
        </Card>
        <Card title={m.performances.passport}>
          {readiness.isPending ? <Loading /> : readiness.error ? <ProblemMessage error={readiness.error} /> : (
            <div data-testid="readiness" className="space-y-2 text-sm">
              <div className="flex items-center gap-2"><span className="w-40 font-medium">{m.performances.readiness}</span><Bar percent={readiness.data.overall.percent} /><span>{readiness.data.overall.done}/{readiness.data.overall.required}</span></div>
              {readiness.data.parts.map((part) => (
                <div key={part.code} className="flex items-center gap-2"><span className="w-40 truncate" title={part.title}>{part.code} {part.title}</span><Bar percent={part.percent} /><span>{part.done}/{part.required}</span></div>
              ))}
            </div>
          )}
        </Card>
        <Card title={m.performances.kit}>
          {kitLines.length === 0 ? <Empty /> : (
            <ul className="divide-y divide-stone-100 text-sm">
              {kitLines.map((k) => (
                <li key={k.id} className="flex flex-wrap gap-2 py-1">
                  <span className="font-mono text-xs">{k.item.inventory_number}</span><span>{k.item.name}</span><span>× {number(k.quantity)}</span>
                  <Badge tone={statusTone(k.item.status)}>{label('status', k.item.status)}</Badge>
                  {!k.available && <Badge tone="red">{m.performances.shortage}</Badge>}
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
      <Card title={m.performances.poster}>
        {p.poster && <p className="mb-2 text-sm"><Badge tone={statusTone(String(p.poster.status))}><span data-testid="poster-status">{label('versionStatus', String(p.poster.status))}</span></Badge> {p.poster.error}</p>}
        <Gate need="performance:edit">
          <label className="mb-2 block text-sm font-medium">
            {m.performances.uploadPoster}
            <input data-testid="poster-input" type="file" accept="image/jpeg,image/png,image/webp" className="mt-1 block text-sm" disabled={poster.isPending}
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
