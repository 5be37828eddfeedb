import { describe, expect, it } from 'vitest';
import type { Schemas } from '../api/client';
import { diffModel, lineDiff, type DiffNames } from './snapshotDiff';

const names: DiffNames = {
  category: (c) => ({ drawings: 'Чертежи', rider: 'Райдер', light_partition: 'Световая партитура' })[c] ?? c,
  section: (_code, title) => title,
  version: (n) => (n == null ? 'нет версии' : `в. ${n}`),
  castKind: (k) => (k === 'cast' ? 'актёр' : 'цех'),
};

const empty: Schemas['PassportDiff'] = {
  changed: false,
  sections: [],
  documents: { added: [], removed: [], newer_versions: [], recategorized: [] },
  kit: { added: [], removed: [], quantity_changed: [] },
  cast: { added: [], removed: [] },
};
const section = (code: string, content: string) => ({ code, title: code.toUpperCase(), content, responsible_user_id: null });

describe('line diff of a section', () => {
  it('keeps common lines and marks removed and added ones in reading order', () => {
    expect(lineDiff('a\nb\nc', 'a\nB\nc\nd')).toEqual([
      { op: 'same', text: 'a' },
      { op: 'del', text: 'b' },
      { op: 'add', text: 'B' },
      { op: 'same', text: 'c' },
      { op: 'add', text: 'd' },
    ]);
  });

  it('handles empty texts on either side', () => {
    expect(lineDiff('', '')).toEqual([]);
    expect(lineDiff('', 'x')).toEqual([{ op: 'add', text: 'x' }]);
    expect(lineDiff('x', '')).toEqual([{ op: 'del', text: 'x' }]);
  });
});

describe('the snapshot comparison as rows', () => {
  it('says nothing changed for an identical passport and counts the unchanged sections', () => {
    const same = section('lighting', '12 приборов');
    const model = diffModel({ ...empty, sections: [{ code: 'lighting', title: 'Свет', changed: false, old: same, new: same }] }, names);
    expect(model).toEqual({ changed: false, groups: [], unchangedSections: 1 });
  });

  it('groups every kind of change with what it was and what it is now', () => {
    const diff: Schemas['PassportDiff'] = {
      changed: true,
      sections: [
        { code: 'lighting', title: 'Световая партитура', changed: true, old: section('lighting', '12 приборов'), new: section('lighting', '14 приборов') },
        { code: 'sound', title: 'Звук', changed: false, old: section('sound', ''), new: section('sound', '') },
        { code: 'extra', title: 'Пиротехника', changed: true, old: null, new: section('extra', '') },
        { code: 'old', title: 'Старый раздел', changed: true, old: section('old', 'x'), new: null },
      ],
      documents: {
        added: [{ document_id: 'd1', title: 'Райдер 2027', category: 'rider', version: null }],
        removed: [{ document_id: 'd2', title: 'Старый чертёж', category: 'drawings', version: { id: 'v', number: 1 } }],
        newer_versions: [{ document_id: 'd3', title: 'Партитура', category: 'light_partition', old_version: { id: 'a', number: 1 }, new_version: { id: 'b', number: 3 } }],
        recategorized: [{ document_id: 'd4', title: 'Схема', old_category: 'rider', new_category: 'drawings' }],
      },
      kit: {
        added: [{ item_id: 'i1', item_name: 'Кубок', inventory_number: 'PROPS-2026-00001', quantity: 2, section: 'props' }],
        removed: [{ item_id: 'i2', item_name: 'Шпага', quantity: 1 }],
        quantity_changed: [{ item_id: 'i3', item_name: 'Бокал', old_quantity: 6, new_quantity: 8 }],
      },
      cast: {
        added: [{ name: 'Анна Петрова', role: 'Нина', kind: 'cast' }],
        removed: [{ name: 'Иван Сидоров', role: 'Машинист', kind: 'crew' }],
      },
    };
    const model = diffModel(diff, names);
    expect(model.changed).toBe(true);
    expect(model.unchangedSections).toBe(1);
    expect(model.groups.map((g) => g.key)).toEqual(['sections', 'documents', 'kit', 'cast']);
    const [sections, documents, kit, cast] = model.groups;
    expect(sections.rows).toEqual([
      { change: 'changed', subject: 'Световая партитура', lines: [{ op: 'del', text: '12 приборов' }, { op: 'add', text: '14 приборов' }] },
      { change: 'added', subject: 'Пиротехника' },
      { change: 'removed', subject: 'Старый раздел' },
    ]);
    expect(documents.rows).toEqual([
      { change: 'added', subject: 'Райдер 2027', to: 'Райдер' },
      { change: 'removed', subject: 'Старый чертёж', from: 'Чертежи' },
      { change: 'changed', subject: 'Партитура', from: 'в. 1', to: 'в. 3' },
      { change: 'changed', subject: 'Схема', from: 'Райдер', to: 'Чертежи' },
    ]);
    expect(kit.rows).toEqual([
      { change: 'added', subject: 'PROPS-2026-00001 Кубок (props)', to: '× 2' },
      { change: 'removed', subject: 'Шпага', from: '× 1' },
      { change: 'changed', subject: 'Бокал', from: '× 6', to: '× 8' },
    ]);
    expect(cast.rows).toEqual([
      { change: 'added', subject: 'Анна Петрова — Нина (актёр)' },
      { change: 'removed', subject: 'Иван Сидоров — Машинист (цех)' },
    ]);
  });

  it('leaves out groups with nothing in them', () => {
    const model = diffModel({ ...empty, changed: true, cast: { added: [{ name: 'Олег', role: 'Звукорежиссёр', kind: 'crew' }], removed: [] } }, names);
    expect(model.groups.map((g) => g.key)).toEqual(['cast']);
  });
});
