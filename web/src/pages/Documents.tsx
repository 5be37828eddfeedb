// Documents: list, full-text search with highlighted snippets, and creating a document.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api } from '../api/client';
import { Gate } from '../components/Gate';
import { Snippet } from '../components/Snippet';
import { Badge, Button, Card, Empty, Field, Input, Loading, ProblemMessage, Select } from '../components/ui';
import { useI18n } from '../i18n';
import { ApiProblem, fieldErrors, unwrap } from '../lib/problem';

export function useDocumentCategories() {
  return useQuery({
    queryKey: ['documents', 'categories'],
    queryFn: async () => unwrap(await api.GET('/api/v1/documents/categories', { params: { query: { limit: 200 } as never } })).items,
    staleTime: 300_000,
  }).data ?? [];
}

function NewDocument({ onClose }: { onClose: () => void }) {
  const { m } = useI18n();
  const categories = useDocumentCategories();
  const navigate = useNavigate();
  const client = useQueryClient();
  const create = useMutation({
    mutationFn: async (f: FormData) =>
      unwrap(await api.POST('/api/v1/documents', { body: { title: String(f.get('title') ?? ''), category_id: String(f.get('category_id') ?? ''), tags: [] } as never })),
    onSuccess: async (doc) => {
      await client.invalidateQueries({ queryKey: ['documents'] });
      navigate(`/documents/${doc.id}`);
    },
  });
  const byField = fieldErrors(create.error instanceof ApiProblem ? create.error.problem : undefined, ['title', 'category_id']).byField;
  return (
    <form className="mb-4 grid gap-2 rounded border border-amber-200 bg-amber-50 p-3 sm:grid-cols-3" onSubmit={(e: FormEvent<HTMLFormElement>) => { e.preventDefault(); create.mutate(new FormData(e.currentTarget)); }}>
      <Field label={m.documents.docTitle} error={byField.title}><Input name="title" aria-invalid={!!byField.title} /></Field>
      <Field label={m.documents.category} error={byField.category_id}>
        <Select name="category_id">{categories.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}</Select>
      </Field>
      <div className="flex items-end gap-2">
        <Button type="submit" disabled={create.isPending}>{m.app.create}</Button>
        <Button kind="plain" onClick={onClose}>{m.app.cancel}</Button>
      </div>
      {create.error && !Object.keys(byField).length && <div className="sm:col-span-3"><ProblemMessage error={create.error} /></div>}
    </form>
  );
}

export default function Documents() {
  const { m, date } = useI18n();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') || undefined;
  const [text, setText] = useState(q ?? '');
  const [creating, setCreating] = useState(false);
  const categories = useDocumentCategories();
  const names = new Map(categories.map((c) => [c.id, c.name]));
  const list = useInfiniteQuery({
    queryKey: ['documents', 'list', q],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) => unwrap(await api.GET('/api/v1/documents', { params: { query: { q, limit: 50, cursor: pageParam } as never } })),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Card title={m.documents.title} actions={<Gate need="documents:create"><Button onClick={() => setCreating(true)}>{m.documents.new}</Button></Gate>}>
      {creating && <NewDocument onClose={() => setCreating(false)} />}
      <form role="search" className="mb-3 flex gap-2" onSubmit={(e) => { e.preventDefault(); setParams(text.trim() ? { q: text.trim() } : {}, { replace: true }); }}>
        <Input name="q" value={text} onChange={(e) => setText(e.target.value)} placeholder={m.documents.searchPlaceholder} aria-label={m.app.search} />
        <Button type="submit" kind="plain">{m.app.search}</Button>
      </form>
      <ProblemMessage error={list.error} />
      {list.isPending ? <Loading /> : rows.length === 0 ? <Empty /> : (
        <ul className="divide-y divide-stone-100">
          {rows.map((d) => (
            <li key={d.id} data-testid="document-row" className="py-2">
              <div className="flex flex-wrap items-baseline gap-2">
                <Link to={`/documents/${d.id}`} className="font-medium text-amber-900 hover:underline">{d.title}</Link>
                <Badge>{names.get(d.category_id) ?? d.category_code}</Badge>
                {d.current_version_number != null && <span className="text-xs text-stone-500">v{d.current_version_number}</span>}
                <span className="text-xs text-stone-500">{date(d.updated_at)}</span>
              </div>
              {d.snippet && <p className="mt-1"><Snippet marked={d.snippet} /></p>}
            </li>
          ))}
        </ul>
      )}
      {list.hasNextPage && <Button kind="plain" className="mt-2" onClick={() => list.fetchNextPage()}>{m.app.more}</Button>}
    </Card>
  );
}
