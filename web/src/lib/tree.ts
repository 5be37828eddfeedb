// Categories and locations arrive as flat lists with `parent_id`; the trees screen shows them
// nested. Pure functions: the nesting (depth-first, siblings in the API's order), and which
// nodes may become a node's new parent (not itself, not one of its descendants: the database
// refuses cycles, the form does not offer them).

export interface TreeNode {
  id: string;
  parent_id?: string | null;
}

export interface TreeRow<T extends TreeNode> {
  node: T;
  depth: number;
  /** How many direct children the node has. */
  children: number;
}

/** The nodes depth-first with their depth; a node whose parent is not in the list is a root. */
export function flattenTree<T extends TreeNode>(nodes: readonly T[]): TreeRow<T>[] {
  const ids = new Set(nodes.map((n) => n.id));
  const byParent = new Map<string | null, T[]>();
  for (const n of nodes) {
    const parent = n.parent_id && ids.has(n.parent_id) && n.parent_id !== n.id ? n.parent_id : null;
    const list = byParent.get(parent) ?? [];
    list.push(n);
    byParent.set(parent, list);
  }
  const rows: TreeRow<T>[] = [];
  const seen = new Set<string>();
  const walk = (parent: string | null, depth: number) => {
    for (const node of byParent.get(parent) ?? []) {
      if (seen.has(node.id)) continue;
      seen.add(node.id);
      rows.push({ node, depth, children: (byParent.get(node.id) ?? []).length });
      walk(node.id, depth + 1);
    }
  };
  walk(null, 0);
  // A cycle (which the API prevents) would leave nodes unreached: show them as roots anyway.
  for (const node of nodes) {
    if (!seen.has(node.id)) {
      seen.add(node.id);
      rows.push({ node, depth: 0, children: (byParent.get(node.id) ?? []).length });
      walk(node.id, 1);
    }
  }
  return rows;
}

/** The node and everything below it. */
export function subtreeIds(nodes: readonly TreeNode[], id: string): Set<string> {
  const out = new Set([id]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const n of nodes) {
      if (n.parent_id && out.has(n.parent_id) && !out.has(n.id)) {
        out.add(n.id);
        grew = true;
      }
    }
  }
  return out;
}

/** The rows a node may be moved under (a move never creates a cycle). */
export function parentChoices<T extends TreeNode>(nodes: readonly T[], id: string): TreeRow<T>[] {
  const own = subtreeIds(nodes, id);
  return flattenTree(nodes).filter((r) => !own.has(r.node.id));
}
