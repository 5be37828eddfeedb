import { describe, expect, it } from 'vitest';
import { parseLabel } from './qr';

describe('item labels', () => {
  it('reads the theatre, item and number of a label', () => {
    expect(parseLabel('theatre-item:8c0e2f4a-1b2c-4d5e-8f90-123456789abc/0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f/PROPS-2026-00001')).toEqual({
      theaterId: '8c0e2f4a-1b2c-4d5e-8f90-123456789abc',
      itemId: '0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f',
      inventoryNumber: 'PROPS-2026-00001',
    });
  });

  it('refuses anything else (a URL, a bare number, a broken id)', () => {
    expect(parseLabel('https://example.com/x')).toBeNull();
    expect(parseLabel('PROPS-2026-00001')).toBeNull();
    expect(parseLabel('theatre-item:nope/nope/X')).toBeNull();
  });
});
