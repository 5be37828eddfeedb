import { describe, expect, it } from 'vitest';
import { flattenTree, parentChoices, subtreeIds } from './tree';

const nodes = [
  { id: 'store', parent_id: null },
  { id: 'stage', parent_id: null },
  { id: 'room1', parent_id: 'store' },
  { id: 'shelf1', parent_id: 'room1' },
  { id: 'room2', parent_id: 'store' },
  { id: 'orphan', parent_id: 'deleted-node' },
];

describe('category and location trees', () => {
  it('nests depth-first, siblings in the API order, an orphan as a root', () => {
    const rows = flattenTree(nodes).map((r) => `${'-'.repeat(r.depth)}${r.node.id}/${r.children}`);
    expect(rows).toEqual(['store/2', '-room1/1', '--shelf1/0', '-room2/0', 'stage/0', 'orphan/0']);
  });

  it('shows every node once even if the list had a cycle', () => {
    const rows = flattenTree([{ id: 'a', parent_id: 'b' }, { id: 'b', parent_id: 'a' }]);
    expect(rows.map((r) => r.node.id).sort()).toEqual(['a', 'b']);
  });

  it('never offers a node or its descendants as its new parent', () => {
    expect([...subtreeIds(nodes, 'store')].sort()).toEqual(['room1', 'room2', 'shelf1', 'store']);
    expect(parentChoices(nodes, 'room1').map((r) => r.node.id)).toEqual(['store', 'room2', 'stage', 'orphan']);
  });
});
