// The inventory list: filters, text search and cursor paging (50 rows a page), the rows
// virtualised (@tanstack/react-virtual, the window scrolls): only the rows on screen are in the
// DOM and the next page is fetched as the end comes near, so 10,000 items cost no more to open
// than 50 and no more to scroll through than a few screens. Rows can be selected (one by one or
// all shown) for a bulk action (InventoryBulk, loaded on first use) or a label sheet; the
// outcome of a bulk action is shown on each row.
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useWindowVirtualizer } from '@tanstack/react-virtual';
import { lazy, Suspense, useEffect, useLayoutEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, authFetch, type Schemas } from '../api/client';
import { Gate } from '../components/Gate';
import { ScanLabel } from '../components/ScanLabel';
import { Badge, Button, Card, Empty, Input, Loading, ProblemMessage, Select } from '../components/ui';
import { useI18n } from '../i18n';
import type { BulkOutcome } from '../lib/bulk';
import { ApiProblem, type Problem, unwrap } from '../lib/problem';
import { allState, inListOrder, toggle, toggleAll } from '../lib/selection';
import { statusTone } from '../lib/tones';
import { downloadVia, saveBlob } from '../lib/upload';

const InventoryBulk = lazy(() => import('./InventoryBulk'));
/** The API's limit of one label sheet. */
const MAX_LABELS = 500;
type Filters = Record<'q' | 'status' | 'category_id' | 'location_id', string | undefined>;

const STATUSES = ['in_stock', 'reserved', 'in_use', 'in_repair', 'on_tour', 'written_off'] as const;

/** Every node of a tree, page after page (a theatre may have more than one page of them). */
async function allNodes(path: '/api/v1/inventory/categories' | '/api/v1/inventory/locations') {
  const nodes: Schemas['NodeView'][] = [];
  let cursor: string | undefined;
  do {
    const page = unwrap(await api.GET(path as '/api/v1/inventory/categories', { params: { query: { limit: 200, cursor } } }));
    nodes.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return nodes;
}

export function useTrees() {
  const categories = useQuery({
    queryKey: ['inventory', 'categories'],
    queryFn: () => allNodes('/api/v1/inventory/categories'),
    staleTime: 300_000,
  });
  const locations = useQuery({
    queryKey: ['inventory', 'locations'],
    queryFn: () => allNodes('/api/v1/inventory/locations'),
    staleTime: 300_000,
  });
  return { categories: categories.data ?? [], locations: locations.data ?? [], pending: categories.isPending || locations.isPending, error: categories.error ?? locations.error };
}

/** The ids a filter selects, in list order, up to one more than a label sheet takes. */
async function filterIds(filters: Filters): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = unwrap(await api.GET('/api/v1/inventory/items', { params: { query: { ...filters, limit: 200, cursor } as never } }));
    ids.push(...page.items.map((i) => i.id));
    cursor = page.next_cursor ?? undefined;
  } while (cursor && ids.length <= MAX_LABELS);
  return ids;
}

async function downloadLabels(ids: string[]) {
  const res = await authFetch(new Request(new URL('/api/v1/inventory/items/labels', window.location.origin), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ids }),
  }));
  if (!res.ok) throw new ApiProblem(res.status, (await res.json().catch(() => ({}))) as Problem);
  saveBlob(await res.blob(), 'labels.pdf');
}

/** What a bulk action did to one row: done, refused (with the API's reason), or not applied. */
function RowResult({ outcome, id }: { outcome: BulkOutcome; id: string }) {
  const { m } = useI18n();
  const r = outcome.results.get(id);
  if (!r) return null;
  if (r.ok) return <Badge tone={outcome.committed ? 'green' : 'stone'}>{outcome.committed ? m.inventoryTools.rowOk : m.inventoryTools.rowWouldBeOk}</Badge>;
  return <span className="text-xs text-red-800" data-testid="row-refusal"><Badge tone="red">{m.inventoryTools.rowRefused}</Badge> {r.detail}</span>;
}

export function InventoryList() {
  const { m, label } = useI18n();
  const [params, setParams] = useSearchParams();
  const filters: Filters = {
    q: params.get('q') || undefined,
    status: params.get('status') || undefined,
    category_id: params.get('category_id') || undefined,
    location_id: params.get('location_id') || undefined,
  };
  const filterKey = JSON.stringify(filters);
  const [text, setText] = useState(filters.q ?? '');
  const [exportError, setExportError] = useState<unknown>(null);
  // The selection and a bulk outcome belong to one filter: another filter starts afresh.
  const [picked, setPicked] = useState<{ key: string; ids: Set<string>; outcome: BulkOutcome | null; names: Map<string, string> }>(
    { key: filterKey, ids: new Set(), outcome: null, names: new Map() });
  const current = picked.key === filterKey ? picked : { key: filterKey, ids: new Set<string>(), outcome: null, names: new Map<string, string>() };
  const selected = current.ids;
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
  const rowIds = rows.map((r) => r.id);
  const names = new Map([...categories, ...locations].map((n) => [n.id, n.name]));
  const select = (ids: Set<string>) => setPicked({ ...current, ids });

  // Virtual rows: the table's body starts `margin` px down the page.
  const body = useRef<HTMLTableSectionElement>(null);
  const [margin, setMargin] = useState(0);
  useLayoutEffect(() => {
    // What is above the table (filters, the bulk bar, an outcome) changes the page's height.
    const measure = () => {
      const top = body.current ? Math.round(body.current.getBoundingClientRect().top + window.scrollY) : 0;
      setMargin((old) => (old === top ? old : top));
    };
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(measure);
    observer.observe(document.body);
    return () => observer.disconnect();
  }, []);
  const virtual = useWindowVirtualizer({
    count: rows.length,
    estimateSize: () => 37,
    overscan: 12,
    scrollMargin: margin,
    initialRect: { width: window.innerWidth, height: window.innerHeight },
  });
  const shown = virtual.getVirtualItems();
  const last = shown[shown.length - 1]?.index ?? -1;
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  useEffect(() => {
    if (last >= rows.length - 15 && hasNextPage && !isFetchingNextPage) fetchNextPage();
  }, [last, rows.length, hasNextPage, isFetchingNextPage, fetchNextPage]);
  const padTop = shown.length ? shown[0].start - margin : 0;
  const padBottom = shown.length ? virtual.getTotalSize() - (shown[shown.length - 1].end - margin) : 0;

  // (Plain state rather than useMutation: the first screen's bundle stays without it.)
  const [labels, setLabels] = useState<{ isPending: boolean; error: unknown }>({ isPending: false, error: null });
  const printLabels = async () => {
    setLabels({ isPending: true, error: null });
    try {
      let ids = inListOrder(selected, rowIds);
      if (ids.length === 0) ids = await filterIds(filters);
      if (ids.length > MAX_LABELS) throw new Error(m.inventoryTools.tooManyLabels);
      if (ids.length > 0) await downloadLabels(ids);
      setLabels({ isPending: false, error: null });
    } catch (error) {
      setLabels({ isPending: false, error });
    }
  };
  const every = allState(selected, rowIds);
  const outcome = current.outcome;
  const refused = outcome ? [...outcome.results.values()].filter((r) => !r.ok) : [];
  return (
    <Card
      title={m.inventory.title}
      actions={
        <div className="flex flex-wrap gap-2">
        <ScanLabel />
        <Button kind="plain" onClick={() => {
          const q = new URLSearchParams(Object.entries(filters).filter(([, v]) => v) as [string, string][]);
          downloadVia(authFetch, `/api/v1/inventory/items/export.csv?${q}`, 'inventory.csv').catch(setExportError);
        }}>{m.inventoryTools.exportCsv}</Button>
        <Button kind="plain" title={m.inventoryTools.labelsHint} data-testid="labels" disabled={labels.isPending} onClick={printLabels}>
          {m.inventoryTools.labels}{selected.size > 0 && ` (${selected.size})`}
        </Button>
        <Link to="/inventory/trees" className="rounded border border-stone-300 bg-white px-3 py-1.5 text-sm hover:bg-stone-100">{m.inventoryTools.trees}</Link>
        <Gate need="inventory:create">
          <Link to="/inventory/import" className="rounded border border-stone-300 bg-white px-3 py-1.5 text-sm hover:bg-stone-100">{m.inventoryTools.importCsv}</Link>
          <Link to="/inventory/new" className="rounded bg-amber-700 px-3 py-1.5 text-sm text-white hover:bg-amber-800">{m.inventory.new}</Link>
        </Gate>
        </div>
      }
    >
      <ProblemMessage error={exportError} />
      <ProblemMessage error={labels.error} />
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
      {selected.size > 0 && (
        <Suspense fallback={<Loading />}>
          <InventoryBulk
            ids={inListOrder(selected, rowIds)}
            onClear={() => select(new Set())}
            onOutcome={(o) => setPicked({ ...current, outcome: o, names: new Map(rows.map((r) => [r.id, `${r.inventory_number} ${r.name}`])) })}
          />
        </Suspense>
      )}
      {outcome && (
        <div role="status" data-testid="bulk-outcome" className={`mb-3 rounded border p-3 text-sm ${outcome.failed ? 'border-red-300 bg-red-50' : 'border-green-300 bg-green-50'}`}>
          <p className="font-medium">{outcome.committed ? m.inventoryTools.committed : m.inventoryTools.notCommitted}: {outcome.succeeded} ✓ · {outcome.failed} ✗</p>
          {refused.length > 0 && (
            <ul className="mt-1 list-disc pl-5 text-red-900">
              {refused.map((r) => <li key={r.id} data-testid="bulk-refusal"><span className="font-mono text-xs">{current.names.get(r.id) ?? r.id}</span>: {r.detail}</li>)}
            </ul>
          )}
        </div>
      )}
      <ProblemMessage error={list.error} />
      {list.isPending ? <Loading /> : rows.length === 0 ? <Empty /> : (
        <div>
          <table className="w-full table-fixed text-left text-sm" data-testid="inventory-table">
            <thead className="border-b text-stone-500">
              <tr>
                <th className="w-8 py-1">
                  <input type="checkbox" aria-label={m.inventoryTools.selectAll} data-testid="select-all" checked={every === 'all'}
                    ref={(el) => { if (el) el.indeterminate = every === 'some'; }} onChange={() => select(toggleAll(selected, rowIds))} />
                </th>
                <th className="hidden w-44 pr-2 sm:table-cell">{m.inventory.number}</th>
                <th className="pr-2">{m.inventory.name}</th>
                <th className="hidden w-40 pr-2 sm:table-cell">{m.inventory.category}</th>
                <th className="hidden w-40 pr-2 md:table-cell">{m.inventory.location}</th>
                <th className="w-32 sm:w-36">{m.inventory.status}</th>
              </tr>
            </thead>
            <tbody ref={body}>
              {padTop > 0 && <tr aria-hidden style={{ height: padTop }} />}
              {shown.map((v) => {
                const item = rows[v.index];
                const on = selected.has(item.id);
                return (
                  <tr key={item.id} ref={virtual.measureElement} data-index={v.index} data-testid="item-row" data-selected={on}
                    className={`border-b border-stone-100 align-top hover:bg-amber-50 ${on ? 'bg-amber-50' : ''}`}>
                    <td className="py-1.5"><input type="checkbox" aria-label={`${m.inventoryTools.selectRow}: ${item.name}`} checked={on} onChange={() => select(toggle(selected, item.id))} /></td>
                    <td className="hidden py-1.5 pr-2 font-mono text-xs break-all sm:table-cell">{item.inventory_number}</td>
                    <td className="py-1.5 pr-2 break-words">
                      <Link className="text-amber-900 underline-offset-2 hover:underline" to={`/inventory/${item.id}`}>{item.name}</Link>{item.quantity > 1 && <span className="text-stone-500"> × {item.quantity}</span>}
                      <span className="block font-mono text-xs text-stone-500 sm:hidden">{item.inventory_number}</span>
                      {outcome && <span className="block"><RowResult outcome={outcome} id={item.id} /></span>}
                    </td>
                    <td className="hidden py-1.5 pr-2 sm:table-cell">{names.get(item.category_id) ?? item.category_code}</td>
                    <td className="hidden py-1.5 pr-2 md:table-cell">{item.location_id ? names.get(item.location_id) ?? item.location_code : '—'}</td>
                    <td className="py-1.5"><Badge tone={statusTone(item.status)}>{label('status', item.status)}</Badge>{item.overdue && <Badge tone="red">!</Badge>}</td>
                  </tr>
                );
              })}
              {padBottom > 0 && <tr aria-hidden style={{ height: padBottom }} />}
            </tbody>
          </table>
          <div className="mt-3 flex items-center gap-3 text-sm text-stone-500">
            <span>{m.inventory.count}: <span data-testid="shown-count">{rows.length}</span>{selected.size > 0 && ` · ${m.inventoryTools.selected}: ${selected.size}`}</span>
            {list.hasNextPage && <Button kind="plain" onClick={() => list.fetchNextPage()} disabled={list.isFetchingNextPage}>{m.app.more}</Button>}
          </div>
        </div>
      )}
    </Card>
  );
}
