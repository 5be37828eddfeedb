// What needs attention today: overdue issues, items in repair, documents waiting (drafts without
// a file, versions being processed or failed), today's and this week's events, passport
// readiness of productions in preparation.
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../api/client';
import { useCan } from '../components/Gate';
import { Card, Empty, Loading } from '../components/ui';
import { useI18n } from '../i18n';
import { addDays, sameDay, startOfDay } from '../lib/calendar';
import { unwrap } from '../lib/problem';

export function Dashboard() {
  const { m, date, time } = useI18n();
  const allowed = useCan();
  const today = startOfDay(new Date());
  const overdue = useQuery({
    queryKey: ['inventory', 'overdue'],
    enabled: allowed('inventory:view'),
    queryFn: async () => unwrap(await api.GET('/api/v1/inventory/items/overdue', { params: { query: { limit: 20 } as never } })).items,
  });
  const repair = useQuery({
    queryKey: ['inventory', 'items', { status: 'in_repair' }],
    enabled: allowed('inventory:view'),
    queryFn: async () => unwrap(await api.GET('/api/v1/inventory/items', { params: { query: { status: 'in_repair', limit: 20 } as never } })).items,
  });
  const week = useQuery({
    queryKey: ['schedule', 'events', 'week', today.toISOString()],
    enabled: allowed('schedule:view'),
    queryFn: async () => unwrap(await api.GET('/api/v1/schedule/events', { params: { query: { from: today.toISOString(), to: addDays(today, 7).toISOString(), limit: 200 } as never } })).items,
  });
  const preparing = useQuery({
    queryKey: ['performances', 'preparation'],
    enabled: allowed('performance:view'),
    queryFn: async () => {
      const list = unwrap(await api.GET('/api/v1/performances', { params: { query: { status: 'preparation', limit: 20 } as never } })).items;
      return Promise.all(list.map(async (p) => ({ p, r: unwrap(await api.GET('/api/v1/performances/{id}/passport/readiness', { params: { path: { id: p.id } } })) })));
    },
  });
  const docStats = useQuery({
    queryKey: ['documents', 'stats'],
    enabled: allowed('documents:view'),
    queryFn: async () => unwrap(await api.GET('/api/v1/documents/stats')),
  });
  const drafts = useQuery({
    queryKey: ['documents', 'list', { status: 'draft' }],
    enabled: allowed('documents:view'),
    queryFn: async () => unwrap(await api.GET('/api/v1/documents', { params: { query: { status: 'draft', limit: 10 } as never } })).items,
  });
  const versionCount = (status: string) => docStats.data?.versions_by_status.find((b) => b.key === status)?.documents ?? 0;
  const itemList = (rows: { id: string; name: string; inventory_number: string; due_at?: string | null }[] | undefined, pending: boolean) =>
    pending ? <Loading /> : !rows?.length ? <Empty>{m.dashboard.none}</Empty> : (
      <ul className="text-sm">{rows.map((i) => <li key={i.id}><Link className="text-amber-900 hover:underline" to={`/inventory/${i.id}`}>{i.name}</Link> <span className="font-mono text-xs text-stone-500">{i.inventory_number}</span>{i.due_at && <span className="text-red-700"> · {date(i.due_at)}</span>}</li>)}</ul>
    );
  const events = week.data ?? [];
  return (
    <div>
      <h1 className="mb-3 text-xl font-semibold">{m.dashboard.title}</h1>
      <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3">
        {allowed('inventory:view') && <Card title={m.dashboard.overdue}>{itemList(overdue.data, overdue.isPending)}</Card>}
        {allowed('inventory:view') && <Card title={m.dashboard.inRepair}>{itemList(repair.data, repair.isPending)}</Card>}
        {allowed('documents:view') && (
          <Card title={m.dashboard.docsWaiting}>
            {docStats.isPending || drafts.isPending ? <Loading /> : (
              <div data-testid="docs-waiting" className="text-sm">
                <p className="mb-1 flex flex-wrap gap-3">
                  <span>{m.dashboardDocs.processing}: <b>{versionCount('pending') + versionCount('processing')}</b></span>
                  <span className={versionCount('failed') ? 'text-red-700' : ''}>{m.dashboardDocs.failed}: <b>{versionCount('failed')}</b></span>
                </p>
                <p className="font-medium">{m.dashboardDocs.drafts}</p>
                {!drafts.data?.length ? <Empty>{m.dashboard.none}</Empty> : (
                  <ul>{drafts.data.map((d) => <li key={d.id}><Link className="text-amber-900 hover:underline" to={`/documents/${d.id}`}>{d.title}</Link></li>)}</ul>
                )}
              </div>
            )}
          </Card>
        )}
        {allowed('schedule:view') && (
          <Card title={m.dashboard.today}>
            {week.isPending ? <Loading /> : (
              <ul className="text-sm">{events.filter((e) => sameDay(new Date(e.starts_at), today)).map((e) => <li key={e.id}><span className="font-mono">{time(e.starts_at)}</span> {e.title}</li>)}</ul>
            )}
            {!week.isPending && !events.some((e) => sameDay(new Date(e.starts_at), today)) && <Empty>{m.dashboard.none}</Empty>}
          </Card>
        )}
        {allowed('schedule:view') && (
          <Card title={m.dashboard.week}>
            {week.isPending ? <Loading /> : events.length === 0 ? <Empty>{m.dashboard.none}</Empty> : (
              <ul className="text-sm">{events.slice(0, 15).map((e) => <li key={e.id}><span className="text-stone-500">{date(e.starts_at)} {time(e.starts_at)}</span> {e.title}</li>)}</ul>
            )}
          </Card>
        )}
        {allowed('performance:view') && (
          <Card title={m.dashboard.readiness}>
            {preparing.isPending ? <Loading /> : !preparing.data?.length ? <Empty>{m.dashboard.none}</Empty> : (
              <ul className="space-y-1 text-sm">{preparing.data.map(({ p, r }) => <li key={p.id}><Link className="text-amber-900 hover:underline" to={`/performances/${p.id}`}>{p.title}</Link> — {r.overall.percent}% ({r.overall.done}/{r.overall.required})</li>)}</ul>
            )}
          </Card>
        )}
      </div>
    </div>
  );
}
