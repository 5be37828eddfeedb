// iCalendar feeds: a revocable token (shown once) and the feed links to copy into a calendar app —
// one's own events, each venue's, and a production's.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { useCan } from '../../components/Gate';
import { Badge, Button, Field, Input, ProblemMessage, Select } from '../../components/ui';
import { useI18n } from '../../i18n';
import { feedUrl } from '../../lib/calendar';
import { unwrap } from '../../lib/problem';
import { useVenues } from './data';

function CopyLink({ label, url }: { label: string; url: string }) {
  const { m } = useI18n();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied(true);
    } catch {
      // No clipboard permission: the field is selected for Ctrl+C.
      (document.getElementById(`feed-${label}`) as HTMLInputElement | null)?.select();
    }
  };
  return (
    <div className="flex flex-wrap items-end gap-2">
      <label className="min-w-0 flex-1 text-sm">
        <span className="mb-1 block font-medium text-stone-700">{label}</span>
        <input id={`feed-${label}`} readOnly value={url} data-testid="ical-url" onFocus={(e) => e.currentTarget.select()}
          className="w-full rounded border border-stone-300 bg-stone-50 px-2 py-1.5 font-mono text-xs" />
      </label>
      <Button kind="plain" onClick={copy} data-testid="ical-copy">{copied ? `✓ ${m.scheduleScreen.copied}` : m.schedule.copy}</Button>
    </div>
  );
}

export function Feeds() {
  const { m, date } = useI18n();
  const venues = useVenues().data ?? [];
  const can = useCan();
  const [performanceId, setPerformanceId] = useState('');
  const performances = useQuery({
    queryKey: ['performances', 'pick'],
    queryFn: async () => unwrap(await api.GET('/api/v1/performances', { params: { query: { limit: 100 } as never } })).items,
    enabled: can('performance:view'),
  });
  const performance = (performances.data ?? []).find((p) => p.id === performanceId);
  const client = useQueryClient();
  const tokens = useQuery({
    queryKey: ['schedule', 'calendar-tokens'],
    queryFn: async () => unwrap(await api.GET('/api/v1/schedule/calendar/tokens')).items,
  });
  const create = useMutation({
    mutationFn: async (name: string) => unwrap(await api.POST('/api/v1/schedule/calendar/tokens', { body: { name: name || null } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['schedule', 'calendar-tokens'] }),
  });
  const revoke = useMutation({
    mutationFn: async (id: string) => unwrap(await api.DELETE('/api/v1/schedule/calendar/tokens/{id}', { params: { path: { id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['schedule', 'calendar-tokens'] }),
  });
  const token = create.data?.token;
  const origin = window.location.origin;
  return (
    <section aria-labelledby="feeds-h" data-testid="feeds" className="mt-4">
      <h3 id="feeds-h" className="mb-1 font-semibold">{m.scheduleScreen.feeds}</h3>
      <p className="mb-2 text-sm text-stone-600">{m.scheduleScreen.feedsHint}</p>
      <form className="mb-2 flex flex-wrap items-end gap-2" onSubmit={(e: FormEvent<HTMLFormElement>) => { e.preventDefault(); create.mutate(String(new FormData(e.currentTarget).get('name') ?? '')); }}>
        <Field label={m.scheduleScreen.tokenName}><Input name="name" maxLength={100} placeholder="Google Calendar" /></Field>
        <Button type="submit" disabled={create.isPending} data-testid="ical-create">{m.scheduleScreen.makeToken}</Button>
      </form>
      <ProblemMessage error={create.error} />
      {token && (
        <div className="space-y-2 rounded border border-amber-200 bg-amber-50 p-2">
          <CopyLink label={m.scheduleScreen.myFeed} url={feedUrl(origin, token, { kind: 'me' })} />
          {venues.map((v) => <CopyLink key={v.id} label={`${m.scheduleScreen.venueFeed}: ${v.name}`} url={feedUrl(origin, token, { kind: 'venue', id: v.id })} />)}
          {(performances.data ?? []).length > 0 && (
            <Field label={m.scheduleScreen.performanceFeed}>
              <Select value={performanceId} onChange={(e) => setPerformanceId(e.target.value)}>
                <option value="">—</option>
                {(performances.data ?? []).map((p) => <option key={p.id} value={p.id}>{p.title}</option>)}
              </Select>
            </Field>
          )}
          {performance && <CopyLink label={`${m.scheduleScreen.performanceFeed}: ${performance.title}`} url={feedUrl(origin, token, { kind: 'performance', id: performance.id })} />}
        </div>
      )}
      {(tokens.data ?? []).length > 0 && (
        <details className="mt-2 text-sm">
          <summary className="cursor-pointer">{m.scheduleScreen.tokens} ({tokens.data?.length})</summary>
          <ul className="mt-1">
            {(tokens.data ?? []).map((t) => (
              <li key={t.id} className="flex flex-wrap items-center gap-2 py-0.5">
                <span>{t.name ?? '—'}</span>
                <span className="text-stone-500">{date(t.created_at)}</span>
                {t.last_used_at && <span className="text-stone-500">{m.scheduleScreen.lastUsed} {date(t.last_used_at)}</span>}
                {t.revoked_at ? <Badge>{m.scheduleScreen.revoked}</Badge> : (
                  <Button kind="plain" disabled={revoke.isPending} onClick={() => revoke.mutate(t.id)}>{m.scheduleScreen.revoke}</Button>
                )}
              </li>
            ))}
          </ul>
        </details>
      )}
      <ProblemMessage error={revoke.error ?? tokens.error} />
    </section>
  );
}
