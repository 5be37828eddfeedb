// The category and location trees: view both, add a child node, rename, move under another
// parent, delete. Changing a tree needs `inventory:edit` (a department head is also refused by
// the API: the trees belong to the whole theatre); a refusal (a node still holding items, a
// code already taken) is shown as the API's message, field errors on their fields. Deleting a
// node that holds items offers to move them elsewhere first (`move_items_to`).
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, type Schemas } from '../api/client';
import { Gate } from '../components/Gate';
import { Badge, Button, Card, Empty, Field, Input, Loading, ProblemMessage, Select } from '../components/ui';
import { useI18n } from '../i18n';
import { ApiProblem, fieldErrors, unwrap } from '../lib/problem';
import { flattenTree, parentChoices } from '../lib/tree';
import { useTrees } from './InventoryList';

type Node = Schemas['NodeView'];
type TreeName = 'categories' | 'locations';
type Editing = { mode: 'create'; parent: Node | null } | { mode: 'rename' | 'move' | 'delete'; node: Node };

// Both trees have the same shape of API; the typed client is told it is the categories'.
const collection = (tree: TreeName) => `/api/v1/inventory/${tree}` as '/api/v1/inventory/categories';
const member = (tree: TreeName) => `/api/v1/inventory/${tree}/{id}` as '/api/v1/inventory/categories/{id}';
const ifMatch = (n: Node) => ({ 'If-Match': `"${n.version}"` }) as never;

function useTreeChange<T>(fn: (arg: T) => Promise<unknown>, onDone: () => void) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['inventory'] });
      onDone();
    },
  });
}

function CreateForm({ tree, parent, onDone }: { tree: TreeName; parent: Node | null; onDone: () => void }) {
  const { m } = useI18n();
  const create = useTreeChange(async (f: FormData) => {
    const text = (k: string) => ((f.get(k) as string) ?? '').trim();
    return unwrap(await api.POST(collection(tree), {
      body: { code: text('code'), name: text('name'), parent_id: parent?.id ?? null, color: null, icon: null, sort_order: null, department_id: null, description: null },
    }));
  }, onDone);
  const { byField, other } = fieldErrors(create.error instanceof ApiProblem ? create.error.problem : undefined, ['code', 'name']);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    create.mutate(new FormData(e.currentTarget));
  };
  return (
    <form onSubmit={submit} noValidate className="my-2 grid gap-2 rounded border border-amber-200 bg-amber-50 p-3 sm:grid-cols-2" aria-label={parent ? `${m.inventoryTools.addChild}: ${parent.name}` : m.inventoryTools.addRoot}>
      <p className="text-sm font-medium sm:col-span-2">{parent ? `${m.inventoryTools.addChild} → ${parent.name}` : m.inventoryTools.addRoot}</p>
      <Field label={m.inventoryTools.code} error={byField.code}>
        <Input name="code" autoFocus placeholder={tree === 'categories' ? 'goblets' : 'shelf-3'} aria-invalid={!!byField.code} autoCapitalize="none" />
      </Field>
      <Field label={m.inventory.name} error={byField.name}><Input name="name" aria-invalid={!!byField.name} /></Field>
      <div className="sm:col-span-2">
        {other.length > 0 && <ul role="alert" className="mb-2 text-sm text-red-700">{other.map((o) => <li key={o}>{o}</li>)}</ul>}
        {create.error && !(create.error instanceof ApiProblem && create.error.problem.errors?.length) && <ProblemMessage error={create.error} />}
        <div className="flex gap-2">
          <Button type="submit" data-testid="node-save" disabled={create.isPending}>{m.app.create}</Button>
          <Button kind="plain" onClick={onDone}>{m.app.cancel}</Button>
        </div>
      </div>
    </form>
  );
}

function RenameForm({ tree, node, onDone }: { tree: TreeName; node: Node; onDone: () => void }) {
  const { m } = useI18n();
  const rename = useTreeChange(async (name: string) =>
    unwrap(await api.PATCH(member(tree), { params: { path: { id: node.id }, header: ifMatch(node) }, body: { name } })), onDone);
  const { byField } = fieldErrors(rename.error instanceof ApiProblem ? rename.error.problem : undefined, ['name']);
  return (
    <form className="my-2 flex flex-wrap items-end gap-2 rounded border border-amber-200 bg-amber-50 p-3" aria-label={m.inventoryTools.rename}
      onSubmit={(e) => { e.preventDefault(); rename.mutate(((new FormData(e.currentTarget).get('name') as string) ?? '').trim()); }}>
      <div className="min-w-0 flex-1"><Field label={m.inventory.name} error={byField.name}><Input name="name" defaultValue={node.name} autoFocus aria-invalid={!!byField.name} /></Field></div>
      <Button type="submit" data-testid="node-save" disabled={rename.isPending}>{m.app.save}</Button>
      <Button kind="plain" onClick={onDone}>{m.app.cancel}</Button>
      {!byField.name && <div className="w-full"><ProblemMessage error={rename.error} /></div>}
    </form>
  );
}

function MoveForm({ tree, node, nodes, onDone }: { tree: TreeName; node: Node; nodes: Node[]; onDone: () => void }) {
  const { m } = useI18n();
  const move = useTreeChange(async (parent: string) =>
    unwrap(await api.PATCH(member(tree), { params: { path: { id: node.id }, header: ifMatch(node) }, body: { parent_id: parent || null } })), onDone);
  return (
    <form className="my-2 flex flex-wrap items-end gap-2 rounded border border-amber-200 bg-amber-50 p-3" aria-label={m.inventoryTools.move}
      onSubmit={(e) => { e.preventDefault(); move.mutate((new FormData(e.currentTarget).get('parent_id') as string) ?? ''); }}>
      <div className="min-w-0 flex-1">
        <Field label={`${m.inventoryTools.parent}: ${node.name}`}>
          <Select name="parent_id" defaultValue={node.parent_id ?? ''} autoFocus>
            <option value="">{m.inventoryTools.root}</option>
            {parentChoices(nodes, node.id).map((r) => <option key={r.node.id} value={r.node.id}>{'\u00a0\u00a0'.repeat(r.depth)}{r.node.name}</option>)}
          </Select>
        </Field>
      </div>
      <Button type="submit" data-testid="node-save" disabled={move.isPending}>{m.inventoryTools.move}</Button>
      <Button kind="plain" onClick={onDone}>{m.app.cancel}</Button>
      <div className="w-full"><ProblemMessage error={move.error} /></div>
    </form>
  );
}

function DeleteForm({ tree, node, nodes, onDone }: { tree: TreeName; node: Node; nodes: Node[]; onDone: () => void }) {
  const { m } = useI18n();
  const [target, setTarget] = useState('');
  const remove = useTreeChange(async (moveTo: string) =>
    unwrap(await api.DELETE(member(tree), { params: { path: { id: node.id }, query: moveTo ? { move_items_to: moveTo } : {} } })), onDone);
  // A node holding items is refused (409); then its items can be moved elsewhere first.
  const holdsItems = remove.error instanceof ApiProblem && remove.error.status === 409;
  const others = flattenTree(nodes).filter((r) => r.node.id !== node.id);
  return (
    <div role="alertdialog" aria-label={m.inventoryTools.delete} className="my-2 space-y-2 rounded border border-red-200 bg-red-50 p-3 text-sm">
      <p>{m.inventoryTools.confirmDelete} <span className="font-medium">{node.name}</span></p>
      {holdsItems ? (
        <p role="alert" data-testid="problem" className="rounded border border-red-300 bg-white px-3 py-2 text-red-800">
          {m.inventoryTools.holdsItems}: {String((remove.error as ApiProblem).problem.item_count ?? node.item_count)}. {m.inventoryTools.chooseTarget}
        </p>
      ) : <ProblemMessage error={remove.error} />}
      {holdsItems && (
        <Field label={m.inventoryTools.moveItemsTo}>
          <Select value={target} onChange={(e) => setTarget(e.target.value)} data-testid="move-items-to">
            <option value="">—</option>
            {others.map((r) => <option key={r.node.id} value={r.node.id}>{'\u00a0\u00a0'.repeat(r.depth)}{r.node.name}</option>)}
          </Select>
        </Field>
      )}
      <div className="flex flex-wrap gap-2">
        {holdsItems
          ? <Button kind="danger" disabled={!target || remove.isPending} onClick={() => remove.mutate(target)}>{m.inventoryTools.moveAndDelete}</Button>
          : <Button kind="danger" data-testid="node-delete-confirm" disabled={remove.isPending} onClick={() => remove.mutate('')}>{m.inventoryTools.delete}</Button>}
        <Button kind="plain" onClick={onDone} autoFocus>{m.app.cancel}</Button>
      </div>
    </div>
  );
}

function TreePanel({ tree, nodes }: { tree: TreeName; nodes: Node[] }) {
  const { m } = useI18n();
  const [editing, setEditing] = useState<Editing | null>(null);
  const done = () => setEditing(null);
  const rows = flattenTree(nodes);
  const formFor = (node: Node) => {
    if (!editing) return null;
    if (editing.mode === 'create') return editing.parent?.id === node.id ? <CreateForm tree={tree} parent={node} onDone={done} /> : null;
    if (editing.node.id !== node.id) return null;
    if (editing.mode === 'rename') return <RenameForm tree={tree} node={node} onDone={done} />;
    if (editing.mode === 'move') return <MoveForm tree={tree} node={node} nodes={nodes} onDone={done} />;
    return <DeleteForm tree={tree} node={node} nodes={nodes} onDone={done} />;
  };
  return (
    <Card
      title={tree === 'categories' ? m.inventoryTools.categories : m.inventoryTools.locations}
      actions={<Gate need="inventory:edit" wholeInventory><Button kind="plain" onClick={() => setEditing({ mode: 'create', parent: null })}>{m.inventoryTools.addRoot}</Button></Gate>}
    >
      {editing?.mode === 'create' && editing.parent === null && <CreateForm tree={tree} parent={null} onDone={done} />}
      {rows.length === 0 ? <Empty /> : (
        <ul className="text-sm" data-testid={`tree-${tree}`}>
          {rows.map(({ node, depth }) => (
            <li key={node.id} data-testid="tree-node" data-code={node.code} className="border-b border-stone-100 py-1.5" style={{ paddingLeft: `${Math.min(depth, 6) * 1.25}rem` }}>
              <div className="flex flex-wrap items-center gap-x-2 gap-y-1">
                <span className="font-medium">{depth > 0 && <span aria-hidden className="text-stone-400">└ </span>}{node.name}</span>
                <span className="font-mono text-xs text-stone-500">{node.code}</span>
                {node.item_count > 0 && <Badge>{node.item_count} {m.inventoryTools.items}</Badge>}
                <Gate need="inventory:edit" wholeInventory>
                  <span className="ml-auto flex flex-wrap gap-1">
                    <Button kind="plain" className="!px-2 !py-0.5" data-node-action="child" onClick={() => setEditing({ mode: 'create', parent: node })}>+ {m.inventoryTools.addChild}</Button>
                    <Button kind="plain" className="!px-2 !py-0.5" data-node-action="rename" onClick={() => setEditing({ mode: 'rename', node })}>{m.inventoryTools.rename}</Button>
                    <Button kind="plain" className="!px-2 !py-0.5" data-node-action="move" onClick={() => setEditing({ mode: 'move', node })}>{m.inventoryTools.move}</Button>
                    <Button kind="plain" className="!px-2 !py-0.5 text-red-800" data-node-action="delete" onClick={() => setEditing({ mode: 'delete', node })}>{m.inventoryTools.delete}</Button>
                  </span>
                </Gate>
              </div>
              {formFor(node)}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

export default function InventoryTrees() {
  const { m } = useI18n();
  const { categories, locations, pending, error } = useTrees();
  return (
    <div>
      <div className="mb-3 flex flex-wrap items-center gap-3">
        <Link to="/inventory" className="text-sm text-amber-800 underline">← {m.inventory.title}</Link>
        <h1 className="text-xl font-semibold">{m.inventoryTools.trees}</h1>
      </div>
      <ProblemMessage error={error} />
      {pending ? <Loading /> : (
        <div className="grid gap-4 lg:grid-cols-2">
          <TreePanel tree="categories" nodes={categories} />
          <TreePanel tree="locations" nodes={locations} />
        </div>
      )}
    </div>
  );
}
