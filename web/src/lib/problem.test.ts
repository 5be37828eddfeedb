import { describe, expect, it } from 'vitest';
import { ApiProblem, fieldErrors, unwrap } from './problem';

describe('form error mapping', () => {
  const fields = ['name', 'inventory_number', 'quantity', 'attributes'];

  it('puts each API error on the field it names', () => {
    const { byField, other } = fieldErrors(
      { status: 422, errors: [{ field: 'name', message: 'must not be empty' }, { field: 'quantity', message: 'must be at least 1' }] },
      fields,
    );
    expect(byField).toEqual({ name: 'must not be empty', quantity: 'must be at least 1' });
    expect(other).toEqual([]);
  });

  it('maps a nested field to its form field and joins two messages', () => {
    const { byField } = fieldErrors(
      { errors: [{ field: 'attributes.colour', message: 'too long' }, { field: 'attributes', message: 'at most 50 keys' }] },
      fields,
    );
    expect(byField.attributes).toBe('too long; at most 50 keys');
  });

  it('keeps errors of fields the form does not show for the form-level message', () => {
    const { byField, other } = fieldErrors({ errors: [{ field: 'category_id', message: 'unknown category' }] }, fields);
    expect(byField).toEqual({});
    expect(other).toEqual(['category_id: unknown category']);
  });

  it('has nothing for a problem without errors', () => {
    expect(fieldErrors({ status: 409, detail: 'x' }, fields)).toEqual({ byField: {}, other: [] });
    expect(fieldErrors(undefined, fields)).toEqual({ byField: {}, other: [] });
  });

  it('unwrap throws the problem with its status and detail', () => {
    const response = new Response(null, { status: 409 });
    expect(() => unwrap({ error: { detail: 'item is in_use' }, response })).toThrowError(ApiProblem);
    try {
      unwrap({ error: { detail: 'item is in_use', status: 409 }, response });
    } catch (e) {
      expect((e as ApiProblem).status).toBe(409);
      expect((e as ApiProblem).message).toBe('item is in_use');
    }
  });
});
