// The technical passport: readiness per part, the nine sections (content and who answers for it,
// editable by the production's editors and by the section's own department), and the documents
// filed by category, with the auto-filing guess shown for the user to confirm or change.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type Schemas } from '../../api/client';
import { Gate, useCan } from '../../components/Gate';
import { Badge, Button, Card, Empty, Field, Input, Loading, ProblemMessage, Select } from '../../components/ui';
import { useI18n } from '../../i18n';
import { chooseCategory, classifyNames, confidenceLevel, filingRequest, ifMatch, initialFiling, type FilingChoice, type PassportCategory } from '../../lib/performance';
import { unwrap } from '../../lib/problem';
import { CardProblem, useStaff } from './common';

export function Bar({ percent }: { percent: number }) {
  return (
    <div className="h-2 w-full min-w-16 rounded bg-stone-200" role="progressbar" aria-valuenow={percent} aria-valuemin={0} aria-valuemax={100}>
      <div className="h-2 rounded bg-amber-600" style={{ width: `${percent}%` }} />
    </div>
  );
}

type Section = Schemas['SectionView'];
type Category = Schemas['PassportCategoryView'];

export function PassportTab({ id }: { id: string }) {
  return (
    <>
      <Readiness id={id} />
      <Sections id={id} />
      <Documents id={id} />
    </>
  );
}

function Readiness({ id }: { id: string }) {
  const { m } = useI18n();
  const readiness = useQuery({
    queryKey: ['performances', id, 'readiness'],
    queryFn: async () => unwrap(await api.GET('/api/v1/performances/{id}/passport/readiness', { params: { path: { id } } })),
  });
  return (
    <Card title={m.performances.readiness}>
      {readiness.isPending ? <Loading /> : readiness.error ? <ProblemMessage error={readiness.error} /> : (
        <div data-testid="readiness" className="space-y-2 text-sm">
          <div className="grid grid-cols-[minmax(0,10rem)_1fr_auto] items-center gap-2"><span className="font-medium">{m.performances.readiness}</span><Bar percent={readiness.data.overall.percent} /><span>{readiness.data.overall.done}/{readiness.data.overall.required}</span></div>
          {readiness.data.parts.map((part) => (
            <div key={part.code} className="grid grid-cols-[minmax(0,10rem)_1fr_auto] items-center gap-2"><span className="truncate" title={part.title}>{part.code} {part.title}</span><Bar percent={part.percent} /><span>{part.done}/{part.required}</span></div>
          ))}
        </div>
      )}
    </Card>
  );
}

function Sections({ id }: { id: string }) {
  const { m } = useI18n();
  const staff = useStaff();
  const sections = useQuery({
    queryKey: ['performances', id, 'sections'],
    queryFn: async () => unwrap(await api.GET('/api/v1/performances/{id}/sections', { params: { path: { id }, query: { limit: 200 } } })).items,
  });
  const me = useQuery({ queryKey: ['me'], staleTime: 60_000, queryFn: async () => unwrap(await api.GET('/api/v1/auth/me')) });
  const can = useCan();
  // свой цех: a member of the section's department edits it too.
  const mayEdit = (s: Section) => can('performance:edit') || (!!s.department_id && (me.data?.departments ?? []).some((d) => d.id === s.department_id));
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <Card title={m.perfCard.sections}>
      {sections.isPending ? <Loading /> : sections.error ? <ProblemMessage error={sections.error} /> : sections.data.length === 0 ? <Empty /> : (
        <ul className="divide-y divide-stone-100">
          {sections.data.map((s) => (
            <li key={s.id} data-testid="passport-section" className="py-2">
              <div className="flex flex-wrap items-baseline justify-between gap-2">
                <h3 className="font-medium">{s.title}</h3>
                <span className="text-xs text-stone-500">{m.perfCard.responsible}: {s.responsible_user_id ? staff.byId.get(s.responsible_user_id) ?? '—' : '—'}</span>
              </div>
              {editing === s.id ? (
                <SectionEditor key={s.version} performanceId={id} section={s} onDone={() => setEditing(null)} />
              ) : (
                <>
                  <p className="whitespace-pre-wrap text-sm text-stone-700">{s.content || <span className="text-stone-400">{m.perfCard.emptySection}</span>}</p>
                  {mayEdit(s) && <Button kind="plain" className="mt-1" onClick={() => setEditing(s.id)}>{m.app.edit}</Button>}
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function SectionEditor({ performanceId, section, onDone }: { performanceId: string; section: Section; onDone: () => void }) {
  const { m } = useI18n();
  const client = useQueryClient();
  const staff = useStaff();
  const [content, setContent] = useState(section.content);
  const [responsible, setResponsible] = useState(section.responsible_user_id ?? '');
  const save = useMutation({
    mutationFn: async () => unwrap(await api.PATCH('/api/v1/performances/{id}/sections/{section_id}', {
      params: { path: { id: performanceId, section_id: section.id }, header: ifMatch(section.version) },
      body: staff.canList ? { content, responsible_user_id: responsible || null } : { content },
    })),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['performances', performanceId] });
      onDone();
    },
  });
  return (
    <form className="mt-1 space-y-2" onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      <Field label={m.perfCard.content}>
        <textarea name="content" rows={5} value={content} onChange={(e) => setContent(e.target.value)} className="w-full rounded border border-stone-300 px-2 py-1.5 text-sm" />
      </Field>
      {staff.canList && (
        <Field label={m.perfCard.responsible}>
          <Select value={responsible} onChange={(e) => setResponsible(e.target.value)}>
            <option value="">—</option>
            {staff.list.map((u) => <option key={u.id} value={u.id}>{u.first_name} {u.last_name}</option>)}
          </Select>
        </Field>
      )}
      <CardProblem error={save.error} performanceId={performanceId} />
      <div className="flex gap-2">
        <Button type="submit" disabled={save.isPending}>{m.app.save}</Button>
        <Button kind="plain" onClick={onDone}>{m.app.cancel}</Button>
      </div>
    </form>
  );
}

function Documents({ id }: { id: string }) {
  const { m, number } = useI18n();
  const client = useQueryClient();
  const passport = useQuery({
    queryKey: ['performances', id, 'passport'],
    queryFn: async () => unwrap(await api.GET('/api/v1/performances/{id}/passport', { params: { path: { id } } })),
  });
  const categories: Category[] = (passport.data?.parts ?? []).flatMap((p) => p.categories);
  const invalidate = () => client.invalidateQueries({ queryKey: ['performances', id] });
  const unfile = useMutation({
    mutationFn: async (documentId: string) => unwrap(await api.DELETE('/api/v1/performances/{id}/passport/documents/{document_id}', { params: { path: { id, document_id: documentId } } })),
    onSettled: invalidate,
  });
  const refile = useMutation({
    mutationFn: async ({ doc, category }: { doc: Schemas['PassportDocument']; category: string }) =>
      unwrap(await api.PATCH('/api/v1/performances/{id}/passport/documents/{document_id}', {
        params: { path: { id, document_id: doc.document_id }, header: ifMatch(doc.version) },
        body: { category },
      })),
    onSettled: invalidate,
  });
  return (
    <Card title={m.perfCard.documents}>
      <Gate need="performance:edit">
        <Gate need="documents:view">
          <FileDocument performanceId={id} categories={categories} />
        </Gate>
      </Gate>
      <CardProblem error={unfile.error ?? refile.error} performanceId={id} />
      {passport.isPending ? <Loading /> : passport.error ? <ProblemMessage error={passport.error} /> : passport.data.parts.map((part) => (
        <details key={part.code} className="mt-2" open={part.code === '1.0' || part.categories.some((c) => c.documents.length > 0)}>
          <summary className="cursor-pointer font-medium">{part.code} {part.title}</summary>
          <ul className="mt-1 space-y-1 text-sm">
            {part.categories.map((c) => (
              <li key={c.code} data-testid="passport-category" className="rounded border border-stone-100 p-2">
                <div className="flex flex-wrap items-center gap-2">
                  <span className="font-mono text-xs">{c.number}</span>
                  <span>{c.title}</span>
                  {c.required && <Badge tone={c.complete ? 'green' : 'red'}>{m.perfCard.required}: {c.complete ? m.perfCard.complete : m.perfCard.missing}</Badge>}
                </div>
                {c.documents.length > 0 && (
                  <ul className="mt-1 space-y-1 pl-4">
                    {c.documents.map((d) => (
                      <li key={d.document_id} data-testid="passport-document" className="flex flex-wrap items-center gap-2">
                        <span>{d.title}</span>
                        <span className="text-xs text-stone-500">
                          {d.current_version ? `${m.perfCard.version} ${d.current_version.number} · ${d.current_version.original_filename}` : m.perfCard.noVersion}
                        </span>
                        {d.confidence != null && <Badge tone="blue">{m.perfCard.guess}: {number(d.confidence * 100)}%</Badge>}
                        <Gate need="performance:edit">
                          <Select aria-label={m.perfCard.refile} className="!w-auto text-xs" value={d.category} disabled={refile.isPending}
                            onChange={(e) => refile.mutate({ doc: d, category: e.target.value })}>
                            {categories.map((o) => <option key={o.code} value={o.code}>{o.number} {o.title}</option>)}
                          </Select>
                          <Button kind="plain" className="text-xs" onClick={() => unfile.mutate(d.document_id)} disabled={unfile.isPending}>{m.perfCard.unfile}</Button>
                        </Gate>
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ul>
        </details>
      ))}
    </Card>
  );
}

/** Pick a document, see where auto-filing would put it, confirm or change, file it. */
function FileDocument({ performanceId, categories }: { performanceId: string; categories: Category[] }) {
  const { m, number } = useI18n();
  const client = useQueryClient();
  const [q, setQ] = useState('');
  const [search, setSearch] = useState('');
  const [doc, setDoc] = useState<{ id: string; title: string } | null>(null);
  const [choice, setChoice] = useState<FilingChoice | null>(null);
  const found = useQuery({
    queryKey: ['documents', 'pick', search],
    enabled: search.length > 0,
    queryFn: async () => unwrap(await api.GET('/api/v1/documents', { params: { query: { q: search, limit: 10 } } })).items,
  });
  const classify = useMutation({
    mutationFn: async (d: { id: string; title: string; current_version_id?: string | null }) => {
      let filename: string | null = null;
      if (d.current_version_id) {
        const v = await api.GET('/api/v1/documents/{id}/versions/{version_id}', { params: { path: { id: d.id, version_id: d.current_version_id } } });
        filename = v.data?.original_filename ?? null;
      }
      // The file's name first; when it says nothing, the title may (as the API does when filing).
      let result: Schemas['ClassifyResult'] | null = null;
      for (const name of classifyNames(d.title, filename)) {
        result = unwrap(await api.POST('/api/v1/performances/{id}/passport/classify', { params: { path: { id: performanceId } }, body: { file_name: name } }));
        if (result.guess) break;
      }
      return result;
    },
    onSuccess: (result) => setChoice(initialFiling(result)),
  });
  const file = useMutation({
    mutationFn: async () => {
      const body = doc && choice ? filingRequest(doc.id, choice) : null;
      if (!body) return null;
      return unwrap(await api.POST('/api/v1/performances/{id}/passport/documents', { params: { path: { id: performanceId } }, body }));
    },
    onSuccess: async () => {
      setDoc(null);
      setChoice(null);
      setQ('');
      setSearch('');
      await client.invalidateQueries({ queryKey: ['performances', performanceId] });
    },
  });
  const pick = (d: { id: string; title: string; current_version_id?: string | null }) => {
    setDoc({ id: d.id, title: d.title });
    setChoice(null);
    classify.mutate(d);
  };
  const guess = choice?.guess;
  return (
    <details className="mb-3 rounded border border-stone-200 p-2" data-testid="file-document">
      <summary className="cursor-pointer text-sm font-medium">{m.perfCard.fileDocument}</summary>
      <form className="mt-2 flex flex-wrap items-end gap-2" onSubmit={(e) => { e.preventDefault(); setSearch(q.trim()); }}>
        <div className="min-w-0 flex-1"><Field label={m.perfCard.findDocument}><Input name="document_q" value={q} onChange={(e) => setQ(e.target.value)} /></Field></div>
        <Button type="submit" kind="plain">{m.app.search}</Button>
      </form>
      <ProblemMessage error={found.error} />
      {search && !doc && (found.isPending ? <Loading /> : (found.data ?? []).length === 0 ? <Empty /> : (
        <ul className="mt-2 divide-y divide-stone-100 text-sm">
          {found.data!.map((d) => (
            <li key={d.id}><button type="button" data-testid="document-pick" className="w-full py-1 text-left hover:bg-stone-50" onClick={() => pick(d)}>{d.title}</button></li>
          ))}
        </ul>
      ))}
      {doc && (
        <div className="mt-2 space-y-2 text-sm">
          <p className="font-medium">{doc.title}</p>
          {classify.isPending && <Loading />}
          <ProblemMessage error={classify.error} />
          {choice && (
            <>
              <p data-testid="filing-guess">
                {guess ? (
                  <>
                    {m.perfCard.guess}: <strong>{categories.find((c) => c.code === guess.category)?.title ?? guess.category}</strong>{' '}
                    <Badge tone={confidenceLevel(guess.confidence) === 'high' ? 'green' : confidenceLevel(guess.confidence) === 'medium' ? 'amber' : 'red'}>
                      {m.perfCard.confidence[confidenceLevel(guess.confidence)]} · {number(guess.confidence * 100)}%
                    </Badge>{' '}
                    <span className="text-stone-500">{guess.reason}</span>
                  </>
                ) : m.perfCard.guessNone}
              </p>
              <Field label={m.perfCard.category}>
                <Select name="filing_category" value={choice.category} onChange={(e) => setChoice(chooseCategory(choice, e.target.value as PassportCategory | ''))}>
                  <option value="">—</option>
                  {categories.map((c) => <option key={c.code} value={c.code}>{c.number} {c.title}</option>)}
                </Select>
              </Field>
              {choice.source === 'person' && <p className="text-xs text-stone-500">{m.perfCard.chosenByYou}</p>}
              <CardProblem error={file.error} performanceId={performanceId} />
              <div className="flex gap-2">
                <Button disabled={!filingRequest(doc.id, choice) || file.isPending} onClick={() => file.mutate()}>{m.perfCard.confirmFiling}</Button>
                <Button kind="plain" onClick={() => { setDoc(null); setChoice(null); }}>{m.app.cancel}</Button>
              </div>
            </>
          )}
        </div>
      )}
    </details>
  );
}
