// A snapshot comparison (`GET /{id}/snapshots/{snapshot_id}/compare`) as rows a person reads:
// grouped by sections, documents, kit and cast, each row added / removed / changed with what it
// was and what it is now; a changed section's content as a line diff.
import type { Schemas } from '../api/client';

export type Change = 'added' | 'removed' | 'changed';
export interface LineOp { op: 'same' | 'add' | 'del'; text: string }
export interface DiffRow {
  change: Change;
  /** What changed, as the user knows it (a section's, document's, item's or person's name). */
  subject: string;
  from?: string;
  to?: string;
  /** A changed section's content, line by line. */
  lines?: LineOp[];
}
export type GroupKey = 'sections' | 'documents' | 'kit' | 'cast';
export interface DiffGroup { key: GroupKey; rows: DiffRow[] }
export interface DiffModel {
  changed: boolean;
  groups: DiffGroup[];
  /** Sections that did not change (listed by count, not one by one). */
  unchangedSections: number;
}

export interface DiffNames {
  category: (code: string) => string;
  section: (code: string, title: string) => string;
  version: (n: number | null | undefined) => string;
  castKind: (kind: string) => string;
}

/** Line diff by longest common subsequence; small texts (a passport section), so O(n·m) is fine. */
export function lineDiff(oldText: string, newText: string): LineOp[] {
  const a = oldText === '' ? [] : oldText.split('\n');
  const b = newText === '' ? [] : newText.split('\n');
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: LineOp[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: 'same', text: a[i] });
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
      out.push({ op: 'del', text: a[i++] });
    } else {
      out.push({ op: 'add', text: b[j++] });
    }
  }
  while (i < n) out.push({ op: 'del', text: a[i++] });
  while (j < m) out.push({ op: 'add', text: b[j++] });
  return out;
}

function kitSubject(line: { item_name: string; inventory_number?: string | null; section?: string | null }, names: DiffNames) {
  const where = line.section ? ` (${names.section(line.section, line.section)})` : '';
  return `${line.inventory_number ? `${line.inventory_number} ` : ''}${line.item_name}${where}`;
}

function castSubject(c: Schemas['CastEntry'], names: DiffNames) {
  return `${c.name} — ${c.role} (${names.castKind(c.kind)})`;
}

/** The comparison as groups of rows; empty groups are left out. */
export function diffModel(diff: Schemas['PassportDiff'], names: DiffNames): DiffModel {
  const sections: DiffRow[] = [];
  let unchangedSections = 0;
  for (const s of diff.sections) {
    if (!s.changed) {
      unchangedSections++;
      continue;
    }
    const subject = names.section(s.code, s.title);
    if (!s.old) sections.push({ change: 'added', subject });
    else if (!s.new) sections.push({ change: 'removed', subject });
    else sections.push({ change: 'changed', subject, lines: lineDiff(s.old.content, s.new.content) });
  }
  const d = diff.documents;
  const documents: DiffRow[] = [
    ...d.added.map((x) => ({ change: 'added' as const, subject: x.title, to: names.category(x.category) })),
    ...d.removed.map((x) => ({ change: 'removed' as const, subject: x.title, from: names.category(x.category) })),
    ...d.newer_versions.map((x) => ({
      change: 'changed' as const,
      subject: x.title,
      from: names.version(x.old_version?.number),
      to: names.version(x.new_version?.number),
    })),
    ...d.recategorized.map((x) => ({
      change: 'changed' as const,
      subject: x.title,
      from: names.category(x.old_category),
      to: names.category(x.new_category),
    })),
  ];
  const k = diff.kit;
  const kit: DiffRow[] = [
    ...k.added.map((x) => ({ change: 'added' as const, subject: kitSubject(x, names), to: `× ${x.quantity}` })),
    ...k.removed.map((x) => ({ change: 'removed' as const, subject: kitSubject(x, names), from: `× ${x.quantity}` })),
    ...k.quantity_changed.map((x) => ({
      change: 'changed' as const,
      subject: kitSubject(x, names),
      from: `× ${x.old_quantity}`,
      to: `× ${x.new_quantity}`,
    })),
  ];
  const cast: DiffRow[] = [
    ...diff.cast.added.map((x) => ({ change: 'added' as const, subject: castSubject(x, names) })),
    ...diff.cast.removed.map((x) => ({ change: 'removed' as const, subject: castSubject(x, names) })),
  ];
  const groups = (
    [
      { key: 'sections', rows: sections },
      { key: 'documents', rows: documents },
      { key: 'kit', rows: kit },
      { key: 'cast', rows: cast },
    ] as DiffGroup[]
  ).filter((g) => g.rows.length > 0);
  return { changed: diff.changed || groups.length > 0, groups, unchangedSections };
}
