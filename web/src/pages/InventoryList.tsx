// The inventory list: filters, text search and cursor paging (50 rows a page, the next page on
// demand), so 10,000 items cost no more to open than 50.
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, authFetch } from '../api/client';
import { Gate } from '../components/Gate';
import { ScanLabel } from '../components/ScanLabel';
import { Badge, Button, Card, Empty, Input, Loading, ProblemMessage, Select } from '../components/ui';
import { useI18n } from '../i18n';
import { unwrap } from '../lib/problem';
import { statusTone } from '../lib/tones';
import { downloadVia } from '../lib/upload';

const STATUSES = ['in_stock', 'reserved', 'in_use', 'in_repair', 'on_tour', 'written_off'] as const;

export function useTrees() {
  const categories = useQuery({
    queryKey: ['inventory', 'categories'],
    queryFn: async () => unwrap(await api.GET('/api/v1/inventory/categories', { params: { query: { limit: 200 } } })).items,
    staleTime: 300_000,
  });
  const locations = useQuery({
    queryKey: ['inventory', 'locations'],
    queryFn: async () => unwrap(await api.GET('/api/v1/inventory/locations', { params: { query: { limit: 200 } } })).items,
    staleTime: 300_000,
  });
  return { categories: categories.data ?? [], locations: locations.data ?? [] };
}

export function InventoryList() {
  const { m, label } = useI18n();
  const [params, setParams] = useSearchParams();
  const filters = {
    q: params.get('q') || undefined,
    status: params.get('status') || undefined,
    category_id: params.get('category_id') || undefined,
    location_id: params.get('location_id') || undefined,
  };
  const [text, setText] = useState(filters.q ?? '');
  const [exportError, setExportError] = useState<unknown>(null);
  const { categories, locations } = useTrees();
  const list = useInfiniteQuery({
    queryKey: ['inventory', 'items', filters],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      unwrap(await api.GET('/api/v1/inventory/items', { params: { query: { ...filters, limit: 50, cursor: pageParam } as never } })),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const search = (e: FormEvent) => {
    e.preventDefault();
    set('q', text.trim());
  };
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const names = new Map([...categories, ...locations].map((n) => [n.id, n.name]));
  return (
    <Card
      title={m.inventory.title}
      actions={
        <div className="flex flex-wrap gap-2">
        <ScanLabel />
        <Button kind="plain" onClick={() => {
          const q = new URLSearchParams(Object.entries(filters).filter(([, v]) => v) as [string, string][]);
          downloadVia(authFetch, `/api/v1/inventory/items/export.csv?${q}`, 'inventory.csv').catch(setExportError);
        }}>CSV</Button>
        <Gate need="inventory:create">
          <Link to="/inventory/new" className="rounded bg-amber-700 px-3 py-1.5 text-sm text-white hover:bg-amber-800">{m.inventory.new}</Link>
        </Gate>
        </div>
      }
    >
      <ProblemMessage error={exportError} />
      <form onSubmit={search} className="mb-3 grid grid-cols-1 gap-2 sm:grid-cols-4" role="search">
        <Input name="q" value={text} onChange={(e) => setText(e.target.value)} placeholder={m.inventory.searchPlaceholder} aria-label={m.app.search} />
        <Select aria-label={m.inventory.status} value={filters.status ?? ''} onChange={(e) => set('status', e.target.value)}>
          <option value="">{m.inventory.status}: {m.app.all}</option>
          {STATUSES.map((s) => <option key={s} value={s}>{label('status', s)}</option>)}
        </Select>
        <Select aria-label={m.inventory.category} value={filters.category_id ?? ''} onChange={(e) => set('category_id', e.target.value)}>
          <option value="">{m.inventory.category}: {m.app.all}</option>
          {categories.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
        </Select>
        <Select aria-label={m.inventory.location} value={filters.location_id ?? ''} onChange={(e) => set('location_id', e.target.value)}>
          <option value="">{m.inventory.location}: {m.app.all}</option>
          {locations.map((l) => <option key={l.id} value={l.id}>{l.name}</option>)}
        </Select>
      </form>
      <ProblemMessage error={list.error} />
      {list.isPending ? <Loading /> : rows.length === 0 ? <Empty /> : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="inventory-table">
            <thead className="border-b text-stone-500">
              <tr><th className="py-1 pr-2">{m.inventory.number}</th><th className="pr-2">{m.inventory.name}</th><th className="hidden pr-2 sm:table-cell">{m.inventory.category}</th><th className="hidden pr-2 md:table-cell">{m.inventory.location}</th><th>{m.inventory.status}</th></tr>
            </thead>
            <tbody>
              {rows.map((item) => (
                <tr key={item.id} data-testid="item-row" className="border-b border-stone-100 hover:bg-amber-50">
                  <td className="py-1.5 pr-2 font-mono text-xs">{item.inventory_number}</td>
                  <td className="pr-2"><Link className="text-amber-900 underline-offset-2 hover:underline" to={`/inventory/${item.id}`}>{item.name}</Link>{item.quantity > 1 && <span className="text-stone-500"> × {item.quantity}</span>}</td>
                  <td className="hidden pr-2 sm:table-cell">{names.get(item.category_id) ?? item.category_code}</td>
                  <td className="hidden pr-2 md:table-cell">{item.location_id ? names.get(item.location_id) ?? item.location_code : '—'}</td>
                  <td><Badge tone={statusTone(item.status)}>{label('status', item.status)}</Badge>{item.overdue && <Badge tone="red">!</Badge>}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="mt-3 flex items-center gap-3 text-sm text-stone-500">
            <span>{m.inventory.count}: {rows.length}</span>
            {list.hasNextPage && <Button kind="plain" onClick={() => list.fetchNextPage()} disabled={list.isFetchingNextPage}>{m.app.more}</Button>}
          </div>
        </div>
      )}
    </Card>
  );
}
