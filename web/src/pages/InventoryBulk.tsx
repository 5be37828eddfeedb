// The bulk action bar of the inventory list (loaded when the first row is selected): one
// action over the selected items — a movement, tags, the category, deletion — as the user's
// permissions allow; the outcome comes back per item and the list shows it row by row.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { Button, Field, Input, ProblemMessage, Select } from '../components/ui';
import { useI18n } from '../i18n';
import { bulkBody, bulkOutcome, choiceKey, offeredBulkActions, type BulkChoice, type BulkOutcome } from '../lib/bulk';
import { ApiProblem, unwrap } from '../lib/problem';
import { useSession } from '../session/store';
import { useTrees } from './InventoryList';

const inAWeek = () => new Date(Date.now() + 7 * 86400_000).toISOString().slice(0, 10);

export default function InventoryBulk({ ids, onOutcome, onClear }: { ids: string[]; onOutcome: (o: BulkOutcome) => void; onClear: () => void }) {
  const { m, label } = useI18n();
  const permissions = useSession((s) => s.permissions);
  const me = useSession((s) => s.user);
  const { categories, locations } = useTrees();
  const client = useQueryClient();
  const choices = offeredBulkActions(permissions);
  const [key, setKey] = useState('');
  const [allOrNothing, setAllOrNothing] = useState(true);
  const choice = choices.find((c) => choiceKey(c) === key) ?? null;
  const name = (c: BulkChoice) =>
    c.action === 'movement' ? label('movement', c.kind)
      : { add_tags: m.inventoryTools.addTags, remove_tags: m.inventoryTools.removeTags, set_category: m.inventoryTools.setCategory, delete: m.inventoryTools.deleteItems }[c.action];

  const run = useMutation({
    mutationFn: async (f: FormData) => {
      if (!choice) throw new Error(m.inventoryTools.bulkAction);
      const text = (k: string) => ((f.get(k) as string) ?? '').trim();
      const due = text('due_at');
      const body = bulkBody(choice, ids, {
        tags: text('tags'),
        category_id: text('category_id'),
        to_location_id: text('to_location_id'),
        due_at: due ? new Date(`${due}T18:00:00`).toISOString() : null,
        holder_user_id: me?.id ?? null,
        comment: text('comment'),
      }, !allOrNothing);
      try {
        return bulkOutcome(unwrap(await api.POST('/api/v1/inventory/items/bulk', { body })));
      } catch (e) {
        // All or nothing and some item refused: a 409 whose `results` say why, item by item.
        const outcome = e instanceof ApiProblem && e.status === 409 ? bulkOutcome(e.problem) : null;
        if (outcome) return outcome;
        throw e;
      }
    },
    onSuccess: async (outcome) => {
      if (outcome) onOutcome(outcome);
      await client.invalidateQueries({ queryKey: ['inventory'] });
    },
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    run.mutate(new FormData(e.currentTarget));
  };
  if (choices.length === 0) return null;
  return (
    <form onSubmit={submit} aria-label={m.inventoryTools.bulkAction} data-testid="bulk-bar"
      className="mb-3 grid grid-cols-1 gap-2 rounded border border-amber-300 bg-amber-50 p-3 text-sm sm:grid-cols-[auto_1fr_1fr_auto] sm:items-end">
      <p className="font-medium sm:self-center">{m.inventoryTools.selected}: <span data-testid="selected-count">{ids.length}</span></p>
      <Field label={m.inventoryTools.bulkAction}>
        <Select value={key} onChange={(e) => setKey(e.target.value)} name="action" data-testid="bulk-action">
          <option value="">—</option>
          {choices.map((c) => <option key={choiceKey(c)} value={choiceKey(c)}>{name(c)}</option>)}
        </Select>
      </Field>
      <div>
        {choice?.action === 'movement' && choice.kind === 'transfer' && (
          <Field label={m.inventory.toLocation}><Select name="to_location_id" required>{locations.map((l) => <option key={l.id} value={l.id}>{l.name}</option>)}</Select></Field>
        )}
        {choice?.action === 'movement' && choice.kind === 'issue' && <Field label={m.inventory.due}><Input type="date" name="due_at" defaultValue={inAWeek()} /></Field>}
        {choice?.action === 'movement' && choice.kind !== 'transfer' && choice.kind !== 'issue' && <Field label={m.inventory.comment}><Input name="comment" /></Field>}
        {(choice?.action === 'add_tags' || choice?.action === 'remove_tags') && <Field label={m.inventoryTools.tagsField}><Input name="tags" required data-testid="bulk-tags" /></Field>}
        {choice?.action === 'set_category' && (
          <Field label={m.inventory.category}><Select name="category_id" required>{categories.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}</Select></Field>
        )}
      </div>
      <div className="flex flex-wrap gap-2">
        <Button type="submit" kind={choice?.action === 'delete' || (choice?.action === 'movement' && choice.kind === 'write_off') ? 'danger' : 'primary'}
          disabled={!choice || run.isPending} data-testid="bulk-apply">{m.inventoryTools.apply}</Button>
        <Button kind="plain" onClick={onClear}>{m.inventoryTools.clearSelection}</Button>
      </div>
      <label className="flex items-center gap-2 sm:col-span-4">
        <input type="checkbox" checked={allOrNothing} onChange={(e) => setAllOrNothing(e.target.checked)} />
        {m.inventoryTools.allOrNothing}
      </label>
      <div className="sm:col-span-4"><ProblemMessage error={run.error} /></div>
    </form>
  );
}
