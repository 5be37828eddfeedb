// Document templates: the generation form a template's variables make, and the request body the
// form's values become (POST /documents/templates/{id}/generate).
import type { Schemas } from '../api/client';

export type TemplateVariable = Schemas['TemplateVariable'];
export type VariableType = Schemas['TemplateVariableType'];

export const VARIABLE_TYPES: VariableType[] = ['text', 'number', 'date', 'choice', 'performance_field', 'user_field', 'actor_list', 'staff_list'];
/** The performance's fields a variable may take its value from (shared::templates::PERFORMANCE_FIELDS). */
export const PERFORMANCE_FIELDS = ['title', 'subtitle', 'author', 'director', 'genre', 'age_rating', 'duration_minutes', 'intermissions', 'premiere_date', 'status'];
/** The user's fields a `user_field` variable shows (shared::templates::USER_FIELDS). */
export const USER_FIELDS = ['full_name', 'first_name', 'last_name', 'email'];

/** One control of the generation form. */
export interface FormField {
  name: string;
  label: string;
  control: 'text' | 'number' | 'date' | 'select' | 'user' | 'lines';
  required: boolean;
  options: string[];
  /** Pre-filled value (the variable's default; a choice starts at its default or first option). */
  initial: string;
  /** Left empty, the value comes from the chosen performance (its field, cast or crew). */
  fromPerformance: boolean;
}

export interface GenerationForm {
  fields: FormField[];
  /** Whether the form offers a performance to fill from, and whether one must be chosen. */
  performance: 'none' | 'optional' | 'required';
}

function control(t: VariableType): FormField['control'] {
  switch (t) {
    case 'number': return 'number';
    case 'date': return 'date';
    case 'choice': return 'select';
    case 'user_field': return 'user';
    case 'actor_list':
    case 'staff_list': return 'lines';
    default: return 'text';
  }
}

/**
 * The generation form of `variables`: a control per variable by its type. A variable that can
 * fall back to the performance (a performance field, a list of cast or crew, any variable with a
 * `field`) is never required on the form itself: a chosen performance fills it; the performance
 * becomes required when such a variable is required and has no default.
 */
export function generationForm(variables: readonly TemplateVariable[]): GenerationForm {
  let offers = false;
  let needs = false;
  const fields = variables.map((v): FormField => {
    const fromPerformance = v.type === 'performance_field' || v.type === 'actor_list' || v.type === 'staff_list' || (v.type !== 'user_field' && !!v.field);
    const required = !!v.required;
    if (fromPerformance) {
      offers = true;
      if (required && !v.default) needs = true;
    }
    const options = v.options ?? [];
    const initial = v.default ?? (v.type === 'choice' && required ? options[0] ?? '' : '');
    return {
      name: v.name,
      label: v.label || v.name,
      control: control(v.type),
      required: required && !fromPerformance && !v.default,
      options,
      initial,
      fromPerformance,
    };
  });
  return { fields, performance: needs ? 'required' : offers ? 'optional' : 'none' };
}

/**
 * The `values` of the request: what was typed, trimmed; empty ones left out (so the performance
 * or the default fills them); numbers as numbers; lists one item a line.
 */
export function generationValues(fields: readonly FormField[], typed: Record<string, string>): Record<string, string | number | string[]> {
  const values: Record<string, string | number | string[]> = {};
  for (const f of fields) {
    const raw = (typed[f.name] ?? '').trim();
    if (raw === '') continue;
    if (f.control === 'number') {
      const n = Number(raw.replace(/\s/g, '').replace(',', '.'));
      values[f.name] = Number.isFinite(n) ? n : raw;
    } else if (f.control === 'lines') {
      values[f.name] = raw.split('\n').map((l) => l.trim()).filter(Boolean);
    } else {
      values[f.name] = raw;
    }
  }
  return values;
}

/** The API names a missing or bad value `values.<name>`: the form field it belongs to. */
export function valueFieldName(apiField: string): string {
  return apiField.startsWith('values.') ? apiField.slice('values.'.length) : apiField;
}

/** A variable as the editor changes it: a new type keeps only what that type uses. */
export function withType(v: TemplateVariable, type: VariableType): TemplateVariable {
  const next: TemplateVariable = { ...v, type };
  if (type !== 'choice') next.options = [];
  if (type === 'performance_field' && !next.field) next.field = PERFORMANCE_FIELDS.includes(v.name) ? v.name : 'title';
  if (type === 'user_field' && !USER_FIELDS.includes(next.field ?? '')) next.field = 'full_name';
  if ((type === 'actor_list' || type === 'staff_list') && next.field) next.field = null;
  return next;
}
