// Checklists of the production: started from a template by an editor, ticked by whoever does the
// work (the API records who and when; the status follows from the ticks).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type Schemas } from '../../api/client';
import { Gate } from '../../components/Gate';
import { Badge, Button, Card, Empty, Field, Input, Loading, ProblemMessage, Select } from '../../components/ui';
import { useI18n } from '../../i18n';
import { unwrap } from '../../lib/problem';
import { statusTone } from '../../lib/tones';
import { CardProblem, formErrors, OtherErrors, useStaff } from './common';

export function ChecklistsTab({ id }: { id: string }) {
  const { m, dateTime } = useI18n();
  const lists = useQuery({
    queryKey: ['performances', id, 'checklists'],
    queryFn: async () => unwrap(await api.GET('/api/v1/performances/{id}/checklists', { params: { path: { id }, query: { limit: 200 } } })).items,
  });
  const [open, setOpen] = useState<string | null>(null);
  return (
    <Card title={m.perfCard.tabChecklists}>
      <Gate need="performance:edit"><StartChecklist performanceId={id} onStarted={setOpen} /></Gate>
      {lists.isPending ? <Loading /> : lists.error ? <ProblemMessage error={lists.error} /> : lists.data.length === 0 ? <Empty /> : (
        <ul className="space-y-2">
          {lists.data.map((c) => (
            <li key={c.id} data-testid="checklist" className="rounded border border-stone-200">
              <button type="button" aria-expanded={open === c.id} onClick={() => setOpen(open === c.id ? null : c.id)} className="flex w-full flex-wrap items-center gap-2 p-2 text-left text-sm">
                <span className="font-medium">{c.name}</span>
                <span className="text-xs text-stone-500">{m.perfCard.checklistKind[c.kind]} · {dateTime(c.created_at)}</span>
                <Badge tone={statusTone(c.status)}>{m.perfCard.checklistStatus[c.status]}</Badge>
                <span className="ml-auto text-xs" data-testid="checklist-progress">{c.ticked}/{c.total}</span>
              </button>
              {open === c.id && <ChecklistItems performanceId={id} checklistId={c.id} />}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function ChecklistItems({ performanceId, checklistId }: { performanceId: string; checklistId: string }) {
  const { m, dateTime } = useI18n();
  const client = useQueryClient();
  const staff = useStaff();
  const key = ['performances', performanceId, 'checklists', checklistId];
  // The box follows the finger at once; the API's answer (or a refusal) settles it.
  const [shown, setShown] = useState<Record<string, boolean>>({});
  const list = useQuery({
    queryKey: key,
    queryFn: async () => unwrap(await api.GET('/api/v1/performances/{id}/checklists/{checklist_id}', { params: { path: { id: performanceId, checklist_id: checklistId } } })),
  });
  const tick = useMutation({
    mutationFn: async ({ item, on }: { item: Schemas['ChecklistItemView']; on: boolean }) => {
      const path = { id: performanceId, checklist_id: checklistId, item_id: item.id };
      return on
        ? unwrap(await api.PUT('/api/v1/performances/{id}/checklists/{checklist_id}/items/{item_id}/tick', { params: { path } }))
        : unwrap(await api.DELETE('/api/v1/performances/{id}/checklists/{checklist_id}/items/{item_id}/tick', { params: { path } }));
    },
    onSettled: async (_r, _e, { item }) => {
      await client.invalidateQueries({ queryKey: ['performances', performanceId, 'checklists'] });
      setShown((v) => {
        const next = { ...v };
        delete next[item.id];
        return next;
      });
    },
  });
  if (list.isPending) return <Loading />;
  if (list.error) return <ProblemMessage error={list.error} />;
  const who = (userId: string | null | undefined) => (userId && userId === staff.meId ? m.perfCard.you : userId ? staff.byId.get(userId) ?? '—' : '—');
  return (
    <div className="border-t border-stone-100 p-2">
      <ProblemMessage error={tick.error} />
      <ul className="space-y-1 text-sm">
        {list.data.items.map((it) => (
          <li key={it.id} data-testid="checklist-item" className="flex flex-wrap items-center gap-2">
            <label className="flex min-w-0 flex-1 items-center gap-2">
              <input type="checkbox" className="h-5 w-5" checked={shown[it.id] ?? it.ticked} onChange={(e) => { const on = e.target.checked; setShown((v) => ({ ...v, [it.id]: on })); tick.mutate({ item: it, on }); }} />
              <span className={it.ticked ? 'text-stone-500 line-through' : ''}>{it.text}</span>
            </label>
            {it.ticked && <span data-testid="ticked-by" className="text-xs text-stone-500">{m.perfCard.tickedBy} {who(it.ticked_by)}, {dateTime(it.ticked_at)}</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}

function StartChecklist({ performanceId, onStarted }: { performanceId: string; onStarted: (id: string) => void }) {
  const { m } = useI18n();
  const client = useQueryClient();
  const templates = useQuery({
    queryKey: ['checklist-templates'],
    staleTime: 60_000,
    queryFn: async () => unwrap(await api.GET('/api/v1/performances/checklists/templates', { params: { query: { limit: 200 } } })).items,
  });
  const [template, setTemplate] = useState('');
  const [name, setName] = useState('');
  const chosen = template || templates.data?.[0]?.id || '';
  const start = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/v1/performances/{id}/checklists', {
      params: { path: { id: performanceId } },
      body: { template_id: chosen, name: name.trim() || null },
    })),
    onSuccess: async (c) => {
      setName('');
      await client.invalidateQueries({ queryKey: ['performances', performanceId, 'checklists'] });
      onStarted(c.id);
    },
  });
  const { byField, other, whole } = formErrors(start.error, ['template_id', 'name']);
  return (
    <form className="mb-3 flex flex-wrap items-end gap-2 rounded border border-stone-200 p-2" onSubmit={(e) => { e.preventDefault(); start.mutate(); }}>
      <div className="min-w-0 flex-1">
        <Field label={m.perfCard.template} error={byField.template_id}>
          <Select name="template_id" value={chosen} onChange={(e) => setTemplate(e.target.value)} disabled={templates.isPending}>
            {(templates.data ?? []).map((t) => <option key={t.id} value={t.id}>{t.name} ({m.perfCard.checklistKind[t.kind]}, {t.items.length})</option>)}
          </Select>
        </Field>
      </div>
      <div className="min-w-0 flex-1"><Field label={m.perfCard.checklistName} error={byField.name}><Input name="checklist_name" value={name} onChange={(e) => setName(e.target.value)} /></Field></div>
      <Button type="submit" disabled={!chosen || start.isPending}>{m.perfCard.startChecklist}</Button>
      <div className="w-full"><ProblemMessage error={templates.error} /><OtherErrors other={other} /><CardProblem error={whole} performanceId={performanceId} /></div>
    </form>
  );
}
