import { describe, expect, it } from 'vitest';
import { generationForm, generationValues, valueFieldName, withType, type TemplateVariable } from './templates';

const v = (name: string, type: TemplateVariable['type'], extra: Partial<TemplateVariable> = {}): TemplateVariable => ({ name, type, label: null, required: false, default: null, options: [], field: null, ...extra });

describe('template variables to the generation form', () => {
  it('gives each type its control', () => {
    const form = generationForm([
      v('a', 'text'), v('b', 'number'), v('c', 'date'), v('d', 'choice', { options: ['x', 'y'] }),
      v('e', 'performance_field', { field: 'title' }), v('f', 'user_field', { field: 'full_name' }), v('g', 'actor_list'), v('h', 'staff_list'),
    ]);
    expect(form.fields.map((f) => f.control)).toEqual(['text', 'number', 'date', 'select', 'text', 'user', 'lines', 'lines']);
    expect(form.fields[3].options).toEqual(['x', 'y']);
  });

  it('uses the label, else the name', () => {
    const form = generationForm([v('act_date', 'date', { label: 'Дата акта' }), v('x', 'text')]);
    expect(form.fields.map((f) => f.label)).toEqual(['Дата акта', 'x']);
  });

  it('requires a performance when a required variable can only come from it', () => {
    expect(generationForm([v('title', 'performance_field', { required: true, field: 'title' })]).performance).toBe('required');
    expect(generationForm([v('cast', 'actor_list')]).performance).toBe('optional');
    expect(generationForm([v('n', 'text', { required: true })]).performance).toBe('none');
    // A default covers a missing performance.
    expect(generationForm([v('t', 'performance_field', { required: true, field: 'title', default: 'Спектакль' })]).performance).toBe('optional');
  });

  it('does not require on the form what the performance or a default fills', () => {
    const [title, date, theatre] = generationForm([
      v('title', 'performance_field', { required: true, field: 'title' }),
      v('premiere_date', 'date', { required: true, field: 'premiere_date' }),
      v('theater_name', 'text', { required: true, default: 'Демо-театр' }),
    ]).fields;
    expect([title.required, title.fromPerformance]).toEqual([false, true]);
    expect([date.required, date.fromPerformance]).toEqual([false, true]);
    expect([theatre.required, theatre.initial]).toEqual([false, 'Демо-театр']);
  });

  it('starts a required choice at its default or first option', () => {
    expect(generationForm([v('s', 'choice', { required: true, options: ['a', 'b'], default: 'b' })]).fields[0].initial).toBe('b');
    expect(generationForm([v('s', 'choice', { required: true, options: ['a', 'b'] })]).fields[0].initial).toBe('a');
    expect(generationForm([v('s', 'choice', { options: ['a', 'b'] })]).fields[0].initial).toBe('');
  });
});

describe('form values to the request', () => {
  const { fields } = generationForm([v('n', 'number'), v('t', 'text'), v('l', 'staff_list'), v('d', 'date'), v('e', 'text')]);

  it('trims, leaves empty values out, parses numbers and splits lists', () => {
    expect(generationValues(fields, { n: ' 1 234,5 ', t: '  Акт  ', l: 'Свет\n\n Звук \n', d: '2026-12-07', e: '   ' })).toEqual({
      n: 1234.5, t: 'Акт', l: ['Свет', 'Звук'], d: '2026-12-07',
    });
  });

  it('keeps what is not a number as typed (the API names it)', () => {
    expect(generationValues(fields, { n: 'много' })).toEqual({ n: 'много' });
  });

  it('maps the API field values.<name> to the form field', () => {
    expect(valueFieldName('values.act_date')).toBe('act_date');
    expect(valueFieldName('performance_id')).toBe('performance_id');
  });
});

describe('editing a variable type', () => {
  it('drops options outside a choice and picks a field for field types', () => {
    expect(withType(v('title', 'choice', { options: ['a'] }), 'performance_field')).toMatchObject({ type: 'performance_field', options: [], field: 'title' });
    expect(withType(v('boss', 'text'), 'user_field')).toMatchObject({ field: 'full_name' });
    expect(withType(v('crew', 'text', { field: 'title' }), 'staff_list').field).toBeNull();
  });
});
